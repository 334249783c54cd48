/// A picture as models see it: planar Float32, `channels × height × width`, values in [0, 1].
///
/// `pixels[c * height * width + y * width + x]` is channel `c` at row `y` (0 = top), column `x`.
public struct Image: Sendable, Equatable {
    public let channels: Int
    public let height: Int
    public let width: Int
    public var pixels: [Float]

    public init(channels: Int, height: Int, width: Int, pixels: [Float]) {
        precondition(channels > 0 && height > 0 && width > 0, "image dimensions must be positive")
        precondition(pixels.count == channels * height * width, "pixel count does not match dimensions")
        self.channels = channels
        self.height = height
        self.width = width
        self.pixels = pixels
    }

    /// A black image of the given size.
    public init(channels: Int, height: Int, width: Int) {
        self.init(channels: channels, height: height, width: width,
                  pixels: [Float](repeating: 0, count: channels * height * width))
    }

    public var planeSize: Int { height * width }
}

/// An 8-bit picture exactly as stored in a file: interleaved samples (`height × width × channels`, row 0 at the
/// top), as libpng, libjpeg and Pillow hold them.
///
/// The reference code works on 8-bit samples (`k / 255.0` in float64, Pillow's fixed-point resampling), so the
/// bit-faithful paths (distortions, Pillow-exact resizing) take and give `Image8`; `Image` is for models.
/// `channels` is 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA).
public struct Image8: Sendable, Equatable {
    public let channels: Int
    public let height: Int
    public let width: Int
    public var samples: [UInt8]

    public init(channels: Int, height: Int, width: Int, samples: [UInt8]) {
        precondition(channels > 0 && height > 0 && width > 0, "image dimensions must be positive")
        precondition(samples.count == channels * height * width, "sample count does not match dimensions")
        self.channels = channels
        self.height = height
        self.width = width
        self.samples = samples
    }

    public init(channels: Int, height: Int, width: Int) {
        self.init(channels: channels, height: height, width: width,
                  samples: [UInt8](repeating: 0, count: channels * height * width))
    }
}
