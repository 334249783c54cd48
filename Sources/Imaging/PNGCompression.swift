/// How hard the PNG writer compresses. Decoded pixels are identical for every choice; only file size and
/// time differ (specs/distortions.md §1.4: compare decoded samples, never file bytes).
public enum PNGCompression: String, Sendable, CaseIterable {
    /// No compression (stored deflate blocks): fastest, largest (≈ 3 bytes per RGB pixel).
    case none
    /// zlib level 1 with the run-length strategy and the Sub filter: the default, several times faster than
    /// Pillow's setting at 5–15 % larger files on photographs (and often smaller on flat stimuli).
    case fast
    /// Pillow's default (zlib level 6, adaptive filters): smallest, slowest.
    case small
}
