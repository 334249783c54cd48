import CKernels
import Foundation
import Imaging

/// The FFT buffers of one `Distorter` for one image size (real plane in, half spectrum, real plane out).
final class FFTScratch {
    let height: Int
    let width: Int
    let real: FFTBuffer
    let spectrum: FFTBuffer
    let result: FFTBuffer
    let forward: FFTPlan
    let backward: FFTPlan

    init(height: Int, width: Int) {
        self.height = height
        self.width = width
        forward = FFTPlan.shared(.realForward, shape: [height, width])
        backward = FFTPlan.shared(.realBackward, shape: [height, width])
        real = FFTBuffer(count: height * width)
        spectrum = FFTBuffer(count: 2 * forward.halfComplexCount)
        result = FFTBuffer(count: height * width)
    }
}

/// Phase scrambling and power equalisation (specs/distortions.md §3.5, §3.6).
///
/// Both rebuild a spectrum from the image's FFT, transform back and keep the real part. The real part of an inverse
/// DFT equals the inverse DFT of the spectrum's Hermitian part, (G(k) + conj G(−k)) / 2, so each is computed with a
/// real-to-complex forward and a complex-to-real inverse transform on FFTW's half spectrum — exactly what the
/// reference's `ifft2(...).real` keeps, including phase scrambling's lost amplitude (its shifts are not
/// antisymmetric, so the discarded imaginary part is large).
extension Distorter {
    func fftScratch(height: Int, width: Int) -> FFTScratch {
        if let fft, fft.height == height, fft.width == width { return fft }
        let made = FFTScratch(height: height, width: width)
        fft = made
        return made
    }

    /// `np.random.seed(seed); phase_scrambling(X, width)` (width in degrees).
    func phaseScrambling(_ input: Image8, width degrees: Int, seed: UInt32) throws -> DistortedImage {
        let h = input.height, w = input.width
        guard h % 2 == 0, w % 2 == 0 else {
            throw DistortionsError.unsupportedImage(
                distortion: "phase-scrambling",
                reason: "needs an even width and height (the reference's shift vector does not fit otherwise), got \(w)×\(h)")
        }
        let n = (h - 1) * (w - 1), m = n / 2
        let scale = 1.0 / Double(h * w)

        // 1–2. m draws of the global generator, then s[t] = ((((u − 0.5)·2)·width)/180)·π.
        let shifts = scratchA.reserve(max(m, 1))
        var rng = MT19937(seed: seed)
        rng.fillRandomSamples(UnsafeMutableBufferPointer(start: shifts, count: m))
        // P[j] = (e^{i s[j]} + e^{i s[m−1−j]}) / 2 · 1/N: the factor of the Hermitian part at q-index j < m
        // (its partner n−1−j gets −s[m−1−j] in the reference, specs §3.5 quirk). sin and cos as `FastSinCos`.
        let sines = scratchB.reserve(max(m, 1)), cosines = scratchC.reserve(max(m, 1))
        let factors = scratchD.reserve(max(2 * m, 2))
        ck_phase_factors(shifts, m, Double(degrees), 0.5 * scale, sines, cosines, factors)

        // 3. F = FFT2(Y) (half spectrum).
        let fft = fftScratch(height: h, width: w)
        grey(input, into: fft.real.pointer)
        fft.forward.execute(fft.real, fft.spectrum)

        // 4–5. Multiply each frequency by its factor; row 0, column 0 of the shifted spectrum and DC are untouched.
        // Shifted row r = (u + h/2) mod h, column c = (v + w/2) mod w: columns v < w/2 map to c = v + w/2 ≥ 1,
        // so along a row the q-index t = (r − 1)(w − 1) + (c − 1) runs contiguously; v = w/2 is column c = 0.
        ck_phase_apply(fft.spectrum.pointer, Int32(h), Int32(w), factors, scale)

        // 6. Inverse transform; clip; stacked grey.
        return inverseClipped(fft, width: w, height: h)
    }

    /// `power_equalisation(X, mean_power_spectrum_grey)`: the image's phases with the mean amplitude spectrum.
    func powerEqualisation(_ input: Image8) throws -> DistortedImage {
        guard let tables else {
            throw DistortionsError.unsupportedImage(
                distortion: "power-equalisation", reason: "needs the mean amplitude spectrum table (DistortionTables)")
        }
        let h = input.height, w = input.width
        guard h == tables.spectrumSize, w == tables.spectrumSize else {
            throw DistortionsError.unsupportedImage(
                distortion: "power-equalisation",
                reason: "needs a \(tables.spectrumSize)×\(tables.spectrumSize) image (the size of the mean amplitude spectrum), got \(w)×\(h)")
        }
        let fft = fftScratch(height: h, width: w)
        grey(input, into: fft.real.pointer)
        fft.forward.execute(fft.real, fft.spectrum)
        // T·e^{iφ} with e^{iφ} = F/|F| (atan2's angle where |F| = 0).
        tables.halfSpectrumScaled.withUnsafeBufferPointer { t in
            ck_power_equalise(fft.spectrum.pointer, fft.forward.halfComplexCount, t.baseAddress!)
        }
        return inverseClipped(fft, width: w, height: h)
    }

    /// The inverse transform of `fft.spectrum` (overwritten), clipped to [0, 1], as a stacked-grey image: written
    /// straight into the output's storage and clipped in place where FFTW can write there, else through
    /// `fft.result`.
    private func inverseClipped(_ fft: FFTScratch, width w: Int, height h: Int) -> DistortedImage {
        output(w, h, .stackedGrey) { out in
            if fft.backward.executeRealBackward(fft.spectrum, into: out) {
                ck_clip_copy(out, h * w, out)
            } else {
                fft.backward.execute(fft.spectrum, fft.result)
                ck_clip_copy(fft.result.pointer, h * w, out)
            }
        }
    }
}
