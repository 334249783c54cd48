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
///
/// The field work is done in the frequency domain (linear, so the same numbers up to rounding, ~1e-16 relative):
/// each coherent component Q_k = (B_k − m_k/s_k)·σ_k/64 is kept as its spectrum (σ_k/64)·K̂_k·R̂_k (rows q < rows(σ_k))
/// plus its constant −(σ_k/64)·m_k/s_k; the coherent field C_k = Σ_{j≥k} Q_j is the suffix sum of those spectra and
/// constants, and at coherence strictly between 0 and 1 the blend (1 − c)·I_k + c·C_k is formed in the spectrum too,
/// so each level needs one inverse transform per axis. Mean and variance of every blurred plane come from its
/// spectrum (DC term and Parseval).
///
/// The spectra depend on the seed and the grain only, not on the picture, the reach or the coherence (§5.4: the
/// coherence only weighs them). `prepare` therefore keeps the spectra of the last seed when `keepsDraws` is on: a
/// second coherence with the same seed draws only the half it lacks (the incoherent planes continue the stream where
/// the coherent ones ended), a third draws nothing. Each coherence gets exactly the numbers of a fresh computation.
final class EidolonFields {
    static let centre = 256
    static let centreCount = centre * centre
    static let offset = 128
    static let levels = EidolonScaleSpace.levelCount

    private let noise = FFTBuffer(count: EidolonBlur.length)
    private let transposed = FFTBuffer(count: EidolonBlur.length)
    private let blurred = FFTBuffer(count: EidolonBlur.length)
    /// Spectra (row layout) of the coherent components, then suffix sums: x levels 0…11, y levels 0…11; each with
    /// the rows of its suffix sum (`coherentRows`), rows beyond the component's own kernel zero.
    private let coherentSpectra: [FFTBuffer]
    private let coherentRows: [Int]
    /// Constant parts of the coherent components, then their suffix sums (same order).
    private var coherentShifts = [Double](repeating: 0, count: 2 * EidolonFields.levels)
    /// Spectra of the incoherent planes, x levels 0…11 then y levels 0…11 (rows q < rows(grain)); made for the grain
    /// of the first seed that needs them.
    private var incoherentSpectra: [FFTBuffer] = []
    private var incoherentRows = 0
    private var incoherentShifts = [Double](repeating: 0, count: 2 * EidolonFields.levels)
    /// The spectrum one level's field is inverted from (the inverse overwrites its input; the kept spectra stay).
    private let scratch = FFTBuffer(count: 2 * EidolonBlur.spectrumRows * EidolonBlur.rowStride)
    /// The blended fields of the current level (row and column displacements, before × reach), transposed.
    let fieldX: UnsafeMutablePointer<Double>
    let fieldY: UnsafeMutablePointer<Double>

    var computeEverything = false
    /// Whether `prepare` keeps the spectra for the next call with the same seed and grain (else each call starts
    /// afresh and may let the inverse transforms overwrite them).
    var keepsDraws = false
    /// Seconds spent drawing normals and blurring noise planes since the last `prepare` (for the stage profile).
    private(set) var drawSeconds = 0.0
    private(set) var blurSeconds = 0.0

    /// What the kept spectra belong to.
    private var drawnSeed: UInt32?
    private var drawnGrain = 0.0
    private var coherentReady = false
    private var incoherentReady = false
    /// The generator right after the 24 coherent planes (drawn or skipped): where the incoherent planes start.
    private var afterCoherent: MT19937?

    private var coherence = 1.0
    private var grain = 10.0

    init() {
        func plane() -> UnsafeMutablePointer<Double> {
            let p = UnsafeMutablePointer<Double>.allocate(capacity: EidolonFields.centreCount)
            p.initialize(repeating: 0, count: EidolonFields.centreCount)
            return p
        }
        // Rows of the suffix sums: the largest row count of the levels summed (row counts need not shrink with σ).
        var rows = EidolonScaleSpace.sigmas.map { EidolonBlur.rows(sigma: $0) }
        for k in stride(from: rows.count - 2, through: 0, by: -1) { rows[k] = max(rows[k], rows[k + 1]) }
        coherentRows = rows + rows
        coherentSpectra = coherentRows.map { FFTBuffer(count: 2 * $0 * EidolonBlur.rowStride) }
        fieldX = plane()
        fieldY = plane()
    }

    deinit {
        fieldX.deallocate()
        fieldY.deallocate()
    }

    private var needsCoherent: Bool { computeEverything || coherence != 0 }
    private var needsIncoherent: Bool { computeEverything || coherence != 1 }

    /// Makes (or finds kept) every spectrum that the fields of `coherence` need, for the reference's stream after
    /// `np.random.seed(seed)`: the 24 coherent planes (§5.3), then the 24 incoherent ones in their draw order (§5.5).
    func prepare(seed: UInt32, coherence: Double, grain: Double, blur: EidolonBlur) {
        self.coherence = coherence
        self.grain = grain
        drawSeconds = 0
        blurSeconds = 0
        if !keepsDraws || drawnSeed != seed || drawnGrain != grain {
            coherentReady = false
            incoherentReady = false
            afterCoherent = nil
            drawnSeed = seed
            drawnGrain = grain
        }
        if needsCoherent && !coherentReady {
            var random = MT19937(seed: seed)
            drawCoherent(random: &random, blur: blur)
            coherentReady = true
            afterCoherent = random
        }
        if needsIncoherent && !incoherentReady {
            var random: MT19937
            if let kept = afterCoherent {
                random = kept
            } else {
                random = MT19937(seed: seed)
                let t0 = EidolonFields.seconds()
                random.skipStandardNormals(count: 2 * EidolonFields.levels * EidolonBlur.length)
                drawSeconds += EidolonFields.seconds() - t0
                afterCoherent = random
            }
            drawIncoherent(random: &random, blur: blur)
            incoherentReady = true
        }
    }

    /// The 24 coherent component spectra, then their suffix sums: spectrum and constant of C_k = Σ_{j ≥ k} Q_j.
    private func drawCoherent(random: inout MT19937, blur: EidolonBlur) {
        let levels = EidolonFields.levels
        for axis in 0..<2 {
            for k in 0..<levels {
                let slot = axis * levels + k
                let sigma = EidolonScaleSpace.sigmas[k]
                let target = coherentSpectra[slot].pointer
                coherentShifts[slot] = drawSpectrum(random: &random, sigma: sigma,
                                                    factor: sigma / EidolonScaleSpace.maxSigma, into: target, blur: blur)
                let own = EidolonBlur.rows(sigma: sigma), stride = 2 * EidolonBlur.rowStride
                (target + own * stride).update(repeating: 0, count: (coherentRows[slot] - own) * stride)
            }
        }
        let t0 = EidolonFields.seconds()
        for axis in 0..<2 {
            for k in stride(from: levels - 2, through: 0, by: -1) {
                let slot = axis * levels + k
                ck_eidolon_add_rows(coherentSpectra[slot].pointer, coherentSpectra[slot + 1].pointer,
                                    Int32(coherentRows[slot + 1]))
                coherentShifts[slot] += coherentShifts[slot + 1]
            }
        }
        blurSeconds += EidolonFields.seconds() - t0
    }

    /// The 24 incoherent spectra (σ = grain), drawn per level k as x then y.
    private func drawIncoherent(random: inout MT19937, blur: EidolonBlur) {
        let levels = EidolonFields.levels
        let rows = EidolonBlur.rows(sigma: grain)
        if rows > incoherentRows {
            incoherentSpectra = (0..<(2 * levels)).map { _ in FFTBuffer(count: 2 * rows * EidolonBlur.rowStride) }
            incoherentRows = rows
        }
        for k in 0..<levels {
            for axis in 0..<2 {
                let slot = axis * levels + k
                incoherentShifts[slot] = drawSpectrum(random: &random, sigma: grain, factor: 1,
                                                      into: incoherentSpectra[slot].pointer, blur: blur)
            }
        }
    }

    /// Computes `fieldX`/`fieldY` of level k (after `prepare`).
    func makeLevel(_ k: Int, blur: EidolonBlur) {
        let t0 = EidolonFields.seconds()
        let levels = EidolonFields.levels
        let grainRows = EidolonBlur.rows(sigma: grain)
        let c = coherence, oneMinus = 1.0 - coherence
        // The kept spectra must survive the inverse; a spectrum used once may be inverted in place.
        let inPlace = !keepsDraws && !computeEverything
        for (axis, field) in [fieldX, fieldY].enumerated() {
            let slot = axis * levels + k
            var spectrum = scratch.pointer, rows: Int, shift: Double
            if (c == 1 || c == 0) && !computeEverything {
                // One part alone: its kept spectrum, inverted in place or from a copy.
                let kept = c == 1 ? coherentSpectra[slot].pointer : incoherentSpectra[slot].pointer
                (rows, shift) = c == 1 ? (coherentRows[slot], coherentShifts[slot]) : (grainRows, incoherentShifts[slot])
                if inPlace { spectrum = kept } else { spectrum.update(from: kept, count: 2 * rows * EidolonBlur.rowStride) }
            } else {
                rows = max(grainRows, coherentRows[slot])
                ck_eidolon_blend_rows(spectrum, oneMinus, incoherentSpectra[slot].pointer, Int32(grainRows), c,
                                      coherentSpectra[slot].pointer, Int32(coherentRows[slot]))
                shift = (oneMinus * incoherentShifts[slot]) + (c * coherentShifts[slot])
            }
            let centre = EidolonFields.centre, offset = EidolonFields.offset, side = EidolonBlur.side
            blur.inverse(spectrum, rows: rows, columns: offset..<(offset + centre), into: blurred)
            let b = blurred.pointer
            for cj in 0..<centre {
                let column = b + (cj + offset) * side + offset
                let out = field + cj * centre
                for ci in 0..<centre { out[ci] = column[ci] - shift }
            }
        }
        // Coherent spectra inverted in place are spent: the next call must draw them again.
        if inPlace { coherentReady = false; incoherentReady = false }
        blurSeconds += EidolonFields.seconds() - t0
    }

    /// One random Gaussian plane (§5.1–5.2) to the spectrum of its blurred plane: 262144 normals,
    /// R = 127.5·Z / max|Z| clipped to ±127, `into` = factor·(R̂·K̂_σ) in the row layout (rows q < rows(σ)).
    /// Returns the constant the reference subtracts, times the factor: factor·mean(B)/std(B) (the m/s quirk), with
    /// mean and variance of B = blur_σ(R) from the spectrum (numpy sums the plane; both agree to ~1e-15, far below
    /// what moves a pixel).
    private func drawSpectrum(random: inout MT19937, sigma: Double, factor: Double,
                              into out: UnsafeMutablePointer<Double>, blur: EidolonBlur) -> Double {
        let n = EidolonBlur.length
        let z = noise.pointer
        let t0 = EidolonFields.seconds()
        let maxAbs = random.fillStandardNormalsFast(UnsafeMutableBufferPointer(start: z, count: n))
        let t1 = EidolonFields.seconds()
        drawSeconds += t1 - t0
        ck_eidolon_scale_transpose(z, transposed.pointer, maxAbs)
        blur.transform(transposed: transposed, rows: EidolonBlur.rows(sigma: sigma))
        let moments = blur.product(sigma: sigma, factor: factor, into: out)
        blurSeconds += EidolonFields.seconds() - t1
        return factor * (moments.mean / moments.variance.squareRoot())
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
