import Imaging

/// Brings a source photograph to a 224 × 224 RGB stimulus source the way model-vs-human's loader treats non-224
/// images: torchvision `Resize(256)` (shorter side to 256, the longer one truncated, Pillow BILINEAR with its
/// antialiasing support) then `CenterCrop(224)` (offsets rounded half to even, as Python's `round`).
/// A 224 × 224 image is used as it is. Grey, grey + alpha and RGBA inputs become RGB first (Pillow `convert('RGB')`).
enum SourcePreparation {
    static let side = 224
    static let resizeTo = 256

    static func prepare(_ image: Image8) -> Image8 {
        var rgb = toRGB(image)
        if rgb.width == side && rgb.height == side { return rgb }
        let (w, h) = (rgb.width, rgb.height)
        let (newW, newH): (Int, Int) = w <= h
            ? (resizeTo, Int(Double(resizeTo) * Double(h) / Double(w)))
            : (Int(Double(resizeTo) * Double(w) / Double(h)), resizeTo)
        rgb = resizeBilinear(rgb, width: newW, height: newH)
        if rgb.width < side || rgb.height < side { return rgb }  // cannot happen: the shorter side is 256
        let top = Int((Double(rgb.height - side) / 2).rounded(.toNearestOrEven))
        let left = Int((Double(rgb.width - side) / 2).rounded(.toNearestOrEven))
        var out = [UInt8](repeating: 0, count: side * side * 3)
        for y in 0..<side {
            let src = ((top + y) * rgb.width + left) * 3
            for x in 0..<(side * 3) { out[y * side * 3 + x] = rgb.samples[src + x] }
        }
        return Image8(channels: 3, height: side, width: side, samples: out)
    }

    static func toRGB(_ image: Image8) -> Image8 {
        let c = image.channels
        if c == 3 { return image }
        let n = image.width * image.height
        var samples = [UInt8](repeating: 0, count: n * 3)
        for i in 0..<n {
            if c >= 3 {
                samples[3 * i] = image.samples[c * i]
                samples[3 * i + 1] = image.samples[c * i + 1]
                samples[3 * i + 2] = image.samples[c * i + 2]
            } else {
                let v = image.samples[c * i]
                samples[3 * i] = v; samples[3 * i + 1] = v; samples[3 * i + 2] = v
            }
        }
        return Image8(channels: 3, height: image.height, width: image.width, samples: samples)
    }

    /// Pillow's `Image.resize(size, BILINEAR)` on 8-bit RGB: separable convolution, horizontal pass first, with
    /// fixed-point coefficients (22 fractional bits) and an 8-bit intermediate (Pillow `Resample.c`).
    static func resizeBilinear(_ image: Image8, width outW: Int, height outH: Int) -> Image8 {
        var current = image
        if outW != image.width {
            current = pass(current, horizontal: true, outLength: outW)
        }
        if outH != image.height {
            current = pass(current, horizontal: false, outLength: outH)
        }
        return current
    }

    static let precisionBits = 32 - 8 - 2

    /// Pillow's `precompute_coeffs` + `normalize_coeffs_8bpc` for the bilinear (triangle) filter.
    static func coefficients(inLength: Int, outLength: Int) -> (bounds: [(Int, Int)], weights: [Int32], kernelSize: Int) {
        let scale = Double(inLength) / Double(outLength)
        let filterScale = max(scale, 1.0)
        let support = 1.0 * filterScale
        let kernelSize = Int(support.rounded(.up)) * 2 + 1
        var bounds: [(Int, Int)] = []
        var weights = [Int32](repeating: 0, count: outLength * kernelSize)
        var k = [Double](repeating: 0, count: kernelSize)
        let ss = 1.0 / filterScale
        for xx in 0..<outLength {
            let center = (Double(xx) + 0.5) * scale
            var xmin = Int(center - support + 0.5)
            if xmin < 0 { xmin = 0 }
            var xmax = Int(center + support + 0.5)
            if xmax > inLength { xmax = inLength }
            xmax -= xmin
            var total = 0.0
            for x in 0..<xmax {
                let t = abs((Double(x + xmin) - center + 0.5) * ss)
                let w = t < 1 ? 1 - t : 0
                k[x] = w
                total += w
            }
            for x in 0..<xmax {
                if total != 0 { k[x] /= total }
                let scaled = k[x] * Double(1 << precisionBits)
                weights[xx * kernelSize + x] = Int32(scaled < 0 ? Int(-0.5 + scaled) : Int(0.5 + scaled))
            }
            bounds.append((xmin, xmax))
        }
        return (bounds, weights, kernelSize)
    }

    static func pass(_ image: Image8, horizontal: Bool, outLength: Int) -> Image8 {
        let inLength = horizontal ? image.width : image.height
        let (bounds, weights, ksize) = coefficients(inLength: inLength, outLength: outLength)
        let outW = horizontal ? outLength : image.width
        let outH = horizontal ? image.height : outLength
        var out = [UInt8](repeating: 0, count: outW * outH * 3)
        let half = Int64(1) << (precisionBits - 1)
        image.samples.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<outH {
                    for x in 0..<outW {
                        let o = horizontal ? x : y
                        let (start, count) = bounds[o]
                        for c in 0..<3 {
                            var acc = half
                            for i in 0..<count {
                                let s = horizontal ? (y * image.width + start + i) * 3 + c : ((start + i) * image.width + x) * 3 + c
                                acc += Int64(src[s]) * Int64(weights[o * ksize + i])
                            }
                            let v = acc >> Int64(precisionBits)
                            dst[(y * outW + x) * 3 + c] = UInt8(clamping: v)
                        }
                    }
                }
            }
        }
        return Image8(channels: 3, height: outH, width: outW, samples: out)
    }
}
