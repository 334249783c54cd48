import Foundation

// Kernels on channel-last activations (`[positions, channels]`, channels fastest), the layout of the VMamba
// and SiMBA towers: convolutions as im2col + one sgemm, depthwise convolutions and the elementwise functions
// vectorised over channels, large jobs split over the cores.

/// Splits `0..<count` into contiguous chunks run on all cores (`DispatchQueue.concurrentPerform`); runs inline
/// when the work is small. `body` receives a range and must only touch data belonging to it.
public func parallelChunks(_ count: Int, minChunk: Int, _ body: @Sendable (Range<Int>) -> Void) {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let chunks = Swift.min(cores * 2, Swift.max(1, count / Swift.max(1, minChunk)))
    if chunks <= 1 { body(0..<count); return }
    DispatchQueue.concurrentPerform(iterations: chunks) { i in
        let lo = count * i / chunks, hi = count * (i + 1) / chunks
        if lo < hi { body(lo..<hi) }
    }
}

/// A 2-d convolution on channel-last maps (PyTorch `Conv2d` semantics, square kernel, symmetric padding,
/// groups = 1): `[h, w, cin]` → `[oh, ow, cout]`. The weight is kept as `[cout, k, k, cin]` so that one im2col row
/// (ky, kx, c) times the weight's transpose is one output position.
public struct ChannelsLastConv: Sendable {
    public let inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int
    let weight: [Float]     // [cout, k, k, cin]
    let bias: [Float]?

    /// - Parameter weight: PyTorch layout `[cout, cin, k, k]`.
    public init(weight pt: [Float], bias: [Float]?, inChannels: Int, outChannels: Int, kernel: Int, stride: Int, padding: Int) {
        precondition(pt.count == outChannels * inChannels * kernel * kernel)
        self.inChannels = inChannels; self.outChannels = outChannels; self.kernel = kernel
        self.stride = stride; self.padding = padding; self.bias = bias
        var w = [Float](repeating: 0, count: pt.count)
        let kk = kernel * kernel
        for o in 0..<outChannels {
            for c in 0..<inChannels {
                for t in 0..<kk { w[(o * kk + t) * inChannels + c] = pt[(o * inChannels + c) * kk + t] }
            }
        }
        weight = w
    }

    public func outSize(height h: Int, width w: Int) -> (height: Int, width: Int) {
        ((h + 2 * padding - kernel) / stride + 1, (w + 2 * padding - kernel) / stride + 1)
    }

    /// Multiply-adds for one `h × w` input.
    public func multiplyAdds(height h: Int, width w: Int) -> Int {
        let (oh, ow) = outSize(height: h, width: w)
        return oh * ow * outChannels * inChannels * kernel * kernel
    }

    /// `x` `[h, w, cin]` → `out` `[oh, ow, cout]` (caller-owned).
    public func forward(_ x: UnsafePointer<Float>, height h: Int, width w: Int, out: UnsafeMutablePointer<Float>) {
        let (oh, ow) = outSize(height: h, width: w)
        let cin = inChannels, k = kernel, s = stride, p = padding
        let kdim = k * k * cin
        let col = UnsafeMutablePointer<Float>.allocate(capacity: oh * ow * kdim)
        defer { col.deallocate() }
        nonisolated(unsafe) let colP = col, xP = x
        parallelChunks(oh, minChunk: 4) { rows in
            for oy in rows {
                for ox in 0..<ow {
                    var dst = colP + (oy * ow + ox) * kdim
                    for ky in 0..<k {
                        let iy = oy * s - p + ky
                        for kx in 0..<k {
                            let ix = ox * s - p + kx
                            if iy < 0 || iy >= h || ix < 0 || ix >= w {
                                dst.update(repeating: 0, count: cin)
                            } else {
                                dst.update(from: xP + (iy * w + ix) * cin, count: cin)
                            }
                            dst += cin
                        }
                    }
                }
            }
        }
        weight.withUnsafeBufferPointer { wp in
            if let bias {
                bias.withUnsafeBufferPointer { bp in
                    linear(col, rows: oh * ow, inFeatures: kdim, weight: wp.baseAddress!, bias: bp.baseAddress!,
                           outFeatures: outChannels, out: out)
                }
            } else {
                linear(col, rows: oh * ow, inFeatures: kdim, weight: wp.baseAddress!, bias: nil,
                       outFeatures: outChannels, out: out)
            }
        }
    }
}

/// Depthwise 3×3 convolution, stride 1, zero padding 1, on a channel-last `[h, w, c]` map whose rows are
/// `xStride` floats apart (a slice of a wider tensor) → `out` `[h, w, c]`. `weight9` is `[9, c]` (tap-major,
/// from PyTorch's `[c, 1, 3, 3]` by `depthwiseTaps`), `bias` `[c]` or nil.
public func depthwiseConv3x3ChannelsLast(_ x: UnsafePointer<Float>, xStride: Int, height h: Int, width w: Int,
                                         channels c: Int, weight9: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                         out: UnsafeMutablePointer<Float>) {
    nonisolated(unsafe) let x = x, weight9 = weight9, bias = bias, out = out
    let full = c / 8 * 8
    parallelChunks(h, minChunk: 2) { rows in
        for oy in rows {
            for ox in 0..<w {
                let dst = out + (oy * w + ox) * c
                var ch = 0
                while ch < full {
                    var acc = bias.map { load8($0 + ch) } ?? Vec8(repeating: 0)
                    for ky in 0..<3 {
                        let iy = oy + ky - 1
                        if iy < 0 || iy >= h { continue }
                        for kx in 0..<3 {
                            let ix = ox + kx - 1
                            if ix < 0 || ix >= w { continue }
                            acc += load8(x + (iy * w + ix) * xStride + ch) * load8(weight9 + (ky * 3 + kx) * c + ch)
                        }
                    }
                    store8(acc, dst + ch)
                    ch += 8
                }
                while ch < c {
                    var acc = bias?[ch] ?? 0
                    for ky in 0..<3 {
                        let iy = oy + ky - 1
                        if iy < 0 || iy >= h { continue }
                        for kx in 0..<3 {
                            let ix = ox + kx - 1
                            if ix < 0 || ix >= w { continue }
                            acc += x[(iy * w + ix) * xStride + ch] * weight9[(ky * 3 + kx) * c + ch]
                        }
                    }
                    dst[ch] = acc
                    ch += 1
                }
            }
        }
    }
}

/// PyTorch depthwise weight `[c, 1, kh, kw]` (or `[c, 1, k]`) → tap-major `[taps, c]`.
public func depthwiseTaps(_ weight: [Float], channels c: Int) -> [Float] {
    let taps = weight.count / c
    var out = [Float](repeating: 0, count: weight.count)
    for ch in 0..<c { for t in 0..<taps { out[t * c + ch] = weight[ch * taps + t] } }
    return out
}

/// Mamba's causal depthwise 1-d convolution along the token axis (kernel `taps`, left zero padding taps − 1):
/// `out[t, c] = bias[c] + Σ_k w[k, c] · x[t − taps + 1 + k, c]`. `x` rows are `xStride` apart; `weightT` is
/// `[taps, c]`; `out` is `[length, c]`.
public func causalDepthwiseConv1d(_ x: UnsafePointer<Float>, xStride: Int, length: Int, channels c: Int, taps: Int,
                                  weightT: UnsafePointer<Float>, bias: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>) {
    nonisolated(unsafe) let x = x, weightT = weightT, bias = bias, out = out
    let full = c / 8 * 8
    parallelChunks(length, minChunk: 16) { rows in
        for t in rows {
            let dst = out + t * c
            var ch = 0
            while ch < full {
                var acc = load8(bias + ch)
                for k in 0..<taps {
                    let s = t - taps + 1 + k
                    if s < 0 { continue }
                    acc += load8(x + s * xStride + ch) * load8(weightT + k * c + ch)
                }
                store8(acc, dst + ch)
                ch += 8
            }
            while ch < c {
                var acc = bias[ch]
                for k in 0..<taps {
                    let s = t - taps + 1 + k
                    if s < 0 { continue }
                    acc += x[s * xStride + ch] * weightT[k * c + ch]
                }
                dst[ch] = acc
                ch += 1
            }
        }
    }
}

/// LayerNorm over the last axis of `[rows, width]` (biased variance, two passes in float with eight partial
/// sums), `out` may equal `x`; rows are split over the cores.
public func layerNormRows(_ x: UnsafePointer<Float>, rows: Int, width: Int, gamma: UnsafePointer<Float>,
                          beta: UnsafePointer<Float>, eps: Float, out: UnsafeMutablePointer<Float>) {
    nonisolated(unsafe) let x = x, gamma = gamma, beta = beta, out = out
    let full = width / 8 * 8
    parallelChunks(rows, minChunk: 32) { range in
        for r in range {
            let src = x + r * width, dst = out + r * width
            var s8 = Vec8(repeating: 0)
            var i = 0
            while i < full { s8 += load8(src + i); i += 8 }
            var sum = s8.sum()
            while i < width { sum += src[i]; i += 1 }
            let mean = sum / Float(width)
            let m8 = Vec8(repeating: mean)
            var q8 = Vec8(repeating: 0)
            i = 0
            while i < full { let d = load8(src + i) - m8; q8 += d * d; i += 8 }
            var sq = q8.sum()
            while i < width { let d = src[i] - mean; sq += d * d; i += 1 }
            let inv = 1 / (sq / Float(width) + eps).squareRoot()
            let i8 = Vec8(repeating: inv)
            i = 0
            while i < full { store8((load8(src + i) - m8) * i8 * load8(gamma + i) + load8(beta + i), dst + i); i += 8 }
            while i < width { dst[i] = (src[i] - mean) * inv * gamma[i] + beta[i]; i += 1 }
        }
    }
}

/// Applies `f` to rows of `[rows, width]` floats with row stride `stride` in place, vectorised and parallel.
@inline(__always)
func mapRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int, _ f: @escaping @Sendable (Vec8) -> Vec8) {
    nonisolated(unsafe) let x = x
    let full = width / 8 * 8
    parallelChunks(rows, minChunk: 16) { range in
        for r in range {
            let p = x + r * stride
            var i = 0
            while i < full { store8(f(load8(p + i)), p + i); i += 8 }
            if i < width {
                let lanes = width - i
                storePartial(f(loadPartial(p + i, lanes)), p + i, lanes)
            }
        }
    }
}

/// Exact (erf) GELU in place on `[rows, width]` with row stride `stride` (default `width`).
public func geluRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int? = nil) {
    mapRows(x, rows: rows, width: width, stride: stride ?? width, geluv)
}

/// SiLU in place on `[rows, width]` with row stride `stride` (default `width`).
public func siluRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int? = nil) {
    mapRows(x, rows: rows, width: width, stride: stride ?? width, siluv)
}

/// ReLU in place on `count` floats.
public func reluInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count where x[i] < 0 { x[i] = 0 }
}

/// erf with absolute error ≲ 1.5e-7 (Abramowitz–Stegun 7.1.26: 1 − t·P(t)·exp(−x²), t = 1/(1 + p|x|)).
@inline(__always)
func erfv(_ x: Vec8) -> Vec8 {
    let ax = absv(x)
    let t = 1 / (1 + Vec8(repeating: 0.3275911) * ax)
    var p = Vec8(repeating: 1.061405429)
    p = p * t + Vec8(repeating: -1.453152027)
    p = p * t + Vec8(repeating: 1.421413741)
    p = p * t + Vec8(repeating: -0.284496736)
    p = p * t + Vec8(repeating: 0.254829592)
    p = p * t
    let y = 1 - p * expv(-(ax * ax))
    return y.replacing(with: -y, where: x .< Vec8(repeating: 0))
}

/// 0.5 · x · (1 + erf(x / √2)); small |x| uses the Taylor series of erf to keep relative precision.
@inline(__always)
func geluv(_ x: Vec8) -> Vec8 {
    let s = x * Vec8(repeating: 0.70710678118654752)
    let s2 = s * s
    // erf(s) ≈ 2/√π · (s − s³/3 + s⁵/10 − s⁷/42) for |s| < 0.25 (error < 1e-9 relative)
    var series = Vec8(repeating: -1.0 / 42)
    series = series * s2 + Vec8(repeating: 0.1)
    series = series * s2 + Vec8(repeating: -1.0 / 3)
    series = series * s2 + 1
    series = series * s * Vec8(repeating: 1.1283791670955126)
    let e = erfv(s).replacing(with: series, where: absv(s) .< Vec8(repeating: 0.25))
    return 0.5 * x * (1 + e)
}

/// |x| by clearing the sign bits.
@inline(__always)
func absv(_ x: Vec8) -> Vec8 {
    unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) & 0x7FFF_FFFF, to: Vec8.self)
}
