/// What an image file held before decoding turned it into `Image8`/`Image` channels.
public struct ImageSourceInfo: Sendable, Equatable {
    public enum Format: String, Sendable { case png = "PNG", jpeg = "JPEG" }

    public let format: Format
    /// A PNG palette image (Pillow mode "P"), delivered as RGB.
    public let isPalette: Bool
    /// Bits per sample in the file (PNG 1, 2, 4, 8 or 16; JPEG 8).
    public let bitDepth: Int
}
