/// How hard the PNG writer compresses. Decoded pixels are identical for every choice; only file size and
/// time differ (specs/distortions.md §1.4: compare decoded samples, never file bytes).
public enum PNGCompression: String, Sendable, CaseIterable {
    /// No compression (stored deflate blocks): fastest, largest (≈ 3 bytes per RGB pixel).
    case none
    /// The Sub filter, then for RGB a pixel-match deflate (matches to the last identical earlier pixel, one
    /// dynamic-Huffman block; Sources/CImagingShims/PNGDeflate.c) and for other layouts libdeflate level 1: the
    /// default, many times faster than Pillow's setting at about the same size on photographs (a third smaller
    /// than libdeflate on stacked grey noise, up to a fifth larger on very smooth pictures); libdeflate, then
    /// libpng with zlib level 1, if that fails.
    case fast
    /// Pillow's default (zlib level 6, adaptive filters): smallest, slowest.
    case small
}
