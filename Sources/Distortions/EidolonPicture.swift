import Imaging

/// The picture set-up of the eidolon factory (specs/eidolon.md §2): the input resized to 256 × 256 with Pillow's
/// LANCZOS, converted with Pillow's `convert('L')` (the fiducial picture), and mirror-embedded in the 512 × 512 fat
/// fiducial plane on which everything else works.
public struct EidolonPicture: Sendable, Equatable {
    /// Side of the working picture (the wrapper's SZ).
    public static let size = 256
    /// Side of the fat plane: the smallest power of two ≥ 1.5 × 256.
    public static let fatSize = 512

    /// The fiducial picture, 256 × 256 grey, row-major.
    public let fiducial: [UInt8]
    /// The fat fiducial plane, 512 × 512, row-major: the fiducial at (128, 128) with half-sample mirrored borders.
    public let fat: [UInt8]

    /// Sets up a square 8-bit picture of any size (grey, grey + alpha, RGB or RGBA; alpha is ignored).
    ///
    /// The reference feeds 224 × 224 RGB stimuli; any other square size is resized to 256 the same way.
    /// Throws for a non-square picture (the toolbox would give a non-square result that no dataset uses);
    /// `distortion` names the distortion in the error.
    public init(image: Image8, distortion: String = "eidolon") throws(DistortionsError) {
        guard image.width == image.height else {
            throw .unsupportedImage(distortion: distortion, reason: "needs a square picture (the stimuli are "
                                    + "224×224), got \(image.width)×\(image.height)")
        }
        let side = EidolonPicture.size
        if image.channels >= 3 {
            let rgb: [UInt8]
            if image.channels == 3 {
                rgb = image.samples
            } else {
                rgb = (0..<(image.width * image.height)).flatMap { p in
                    image.samples[(p * image.channels)..<(p * image.channels + 3)]
                }
            }
            let resized = image.width == side ? rgb
                : EidolonResample.lanczos(rgb, width: image.width, height: image.height, channels: 3,
                                          outWidth: side, outHeight: side)
            fiducial = EidolonResample.grey(resized, pixels: side * side, channels: 3)
        } else {
            // Grey: Pillow's L of three equal channels is the channel itself, and LANCZOS treats channels alike.
            let grey = image.channels == 1 ? image.samples
                : (0..<(image.width * image.height)).map { image.samples[$0 * image.channels] }
            fiducial = image.width == side ? grey
                : EidolonResample.lanczos(grey, width: image.width, height: image.height, channels: 1,
                                          outWidth: side, outHeight: side)
        }
        fat = EidolonPicture.embed(fiducial)
    }

    /// A picture from its 256 × 256 fiducial plane.
    init(fiducial: [UInt8]) {
        precondition(fiducial.count == EidolonPicture.size * EidolonPicture.size)
        self.fiducial = fiducial
        fat = EidolonPicture.embed(fiducial)
    }

    /// The toolbox's `EmbedImage` for a 256 × 256 picture in a 512 × 512 plane (margins 128).
    static func embed(_ f: [UInt8]) -> [UInt8] {
        let n = size, big = fatSize, d = (fatSize - size) / 2
        var fat = [UInt8](repeating: 0, count: big * big)
        for r in 0..<n {
            let row = (r + d) * big
            for c in 0..<d { fat[row + c] = f[r * n + (d - 1 - c)] }
            for c in 0..<n { fat[row + d + c] = f[r * n + c] }
            for t in 0..<d { fat[row + d + n + t] = f[r * n + (n - 1 - t)] }
        }
        for r in 0..<d {
            for c in 0..<big {
                fat[r * big + c] = fat[(2 * d - 1 - r) * big + c]
                fat[(d + n + r) * big + c] = fat[(d + n - 1 - r) * big + c]
            }
        }
        return fat
    }
}
