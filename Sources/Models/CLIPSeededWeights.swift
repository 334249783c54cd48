import Foundation
import Inference

/// Deterministic "seeded" CLIP weights from a counter-based formula, for benchmarks and the full-size
/// ViT-B/32 parity fixture (Tests/Fixtures/clip-vitb32/, whose Python generator computes the same values).
///
/// For a tensor named `n` with shape `s`, element `i` (flat row-major index) is `a · (2u − 1) + c` with the Weyl
/// sequence u = (0.6180339887498949 · i + h) mod 1, h = FNV-1a-32(UTF-8 bytes of n) / 2³², computed in Double
/// and rounded to Float once (a sine of the index would make every weight matrix rank 2); `a` and `c`:
/// LayerNorm weights (`ln_*.weight`, `ln_pre/ln_post/ln_final.weight`) a = 0.1, c = 1; every other `.bias`
/// a = 0.02; `token_embedding.weight` a = 0.02; `positional_embedding` (both towers) a = 0.01;
/// `visual.class_embedding` a = 0.05; `logit_scale` is ln 100; every other tensor is a weight matrix with
/// a = √(6/fan_in) (variance 2/fan_in), fan_in = s[0] for `visual.proj` and `text_projection` (stored [in, out]) and the product of
/// s[1…] otherwise.
public enum CLIPSeededWeights {
    static func fnv1a(_ s: String) -> UInt32 {
        var h: UInt32 = 2_166_136_261
        for b in s.utf8 { h = (h ^ UInt32(b)) &* 16_777_619 }
        return h
    }

    /// The value formula for one tensor.
    public static func tensor(_ name: String, shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        if name == "logit_scale" { return Tensor(shape: shape, data: [Float](repeating: Float(log(100.0)), count: count)) }
        let h = Double(fnv1a(name)) / 4_294_967_296.0
        let last = name.split(separator: ".").last.map(String.init) ?? name
        let isLNWeight = name.hasSuffix(".weight") && (name.contains(".ln_") || name.hasPrefix("ln_"))
        var a: Double, c = 0.0
        if isLNWeight { a = 0.1; c = 1 }
        else if last == "bias" || name.hasSuffix("_bias") { a = 0.02 }
        else if name == "token_embedding.weight" { a = 0.02 }
        else if name.hasSuffix("positional_embedding") { a = 0.01 }
        else if name == "visual.class_embedding" { a = 0.05 }
        else {
            let fanIn = (name == "visual.proj" || name == "text_projection") ? shape[0] : shape.dropFirst().reduce(1, *)
            a = (6.0 / Double(max(fanIn, 1))).squareRoot()
        }
        var data = [Float](repeating: 0, count: count)
        data.withUnsafeMutableBufferPointer { p in
            for i in 0..<count {
                let u = (0.6180339887498949 * Double(i) + h).truncatingRemainder(dividingBy: 1)
                p[i] = Float(a * (2 * u - 1) + c)
            }
        }
        return Tensor(shape: shape, data: data)
    }

    /// Names and shapes of every tensor a ViT CLIP of `config` has (OpenAI naming), MLP width 4W.
    public static func shapes(for config: CLIPConfig) -> [(String, [Int])] {
        var out: [(String, [Int])] = []
        func blocks(_ prefix: String, _ w: Int, _ layers: Int) {
            for i in 0..<layers {
                let p = "\(prefix).resblocks.\(i)."
                out += [(p + "ln_1.weight", [w]), (p + "ln_1.bias", [w]),
                        (p + "attn.in_proj_weight", [3 * w, w]), (p + "attn.in_proj_bias", [3 * w]),
                        (p + "attn.out_proj.weight", [w, w]), (p + "attn.out_proj.bias", [w]),
                        (p + "ln_2.weight", [w]), (p + "ln_2.bias", [w]),
                        (p + "mlp.c_fc.weight", [4 * w, w]), (p + "mlp.c_fc.bias", [4 * w]),
                        (p + "mlp.c_proj.weight", [w, 4 * w]), (p + "mlp.c_proj.bias", [w])]
            }
        }
        if case let .vit(w, layers, _, p) = config.vision {
            let g = config.imageSize / p
            out += [("visual.class_embedding", [w]), ("visual.positional_embedding", [g * g + 1, w]),
                    ("visual.conv1.weight", [w, 3, p, p]), ("visual.ln_pre.weight", [w]), ("visual.ln_pre.bias", [w])]
            blocks("visual.transformer", w, layers)
            out += [("visual.ln_post.weight", [w]), ("visual.ln_post.bias", [w]), ("visual.proj", [w, config.embedDim])]
        }
        let t = config.textWidth
        out += [("token_embedding.weight", [config.vocabSize, t]), ("positional_embedding", [config.contextLength, t])]
        blocks("transformer", t, config.textLayers)
        out += [("ln_final.weight", [t]), ("ln_final.bias", [t]), ("text_projection", [t, config.embedDim]),
                ("logit_scale", [])]
        return out
    }

    /// A ViT CLIP model with seeded weights (ResNet towers are not generated).
    public static func model(config: CLIPConfig) throws -> CLIPModel {
        guard case .vit = config.vision else {
            throw ModelsError.unknownModelSpec("seeded weights exist for ViT architectures only, not \(config.source)")
        }
        var t: [String: Tensor] = [:]
        for (name, shape) in shapes(for: config) { t[name] = tensor(name, shape: shape) }
        return try CLIPModel(config: config, tensors: t, file: "seeded:\(config.source)")
    }
}
