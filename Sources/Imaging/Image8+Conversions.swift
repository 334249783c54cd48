extension Image8 {
    /// Quantises interleaved float64 samples (`height × width × channels`, row-major, numpy's H×W×C order;
    /// a single plane when `channels` is 1) with `rule`.
    public init(quantising values: [Double], channels: Int, height: Int, width: Int,
                rule: QuantisationRule = .roundHalfUp) {
        precondition(values.count == channels * height * width, "value count does not match dimensions")
        let samples = [UInt8](unsafeUninitializedCapacity: values.count) { buffer, count in
            values.withUnsafeBufferPointer { v in
                switch rule {
                case .roundHalfUp: for i in 0..<v.count { buffer[i] = QuantisationRule.roundHalfUp.quantise(v[i]) }
                case .truncate: for i in 0..<v.count { buffer[i] = QuantisationRule.truncate.quantise(v[i]) }
                }
            }
            count = values.count
        }
        self.init(channels: channels, height: height, width: width, samples: samples)
    }

    /// Quantises a planar Float32 image (each value widened to float64, then `rule`) to interleaved 8-bit.
    public init(_ image: Image, rule: QuantisationRule = .roundHalfUp) {
        let c = image.channels, plane = image.planeSize
        let samples = [UInt8](unsafeUninitializedCapacity: c * plane) { buffer, count in
            image.pixels.withUnsafeBufferPointer { p in
                for i in 0..<plane {
                    for k in 0..<c { buffer[i * c + k] = rule.quantise(Double(p[k * plane + i])) }
                }
            }
            count = c * plane
        }
        self.init(channels: c, height: image.height, width: image.width, samples: samples)
    }
}

extension Image {
    /// Planar Float32 from 8-bit samples: k / 255 as a float32 division (torchvision `ToTensor`).
    public init(_ image: Image8) {
        let c = image.channels, plane = image.height * image.width
        let pixels = [Float](unsafeUninitializedCapacity: c * plane) { buffer, count in
            image.samples.withUnsafeBufferPointer { s in
                for i in 0..<plane {
                    for k in 0..<c { buffer[k * plane + i] = Float(s[i * c + k]) / 255 }
                }
            }
            count = c * plane
        }
        self.init(channels: c, height: image.height, width: image.width, pixels: pixels)
    }
}
