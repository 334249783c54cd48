import CFFTW
import CKernels
import Foundation

/// How `Distorter` computes scipy's `gaussian_filter(Y, σ, mode='constant', cval=0.4423)` (low-pass, high-pass).
public enum GaussianMethod: String, Sendable, CaseIterable {
    /// `exact` below a kernel radius of `GaussianMethod.spectralMinimumRadius` taps (σ < 5.875; all high-pass
    /// conditions and low-pass σ ≤ 5), `spectral` from there on (low-pass σ 7, 10, 15, 40).
    case automatic = "auto"
    /// Direct separable correlation in scipy's order of summation: the float64 plane is bit-identical to the
    /// reference. Its cost grows with the radius (4σ + 0.5 taps on each side).
    case exact
    /// FFT convolution of each line, zero-padded to at least length + radius (constant padding becomes zero padding
    /// after subtracting cval), two real lines per complex transform: the same linear convolution up to rounding
    /// (max |Δ| = 4.4e-16 against `exact` on the three golden inputs at σ 7–40, every 8-bit sample the same), at a
    /// cost nearly independent of σ.
    case spectral

    /// Smallest kernel radius (taps on each side) for which `automatic` takes the spectral path.
    public static let spectralMinimumRadius = 24

    /// Whether a kernel of `radius` taps on each side is filtered spectrally.
    func usesSpectral(radius: Int) -> Bool {
        switch self {
        case .automatic: return radius >= Self.spectralMinimumRadius
        case .exact: return false
        case .spectral: return true
        }
    }
}

/// scipy's Gaussian filter with constant padding (specs/distortions.md §3.0.1) through FFTW, for one σ and one
/// plane size: out = cval + K ∗ (Y − cval), where ∗ is the separable linear convolution with zero padding, first
/// along columns (as scipy), then along rows.
///
/// Each pass runs batched 1-D complex FFTs of a length N ≥ length + radius (so the circular convolution does not
/// wrap onto the kept samples) and carries two real lines in one complex line: the kernel is real and symmetric,
/// so its spectrum is real and filtering the complex line filters its real and imaginary parts separately. Pass 1
/// pairs neighbouring columns: `chunk` column pairs at a time are written (Y − cval, straight from the image or
/// plane) into contiguous zero-padded lines, filtered, and scattered into the lines of pass 2, which pair
/// neighbouring rows and hold the whole filtered plane (zero-padded). Pass 2 filters those `chunk` lines at a time
/// and unzips them into the output, adding cval back. No line buffer is ever written in its padding (the transforms
/// write into separate buffers), so the padding stays zero from allocation and only samples are copied. Both passes
/// run the same contiguous batched transforms: FFTW walking the plane's stride itself took twice as long for pass 1
/// (0.29 against 0.15 ms for 112 complex columns of length 384, forward and back), far more than the copies. Plans
/// come from `FFTPlan.shared`; buffers belong to this object (one per `Distorter`), so nothing allocates per image.
final class SpectralGaussian {
    struct Key: Hashable {
        let sigma: Double
        let height: Int
        let width: Int
    }

    /// Complex lines per batched transform (pass 1 reads 16 · 16 bytes = 256 bytes of each plane row per chunk).
    static let chunk = 16

    let height: Int
    let width: Int
    /// Complex columns of pass 1 (pairs of real columns) and complex lines of pass 2 (pairs of rows).
    let columnPairs: Int
    let rowPairs: Int
    /// Pass 1 filters lines of `height` samples (columns), pass 2 lines of `width` samples (rows).
    let columnPass: LinePass
    let rowPass: LinePass
    /// Pass 1's input lines (a chunk) and its filtered lines.
    let columnLines: FFTBuffer
    let columnsFiltered: FFTBuffer
    /// Pass 2's input: all `rowPairs` row lines, filled by pass 1; and a chunk of its filtered lines.
    let rowLines: FFTBuffer
    let rowsFiltered: FFTBuffer

    /// One pass's filter: batched complex lines of length N, forward transform, × the kernel's spectrum, backward.
    struct LinePass {
        /// Transform length N ≥ samples + radius.
        let length: Int
        /// The kernel's spectrum at bins 0…N−1, divided by N (FFTW's inverse does not normalise), each value twice
        /// (for the real and the imaginary part of a bin).
        let kernel: [Double]
        /// Forward and backward plans for a full chunk and for the last, shorter chunk (if any).
        let plans: [Int: (FFTPlan, FFTPlan)]
        /// The spectrum of a chunk of lines.
        let spectrum: FFTBuffer

        init(gaussian: GaussianKernel, samples: Int, lineCount: Int) {
            // Taps farther than samples − 1 never meet a sample of the line.
            let radius = min(gaussian.radius, samples - 1)
            let n = SpectralGaussian.transformLength(atLeast: samples + radius)
            length = n
            kernel = SpectralGaussian.spectrum(of: gaussian.half, radius: radius, length: n).flatMap { [$0, $0] }
            var made: [Int: (FFTPlan, FFTPlan)] = [:]
            let chunk = SpectralGaussian.chunk
            for count in Set([min(chunk, lineCount), lineCount % chunk]) where count > 0 {
                func kind(_ sign: Int32) -> FFTPlan.Kind {
                    .complexLines(sign: sign, inputStride: 1, outputStride: 1, inputDistance: n, outputDistance: n)
                }
                made[count] = (FFTPlan.shared(kind(FFTW_FORWARD), shape: [count, n]),
                               FFTPlan.shared(kind(FFTW_BACKWARD), shape: [count, n]))
            }
            plans = made
            spectrum = FFTBuffer(count: 2 * n * chunk)
        }

        /// Filters `count` lines from `lines` into `filtered` (both n complex values apart); `lines` is kept.
        func filter(_ lines: UnsafeMutablePointer<Double>, count: Int, into filtered: UnsafeMutablePointer<Double>) {
            guard let (forward, backward) = plans[count] else { preconditionFailure("no plan for \(count) lines") }
            forward.executeComplex(lines, spectrum.pointer)
            kernel.withUnsafeBufferPointer { k in
                ck_lps_scale_lines(spectrum.pointer, Int32(count), Int32(length), k.baseAddress!)
            }
            backward.executeComplex(spectrum.pointer, filtered)
        }
    }

    init(kernel: GaussianKernel, height: Int, width: Int) {
        self.height = height
        self.width = width
        columnPairs = (width + 1) / 2
        rowPairs = (height + 1) / 2
        columnPass = LinePass(gaussian: kernel, samples: height, lineCount: columnPairs)
        rowPass = LinePass(gaussian: kernel, samples: width, lineCount: rowPairs)
        columnLines = FFTBuffer(count: 2 * columnPass.length * Self.chunk)
        columnsFiltered = FFTBuffer(count: 2 * columnPass.length * Self.chunk)
        rowLines = FFTBuffer(count: 2 * rowPass.length * rowPairs)
        rowsFiltered = FFTBuffer(count: 2 * rowPass.length * Self.chunk)
    }

    /// The smallest 2^a · 3^b ≥ `n` with a ≥ 4 (lengths FFTW transforms fastest here; 16 | N keeps lines aligned).
    static func transformLength(atLeast n: Int) -> Int {
        var best = Int.max
        var p2 = 16
        while p2 < 2 * max(n, 16) {
            var m = p2
            while m < best {
                if m >= n { best = m; break }
                m *= 3
            }
            p2 *= 2
        }
        return best
    }

    /// K(u) / N = (w(0) + 2 Σ_{k=1…radius} w(k) cos(2π u k / N)) / N for u = 0…N−1 (angles reduced exactly).
    static func spectrum(of half: [Double], radius: Int, length n: Int) -> [Double] {
        let cosines = (0..<n).map { cos(2 * Double.pi * Double($0) / Double(n)) }
        return (0..<n).map { u in
            var sum = 0.0
            for k in stride(from: radius, through: 1, by: -1) {  // smallest taps first
                sum += half[k] * cosines[(u * k) % n]
            }
            return (half[0] + 2 * sum) / Double(n)
        }
    }

    /// Filters the plane that `zipColumns` provides into `out` (height × width, row-major), adding cval back and
    /// clipping to [0, 1] when `clip`. `zipColumns(firstPair, count, lines, n)` must write, for each l < count,
    /// (Y[y][x] − cval, Y[y][x + 1] − cval) at lines[2(l·n + y)], y < height, x = 2(firstPair + l), the second 0
    /// where x + 1 = width (`ck_lps_zip_grey_columns`, `ck_lps_zip_plane_columns`), and nothing else.
    func filter(cval: Double, clip: Bool, into out: UnsafeMutablePointer<Double>,
                zipColumns: (_ firstPair: Int, _ count: Int, _ lines: UnsafeMutablePointer<Double>, _ n: Int) -> Void) {
        let chunk = Self.chunk
        let columns = columnPass, rows = rowPass
        for c0 in stride(from: 0, to: columnPairs, by: chunk) {
            let count = min(chunk, columnPairs - c0)
            zipColumns(c0, count, columnLines.pointer, columns.length)
            columns.filter(columnLines.pointer, count: count, into: columnsFiltered.pointer)
            ck_lps_scatter_rows(columnsFiltered.pointer, Int32(height), Int32(width), Int32(c0), Int32(count),
                                Int32(columns.length), Int32(rows.length), rowLines.pointer)
        }
        for p0 in stride(from: 0, to: rowPairs, by: chunk) {
            let count = min(chunk, rowPairs - p0)
            rows.filter(rowLines.pointer + 2 * rows.length * p0, count: count, into: rowsFiltered.pointer)
            ck_lps_unzip(rowsFiltered.pointer, Int32(height), Int32(width), Int32(p0), Int32(count),
                         Int32(rows.length), cval, clip ? 1 : 0, out)
        }
    }
}

extension Distorter {
    /// The spectral filter for this σ and size, made on first use and kept (a few MB per σ).
    func spectralGaussian(_ kernel: GaussianKernel, height: Int, width: Int) -> SpectralGaussian {
        let key = SpectralGaussian.Key(sigma: kernel.sigma, height: height, width: width)
        if let made = spectralGaussians[key] { return made }
        let made = SpectralGaussian(kernel: kernel, height: height, width: width)
        spectralGaussians[key] = made
        return made
    }
}
