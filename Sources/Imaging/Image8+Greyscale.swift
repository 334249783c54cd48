extension Image8 {
    /// The grey plane every Geirhos et al. distortion starts from (specs/distortions.md §1.2): scikit-image
    /// `rgb2gray` with Rec. 709 weights, in float64, evaluated exactly as
    /// `Y = ((0.2125 · R) + (0.7154 · G)) + (0.0721 · B)` with R, G, B = k / 255.0 (no FMA, this order).
    ///
    /// - Returns: `height × width` values, row-major, in [0, 1] up to rounding (the weights sum to 1 only in
    ///   decimal: a grey pixel k may give k/255 ± 1 ulp). Grey and grey+alpha images give k / 255.0 of the grey
    ///   channel (rgb2gray returns a 2-D input unchanged); alpha is ignored.
    public func rec709GreyPlane() -> [Double] {
        let n = width * height, c = channels
        return [Double](unsafeUninitializedCapacity: n) { out, count in
            samples.withUnsafeBufferPointer { s in
                if c <= 2 {
                    for i in 0..<n { out[i] = Double(s[i * c]) / 255.0 }
                } else {
                    let wr = 0.2125, wg = 0.7154, wb = 0.0721
                    for i in 0..<n {
                        let r = Double(s[i * c]) / 255.0
                        let g = Double(s[i * c + 1]) / 255.0
                        let b = Double(s[i * c + 2]) / 255.0
                        let rg = (wr * r) + (wg * g)
                        out[i] = rg + (wb * b)
                    }
                }
            }
            count = n
        }
    }

    /// Pillow's `convert("L")` (ITU-R 601-2 luma in fixed point, `Convert.c` `rgb2l`):
    /// `L = (R·19595 + G·38470 + B·7471 + 0x8000) >> 16` for RGB and RGBA (alpha ignored); grey stays, grey+alpha
    /// drops alpha. Eidolon's fiducial picture uses it (specs/eidolon.md §2).
    public func convertedToPillowL() -> Image8 {
        let n = width * height, c = channels
        if c == 1 { return self }
        let out = [UInt8](unsafeUninitializedCapacity: n) { out, count in
            samples.withUnsafeBufferPointer { s in
                if c == 2 {
                    for i in 0..<n { out[i] = s[2 * i] }
                } else {
                    for i in 0..<n {
                        let v = UInt32(s[i * c]) * 19595 + UInt32(s[i * c + 1]) * 38470 + UInt32(s[i * c + 2]) * 7471 + 0x8000
                        out[i] = UInt8(v >> 16)
                    }
                }
            }
            count = n
        }
        return Image8(channels: 1, height: height, width: width, samples: out)
    }
}
