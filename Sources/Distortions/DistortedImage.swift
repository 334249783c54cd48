import CKernels
import Imaging

/// The float64 output of a distortion, before it is written as 8-bit samples.
///
/// `values` holds the reference's float64 numbers exactly: one plane (`height × width`, row-major) for grey outputs,
/// three interleaved channels (`height × width × 3`, numpy's H × W × C) for RGB outputs. Which PNG colour type the
/// reference writes follows from `layout` (specs/distortions.md §1.1, §1.4).
public struct DistortedImage: Sendable, Equatable {
    /// How the reference returns the output, which decides the PNG colour type of the 2018 writer.
    public enum Layout: Sendable, Equatable {
        /// A 2-D grey plane (`rgb2gray`, contrast, uniform noise): an 8-bit grey (L) PNG.
        case grey
        /// A grey plane the reference stacks into three identical channels (`np.dstack`): an RGB PNG. `values`
        /// still holds the plane once.
        case stackedGrey
        /// A true RGB image (colour `cr`, false-colour): `values` holds three interleaved channels.
        case rgb
    }

    public let width: Int
    public let height: Int
    public let layout: Layout
    /// float64 samples in [0, 1]: `height × width` for grey layouts, `height × width × 3` interleaved for `.rgb`.
    public var values: [Double]

    public init(width: Int, height: Int, layout: Layout, values: [Double]) {
        precondition(width > 0 && height > 0, "image dimensions must be positive")
        precondition(values.count == width * height * (layout == .rgb ? 3 : 1), "value count does not match layout")
        self.width = width
        self.height = height
        self.layout = layout
        self.values = values
    }

    /// Channels of `values`: 1 for grey layouts, 3 for `.rgb`.
    public var channels: Int { layout == .rgb ? 3 : 1 }

    /// The 8-bit image as the reference writer stores it: 1 channel for `.grey`, 3 channels otherwise
    /// (a stacked grey plane becomes three equal channels). With `expandGrey`, `.grey` also gives 3 channels.
    /// `rule` is one of the two writers of the reference repository (specs/distortions.md §1.4): `.roundHalfUp`
    /// (2018, the study's stimuli; default) or `.truncate` (2023).
    public func image8(_ rule: QuantisationRule = .roundHalfUp, expandGrey: Bool = false) -> Image8 {
        let outChannels = (layout == .grey && !expandGrey) ? 1 : 3
        let count = width * height * outChannels
        // One C pass (AVX2: sixteen values per step), the same arithmetic as `QuantisationRule.quantise`.
        let samples = [UInt8](unsafeUninitializedCapacity: count) { out, initialised in
            values.withUnsafeBufferPointer { v in
                ck_quantise_u8(v.baseAddress!, v.count, rule == .roundHalfUp ? 1 : 0, channels == outChannels ? 0 : 1,
                               out.baseAddress!)
            }
            initialised = count
        }
        return Image8(channels: outChannels, height: height, width: width, samples: samples)
    }
}
