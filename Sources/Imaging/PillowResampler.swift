import Foundation

/// Pillow's `Image.resize` on 8-bit images, bit for bit (Pillow 13; specs/distortions.md §6.1, clip.md §3.2).
///
/// The convolution filters use Pillow's two-pass fixed-point resampler: per-axis coefficient tables
/// (double, normalised, then 22-bit fixed point rounded half away from zero, computed once per call), two
/// passes with an 8-bit intermediate (order: see `resample`); each sum starts at 2²¹, is shifted right by
/// 22 (arithmetic) and clamped to 0…255. `reducing_gap=None` (no `reduce()` first).
enum PillowResampler {
    static let precisionBits: Int32 = 32 - 8 - 2

    /// Bounds and fixed-point weights of one axis: output index i reads `count[i]` inputs from `start[i]`
    /// with weights `weights[i * ksize ..< i * ksize + count[i]]`.
    struct AxisTable {
        var ksize: Int
        var start: [Int]
        var count: [Int]
        var weights: [Int32]
    }

    /// `precompute_coeffs` followed by `normalize_coeffs_8bpc`.
    static func axisTable(inSize: Int, in0: Float, in1: Float, outSize: Int, filter: ResampleFilter) -> AxisTable {
        var filterscale = Double(in1 - in0) / Double(outSize)   // float32 subtraction, then double
        let scale = filterscale
        if filterscale < 1.0 { filterscale = 1.0 }
        let support = filter.support * filterscale
        let ksize = Int(support.rounded(.up)) * 2 + 1
        var start = [Int](repeating: 0, count: outSize)
        var count = [Int](repeating: 0, count: outSize)
        var weights = [Int32](repeating: 0, count: outSize * ksize)
        var k = [Double](repeating: 0, count: ksize)
        let invFilterscale = 1.0 / filterscale
        let one = Double(Int32(1) << precisionBits)
        for xx in 0..<outSize {
            let center = Double(in0) + (Double(xx) + 0.5) * scale
            var ww = 0.0
            var xmin = Int(truncatingDouble: center - support + 0.5)
            if xmin < 0 { xmin = 0 }
            var xmax = Int(truncatingDouble: center + support + 0.5)
            if xmax > inSize { xmax = inSize }
            xmax -= xmin
            if xmax < 0 { xmax = 0 }
            for x in 0..<xmax {
                let w = filter.weight((Double(x + xmin) - center + 0.5) * invFilterscale)
                k[x] = w
                ww += w
            }
            if ww != 0 {
                for x in 0..<xmax { k[x] /= ww }
            }
            for x in 0..<xmax {
                let v = k[x]
                weights[xx * ksize + x] = v < 0 ? Int32(-0.5 + v * one) : Int32(0.5 + v * one)
            }
            start[xx] = xmin
            count[xx] = xmax
        }
        return AxisTable(ksize: ksize, start: start, count: count, weights: weights)
    }

    @inline(__always)
    static func clip8(_ ss: Int32) -> UInt8 {
        let v = ss >> precisionBits
        return v < 0 ? 0 : (v > 255 ? 255 : UInt8(v))
    }

    /// Horizontal pass: rows `offset ..< offset + outHeight` of `input` (width `inWidth`) → `output`.
    /// Channels are independent; each sum runs over the taps in increasing order, as Pillow's.
    static func horizontal(_ input: UnsafeBufferPointer<UInt8>, inWidth: Int, channels c: Int, offset: Int,
                           output: UnsafeMutableBufferPointer<UInt8>, outWidth: Int, outHeight: Int, table: AxisTable) {
        let bias = Int32(1) << (precisionBits - 1)
        let ksize = table.ksize
        guard let inBase = input.baseAddress, let outBase = output.baseAddress else { return }
        table.weights.withUnsafeBufferPointer { kk in
            table.start.withUnsafeBufferPointer { starts in
                table.count.withUnsafeBufferPointer { counts in
                    let k0 = kk.baseAddress!
                    for yy in 0..<outHeight {
                        let rowIn = inBase + (yy + offset) * inWidth * c
                        let rowOut = outBase + yy * outWidth * c
                        for xx in 0..<outWidth {
                            let n = counts[xx]
                            let k = k0 + xx * ksize
                            let p = rowIn + starts[xx] * c
                            let o = rowOut + xx * c
                            switch c {
                            case 1:
                                var s0 = bias
                                for x in 0..<n { s0 = s0 &+ Int32(p[x]) &* k[x] }
                                o[0] = clip8(s0)
                            case 3:
                                var s0 = bias, s1 = bias, s2 = bias
                                for x in 0..<n {
                                    let w = k[x], q = p + 3 * x
                                    s0 = s0 &+ Int32(q[0]) &* w
                                    s1 = s1 &+ Int32(q[1]) &* w
                                    s2 = s2 &+ Int32(q[2]) &* w
                                }
                                o[0] = clip8(s0); o[1] = clip8(s1); o[2] = clip8(s2)
                            default:
                                for ch in 0..<c {
                                    var s0 = bias
                                    for x in 0..<n { s0 = s0 &+ Int32(p[x * c + ch]) &* k[x] }
                                    o[ch] = clip8(s0)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Vertical pass over `input` (width `width`), table bounds minus `shift` relative to `input`'s first
    /// row. Each output row accumulates whole input rows tap by tap (the same integer sums in the same
    /// order as Pillow's per-sample loop, so the same bits), which vectorises.
    static func vertical(_ input: UnsafeBufferPointer<UInt8>, width: Int, channels c: Int,
                         output: UnsafeMutableBufferPointer<UInt8>, outHeight: Int, table: AxisTable, shift: Int) {
        let bias = Int32(1) << (precisionBits - 1)
        let stride = width * c
        guard let inBase = input.baseAddress, let outBase = output.baseAddress else { return }
        var accumulator = [Int32](repeating: 0, count: stride)
        accumulator.withUnsafeMutableBufferPointer { acc in
            let a = acc.baseAddress!
            table.weights.withUnsafeBufferPointer { kk in
                for yy in 0..<outHeight {
                    let ymin = table.start[yy] - shift, n = table.count[yy], kBase = yy * table.ksize
                    for i in 0..<stride { a[i] = bias }
                    for y in 0..<n {
                        let w = kk[kBase + y]
                        let row = inBase + (ymin + y) * stride
                        for i in 0..<stride { a[i] = a[i] &+ Int32(row[i]) &* w }
                    }
                    let out = outBase + yy * stride
                    for i in 0..<stride { out[i] = clip8(a[i]) }
                }
            }
        }
    }

    /// `ImagingResampleInner` of Pillow 13 for an 8-bit image with `box` as float32.
    ///
    /// Pass order (Pillow 13.0; specs/distortions.md §6.1 describes the older always-horizontal-first rule):
    /// the vertical pass runs first when the height shrinks by more than twice as many pixels as the width,
    /// `(inH − H) > 0 && (inH − H) > (inW − W)·2` (integer arithmetic); otherwise horizontal first, over only
    /// the rows the vertical pass reads. Either way the intermediate is 8-bit.
    static func resample(_ image: Image8, width: Int, height: Int, filter: ResampleFilter, box: (Float, Float, Float, Float)) -> Image8 {
        let c = image.channels
        let needHorizontal = width != image.width || box.0 != 0 || box.2 != Float(width)
        let needVertical = height != image.height || box.1 != 0 || box.3 != Float(height)
        let horizontalFirst = !((image.height - height) > 0 && (image.height - height) > (image.width - width) * 2)
        let hTable = axisTable(inSize: image.width, in0: box.0, in1: box.2, outSize: width, filter: filter)
        let vTable = axisTable(inSize: image.height, in0: box.1, in1: box.3, outSize: height, filter: filter)

        func horizontalPass(_ source: Image8, rows: Int, offset: Int) -> Image8 {
            let samples = [UInt8](unsafeUninitializedCapacity: width * rows * c) { out, n in
                source.samples.withUnsafeBufferPointer { input in
                    horizontal(input, inWidth: source.width, channels: c, offset: offset, output: out,
                               outWidth: width, outHeight: rows, table: hTable)
                }
                n = width * rows * c
            }
            return Image8(channels: c, height: max(rows, 1), width: width,
                          samples: rows > 0 ? samples : [UInt8](repeating: 0, count: width * c))
        }
        func verticalPass(_ source: Image8, shift: Int) -> Image8 {
            let samples = [UInt8](unsafeUninitializedCapacity: source.width * height * c) { out, n in
                source.samples.withUnsafeBufferPointer { input in
                    vertical(input, width: source.width, channels: c, output: out, outHeight: height,
                             table: vTable, shift: shift)
                }
                n = source.width * height * c
            }
            return Image8(channels: c, height: height, width: source.width, samples: samples)
        }

        var current = image
        if horizontalFirst {
            var shift = 0
            if needHorizontal {
                let first = vTable.start[0]
                let last = vTable.start[height - 1] + vTable.count[height - 1]
                current = horizontalPass(current, rows: last - first, offset: first)
                shift = first
            }
            if needVertical { current = verticalPass(current, shift: shift) }
        } else {
            if needVertical { current = verticalPass(current, shift: 0) }
            if needHorizontal { current = horizontalPass(current, rows: height, offset: 0) }
        }
        return current
    }

    /// `ImagingScaleAffine` as `_resize` calls it for NEAREST (a[0] = box width / xsize, a[2] = box left, …).
    static func nearest(_ image: Image8, width: Int, height: Int, box: (Float, Float, Float, Float)) -> Image8 {
        let c = image.channels
        let a0 = Double(box.2 - box.0) / Double(width)
        let a4 = Double(box.3 - box.1) / Double(height)
        var xo = Double(box.0) + a0 * 0.5
        var yo = Double(box.1) + a4 * 0.5
        var xin = [Int](repeating: -1, count: width)
        for x in 0..<width {
            let v = xo < 0 ? -1 : Int(truncatingDouble: xo)
            if v >= 0 && v < image.width { xin[x] = v }
            xo += a0
        }
        var samples = [UInt8](repeating: 0, count: width * height * c)
        samples.withUnsafeMutableBufferPointer { out in
            image.samples.withUnsafeBufferPointer { input in
                for y in 0..<height {
                    let yi = yo < 0 ? -1 : Int(truncatingDouble: yo)
                    if yi >= 0 && yi < image.height {
                        for x in 0..<width where xin[x] >= 0 {
                            for ch in 0..<c { out[(y * width + x) * c + ch] = input[(yi * image.width + xin[x]) * c + ch] }
                        }
                    }
                    yo += a4
                }
            }
        }
        return Image8(channels: c, height: height, width: width, samples: samples)
    }

    /// `ImagingCrop` for an in-range integer box.
    static func crop(_ image: Image8, x0: Int, y0: Int, width: Int, height: Int) -> Image8 {
        let c = image.channels
        var samples = [UInt8](repeating: 0, count: width * height * c)
        samples.withUnsafeMutableBufferPointer { out in
            image.samples.withUnsafeBufferPointer { input in
                for y in 0..<height {
                    let sy = y0 + y
                    guard sy >= 0 && sy < image.height else { continue }
                    for x in 0..<width {
                        let sx = x0 + x
                        guard sx >= 0 && sx < image.width else { continue }
                        for ch in 0..<c { out[(y * width + x) * c + ch] = input[(sy * image.width + sx) * c + ch] }
                    }
                }
            }
        }
        return Image8(channels: c, height: height, width: width, samples: samples)
    }

    /// RGBA → RGBa, LA → La (Pillow's `rgbA2rgba`, `lA2la`): colour × alpha / 255 with Pillow's rounding.
    static func premultiplied(_ image: Image8) -> Image8 {
        var out = image
        let c = image.channels
        out.samples.withUnsafeMutableBufferPointer { s in
            for p in stride(from: 0, to: s.count, by: c) {
                let alpha = UInt32(s[p + c - 1])
                for ch in 0..<(c - 1) {
                    let tmp = UInt32(s[p + ch]) * alpha + 128
                    s[p + ch] = UInt8(((tmp >> 8) + tmp) >> 8)
                }
            }
        }
        return out
    }

    /// RGBa → RGBA, La → LA (Pillow's `rgba2rgbA`, `la2lA`): alpha 0 and 255 keep the colour, otherwise
    /// clip8(255 · colour / alpha) with integer division.
    static func unpremultiplied(_ image: Image8) -> Image8 {
        var out = image
        let c = image.channels
        out.samples.withUnsafeMutableBufferPointer { s in
            for p in stride(from: 0, to: s.count, by: c) {
                let alpha = Int(s[p + c - 1])
                if alpha == 255 || alpha == 0 { continue }
                for ch in 0..<(c - 1) {
                    let v = (255 * Int(s[p + ch])) / alpha
                    s[p + ch] = UInt8(v <= 0 ? 0 : (v < 256 ? v : 255))
                }
            }
        }
        return out
    }
}

extension Int {
    /// C's `(int)double`: truncation toward zero (the caller keeps values in range).
    @inline(__always)
    init(truncatingDouble value: Double) {
        self = Int(value.rounded(.towardZero))
    }
}

extension Image8 {
    /// Pillow's `Image.resize((width, height), filter, box)` with `reducing_gap=None`, bit for bit (Pillow 13).
    ///
    /// Follows `Image.resize` and `_resize` step by step: the same size with the full box is an unchanged copy;
    /// grey+alpha and RGBA images (2 and 4 channels) are resized premultiplied by alpha and un-premultiplied
    /// afterwards (except NEAREST); an integer box of exactly the output size is a crop; NEAREST uses Pillow's
    /// affine scaling; the other filters Pillow's two-pass fixed-point resampler (see `PillowResampler`).
    /// Pillow resizes a palette ("P") image with NEAREST whatever the filter; `Image8` holds palette files
    /// decoded to RGB, so callers pass `.nearest` for those (`Image8.decode(contentsOf:)` says which they are).
    /// - Parameters:
    ///   - box: source rectangle (default: the whole image); needs 0 ≤ left ≤ right ≤ width, likewise for y.
    /// - Precondition: width, height ≥ 1 and a valid box (Pillow raises ValueError otherwise).
    public func resized(width: Int, height: Int, filter: ResampleFilter, box: ResizeBox? = nil) -> Image8 {
        precondition(width >= 1 && height >= 1, "height and width must be > 0")
        let full = ResizeBox(left: 0, top: 0, right: Double(self.width), bottom: Double(self.height))
        let b = box ?? full
        if width == self.width && height == self.height && b == full { return self }
        if filter != .nearest && (channels == 2 || channels == 4) {
            let pre = PillowResampler.premultiplied(self)
            let resized = pre.resizedCore(width: width, height: height, filter: filter, box: b)
            return PillowResampler.unpremultiplied(resized)
        }
        return resizedCore(width: width, height: height, filter: filter, box: b)
    }

    /// `_resize` in `_imaging.c`.
    func resizedCore(width: Int, height: Int, filter: ResampleFilter, box: ResizeBox) -> Image8 {
        let f = (Float(box.left), Float(box.top), Float(box.right), Float(box.bottom))
        precondition(f.0 >= 0 && f.1 >= 0, "box offset can't be negative")
        precondition(f.2 <= Float(self.width) && f.3 <= Float(self.height), "box can't exceed original image size")
        precondition(f.2 - f.0 >= 0 && f.3 - f.1 >= 0, "box can't be empty")
        if f.0 - f.0.rounded(.towardZero) == 0 && f.2 - f.0 == Float(width)
            && f.1 - f.1.rounded(.towardZero) == 0 && f.3 - f.1 == Float(height) {
            return PillowResampler.crop(self, x0: Int(f.0), y0: Int(f.1), width: width, height: height)
        }
        if filter == .nearest {
            return PillowResampler.nearest(self, width: width, height: height, box: f)
        }
        return PillowResampler.resample(self, width: width, height: height, filter: filter, box: f)
    }
}
