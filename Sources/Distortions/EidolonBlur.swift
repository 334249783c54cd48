import CFFTW
import CKernels
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
/// The length-L transform is computed in four steps (Cooley–Tukey with L = 512 × 512; flat index n = 512·i + j,
/// frequency f = q + 512·p): a real DFT of every column over i (q = 0…256, the rest by symmetry), the twiddle
/// factors exp(−2πi·q·j/L), and a complex DFT of every row q over j (p). The same numbers as one FFT of length L up
/// to rounding (≈ 1e-14 on a blurred noise plane, like FFTW against numpy's pocketfft), but:
/// - planes are kept **transposed** (row j of a buffer is column j of the picture), so every FFT runs on
///   contiguous rows (strided column transforms are four times slower here);
/// - the kernel spectra (once per σ and process) are negligible (below `rowThreshold` = 1e-15 of their peak:
///   a change below the transform's own rounding, see there) outside the rows q < `rows(σ)`: 68 of 257 rows for
///   the grain σ = 10, 22 for σ = 32, so most of the row transforms and products are skipped;
/// - the inverse computes only the columns asked for (the centre 256 for the noise planes).
///
/// One instance per worker: it owns the transform scratch (about 6 MB).
final class EidolonBlur {
    static let side = 512
    static let length = side * side
    /// Rows q = 0…256 of the spectrum (the real input's other rows are their mirror images).
    static let spectrumRows = side / 2 + 1
    /// Complex values between the starts of two spectrum rows (512 used; not a power of two, for the cache).
    static let rowStride = Int(CK_EIDOLON_ROW_STRIDE)

    /// Column spectrum Yᵀ: 512 rows (plane columns j) of 257 complex values; also the inverse's last input.
    private let columns = FFTBuffer(count: 2 * EidolonBlur.side * EidolonBlur.spectrumRows)
    /// The spectrum of the last `transform`: row q (of `validRows`) holds 512 complex values over p.
    private let spectrum = FFTBuffer(count: 2 * EidolonBlur.spectrumRows * EidolonBlur.rowStride)
    private let product = FFTBuffer(count: 2 * EidolonBlur.spectrumRows * EidolonBlur.rowStride)
    private var validRows = 0

    init() {}

    /// Transforms a plane given **transposed** (`transposed[j·512 + i]` = P[i][j], 512 × 512 doubles), keeping
    /// the spectrum rows q < `rows` (257 for all; `rows(sigma:)` when only one σ will be applied).
    func transform(transposed: FFTBuffer, rows: Int = EidolonBlur.spectrumRows) {
        precondition(transposed.count >= EidolonBlur.length && rows > 0 && rows <= EidolonBlur.spectrumRows)
        let plans = EidolonBlur.plans
        columns.pointer.withMemoryRebound(to: fftw_complex.self, capacity: columns.count / 2) { out in
            fftw_execute_dft_r2c(plans.columnsForward, transposed.pointer, out)
        }
        ck_eidolon_twiddle_forward(columns.pointer, EidolonBlur.twiddles.pointer, spectrum.pointer, Int32(rows))
        spectrum.pointer.withMemoryRebound(to: fftw_complex.self, capacity: spectrum.count / 2) { s in
            for q in 0..<rows {
                let row = s + q * EidolonBlur.rowStride
                fftw_execute_dft(plans.rowForward, row, row)
            }
        }
        validRows = rows
    }

    /// The blur with σ of the last transformed plane, written **transposed** for the plane columns in `columns`
    /// (`out[j·512 + i]` = B[i][j] for j in `columns`, all i; other rows of `out` untouched). The spectrum is kept.
    ///
    /// Returns the mean and the population variance of the whole blurred plane, from the spectrum (DC term, and
    /// Parseval without it), which saves passes over the plane and the columns not computed.
    @discardableResult
    func blur(sigma: Double, columns wanted: Range<Int>, into out: FFTBuffer) -> (mean: Double, variance: Double) {
        let kernel = EidolonBlur.kernelSpectrum(sigma: sigma)
        precondition(validRows >= kernel.rows, "transform kept fewer spectrum rows than σ \(sigma) needs")
        let rows = kernel.rows
        let p = product.pointer
        let total = ck_eidolon_product(spectrum.pointer, kernel.buffer.pointer, p, Int32(rows))
        let mean = p[0]
        let variance = total - (p[0] * p[0] + p[1] * p[1])
        inverse(p, rows: rows, columns: wanted, into: out)
        return (mean, variance)
    }

    /// factor · (spectrum of the last transformed plane × the σ kernel spectrum), rows q < `rows(sigma:)`, written to
    /// `out` in the row layout (rows `rowStride` complex values apart); the mean and the population variance of the
    /// unscaled blurred plane (as `blur`).
    func product(sigma: Double, factor: Double, into out: UnsafeMutablePointer<Double>)
        -> (mean: Double, variance: Double) {
        let kernel = EidolonBlur.kernelSpectrum(sigma: sigma)
        precondition(validRows >= kernel.rows, "transform kept fewer spectrum rows than σ \(sigma) needs")
        let total = ck_eidolon_product_scaled(spectrum.pointer, kernel.buffer.pointer, out, Int32(kernel.rows), factor)
        // Unscaled DC term: the scaled one divided back would not be exact; recompute it from the inputs.
        let s = spectrum.pointer, k = kernel.buffer.pointer
        let dcRe = s[0] * k[0] - s[1] * k[1], dcIm = s[0] * k[1] + s[1] * k[0]
        return (dcRe, total - (dcRe * dcRe + dcIm * dcIm))
    }

    /// The inverse of a spectrum `p` in the row layout with `rows` rows (the rest zero), written **transposed** for
    /// the plane columns in `wanted` (as `blur`). `p` is overwritten (the row transforms run in place).
    func inverse(_ p: UnsafeMutablePointer<Double>, rows: Int, columns wanted: Range<Int>, into out: FFTBuffer) {
        precondition(rows > 0 && rows <= EidolonBlur.spectrumRows)
        precondition(wanted.lowerBound >= 0 && wanted.upperBound <= EidolonBlur.side && out.count >= EidolonBlur.length)
        let plans = EidolonBlur.plans
        p.withMemoryRebound(to: fftw_complex.self, capacity: rows * EidolonBlur.rowStride) { s in
            for q in 0..<rows {
                let row = s + q * EidolonBlur.rowStride
                fftw_execute_dft(plans.rowBackward, row, row)
            }
        }
        ck_eidolon_twiddle_backward(p, EidolonBlur.twiddles.pointer, columns.pointer, Int32(rows),
                                    Int32(wanted.lowerBound), Int32(wanted.upperBound))
        let plan = plans.columnsBackward(count: wanted.count)
        let first = wanted.lowerBound
        (columns.pointer + 2 * EidolonBlur.spectrumRows * first).withMemoryRebound(
            to: fftw_complex.self, capacity: EidolonBlur.spectrumRows * wanted.count
        ) { input in
            fftw_execute_dft_c2r(plan, input, out.pointer + EidolonBlur.side * first)
        }
    }

    /// The DoG level D_k = S_k − S_{k+1} (D_11 = S_11) of the last transformed plane (all 257 rows kept), from one
    /// product with the difference of the two kernel spectra (specs/eidolon.md §4; the same numbers as the
    /// difference of the two blurs up to rounding, ~1e-13 on 8-bit planes), written transposed for `columns`.
    func dogLevel(_ k: Int, columns wanted: Range<Int>, into out: FFTBuffer) {
        precondition(validRows == EidolonBlur.spectrumRows, "the scale space needs the whole spectrum")
        let kernel = EidolonBlur.differenceSpectrum(level: k)
        ck_eidolon_product(spectrum.pointer, kernel.buffer.pointer, product.pointer, Int32(kernel.rows))
        inverse(product.pointer, rows: kernel.rows, columns: wanted, into: out)
    }

    private static let differences = Mutex<[Int: KernelSpectrum]>([:])

    /// K̂_k − K̂_{k+1} (K̂_11 for the last level) in the kernel layout, max(rows(σ_k), rows(σ_{k+1})) rows.
    static func differenceSpectrum(level k: Int) -> KernelSpectrum {
        if let cached = differences.withLock({ $0[k] }) { return cached }
        let sigmas = EidolonScaleSpace.sigmas
        let own = kernelSpectrum(sigma: sigmas[k])
        // Row counts need not shrink with σ (at other thresholds σ = 32 keeps more rows than σ = 22.6: its taps are
        // cut at the wrap, |u| = 256, which leaves a floor near 1e-17 of the peak).
        let next = k + 1 < sigmas.count ? kernelSpectrum(sigma: sigmas[k + 1]) : nil
        let rows = max(own.rows, next?.rows ?? 0)
        let buffer = FFTBuffer(count: 2 * rows * rowStride)  // zero-initialised
        buffer.pointer.update(from: own.buffer.pointer, count: 2 * own.rows * rowStride)
        if let next {
            for i in 0..<(2 * next.rows * rowStride) { buffer.pointer[i] -= next.buffer.pointer[i] }
        }
        let made = KernelSpectrum(rows: rows, buffer: buffer)
        return differences.withLock { cache in
            if let existing = cache[k] { return existing }
            cache[k] = made
            return made
        }
    }

    /// Spectrum rows a blur with σ needs (see the type's notes).
    static func rows(sigma: Double) -> Int { kernelSpectrum(sigma: sigma).rows }

    /// g(u) = exp(−u² / (2σ²)) / (√(2π)·σ) for the wrap-around coordinate u(t) = t (t ≤ 256), t − 512 (t > 256).
    static func taps(sigma: Double) -> [Double] {
        let twoSigmaSquared = 2.0 * (sigma * sigma)
        let denominator = (2.0 * Double.pi).squareRoot() * sigma
        return (0..<side).map { t in
            let u = t <= side / 2 ? t : t - side
            return exp(-Double(u * u) / twoSigmaSquared) / denominator
        }
    }

    // MARK: Shared tables

    /// A kernel's spectrum / L in the row layout (rows `rowStride` apart), rows q < `rows` (the rest is below
    /// `rowThreshold` of the peak).
    final class KernelSpectrum: @unchecked Sendable {
        let rows: Int
        let buffer: FFTBuffer
        init(rows: Int, buffer: FFTBuffer) {
            self.rows = rows
            self.buffer = buffer
        }
    }

    private static let spectra = Mutex<[UInt64: KernelSpectrum]>([:])

    /// Spectrum rows whose kernel values are all ≤ rowThreshold · peak are dropped. Why that moves no pixel: the
    /// kernel spectrum is scaled by 1/L, so its peak is K̂(0)/L ≈ 1/L (the kernel sums to ≈ 1). Dropping values
    /// c(f) = R̂(f)·K̂(f)/L changes the blurred plane by e(n) = Σ_dropped c(f)·e^{2πi·fn/L}, and by Parseval
    /// rms(e) = (Σ_dropped |c(f)|²)^½ ≤ τ·peak·(Σ_f |R̂(f)|²)^½ = τ·peak·L·rms(R) ≈ τ·rms(R). The planes blurred here
    /// have rms(R) ≤ 127.5 (noise: ≈ 27) and ≤ 255 (the fat picture), so τ = 1e-15 moves values by ≲ 3e-14 (rms;
    /// the extremes a few times that), no more than the four-step transform's own rounding (≈ 1e-14 relative,
    /// ~5e-14 absolute on a noise plane). A field value F moves a pixel only if F·reach + i lies within reach·|ΔF|
    /// of an integer: with |ΔF| ≈ 3e-14 (probability 2·reach·|ΔF| per index, 1.6·10⁶ indices per render) that is
    /// about one index in 10⁵ renders at reach 128, and flips at that level are what the blur's own rounding already
    /// allows (specs/eidolon.md §8). The goldens stay identical (EidolonGoldenTests).
    static let rowThreshold = 1e-15

    /// rfft(K_flat) / L for this σ (the 1/L of numpy's `irfft` folded in), computed once per process.
    static func kernelSpectrum(sigma: Double) -> KernelSpectrum {
        if let cached = spectra.withLock({ $0[sigma.bitPattern] }) { return cached }
        let g = taps(sigma: sigma)
        let plane = FFTBuffer(count: length)
        // K is symmetric (K[r][c] = g[c]·g[r] = K[c][r] bit for bit), so it is its own transpose.
        for r in 0..<side {
            for c in 0..<side { plane.pointer[r * side + c] = g[c] * g[r] }
        }
        let scratch = EidolonBlur()
        scratch.transform(transposed: plane)
        let s = scratch.spectrum.pointer
        let scale = 1.0 / Double(length)
        var peak = 0.0
        for q in 0..<spectrumRows {
            let row = s + 2 * rowStride * q
            for i in 0..<(2 * side) {
                row[i] *= scale
                peak = max(peak, abs(row[i]))
            }
        }
        var rows = 1
        for q in 0..<spectrumRows {
            let row = s + 2 * rowStride * q
            var largest = 0.0
            for i in 0..<(2 * side) { largest = max(largest, abs(row[i])) }
            if largest > rowThreshold * peak { rows = q + 1 }
        }
        let buffer = FFTBuffer(count: 2 * rows * rowStride)
        buffer.pointer.update(from: s, count: 2 * rows * rowStride)
        let made = KernelSpectrum(rows: rows, buffer: buffer)
        return spectra.withLock { cache in
            if let existing = cache[sigma.bitPattern] { return existing }
            cache[sigma.bitPattern] = made
            return made
        }
    }

    /// exp(−2πi·q·j / L) for q = 0…256, j = 0…511 (row q at q·rowStride, interleaved complex).
    static let twiddles: FFTBuffer = {
        let table = FFTBuffer(count: 2 * spectrumRows * rowStride)
        for q in 0..<spectrumRows {
            for j in 0..<side {
                let angle = -2.0 * Double.pi * Double(q * j) / Double(length)
                table.pointer[2 * (q * rowStride + j)] = cos(angle)
                table.pointer[2 * (q * rowStride + j) + 1] = sin(angle)
            }
        }
        return table
    }()

    /// The FFTW plans, made once under FFTPlan's planner lock from the embedded wisdom (`EidolonWisdom`: the same
    /// plans on every run), or with FFTW_ESTIMATE where it does not apply; executed on other buffers of the same
    /// layout and alignment with FFTW's new-array functions. The wisdom is forgotten again right after planning,
    /// so that the other distortions' FFTW_ESTIMATE plans never depend on whether an eidolon was made first.
    final class Plans: @unchecked Sendable {
        /// 512 real rows of 512 → 512 rows of 257 complex values.
        let columnsForward: OpaquePointer
        /// One complex row of 512, in place, sign −1 / +1.
        let rowForward: OpaquePointer
        let rowBackward: OpaquePointer
        private let backwardCentre: OpaquePointer
        private let backwardAll: OpaquePointer
        private let backwardCentreCount: Int

        /// Whether the plans came from the embedded wisdom (false: FFTW_ESTIMATE).
        let fromWisdom: Bool

        init() {
            let side = EidolonBlur.side, half = EidolonBlur.spectrumRows
            let real = FFTBuffer(count: EidolonBlur.length)
            let complex = FFTBuffer(count: 2 * half * EidolonBlur.rowStride)
            let imported = fftw_import_wisdom_from_string(EidolonWisdom.text) != 0
            var usedWisdom = imported
            var n = Int32(side)
            // Every plan from the wisdom, or (if any one is missing) every plan with FFTW_ESTIMATE.
            func check(_ make: (UInt32) -> OpaquePointer?) -> OpaquePointer {
                if usedWisdom, let plan = make(UInt32(FFTW_PATIENT) | UInt32(FFTW_WISDOM_ONLY)) { return plan }
                usedWisdom = false
                guard let plan = make(UInt32(FFTW_ESTIMATE)) else {
                    fatalError("FFTW could not plan the eidolon blur transforms")
                }
                return plan
            }
            // Planning only reads the buffers' addresses (alignment); the pointer is not kept.
            let c = UnsafeMutableRawPointer(complex.pointer).assumingMemoryBound(to: fftw_complex.self)
            let centreInput = c + half * EidolonFields.offset, centreOutput = real.pointer + side * EidolonFields.offset
            let centre = Int32(EidolonFields.centre)
            var made: [OpaquePointer] = []
            for _ in 0..<2 {
                made = [
                    check { fftw_plan_many_dft_r2c(1, &n, Int32(side), real.pointer, nil, 1, Int32(side), c, nil, 1,
                                                   Int32(half), $0) },
                    check { fftw_plan_dft_1d(n, c, c, FFTW_FORWARD, $0) },
                    check { fftw_plan_dft_1d(n, c, c, FFTW_BACKWARD, $0) },
                    check { fftw_plan_many_dft_c2r(1, &n, centre, centreInput, nil, 1, Int32(half), centreOutput, nil,
                                                   1, Int32(side), $0) },
                    check { fftw_plan_many_dft_c2r(1, &n, Int32(side), c, nil, 1, Int32(half), real.pointer, nil, 1,
                                                   Int32(side), $0) },
                ]
                if usedWisdom || !imported { break }
                // A partial match: plan all five again with FFTW_ESTIMATE (the first ones leak; once per process).
            }
            if imported { fftw_forget_wisdom() }
            fromWisdom = usedWisdom
            columnsForward = made[0]
            rowForward = made[1]
            rowBackward = made[2]
            backwardCentreCount = EidolonFields.centre
            backwardCentre = made[3]
            backwardAll = made[4]
        }

        /// The column inverse for `count` plane columns (256: the centre, or 512: all).
        func columnsBackward(count: Int) -> OpaquePointer {
            switch count {
            case backwardCentreCount: return backwardCentre
            case EidolonBlur.side: return backwardAll
            default: preconditionFailure("eidolon blur: no inverse plan for \(count) columns")
            }
        }
    }

    static let plans: Plans = FFTPlan.withPlannerLock { Plans() }
}
