import CKernels

/// The difference-of-Gaussian scale space of the fat fiducial plane (specs/eidolon.md §4): S_k = blur_{σ_k}(fat) for
/// the 12 scale levels, D_k = S_k − S_{k+1} (k < 11) and D_11 = S_11, each a full 512 × 512 plane of doubles, each
/// from one inverse transform of the picture's spectrum times K̂_k − K̂_{k+1}.
///
/// It depends only on the picture: computed once, it serves every reach, coherence and seed. The buffers are
/// allocated once per worker and overwritten by each `compute`. Levels are stored **transposed** (`levels[k][j·512
/// + i]` = D_k[i][j]), as `EidolonBlur` produces them; `EidolonSynthesis` reads them that way.
final class EidolonScaleSpace {
    /// σ_0 = 1/√2, σ_k = √2·σ_{k−1} by the reference's recurrence in double (not a closed form).
    static let sigmas: [Double] = {
        var levels = [1.0 / (2.0).squareRoot()]
        for _ in 1..<12 { levels.append((2.0).squareRoot() * levels[levels.count - 1]) }
        return levels
    }()
    static let levelCount = 12
    /// MAX_SIGMA of the wrapper (SZ / 4): only a divisor of the coherent noise planes, not the largest σ.
    static let maxSigma = 64.0

    /// D_0 … D_11, transposed 512 × 512.
    let levels: [FFTBuffer]
    private let input = FFTBuffer(count: EidolonBlur.length)

    init() {
        levels = (0..<EidolonScaleSpace.levelCount).map { _ in FFTBuffer(count: EidolonBlur.length) }
    }

    /// Fills `levels` from the 512 × 512 fat fiducial plane (row-major).
    func compute(fat: [UInt8], blur: EidolonBlur) {
        precondition(fat.count == EidolonBlur.length)
        fat.withUnsafeBufferPointer { ck_eidolon_bytes_transpose($0.baseAddress!, input.pointer) }
        blur.transform(transposed: input)
        for k in 0..<EidolonScaleSpace.levelCount {
            blur.dogLevel(k, columns: 0..<EidolonBlur.side, into: levels[k])
        }
    }

    /// D_k row-major (tests).
    func rowMajorLevel(_ k: Int) -> [Double] {
        let side = EidolonBlur.side
        let t = levels[k].pointer
        var out = [Double](repeating: 0, count: EidolonBlur.length)
        for i in 0..<side {
            for j in 0..<side { out[i * side + j] = t[j * side + i] }
        }
        return out
    }
}
