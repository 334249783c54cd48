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
/// reads the plane (Y − cval) as complex numbers — neighbouring columns paired — and copies `chunk` of those complex
/// columns at a time into contiguous zero-padded lines, filters them and copies them back into the intermediate
/// plane. Pass 2 zips two rows of it into one zero-padded line, `chunk` lines at a time, filters them the same way
/// and unzips them into the output, adding cval back. Both passes run the same contiguous batched transforms: FFTW
/// walking the plane's stride itself took twice as long for pass 1 (0.29 against 0.15 ms for 112 complex columns
/// of length 384, forward and back), far more than the copies. Plans come from `FFTPlan.shared`; buffers belong to
/// this object (one per `Distorter`), so nothing allocates per image.
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
    /// Transform lengths along columns (pass 1, lines of `height`) and along rows (pass 2, lines of `width`).
    let columnLength: Int
    let rowLength: Int
    /// The kernel's spectrum at bins 0…N−1, divided by N (FFTW's inverse does not normalise).
    let columnKernel: [Double]
    let rowKernel: [Double]
    /// Forward and backward plans for a full chunk and for the last, shorter chunk (if any) of each pass.
    let columnPlans: [Int: (FFTPlan, FFTPlan)]
    let rowPlans: [Int: (FFTPlan, FFTPlan)]
    /// Pass 1's input: `height` rows of `columnPairs` complex values (an odd width's last imaginary column zero).
    let plane: FFTBuffer
    /// Pass 1: a chunk of complex columns as contiguous zero-padded lines (also the filtered lines) and its spectrum.
    let columnLines: FFTBuffer
    let columnSpectrum: FFTBuffer
    /// Pass 1's output, the layout of `plane`.
    let intermediate: FFTBuffer
    /// Pass 2: a chunk of zipped lines (values past `width` stay zero), its spectrum and its filtered lines.
    let lines: FFTBuffer
    let lineSpectrum: FFTBuffer
    let filtered: FFTBuffer

    init(kernel: GaussianKernel, height: Int, width: Int) {
        self.height = height
        self.width = width
        columnPairs = (width + 1) / 2
        rowPairs = (height + 1) / 2
        // Taps farther than length − 1 never meet a sample of the line.
        let columnRadius = min(kernel.radius, height - 1), rowRadius = min(kernel.radius, width - 1)
        columnLength = Self.transformLength(atLeast: height + columnRadius)
        rowLength = Self.transformLength(atLeast: width + rowRadius)
        columnKernel = Self.spectrum(of: kernel.half, radius: columnRadius, length: columnLength)
        rowKernel = Self.spectrum(of: kernel.half, radius: rowRadius, length: rowLength)
        let pairs = (width + 1) / 2, columnN = columnLength, rowN = rowLength
        // Both passes: contiguous lines of N values.
        columnPlans = Self.plans(lines: pairs, length: columnN) { sign in
            .complexLines(sign: sign, inputStride: 1, outputStride: 1, inputDistance: columnN, outputDistance: columnN)
        }
        rowPlans = Self.plans(lines: (height + 1) / 2, length: rowN) { sign in
            .complexLines(sign: sign, inputStride: 1, outputStride: 1, inputDistance: rowN, outputDistance: rowN)
        }
        plane = FFTBuffer(count: 2 * height * pairs)
        intermediate = FFTBuffer(count: 2 * height * pairs)
        columnLines = FFTBuffer(count: 2 * columnN * Self.chunk)
        columnSpectrum = FFTBuffer(count: 2 * columnN * Self.chunk)
        lines = FFTBuffer(count: 2 * rowN * Self.chunk)
        lineSpectrum = FFTBuffer(count: 2 * rowN * Self.chunk)
        filtered = FFTBuffer(count: 2 * rowN * Self.chunk)
    }

    /// Forward and backward plans for chunks of `chunk` lines and for the remainder of `lines`.
    private static func plans(lines: Int, length: Int,
                              kind: (Int32) -> FFTPlan.Kind) -> [Int: (FFTPlan, FFTPlan)] {
        var made: [Int: (FFTPlan, FFTPlan)] = [:]
        for count in Set([min(chunk, lines), lines % chunk]) where count > 0 {
            made[count] = (FFTPlan.shared(kind(FFTW_FORWARD), shape: [count, length]),
                           FFTPlan.shared(kind(FFTW_BACKWARD), shape: [count, length]))
        }
        return made
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

    /// Filters the plane that `load` writes into `out` (height × width, row-major), adding cval back and clipping to
    /// [0, 1] when `clip`. `load(destination, stride)` must store Y[y][x] − cval at destination[y · stride + x] for
    /// y < height, x < width.
    func filter(cval: Double, clip: Bool, into out: UnsafeMutablePointer<Double>,
                load: (UnsafeMutablePointer<Double>, Int) -> Void) {
        let chunk = Self.chunk
        let pairStride = 2 * columnPairs  // doubles per row of `plane` and `intermediate`
        load(plane.pointer, pairStride)
        columnKernel.withUnsafeBufferPointer { k in
            for c0 in stride(from: 0, to: columnPairs, by: chunk) {
                let count = min(chunk, columnPairs - c0)
                guard let (forward, backward) = columnPlans[count] else { preconditionFailure("no plan for \(count)") }
                ck_lps_zip_columns(plane.pointer, Int32(columnPairs), Int32(height), Int32(c0), Int32(count),
                                   Int32(columnLength), columnLines.pointer)
                forward.executeComplex(columnLines.pointer, columnSpectrum.pointer)
                ck_lps_scale_lines(columnSpectrum.pointer, Int32(count), Int32(columnLength), k.baseAddress!)
                backward.executeComplex(columnSpectrum.pointer, columnLines.pointer)
                ck_lps_unzip_columns(columnLines.pointer, Int32(columnPairs), Int32(height), Int32(c0), Int32(count),
                                     Int32(columnLength), intermediate.pointer)
            }
        }
        rowKernel.withUnsafeBufferPointer { k in
            for p0 in stride(from: 0, to: rowPairs, by: chunk) {
                let count = min(chunk, rowPairs - p0)
                guard let (forward, backward) = rowPlans[count] else { preconditionFailure("no plan for \(count)") }
                ck_lps_zip(intermediate.pointer, Int32(pairStride), Int32(height), Int32(width), Int32(p0),
                           Int32(count), Int32(rowLength), lines.pointer)
                forward.executeComplex(lines.pointer, lineSpectrum.pointer)
                ck_lps_scale_lines(lineSpectrum.pointer, Int32(count), Int32(rowLength), k.baseAddress!)
                backward.executeComplex(lineSpectrum.pointer, filtered.pointer)
                ck_lps_unzip(filtered.pointer, Int32(height), Int32(width), Int32(p0), Int32(count), Int32(rowLength),
                             cval, clip ? 1 : 0, out)
            }
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
