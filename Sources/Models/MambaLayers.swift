import Foundation
import Inference

// Small building blocks shared by the VMamba and SiMBA towers (channel-last activations).

/// A float buffer of one forward pass, borrowed from a `MambaWorkspace` (valid until the workspace scope that
/// took it ends).
struct FloatBuffer {
    let p: UnsafeMutablePointer<Float>
    let count: Int
    var array: [Float] { Array(UnsafeBufferPointer(start: p, count: count)) }
}

/// Receives named intermediate activations of one image, in the fixtures' layouts (batch axis dropped).
typealias MambaTrace = (String, [Float]) -> Void

/// LayerNorm weights.
struct LayerNormW: Sendable {
    let gamma: [Float], beta: [Float], eps: Float
    init(_ bag: inout WeightBag, _ prefix: String, _ width: Int, eps: Float) throws {
        gamma = try bag.take(prefix + ".weight", [width])
        beta = try bag.take(prefix + ".bias", [width])
        self.eps = eps
    }
    var width: Int { gamma.count }
    /// `out = LN(x)` [· SiLU(gate)] row by row; `out` may equal `x`.
    func apply(_ x: UnsafePointer<Float>, rows: Int, out: UnsafeMutablePointer<Float>,
               gate: UnsafePointer<Float>? = nil, gateStride: Int = 0) {
        gamma.withUnsafeBufferPointer { g in beta.withUnsafeBufferPointer { b in
            layerNormRows(x, rows: rows, width: width, gamma: g.baseAddress!, beta: b.baseAddress!, eps: eps,
                          gate: gate, gateStride: gateStride, out: out)
        } }
    }
}

/// A Linear layer `[out, in]` (+ bias).
struct LinearW: Sendable {
    let weight: [Float], bias: [Float]?, inFeatures: Int, outFeatures: Int
    init(_ bag: inout WeightBag, _ prefix: String, in i: Int, out o: Int, bias hasBias: Bool) throws {
        weight = try bag.take(prefix + ".weight", [o, i])
        bias = hasBias ? try bag.take(prefix + ".bias", [o]) : nil
        inFeatures = i; outFeatures = o
    }
    init(weight: [Float], inFeatures: Int, outFeatures: Int) {
        self.weight = weight; bias = nil; self.inFeatures = inFeatures; self.outFeatures = outFeatures
    }
    func apply(_ x: UnsafePointer<Float>, rows: Int, out: UnsafeMutablePointer<Float>) {
        weight.withUnsafeBufferPointer { w in
            if let bias {
                bias.withUnsafeBufferPointer { b in
                    linear(x, rows: rows, inFeatures: inFeatures, weight: w.baseAddress!, bias: b.baseAddress!,
                           outFeatures: outFeatures, out: out)
                }
            } else {
                linear(x, rows: rows, inFeatures: inFeatures, weight: w.baseAddress!, bias: nil, outFeatures: outFeatures, out: out)
            }
        }
    }

    /// `out += x · Wᵀ + bias` (a residual branch added in place: the bias first, then one sgemm with β = 1).
    func accumulate(_ x: UnsafePointer<Float>, rows: Int, into out: UnsafeMutablePointer<Float>) {
        if let bias {
            bias.withUnsafeBufferPointer { b in
                biasActivationRows(out, rows: rows, width: outFeatures, bias: b.baseAddress!, activation: .none)
            }
        }
        weight.withUnsafeBufferPointer { w in
            gemm(transB: true, m: rows, n: outFeatures, k: inFeatures, a: x, lda: inFeatures, b: w.baseAddress!,
                 ldb: inFeatures, beta: 1, c: out, ldc: outFeatures)
        }
    }
}

/// A channel-last convolution read from PyTorch-layout weights.
func loadConv(_ bag: inout WeightBag, _ prefix: String, cin: Int, cout: Int, k: Int, stride: Int, pad: Int,
              bias: Bool) throws -> ChannelsLastConv {
    let w = try bag.take(prefix + ".weight", [cout, cin, k, k])
    let b = bias ? try bag.take(prefix + ".bias", [cout]) : nil
    return ChannelsLastConv(weight: w, bias: b, inChannels: cin, outChannels: cout, kernel: k, stride: stride, padding: pad)
}

/// `[r, c]` → `[c, r]` (weights transposed once at load time).
func transposed(_ a: [Float], rows r: Int, cols c: Int) -> [Float] {
    var out = [Float](repeating: 0, count: a.count)
    for i in 0..<r { for j in 0..<c { out[j * r + i] = a[i * c + j] } }
    return out
}

/// Channel-last `[h, w, c]` → channel-first `[c, h, w]` (for traces in the fixtures' layout).
func channelFirst(_ x: UnsafePointer<Float>, positions: Int, channels: Int, stride: Int? = nil) -> [Float] {
    let s = stride ?? channels
    var out = [Float](repeating: 0, count: positions * channels)
    for p in 0..<positions { for c in 0..<channels { out[c * positions + p] = x[p * s + c] } }
    return out
}

/// Planar `[3, h, w]` → channel-last `[h, w, 3]`.
func planarToChannelsLast(_ x: UnsafePointer<Float>, channels: Int, positions: Int, out: UnsafeMutablePointer<Float>) {
    for c in 0..<channels { for p in 0..<positions { out[p * channels + c] = x[c * positions + p] } }
}

/// Rows `[rows, width]` with row stride `stride` copied out densely.
func denseRows(_ x: UnsafePointer<Float>, rows: Int, width: Int, stride: Int) -> [Float] {
    var out = [Float](repeating: 0, count: rows * width)
    for r in 0..<rows { for i in 0..<width { out[r * width + i] = x[r * stride + i] } }
    return out
}
