import CKernels

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The displacement fields of the partially coherent disarray (specs/eidolon.md §5), on the centre 256 × 256 of the
/// 512 × 512 plane: the only part the synthesis reads.
///
/// Random draws follow the reference exactly (§5.5): 12 planes for the x coherent stack, 12 for y, then per level k
/// the x and then the y incoherent plane. Planes whose values cannot reach the output are not computed: with
/// coherence 1 the incoherent planes are never drawn (they come after everything that matters), with coherence 0
/// the coherent planes only advance the generator. Both shortcuts give the same bytes as computing everything
/// (`computeEverything` forces the full work, for tests).
final class EidolonFields {
    static let centre = 256
    static let centreCount = centre * centre
    static let offset = 128

    private let noise = FFTBuffer(count: EidolonBlur.length)
    private let transposed = FFTBuffer(count: EidolonBlur.length)
    private let blurred = FFTBuffer(count: EidolonBlur.length)
    /// Coherent component planes Q^x_k, Q^y_k (centre), then the running coherent fields C^x, C^y.
    private let coherentPlanes: [UnsafeMutablePointer<Double>]
    private let runningX: UnsafeMutablePointer<Double>
    private let runningY: UnsafeMutablePointer<Double>
    private let incoherentX: UnsafeMutablePointer<Double>
    private let incoherentY: UnsafeMutablePointer<Double>
    /// The blended fields of the current level (row and column displacements, before × reach), transposed.
    let fieldX: UnsafeMutablePointer<Double>
    let fieldY: UnsafeMutablePointer<Double>

    var computeEverything = false
    /// Seconds spent drawing normals and blurring noise planes since the last `start` (for the stage profile).
    private(set) var drawSeconds = 0.0
    private(set) var blurSeconds = 0.0

    private var coherence = 1.0
    private var grain = 10.0
    private var level = 0

    init() {
        func plane() -> UnsafeMutablePointer<Double> {
            let p = UnsafeMutablePointer<Double>.allocate(capacity: EidolonFields.centreCount)
            p.initialize(repeating: 0, count: EidolonFields.centreCount)
            return p
        }
        coherentPlanes = (0..<(2 * EidolonScaleSpace.levelCount)).map { _ in plane() }
        runningX = plane()
        runningY = plane()
        incoherentX = plane()
        incoherentY = plane()
        fieldX = plane()
        fieldY = plane()
    }

    deinit {
        for p in coherentPlanes { p.deallocate() }
        for p in [runningX, runningY, incoherentX, incoherentY, fieldX, fieldY] { p.deallocate() }
    }

    private var needsCoherent: Bool { computeEverything || coherence != 0 }
    private var needsIncoherent: Bool { computeEverything || coherence != 1 }

    /// Draws the 24 coherent planes (§5.3) and prepares level 0.
    func start(random: inout MT19937, coherence: Double, grain: Double, blur: EidolonBlur) {
        self.coherence = coherence
        self.grain = grain
        level = 0
        drawSeconds = 0
        blurSeconds = 0
        let levels = EidolonScaleSpace.levelCount
        for axis in 0..<2 {
            for k in 0..<levels {
                let target = coherentPlanes[axis * levels + k]
                if needsCoherent {
                    let sigma = EidolonScaleSpace.sigmas[k]
                    drawBlurredPlane(random: &random, sigma: sigma, factor: sigma / EidolonScaleSpace.maxSigma,
                                     into: target, blur: blur)
                } else {
                    let t0 = EidolonFields.seconds()
                    random.skipStandardNormals(count: EidolonBlur.length)
                    drawSeconds += EidolonFields.seconds() - t0
                }
            }
        }
        guard needsCoherent else { return }
        // Running sums in the reference's order: T = ((0 + Q_0) + Q_1) + … + Q_11, then C_k = C_{k−1} − Q_{k−1}.
        for (axis, running) in [runningX, runningY].enumerated() {
            running.update(repeating: 0, count: EidolonFields.centreCount)
            for k in 0..<levels {
                let q = coherentPlanes[axis * levels + k]
                for i in 0..<EidolonFields.centreCount { running[i] += q[i] }
            }
        }
    }

    /// Computes `fieldX`/`fieldY` of the next level (0, 1, …, 11 in turn), drawing its incoherent planes.
    func nextLevel(random: inout MT19937, blur: EidolonBlur) {
        let k = level
        level += 1
        let levels = EidolonScaleSpace.levelCount
        if needsCoherent && k > 0 {
            for (axis, running) in [runningX, runningY].enumerated() {
                let q = coherentPlanes[axis * levels + k - 1]
                for i in 0..<EidolonFields.centreCount { running[i] -= q[i] }
            }
        }
        if needsIncoherent {
            drawBlurredPlane(random: &random, sigma: grain, factor: nil, into: incoherentX, blur: blur)
            drawBlurredPlane(random: &random, sigma: grain, factor: nil, into: incoherentY, blur: blur)
        }
        let c = coherence, oneMinus = 1.0 - coherence
        for (field, incoherent, running) in [(fieldX, incoherentX, runningX), (fieldY, incoherentY, runningY)] {
            if c == 1 && !computeEverything {
                field.update(from: running, count: EidolonFields.centreCount)
            } else if c == 0 && !computeEverything {
                field.update(from: incoherent, count: EidolonFields.centreCount)
            } else {
                for i in 0..<EidolonFields.centreCount {
                    field[i] = (oneMinus * incoherent[i]) + (c * running[i])
                }
            }
        }
    }

    /// One blurred random Gaussian plane (§5.1–5.2): 262144 normals, R = 127.5·Z / max|Z| clipped to ±127,
    /// B = blur_σ(R), result (B − mean/std)·factor (the reference's m/s quirk), centre only, transposed. Mean and
    /// variance of B come from its spectrum (numpy sums the plane; both agree to ~1e-15, far below what moves a
    /// pixel).
    private func drawBlurredPlane(random: inout MT19937, sigma: Double, factor: Double?,
                                  into target: UnsafeMutablePointer<Double>, blur: EidolonBlur) {
        let n = EidolonBlur.length
        let z = noise.pointer
        let t0 = EidolonFields.seconds()
        random.fillStandardNormalsFast(UnsafeMutableBufferPointer(start: z, count: n))
        let t1 = EidolonFields.seconds()
        drawSeconds += t1 - t0
        var maxAbs = 0.0
        for i in 0..<n { maxAbs = max(maxAbs, abs(z[i])) }
        ck_eidolon_scale_transpose(z, transposed.pointer, maxAbs)
        let centre = EidolonFields.centre, offset = EidolonFields.offset, side = EidolonBlur.side
        blur.transform(transposed: transposed, rows: EidolonBlur.rows(sigma: sigma))
        let moments = blur.blur(sigma: sigma, columns: offset..<(offset + centre), into: blurred)
        blurSeconds += EidolonFields.seconds() - t1
        let b = blurred.pointer
        let std = moments.variance.squareRoot()
        let mean = moments.mean
        let shift = mean / std
        for cj in 0..<centre {
            let column = b + (cj + offset) * side + offset
            let out = target + cj * centre
            if let factor {
                for ci in 0..<centre { out[ci] = (column[ci] - shift) * factor }
            } else {
                for ci in 0..<centre { out[ci] = column[ci] - shift }
            }
        }
    }

    /// A centre plane back in row-major order (tests).
    static func rowMajor(_ plane: UnsafePointer<Double>) -> [Double] {
        var out = [Double](repeating: 0, count: centreCount)
        for ci in 0..<centre {
            for cj in 0..<centre { out[ci * centre + cj] = plane[cj * centre + ci] }
        }
        return out
    }

    static func seconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)  // CPU time: robust on a loaded machine
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}
