extension Image8 {
    /// The rectangle of `width × height` pixels whose top-left corner is (`x`, `y`), as Pillow's `crop`:
    /// pixels outside the image are 0 (torchvision's `CenterCrop` pads with zeros likewise).
    public func cropped(x: Int, y: Int, width: Int, height: Int) -> Image8 {
        precondition(width >= 1 && height >= 1, "crop size must be positive")
        return PillowResampler.crop(self, x0: x, y0: y, width: width, height: height)
    }

    /// Three channels as Pillow's `convert("RGB")`: grey replicated, grey+alpha and RGBA drop alpha (no
    /// compositing), RGB unchanged.
    public func convertedToRGB() -> Image8 {
        if channels == 3 { return self }
        let c = channels, n = width * height
        let samples = [UInt8](unsafeUninitializedCapacity: n * 3) { out, count in
            self.samples.withUnsafeBufferPointer { s in
                for i in 0..<n {
                    if c <= 2 {
                        let v = s[i * c]
                        out[3 * i] = v; out[3 * i + 1] = v; out[3 * i + 2] = v
                    } else {
                        out[3 * i] = s[i * c]; out[3 * i + 1] = s[i * c + 1]; out[3 * i + 2] = s[i * c + 2]
                    }
                }
            }
            count = n * 3
        }
        return Image8(channels: 3, height: height, width: width, samples: samples)
    }
}
