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
        // data_to_pic writes the picture as RGB; Picture resizes it with LANCZOS and converts it to L. Grey input
        // gives the same result either way (Pillow's L of three equal channels is the channel).
        let side = EidolonPicture.size
        let rgb = image.channels == 3 || image.channels == 1 ? image : image.convertedToRGB()
        let resized = rgb.width == side ? rgb : rgb.resized(width: side, height: side, filter: .lanczos)
        fiducial = resized.convertedToPillowL().samples
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
