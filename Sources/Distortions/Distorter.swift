import CKernels
import Imaging

/// Applies distortions, reusing its scratch memory and FFT buffers from image to image.
///
/// Not thread-safe: keep one per thread (the FFTW plans behind it are shared and made once). All arithmetic is
/// float64 in the order specs/distortions.md gives, so outputs match the reference bit for bit where the spec says
/// verified (FFT-based ones to the last bits of the FFT).
///
/// Input: 8-bit samples, converted as PIL's `convert('RGB')` does (grey → three equal channels, alpha dropped) and
/// divided by 255.0. Size: the reference works on 224 × 224; every distortion here is applied at the input's own size
/// exactly as the reference functions would, except that power-equalisation needs the table's size (224 × 224) and
/// phase-scrambling an even width and height (the reference fails otherwise).
public final class Distorter {
    /// The data tables (needed by power-equalisation and false-colour only).
    public let tables: DistortionTables?

    let scratchA = Scratch()
    let scratchB = Scratch()
    let scratchC = Scratch()
    let scratchD = Scratch()
    var fft: FFTScratch?
    /// The spectral Gaussian filters made so far, by σ and size.
    var spectralGaussians: [SpectralGaussian.Key: SpectralGaussian] = [:]

    /// How the Gaussian filter of low-pass and high-pass is computed (default: exact for small kernels, spectral
    /// from `GaussianMethod.spectralMinimumRadius` taps on; `.exact` reproduces the reference's float64 bits).
    public var gaussianMethod: GaussianMethod = .automatic
    /// The eidolon factory's scratch (about 55 MB), made on first use.
    lazy var eidolon = EidolonFactory()
    /// Whether an eidolon reuses the work of the previous eidolon where it can: the DoG scale space of the same
    /// picture, the noise spectra of the same seed (identical bytes: the stack depends only on the picture, the
    /// spectra only on the seed). Off by default, so that every call costs what a new stimulus costs
    /// (`bench distortions`); `generate` turns it on and hands one photograph's eidolon I, II and III, which share
    /// their seed (`TrialPlanner.eidolonSeed`), to one engine.
    public var reusesEidolonWork = false

    public init(tables: DistortionTables? = nil) {
        self.tables = tables
    }

    /// Applies `distortion` at `condition` (a registered condition string, or a pandas spelling of one, see
    /// `Distortion.condition(matching:)`) to `image` (any size, 1–4 channels). `seed` seeds a fresh numpy
    /// `RandomState` for the random distortions (the goldens use 42), exactly as `np.random.seed(seed)` before
    /// phase scrambling and `RandomState(seed)` for uniform noise.
    public func apply(_ distortion: Distortion, condition: String, to image: Image8,
                      seed: UInt32 = 0) throws -> DistortedImage {
        guard let token = distortion.condition(matching: condition) else {
            throw DistortionsError.unknownCondition(distortion: distortion.name, condition: condition,
                                                    valid: distortion.conditions)
        }
        return try distortion.body(self, try Self.rgb(image, distortion: distortion.name), token, seed)
    }

    /// `image` as 3-channel RGB (PIL `convert('RGB')` for L, LA and RGBA: replicate grey, drop alpha).
    static func rgb(_ image: Image8, distortion: String) throws -> Image8 {
        switch image.channels {
        case 3:
            return image
        case 1, 2, 4:
            return image.convertedToRGB()
        default:
            throw DistortionsError.unsupportedImage(distortion: distortion,
                                                    reason: "\(image.channels) channels (expected 1 to 4)")
        }
    }

    // MARK: Building blocks

    /// k · w / 255.0 for the three Rec. 709 weights (w · (k / 255.0), one rounding each, as numpy).
    static let lumaR: [Double] = (0...255).map { 0.2125 * (Double($0) / 255.0) }
    static let lumaG: [Double] = (0...255).map { 0.7154 * (Double($0) / 255.0) }
    static let lumaB: [Double] = (0...255).map { 0.0721 * (Double($0) / 255.0) }

    /// The three tables one after the other (R at 0, G at 256, B at 512), as the C kernels take them.
    static let lumaTable: [Double] = lumaR + lumaG + lumaB

    /// Y = ((0.2125·R) + (0.7154·G)) + (0.0721·B) per pixel (specs §1.2) into `out` (width · height values).
    func grey(_ input: Image8, into out: UnsafeMutablePointer<Double>) {
        input.samples.withUnsafeBufferPointer { s in
            Self.lumaTable.withUnsafeBufferPointer { lut in
                ck_grey_lut(s.baseAddress!, input.width * input.height, lut.baseAddress!, out)
            }
        }
    }

    /// A new output whose values `fill` writes (count values, uninitialised before).
    @inline(__always)
    func output(_ width: Int, _ height: Int, _ layout: DistortedImage.Layout,
                _ fill: (UnsafeMutablePointer<Double>) -> Void) -> DistortedImage {
        let count = width * height * (layout == .rgb ? 3 : 1)
        let values = [Double](unsafeUninitializedCapacity: count) { buffer, initialised in
            fill(buffer.baseAddress!)
            initialised = count
        }
        return DistortedImage(width: width, height: height, layout: layout, values: values)
    }

    /// Values > 1 → 1, values < 0 → 0 (specs §1.3), in place (`ck_clip_copy`, the rule the Fourier distortions use).
    static func clip(_ p: UnsafeMutablePointer<Double>, _ n: Int) {
        ck_clip_copy(p, n, p)
    }

    // MARK: Pixel-wise distortions

    /// k / 255.0 for every 8-bit sample value (`skimage.io.imread(path) / 255.0`).
    static let unitScale: [Double] = (0...255).map { Double($0) / 255.0 }

    /// The input's samples k / 255.0, interleaved RGB (colour `cr`, false-colour `true`).
    func identityRGB(_ input: Image8) -> DistortedImage {
        output(input.width, input.height, .rgb) { out in
            input.samples.withUnsafeBufferPointer { s in
                Self.unitScale.withUnsafeBufferPointer { scale in
                    for i in 0..<s.count { out[i] = scale[Int(s[i])] }
                }
            }
        }
    }

    /// The greyscale image Y with the given layout.
    func greyOutput(_ input: Image8, layout: DistortedImage.Layout) -> DistortedImage {
        output(input.width, input.height, layout) { grey(input, into: $0) }
    }

    /// `grayscale_contrast`: (1 − c) / 2.0 + Y · c (specs §3.2).
    func contrast(_ input: Image8, level c: Double) -> DistortedImage {
        let a = (1 - c) / 2.0
        return output(input.width, input.height, .grey) { out in
            grey(input, into: out)
            for i in 0..<(input.width * input.height) { out[i] = a + out[i] * c }
        }
    }

    /// `uniform_noise(X, w, contrast, RandomState(seed))` (specs §3.9): one C call that writes Y of every pixel,
    /// then refills the generator and turns its words straight into `random_sample` values and
    /// clip((a + Y·c) + (−w + 2w·u)) over Y in place, four pixels per AVX2 step (no buffer of random numbers).
    func uniformNoise(_ input: Image8, width w: Double, contrast c: Double, seed: UInt32) -> DistortedImage {
        let n = input.width * input.height
        var rng = MT19937(seed: seed)
        let low = -w, range = w - low   // uniform(−w, w): low + (high − low)·u
        let a = (1 - c) / 2.0
        return output(input.width, input.height, .grey) { out in
            input.samples.withUnsafeBufferPointer { s in
                Self.lumaTable.withUnsafeBufferPointer { lut in
                    rng.drawRaw { state, position in
                        ck_uniform_noise(state, position, s.baseAddress!, n, lut.baseAddress!, a, c, low, range, out)
                    }
                }
            }
        }
    }

    /// `rotate90/180/270` (counter-clockwise, numpy `rot90`) of the greyscale image; 0 is the greyscale image.
    /// 90 and 270 are one C pass (AVX2, sizes divisible by 4): Y of 4 × 4 pixel blocks transposed in registers.
    func rotation(_ input: Image8, degrees: Int) throws -> DistortedImage {
        let h = input.height, w = input.width
        if degrees == 0 { return greyOutput(input, layout: .grey) }
        guard degrees == 90 || degrees == 180 || degrees == 270 else {
            throw DistortionsError.unknownCondition(distortion: "rotation", condition: String(degrees),
                                                    valid: Distortion.rotation.conditions)
        }
        let y = scratchA.reserve(h * w)
        // 90: out[i][j] = Y[j][W−1−i]; 180: out[i][j] = Y[H−1−i][W−1−j]; 270: out[i][j] = Y[H−1−j][i].
        let (outWidth, outHeight) = degrees == 180 ? (w, h) : (h, w)
        return output(outWidth, outHeight, .stackedGrey) { out in
            input.samples.withUnsafeBufferPointer { s in
                Self.lumaTable.withUnsafeBufferPointer { lut in
                    ck_grey_rotate(s.baseAddress!, Int32(h), Int32(w), lut.baseAddress!, Int32(degrees), y, out)
                }
            }
        }
    }

    // MARK: Gaussian filters (specs §3.3, §3.4)

    static let backgroundGrey = 0.4423

    /// `low_pass_filter(X, σ)`: Gaussian blur of Y with constant padding 0.4423, clipped, stacked grey.
    func lowPass(_ input: Image8, sigma: Double) -> DistortedImage {
        let h = input.height, w = input.width
        return output(w, h, .stackedGrey) { out in
            if sigma <= 1e-15 {
                grey(input, into: out)
                return
            }
            let kernel = GaussianKernel(sigma: sigma)
            if gaussianMethod.usesSpectral(radius: kernel.radius) {
                let filter = spectralGaussian(kernel, height: h, width: w)
                input.samples.withUnsafeBufferPointer { s in
                    Self.lumaTable.withUnsafeBufferPointer { lut in
                        filter.filter(cval: Self.backgroundGrey, clip: true, into: out) { first, count, lines, n in
                            ck_lps_zip_grey_columns(s.baseAddress!, Int32(h), Int32(w), lut.baseAddress!,
                                                    Self.backgroundGrey, Int32(first), Int32(count), Int32(n), lines)
                        }
                    }
                }
                return
            }
            let y = scratchA.reserve(h * w)
            grey(input, into: y)
            gaussian(y, height: h, width: w, kernel: kernel, into: out)
            Self.clip(out, h * w)
        }
    }

    /// `high_pass_filter(X, σ)`: D = Y − blur(Y); D + (0.4423 − mean(D)); clipped, stacked grey.
    func highPass(_ input: Image8, sigma: Double) -> DistortedImage {
        let h = input.height, w = input.width, n = h * w
        return output(w, h, .stackedGrey) { out in
            let y = scratchA.reserve(n)
            grey(input, into: y)
            gaussian(y, height: h, width: w, sigma: sigma, into: out)
            for i in 0..<n { out[i] = y[i] - out[i] }
            let mean = pairwiseSum(out, n) / Double(n)
            let delta = Self.backgroundGrey - mean
            for i in 0..<n { out[i] = out[i] + delta }
            Self.clip(out, n)
        }
    }

    /// scipy's `gaussian_filter(Y, σ, mode='constant', cval=0.4423)` of a `height × width` plane into `out`.
    func gaussian(_ y: UnsafePointer<Double>, height h: Int, width w: Int, sigma: Double,
                  into out: UnsafeMutablePointer<Double>) {
        if sigma <= 1e-15 {
            out.update(from: y, count: h * w)
            return
        }
        gaussian(y, height: h, width: w, kernel: GaussianKernel(sigma: sigma), into: out)
    }

    /// `gaussian(_:height:width:sigma:into:)` with the kernel made (σ > 1e-15), by `gaussianMethod`'s path.
    func gaussian(_ y: UnsafePointer<Double>, height h: Int, width w: Int, kernel: GaussianKernel,
                  into out: UnsafeMutablePointer<Double>) {
        if gaussianMethod.usesSpectral(radius: kernel.radius) {
            spectralGaussian(kernel, height: h, width: w).filter(cval: Self.backgroundGrey, clip: false,
                                                                into: out) { first, count, lines, n in
                ck_lps_zip_plane_columns(y, Int32(h), Int32(w), Self.backgroundGrey, Int32(first), Int32(count),
                                         Int32(n), lines)
            }
            return
        }
        let r = kernel.radius
        let scratch = scratchB.reserve(ck_gauss_scratch_count(Int32(h), Int32(w), Int32(r)))
        kernel.half.withUnsafeBufferPointer { half in
            ck_gauss_filter(y, Int32(h), Int32(w), half.baseAddress!, Int32(r), Self.backgroundGrey, scratch, out)
        }
    }
}

/// Growable scratch memory for doubles, owned by one `Distorter`.
final class Scratch {
    private var pointer: UnsafeMutablePointer<Double>
    private var capacity: Int

    init() {
        capacity = 0
        pointer = UnsafeMutablePointer<Double>.allocate(capacity: 1)
    }

    /// At least `count` doubles, uninitialised content (kept from earlier use).
    func reserve(_ count: Int) -> UnsafeMutablePointer<Double> {
        if count > capacity {
            pointer.deallocate()
            pointer = UnsafeMutablePointer<Double>.allocate(capacity: count)
            pointer.initialize(repeating: 0, count: count)
            capacity = count
        }
        return pointer
    }

    deinit { pointer.deallocate() }
}
