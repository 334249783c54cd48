import Imaging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The eidolon factory: Koenderink et al.'s partially coherent disarray as the Eidolon toolbox (with its pull
/// request #1, "Fixed partial coherence") computes it through the Geirhos et al. wrapper (specs/eidolon.md).
///
/// One factory per worker thread: it owns about 55 MB of scratch (the 12 DoG planes, the 48 noise spectra, FFT
/// buffers, fields), reused by every call; nothing is allocated per pixel. The DoG stack of the last picture and the
/// noise spectra of the last seed are kept, so rendering one picture at several conditions computes its scale space
/// once, and rendering one seed at several coherences draws its 48 noise planes once (`render(_:condition:seed:reuse:)`).
/// Seeds are numpy's: `np.random.seed(seed)` immediately before the toolbox call gives the same bytes.
public final class EidolonFactory {
    private let blur = EidolonBlur()
    private let scaleSpace = EidolonScaleSpace()
    private let fields = EidolonFields()
    private let synthesis = EidolonSynthesis()
    private var currentFat: [UInt8]?

    /// CPU seconds of the calling thread spent in each stage by the last `render` (for `oodbench bench`; on an idle
    /// machine the same as wall time, on a loaded one free of the time other processes held the core).
    public private(set) var lastProfile = EidolonProfile()

    public init() {}

    /// Test hook: compute every noise plane even where the coherence makes it irrelevant.
    var computeEverything: Bool {
        get { fields.computeEverything }
        set { fields.computeEverything = newValue }
    }

    /// The 256 × 256 grey eidolon (what the toolbox returns) and the 224 × 224 stimulus (that picture resized
    /// back with Pillow's LANCZOS — OODBench's convention, specs/eidolon.md §7.1).
    /// With `reuse` (the default) a call for the picture of the previous call reuses its DoG stack, and a call with
    /// the seed (and grain) of the previous call reuses its noise spectra, drawing only those the new coherence adds:
    /// the same bytes as a fresh factory. `reuse: false` recomputes everything (the full cost of one stimulus).
    public func render(_ picture: EidolonPicture, condition: EidolonCondition, seed: UInt32,
                       reuse: Bool = true) -> EidolonResult {
        if !reuse { currentFat = nil }
        fields.keepsDraws = reuse
        let plane = renderPlane(picture, condition: condition, seed: seed)
        let side = EidolonPicture.size, out = 224
        let full = Image8(channels: 1, height: side, width: side, samples: plane)
        return EidolonResult(plane256: full, stimulus: full.resized(width: out, height: out, filter: .lanczos))
    }

    /// CPU seconds of the calling thread so far (for timing on a loaded machine).
    public static func threadCPUSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Whether the blur's FFTW plans came from the embedded wisdom (else FFTW_ESTIMATE).
    public static var plansFromWisdom: Bool { EidolonBlur.plans.fromWisdom }

    /// The 256 × 256 output plane, row-major (the toolbox's result before any resizing).
    func renderPlane(_ picture: EidolonPicture, condition: EidolonCondition, seed: UInt32) -> [UInt8] {
        var profile = EidolonProfile()
        var t = now()
        if currentFat != picture.fat {
            scaleSpace.compute(fat: picture.fat, blur: blur)
            currentFat = picture.fat
        }
        profile.scaleSpace = now() - t
        synthesis.reset()
        if condition.reach == 0 {
            t = now()
            for level in scaleSpace.levels { synthesis.accumulateUnwarped(level: level.pointer) }
            profile.synthesis = now() - t
        } else {
            t = now()
            fields.prepare(seed: seed, coherence: condition.coherence, grain: condition.grain, blur: blur)
            profile.fields = now() - t
            for (k, level) in scaleSpace.levels.enumerated() {
                t = now()
                fields.makeLevel(k, blur: blur)
                let t2 = now()
                profile.fields += t2 - t
                synthesis.accumulate(level: level.pointer, fieldX: fields.fieldX, fieldY: fields.fieldY,
                                     reach: condition.reach)
                profile.synthesis += now() - t2
            }
        }
        profile.randomDraws = fields.drawSeconds
        profile.noiseBlurs = fields.blurSeconds
        t = now()
        let out = synthesis.output()
        profile.synthesis += now() - t
        lastProfile = profile
        return out
    }

    /// The float synthesis plane (centre 256 × 256, before clipping) of the last render, row-major.
    var lastFloatPlane: [Double] { EidolonFields.rowMajor(synthesis.sum) }

    /// The DoG levels of the last rendered picture (12 planes of 512 × 512, row-major).
    func dogLevel(_ k: Int) -> [Double] { scaleSpace.rowMajorLevel(k) }

    private func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)  // CPU time: robust on a loaded machine
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }
}

/// The result of one eidolon: both pictures are 1-channel grey.
public struct EidolonResult: Sendable, Equatable {
    /// 256 × 256, as the toolbox returns it.
    public let plane256: Image8
    /// 224 × 224, the stimulus size of model-vs-human.
    public let stimulus: Image8
}

/// Seconds per stage of one eidolon render.
public struct EidolonProfile: Sendable, Equatable {
    /// Picture set-up is not included: the DoG scale space (0 when the picture's stack was reused).
    public var scaleSpace = 0.0
    /// Random draws, noise blurs and field blending.
    public var fields = 0.0
    /// Warping, summing and the 8-bit output.
    public var synthesis = 0.0
    /// Of `fields`: drawing (or skipping) the normals of the noise planes.
    public var randomDraws = 0.0
    /// Of `fields`: scaling, blurring (FFT pair) and normalising the noise planes.
    public var noiseBlurs = 0.0
}
