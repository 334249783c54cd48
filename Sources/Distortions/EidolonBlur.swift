import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The Eidolon toolbox's Gaussian blur exactly as it is computed (specs/eidolon.md §3): the 512 × 512 plane and the
/// un-normalised wrap-around Gaussian kernel K[r][c] = g(u(r))·g(u(c)) are both flattened row-major, and the result
/// is their circular 1-D convolution of length L = 2¹⁸ (`irfft(rfft(P_flat) · rfft(K_flat))`), reshaped back.
///
/// One instance per worker: it owns the transform scratch. Kernel spectra (one per σ; the eidolons use 13) are
/// made once per process and shared.
final class EidolonBlur {
    static let side = 512
    static let length = side * side
    static let halfCount = length / 2 + 1

    private let forward = FFTPlan.shared(.realForward, shape: [EidolonBlur.length])
    private let backward = FFTPlan.shared(.realBackward, shape: [EidolonBlur.length])
    /// The spectrum of the last `transform` call (half complex, interleaved).
    let spectrum = FFTBuffer(count: 2 * EidolonBlur.halfCount)
    /// Product scratch: the backward transform destroys its input.
    private let product = FFTBuffer(count: 2 * EidolonBlur.halfCount)

    init() {}

    /// Transforms `plane` (L doubles) into `spectrum`.
    func transform(_ plane: FFTBuffer) {
        forward.execute(plane, spectrum)
    }

    /// out = blur_σ(plane whose spectrum is in `spectrum`); `spectrum` is kept. `out` holds L doubles.
    ///
    /// Returns the mean and the population variance of `out`, from the spectrum (DC term, and Parseval without the
    /// DC term: |P_{L/2}|² + 2·Σ_{0<f<L/2} |P_f|²), which saves three passes over the plane.
    @discardableResult
    func blur(sigma: Double, into out: FFTBuffer) -> (mean: Double, variance: Double) {
        let kernel = EidolonBlur.kernelSpectrum(sigma: sigma)
        let s = spectrum.pointer, k = kernel.pointer, p = product.pointer
        var squares = 0.0
        for f in 0..<EidolonBlur.halfCount {
            let a = s[2 * f], b = s[2 * f + 1], c = k[2 * f], d = k[2 * f + 1]
            let re = a * c - b * d, im = a * d + b * c
            p[2 * f] = re
            p[2 * f + 1] = im
            squares += re * re + im * im
        }
        let last = EidolonBlur.halfCount - 1
        let dc = p[0] * p[0] + p[1] * p[1]
        let nyquist = p[2 * last] * p[2 * last] + p[2 * last + 1] * p[2 * last + 1]
        let mean = p[0]
        let variance = 2 * (squares - dc - nyquist) + nyquist
        backward.execute(product, out)
        return (mean, variance)
    }

    /// g(u) = exp(−u² / (2σ²)) / (√(2π)·σ) for the wrap-around coordinate u(t) = t (t ≤ 256), t − 512 (t > 256).
    static func taps(sigma: Double) -> [Double] {
        let twoSigmaSquared = 2.0 * (sigma * sigma)
        let denominator = (2.0 * Double.pi).squareRoot() * sigma
        return (0..<side).map { t in
            let u = t <= side / 2 ? t : t - side
            return exp(-Double(u * u) / twoSigmaSquared) / denominator
        }
    }

    private static let spectra = Mutex<[UInt64: FFTBuffer]>([:])

    /// rfft(K_flat) / L for this σ (the 1/L of numpy's `irfft` folded in), computed once per process.
    static func kernelSpectrum(sigma: Double) -> FFTBuffer {
        if let cached = spectra.withLock({ $0[sigma.bitPattern] }) { return cached }
        let g = taps(sigma: sigma)
        let plane = FFTBuffer(count: length)
        for r in 0..<side {
            for c in 0..<side { plane.pointer[r * side + c] = g[c] * g[r] }
        }
        let out = FFTBuffer(count: 2 * halfCount)
        FFTPlan.shared(.realForward, shape: [length]).execute(plane, out)
        let scale = 1.0 / Double(length)
        for i in 0..<(2 * halfCount) { out.pointer[i] *= scale }
        return spectra.withLock { cache in
            if let existing = cache[sigma.bitPattern] { return existing }
            cache[sigma.bitPattern] = out
            return out
        }
    }
}
