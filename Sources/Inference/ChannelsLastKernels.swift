import CKernels
import Foundation

/// Which implementation a CKernels-backed function uses: the best the CPU offers (AVX2+FMA where present, unless
/// `OODBENCH_NO_AVX2=1`) or the portable one (tests compare the two).
public enum KernelPath: Int32, Sendable { case best = 0, portable = 1 }

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
                                         out: UnsafeMutablePointer<Float>, path: KernelPath = .best) {
    nonisolated(unsafe) let x = x, weight9 = weight9, bias = bias, out = out
    parallelChunks(h, minChunk: Swift.max(1, 16_384 / Swift.max(1, w * c))) { rows in
        ck_depthwise3x3(x, xStride, h, w, c, weight9, bias, out, rows.lowerBound, rows.upperBound, path.rawValue)
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
                          beta: UnsafePointer<Float>, eps: Float, out: UnsafeMutablePointer<Float>,
                          path: KernelPath = .best) {
    nonisolated(unsafe) let x = x, gamma = gamma, beta = beta, out = out
    parallelChunks(rows, minChunk: Swift.max(1, 16_384 / Swift.max(1, width))) { range in
        ck_layer_norm_rows(x + range.lowerBound * width, range.count, width, gamma, beta, eps,
                           out + range.lowerBound * width, path.rawValue)
    }
}

/// Runs one of CKernels' elementwise row functions (0 SiLU, 1 GELU, 2 softplus) over rows in parallel.
private func mapRowsC(_ op: Int32, _ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int, path: KernelPath) {
    nonisolated(unsafe) let x = x
    parallelChunks(rows, minChunk: Swift.max(1, 8_192 / Swift.max(1, width))) { r in
        ck_map_rows(op, x + r.lowerBound * stride, r.count, width, stride, path.rawValue)
    }
}

/// Exact (erf) GELU in place on `[rows, width]` with row stride `stride` (default `width`).
public func geluRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int? = nil, path: KernelPath = .best) {
    mapRowsC(1, x, rows: rows, width: width, stride: stride ?? width, path: path)
}

/// softplus (ln(1 + eˣ)) in place on `[rows, width]`; for tests of the scan's Δ.
func softplusRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, path: KernelPath = .best) {
    mapRowsC(2, x, rows: rows, width: width, stride: width, path: path)
}

/// SiLU in place on `[rows, width]` with row stride `stride` (default `width`).
public func siluRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int? = nil, path: KernelPath = .best) {
    mapRowsC(0, x, rows: rows, width: width, stride: stride ?? width, path: path)
}

/// y ← y · SiLU(z) on `[rows, width]` (VMamba v2's gate), rows split over the cores.
public func gateRows(_ y: UnsafeMutablePointer<Float>, yStride: Int, z: UnsafePointer<Float>, zStride: Int, rows: Int,
                     width: Int, path: KernelPath = .best) {
    nonisolated(unsafe) let y = y, z = z
    parallelChunks(rows, minChunk: Swift.max(1, 8_192 / Swift.max(1, width))) { r in
        ck_gate_rows(y + r.lowerBound * yStride, yStride, z + r.lowerBound * zStride, zStride, r.count, width, path.rawValue)
    }
}

/// ReLU in place on `count` floats.
public func reluInPlace(_ x: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count where x[i] < 0 { x[i] = 0 }
}
