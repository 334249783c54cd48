/// How hard the PNG writer compresses. Decoded pixels are identical for every choice; only file size and
/// time differ (specs/distortions.md §1.4: compare decoded samples, never file bytes).
public enum PNGCompression: String, Sendable, CaseIterable {
    /// No compression (stored deflate blocks): fastest, largest (≈ 3 bytes per RGB pixel).
    case none
    /// libdeflate level 1 with the Sub filter: the default, many times faster than Pillow's setting at about the
    /// same size on photographs (and often smaller files on flat stimuli); libpng with zlib level 1 if that fails.
    case fast
    /// Pillow's default (zlib level 6, adaptive filters): smallest, slowest.
    case small
}
