import CKernels
import Foundation

/// LayerNorm over the last dimension of `rows` vectors of length `width` (PyTorch `nn.LayerNorm`):
/// `out = (x − mean) / sqrt(var + eps) · gamma + beta` with the biased variance; `out` may equal `x`.
/// Statistics are accumulated in Double, which keeps rows of width ≥ 1000 within 1 ulp of PyTorch.
/// Runs the CKernels AVX2+FMA loop where the CPU has it (`layerNormReference` is the scalar twin).
public func layerNorm(_ x: UnsafePointer<Float>, rows: Int, width: Int,
                      gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float = 1e-5,
                      out: UnsafeMutablePointer<Float>) {
    ck_tf_layer_norm_rows(x, rows, width, gamma, beta, eps, out)
}

/// The scalar Swift LayerNorm `layerNorm` replaced: the oracle in tests.
func layerNormReference(_ x: UnsafePointer<Float>, rows: Int, width: Int,
                        gamma: UnsafePointer<Float>, beta: UnsafePointer<Float>, eps: Float = 1e-5,
                        out: UnsafeMutablePointer<Float>) {
    for r in 0..<rows {
        let src = x + r * width, dst = out + r * width
        var sum = 0.0
        for i in 0..<width { sum += Double(src[i]) }
        let meanD = sum / Double(width)
        var sq = 0.0
        for i in 0..<width { let d = Double(src[i]) - meanD; sq += d * d }
        let mean = Float(meanD)
        let inv = Float(1 / (sq / Double(width) + Double(eps)).squareRoot())
        for i in 0..<width { dst[i] = (src[i] - mean) * inv * gamma[i] + beta[i] }
    }
}

/// Eval-mode BatchNorm folded to a per-channel affine map: `scale = weight / sqrt(var + eps)`,
/// `shift = bias − mean · scale`. Apply it with `affineChannels` or fold it into the preceding convolution
/// with `foldBatchNorm`.
public struct BatchNormFold: Sendable, Equatable {
    public var scale: [Float]
    public var shift: [Float]

    /// From the four BatchNorm tensors (all `[channels]`).
    public init(weight: [Float], bias: [Float], runningMean: [Float], runningVar: [Float], eps: Float = 1e-5) {
        precondition(weight.count == bias.count && bias.count == runningMean.count && runningMean.count == runningVar.count)
        scale = zip(weight, runningVar).map { $0 / ($1 + eps).squareRoot() }
        shift = (0..<weight.count).map { bias[$0] - runningMean[$0] * (weight[$0] / (runningVar[$0] + eps).squareRoot()) }
    }
}

/// Folds a BatchNorm into a convolution weight `[out, …]` and its bias: `w' = w · scale[o]`,
/// `b' = b · scale[o] + shift[o]` (`b` = 0 when the conv has no bias). Returns the new weight and bias.
public func foldBatchNorm(weight: [Float], bias: [Float]?, outChannels: Int, bn: BatchNormFold) -> (weight: [Float], bias: [Float]) {
    precondition(weight.count % outChannels == 0 && bn.scale.count == outChannels)
    let per = weight.count / outChannels
    var w = weight
    var b = [Float](repeating: 0, count: outChannels)
    for o in 0..<outChannels {
        for i in 0..<per { w[o * per + i] *= bn.scale[o] }
        b[o] = (bias?[o] ?? 0) * bn.scale[o] + bn.shift[o]
    }
    return (w, b)
}

/// Eval-mode BatchNorm on a planar map `[channels, plane]`, in place: `x = (x − mean)/sqrt(var + eps)·w + b`.
public func batchNorm(_ x: UnsafeMutablePointer<Float>, channels: Int, plane: Int, fold: BatchNormFold) {
    for c in 0..<channels {
        let s = fold.scale[c], t = fold.shift[c]
        let p = x + c * plane
        for i in 0..<plane { p[i] = p[i] * s + t }
    }
}

/// Softmax over each row of `[rows, width]`, in place (max-subtracted, PyTorch `softmax(dim=-1)`).
/// Entries equal to −∞ get probability 0. CKernels AVX2+FMA where available (`softmaxRowsReference`: scalar).
public func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    ck_tf_softmax_rows(x, rows, width)
}

/// The scalar Swift softmax `softmaxRows` replaced: the oracle in tests.
func softmaxRowsReference(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
    for r in 0..<rows {
        let p = x + r * width
        var m = -Float.infinity
        for i in 0..<width where p[i] > m { m = p[i] }
        var sum: Float = 0
        for i in 0..<width { let e = expf(p[i] - m); p[i] = e; sum += e }
        let inv = 1 / sum
        for i in 0..<width { p[i] *= inv }
    }
}

/// Which GELU a CLIP checkpoint was trained with.
public enum Activation: String, Sendable, CaseIterable, Codable {
    /// `x · sigmoid(1.702 x)` (all OpenAI-trained CLIP weights).
    case quickGELU = "quick_gelu"
    /// Exact erf GELU `0.5 x (1 + erf(x/√2))` (PyTorch `nn.GELU()`).
    case gelu

    /// Applies the activation to `count` floats in place (CKernels, AVX2+FMA where available).
    public func apply(_ x: UnsafeMutablePointer<Float>, count: Int) {
        ck_tf_bias_activation(x, 1, count, nil, code)
    }

    /// In place on `[rows, width]`: `x = act(x + bias)` per row (the Linear's bias fused with the activation).
    public func applyWithBias(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>) {
        ck_tf_bias_activation(x, rows, width, bias, code)
    }

    var code: Int32 { self == .quickGELU ? Int32(CK_ACT_QUICK_GELU) : Int32(CK_ACT_GELU) }

    /// The scalar Swift loops `apply` replaced: the oracle in tests.
    func applyReference(_ x: UnsafeMutablePointer<Float>, count: Int) {
        switch self {
        case .quickGELU:
            for i in 0..<count { let v = x[i]; x[i] = v / (1 + expf(-1.702 * v)) }
        case .gelu:
            for i in 0..<count { let v = x[i]; x[i] = 0.5 * v * (1 + erff(v * 0.70710678118654752)) }
        }
    }
}

/// In place on `[rows, width]`: `x[r, i] += bias[i]`.
public func addBiasRows(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>) {
    ck_tf_bias_activation(x, rows, width, bias, Int32(CK_ACT_NONE))
}

/// ReLU in place.
public func relu(_ x: UnsafeMutablePointer<Float>, count: Int) {
    for i in 0..<count where x[i] < 0 { x[i] = 0 }
}

/// The two CKernels paths of the transformer kernels called by name, for tests (`avx2: true` only when
/// `hasAVX2`; the public functions pick one with `ck_cpu_has_avx2_fma`).
enum TransformerKernelPaths {
    static var hasAVX2: Bool { ck_cpu_has_avx2_fma() != 0 }

    static func layerNorm(avx2: Bool, _ x: UnsafePointer<Float>, rows: Int, width: Int, gamma: UnsafePointer<Float>,
                          beta: UnsafePointer<Float>, eps: Float, out: UnsafeMutablePointer<Float>) {
        if avx2 { ck_tf_layer_norm_rows_avx2(x, rows, width, gamma, beta, eps, out) }
        else { ck_tf_layer_norm_rows_portable(x, rows, width, gamma, beta, eps, out) }
    }

    static func biasActivation(avx2: Bool, _ x: UnsafeMutablePointer<Float>, rows: Int, width: Int,
                               bias: UnsafePointer<Float>?, activation: Activation?) {
        let code = activation?.code ?? Int32(CK_ACT_NONE)
        if avx2 { ck_tf_bias_activation_avx2(x, rows, width, bias, code) }
        else { ck_tf_bias_activation_portable(x, rows, width, bias, code) }
    }

    static func softmax(avx2: Bool, _ x: UnsafeMutablePointer<Float>, rows: Int, width: Int) {
        if avx2 { ck_tf_softmax_rows_avx2(x, rows, width) } else { ck_tf_softmax_rows_portable(x, rows, width) }
    }
}
