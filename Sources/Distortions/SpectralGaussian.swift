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
    /// after subtracting cval): the same linear convolution up to rounding (max |Δ| ≈ 1e-15 on the goldens, which
    /// keeps every 8-bit sample), at a cost nearly independent of σ.
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
/// plane size: out = cval + K ∗ (Y − cval), where ∗ is the separable linear convolution with zero padding.
///
/// Each pass transforms lines in chunks of `chunk` (batched 1-D real FFTs of length N ≥ length + radius, so the
/// circular convolution does not wrap onto the kept samples), multiplies by the kernel's real spectrum (the kernel
/// is symmetric) and transforms back, so that a chunk's buffers stay in the L2 cache. Pass 1 runs along rows and
/// writes its lines transposed into the zero-padded buffer of pass 2 (along columns), whose lines are transposed
/// back while adding cval. Plans come from `FFTPlan.shared`; buffers belong to this object (one per `Distorter`),
/// so nothing allocates per image.
final class SpectralGaussian {
    struct Key: Hashable {
        let sigma: Double
        let height: Int
        let width: Int
    }

    /// Lines per batched transform.
    static let chunk = 16

    let height: Int
    let width: Int
    /// Transform lengths along rows (for lines of `width`) and along columns (lines of `height`).
    let rowLength: Int
    let columnLength: Int
    /// The kernel's spectrum at bins 0…N/2, divided by N (FFTW's inverse does not normalise).
    let rowKernel: [Double]
    let columnKernel: [Double]
    /// Forward and backward plans for a full chunk and for the last, shorter chunk (if any) of each pass.
    let rowPlans: [Int: (FFTPlan, FFTPlan)]
    let columnPlans: [Int: (FFTPlan, FFTPlan)]
    /// A chunk of zero-padded rows (only the first `width` values of a row are ever written).
    let rowInput: FFTBuffer
    /// Pass 2's input: `width` zero-padded lines of `columnLength` (only the first `height` values written).
    let columnInput: FFTBuffer
    let spectrum: FFTBuffer
    let lines: FFTBuffer

    init(kernel: GaussianKernel, height: Int, width: Int) {
        self.height = height
        self.width = width
        // Taps farther than length − 1 never meet a sample of the line.
        let rowRadius = min(kernel.radius, width - 1), columnRadius = min(kernel.radius, height - 1)
        rowLength = Self.transformLength(atLeast: width + rowRadius)
        columnLength = Self.transformLength(atLeast: height + columnRadius)
        rowKernel = Self.spectrum(of: kernel.half, radius: rowRadius, length: rowLength)
        columnKernel = Self.spectrum(of: kernel.half, radius: columnRadius, length: columnLength)
        rowPlans = Self.plans(lines: height, length: rowLength)
        columnPlans = Self.plans(lines: width, length: columnLength)
        let chunk = Self.chunk
        rowInput = FFTBuffer(count: chunk * rowLength)
        columnInput = FFTBuffer(count: width * columnLength)
        spectrum = FFTBuffer(count: 2 * chunk * (max(rowLength, columnLength) / 2 + 1))
        lines = FFTBuffer(count: chunk * max(rowLength, columnLength))
    }

    /// Plans for chunks of `chunk` lines and for the remainder of `lines`.
    private static func plans(lines: Int, length: Int) -> [Int: (FFTPlan, FFTPlan)] {
        var made: [Int: (FFTPlan, FFTPlan)] = [:]
        for count in Set([min(chunk, lines), lines % chunk]) where count > 0 {
            made[count] = (FFTPlan.shared(.realForwardRows, shape: [count, length]),
                           FFTPlan.shared(.realBackwardRows, shape: [count, length]))
        }
        return made
    }

    /// The smallest 2^a · 3^b ≥ `n` with a ≥ 4 (lengths FFTW transforms fastest here; 16 | N keeps rows aligned).
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

    /// K(u) / N = (w(0) + 2 Σ_{k=1…radius} w(k) cos(2π u k / N)) / N for u = 0…N/2 (angles reduced exactly).
    static func spectrum(of half: [Double], radius: Int, length n: Int) -> [Double] {
        let cosines = (0..<n).map { cos(2 * Double.pi * Double($0) / Double(n)) }
        return (0...(n / 2)).map { u in
            var sum = 0.0
            for k in stride(from: radius, through: 1, by: -1) {  // smallest taps first
                sum += half[k] * cosines[(u * k) % n]
            }
            return (half[0] + 2 * sum) / Double(n)
        }
    }

    /// Filters the plane that `load` writes into `out` (height × width, row-major), adding cval back and clipping to
    /// [0, 1] when `clip`. `load(destination, stride, firstRow, rows)` must store Y[firstRow + i][x] − cval at
    /// destination[i · stride + x] for i < rows, x < width.
    func filter(cval: Double, clip: Bool, into out: UnsafeMutablePointer<Double>,
                load: (UnsafeMutablePointer<Double>, Int, Int, Int) -> Void) {
        let chunk = Self.chunk
        let nRow = Int32(rowLength), nColumn = Int32(columnLength)
        rowKernel.withUnsafeBufferPointer { rowK in
            for y0 in stride(from: 0, to: height, by: chunk) {
                let count = min(chunk, height - y0)
                guard let (forward, backward) = rowPlans[count] else { preconditionFailure("no plan for \(count)") }
                load(rowInput.pointer, rowLength, y0, count)
                forward.executeReal(rowInput.pointer, spectrum.pointer)
                ck_lps_scale(spectrum.pointer, Int32(count), nRow / 2 + 1, rowK.baseAddress!)
                backward.executeReal(spectrum.pointer, lines.pointer)
                ck_lps_transpose(lines.pointer, Int32(count), Int32(width), nRow, nColumn, columnInput.pointer + y0)
            }
        }
        columnKernel.withUnsafeBufferPointer { columnK in
            for x0 in stride(from: 0, to: width, by: chunk) {
                let count = min(chunk, width - x0)
                guard let (forward, backward) = columnPlans[count] else { preconditionFailure("no plan for \(count)") }
                forward.executeReal(columnInput.pointer + x0 * columnLength, spectrum.pointer)
                ck_lps_scale(spectrum.pointer, Int32(count), nColumn / 2 + 1, columnK.baseAddress!)
                backward.executeReal(spectrum.pointer, lines.pointer)
                ck_lps_finish(lines.pointer, Int32(count), Int32(height), nColumn, cval, clip ? 1 : 0, Int32(width),
                              out + x0)
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
