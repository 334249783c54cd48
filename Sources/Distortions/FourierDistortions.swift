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
        let halfWidth = w / 2 + 1
        let scale = 1.0 / Double(h * w)

        // 1–2. m draws of the global generator, then s[t] = ((((u − 0.5)·2)·width)/180)·π.
        let shifts = scratchA.reserve(max(m, 1))
        var rng = MT19937(seed: seed)
        rng.fillRandomSamples(UnsafeMutableBufferPointer(start: shifts, count: m))
        let widthDegrees = Double(degrees)
        for t in 0..<m { shifts[t] = ((((shifts[t] - 0.5) * 2) * widthDegrees) / 180) * Double.pi }
        let sines = scratchB.reserve(max(m, 1)), cosines = scratchC.reserve(max(m, 1))
        FastSinCos.compute(shifts, sines: sines, cosines: cosines, count: m)
        // P[j] = (e^{i s[j]} + e^{i s[m−1−j]}) / 2 · 1/N: the factor of the Hermitian part at q-index j < m
        // (its partner n−1−j gets −s[m−1−j] in the reference, specs §3.5 quirk).
        let factors = scratchD.reserve(max(2 * m, 2))
        let halfScale = 0.5 * scale
        for j in 0..<m {
            factors[2 * j] = (cosines[j] + cosines[m - 1 - j]) * halfScale
            factors[2 * j + 1] = (sines[j] + sines[m - 1 - j]) * halfScale
        }

        // 3. F = FFT2(Y) (half spectrum).
        let fft = fftScratch(height: h, width: w)
        grey(input, into: fft.real.pointer)
        fft.forward.execute(fft.real, fft.spectrum)

        // 4–5. Multiply each frequency by its factor; row 0, column 0 of the shifted spectrum and DC are untouched.
        // Shifted row r = (u + h/2) mod h, column c = (v + w/2) mod w: columns v < w/2 map to c = v + w/2 ≥ 1,
        // so along a row the q-index t = (r − 1)(w − 1) + (c − 1) runs contiguously; v = w/2 is column c = 0.
        let z = fft.spectrum.pointer
        for u in 0..<h {
            let r = u < h / 2 ? u + h / 2 : u - h / 2
            let row = z + 2 * u * halfWidth
            if r == 0 {
                for v in 0..<halfWidth { row[2 * v] *= scale; row[2 * v + 1] *= scale }
                continue
            }
            let t0 = (r - 1) * (w - 1) + w / 2 - 1
            for v in 0..<(w / 2) {
                let t = t0 + v
                var fr = scale, fi = 0.0
                if t < m {
                    fr = factors[2 * t]; fi = factors[2 * t + 1]
                } else if t > m {
                    fr = factors[2 * (n - 1 - t)]; fi = -factors[2 * (n - 1 - t) + 1]
                }
                let re = row[2 * v], im = row[2 * v + 1]
                row[2 * v] = re * fr - im * fi
                row[2 * v + 1] = re * fi + im * fr
            }
            row[2 * (w / 2)] *= scale
            row[2 * (w / 2) + 1] *= scale
        }
        fft.backward.execute(fft.spectrum, fft.result)

        // 6. Clip; stacked grey.
        return output(w, h, .stackedGrey) { out in
            out.update(from: fft.result.pointer, count: h * w)
            Self.clip(out, h * w)
        }
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
        let count = fft.forward.halfComplexCount
        let z = fft.spectrum.pointer
        tables.halfSpectrumScaled.withUnsafeBufferPointer { t in
            for k in 0..<count {
                let re = z[2 * k], im = z[2 * k + 1]
                let magnitude = (re * re + im * im).squareRoot()
                var c = 1.0, s = 0.0
                if magnitude > 0 {
                    c = re / magnitude; s = im / magnitude
                } else {
                    let phase = atan2(im, re)
                    c = cos(phase); s = sin(phase)
                }
                z[2 * k] = t[k] * c
                z[2 * k + 1] = t[k] * s
            }
        }
        fft.backward.execute(fft.spectrum, fft.result)
        return output(w, h, .stackedGrey) { out in
            out.update(from: fft.result.pointer, count: h * w)
            Self.clip(out, h * w)
        }
    }
}
