import CKernels
import Foundation

/// Which implementation a CKernels-backed function uses: the best the CPU offers (AVX2+FMA where present, unless
/// `OODBENCH_NO_AVX2=1`) or the portable one (tests compare the two).
public enum KernelPath: Int32, Sendable { case best = 0, portable = 1 }

// Kernels on channel-last activations (`[positions, channels]`, channels fastest), the layout of the VMamba
// and SiMBA towers: convolutions as im2col + one sgemm, depthwise convolutions and the elementwise functions
// vectorised over channels, large jobs split over the cores.

/// Splits `0..<count` into contiguous chunks run on all cores (`DispatchQueue.concurrentPerform`); runs inline
/// when the work is small or inside `runSerially`. `body` receives a range and must only touch data belonging
/// to it.
public func parallelChunks(_ count: Int, minChunk: Int, _ body: @Sendable (Range<Int>) -> Void) {
    if ck_serial_active() != 0 { body(0..<count); return }
    let cores = ProcessInfo.processInfo.activeProcessorCount
    let chunks = Swift.min(cores * 2, Swift.max(1, count / Swift.max(1, minChunk)))
    if chunks <= 1 { body(0..<count); return }
    DispatchQueue.concurrentPerform(iterations: chunks) { i in
        let lo = count * i / chunks, hi = count * (i + 1) / chunks
        if lo < hi { body(lo..<hi) }
    }
}

/// Runs `body` with this thread in serial mode: `parallelChunks` and `SelectiveScan.run` called from it (at any
/// depth) do their work inline instead of forking onto the other cores. For callers that already run one job
/// per core (the CLIP-Mamba towers run one image per core).
public func runSerially<R>(_ body: () throws -> R) rethrows -> R {
    ck_serial_enter()
    defer { ck_serial_leave() }
    return try body()
}

/// Whether the current thread is inside `runSerially`.
public var isRunningSerially: Bool { ck_serial_active() != 0 }

/// Activations fused into the channel-last kernels (the codes of CKernels' `CK_MAMBA_ACT_*`).
public enum ChannelActivation: Int32, Sendable {
    case none = 0, silu = 1, gelu = 2, relu = 3
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

    /// Floats of im2col scratch `forward` needs for an `h × w` input.
    public func scratchCount(height h: Int, width w: Int) -> Int {
        let (oh, ow) = outSize(height: h, width: w)
        return oh * ow * kernel * kernel * inChannels
    }

    /// `x` `[images, h, w, cin]` → `out` `[images, oh, ow, cout]` (caller-owned): one im2col matrix for all the
    /// images and one sgemm. `scratch` (at least `images · scratchCount` floats) holds the im2col matrix; nil
    /// allocates it for the call.
    public func forward(_ x: UnsafePointer<Float>, height h: Int, width w: Int, images: Int = 1,
                        out: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>? = nil) {
        let (oh, ow) = outSize(height: h, width: w)
        let cin = inChannels, k = kernel, s = stride, p = padding
        let kdim = k * k * cin
        let col = scratch ?? UnsafeMutablePointer<Float>.allocate(capacity: images * oh * ow * kdim)
        defer { if scratch == nil { col.deallocate() } }
        nonisolated(unsafe) let colP = col, xP = x
        parallelChunks(images * oh, minChunk: 4) { rows in
            for row in rows {
                let img = row / oh, oy = row % oh
                let src = xP + img * h * w * cin
                for ox in 0..<ow {
                    var dst = colP + (row * ow + ox) * kdim
                    for ky in 0..<k {
                        let iy = oy * s - p + ky
                        for kx in 0..<k {
                            let ix = ox * s - p + kx
                            if iy < 0 || iy >= h || ix < 0 || ix >= w {
                                dst.update(repeating: 0, count: cin)
                            } else {
                                dst.update(from: src + (iy * w + ix) * cin, count: cin)
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
                    linear(col, rows: images * oh * ow, inFeatures: kdim, weight: wp.baseAddress!, bias: bp.baseAddress!,
                           outFeatures: outChannels, out: out)
                }
            } else {
                linear(col, rows: images * oh * ow, inFeatures: kdim, weight: wp.baseAddress!, bias: nil,
                       outFeatures: outChannels, out: out)
            }
        }
    }
}

/// Depthwise 3×3 convolution, stride 1, zero padding 1, on a channel-last `[h, w, c]` map whose rows are
/// `xStride` floats apart (a slice of a wider tensor) → `out` `[h, w, c]`. `weight9` is `[9, c]` (tap-major,
/// from PyTorch's `[c, 1, 3, 3]` by `depthwiseTaps`), `bias` `[c]` or nil.
/// `activation` is applied to each output in the same pass.
public func depthwiseConv3x3ChannelsLast(_ x: UnsafePointer<Float>, xStride: Int, height h: Int, width w: Int,
                                         channels c: Int, weight9: UnsafePointer<Float>, bias: UnsafePointer<Float>?,
                                         activation: ChannelActivation = .none,
                                         out: UnsafeMutablePointer<Float>, path: KernelPath = .best) {
    nonisolated(unsafe) let x = x, weight9 = weight9, bias = bias, out = out
    parallelChunks(h, minChunk: Swift.max(1, 16_384 / Swift.max(1, w * c))) { rows in
        ck_depthwise3x3_act(x, xStride, h, w, c, weight9, bias, activation.rawValue, out, rows.lowerBound,
                            rows.upperBound, path.rawValue)
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
/// `out[t, c] = act(bias[c] + Σ_k w[k, c] · x[t − taps + 1 + k, c])`. `x` rows are `xStride` apart; `weightT` is
/// `[taps, c]`; `out` is `[length, c]`.
public func causalDepthwiseConv1d(_ x: UnsafePointer<Float>, xStride: Int, length: Int, channels c: Int, taps: Int,
                                  weightT: UnsafePointer<Float>, bias: UnsafePointer<Float>,
                                  activation: ChannelActivation = .none, out: UnsafeMutablePointer<Float>,
                                  path: KernelPath = .best) {
    nonisolated(unsafe) let x = x, weightT = weightT, bias = bias, out = out
    parallelChunks(length, minChunk: Swift.max(1, 8_192 / Swift.max(1, c))) { rows in
        ck_causal_conv1d_act(x, xStride, length, c, taps, weightT, bias, activation.rawValue, out, rows.lowerBound,
                             rows.upperBound, path.rawValue)
    }
}

/// LayerNorm over the last axis of `[rows, width]` (biased variance, two passes in float with eight partial
/// sums), `out` may equal `x`; rows are split over the cores.
/// With `gate` (rows `gateStride` apart) each output is multiplied by SiLU(gate) in the same pass (VMamba v2's
/// out_norm followed by the z gate).
public func layerNormRows(_ x: UnsafePointer<Float>, rows: Int, width: Int, gamma: UnsafePointer<Float>,
                          beta: UnsafePointer<Float>, eps: Float, gate: UnsafePointer<Float>? = nil, gateStride: Int = 0,
                          out: UnsafeMutablePointer<Float>, path: KernelPath = .best) {
    nonisolated(unsafe) let x = x, gamma = gamma, beta = beta, out = out, gate = gate
    parallelChunks(rows, minChunk: Swift.max(1, 16_384 / Swift.max(1, width))) { range in
        ck_layer_norm_gate_rows(x + range.lowerBound * width, range.count, width, gamma, beta, eps,
                                gate.map { $0 + range.lowerBound * gateStride }, gateStride,
                                out + range.lowerBound * width, path.rawValue)
    }
}

/// x ← act(x + bias) on `[rows, width]` with row stride `stride` (default `width`); `bias` `[width]` or nil.
public func biasActivationRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, stride: Int? = nil,
                               bias: UnsafePointer<Float>?, activation: ChannelActivation, path: KernelPath = .best) {
    nonisolated(unsafe) let x = x, bias = bias
    let st = stride ?? width
    parallelChunks(rows, minChunk: Swift.max(1, 8_192 / Swift.max(1, width))) { r in
        ck_bias_act_rows(x + r.lowerBound * st, r.count, width, st, bias, activation.rawValue, path.rawValue)
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
    biasActivationRows(x, rows: 1, width: count, bias: nil, activation: .relu)
}
