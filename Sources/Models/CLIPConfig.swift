import Foundation
import Inference

/// The hyperparameters of a CLIP model (specs/clip.md §4): image tower kind and sizes, text tower sizes,
/// joint embedding width and the activation. MLP widths are read from the weights.
public struct CLIPConfig: Sendable, Equatable, Codable {
    /// The image tower.
    public enum Vision: Sendable, Equatable, Codable {
        /// ViT: width W, layers N, heads H, patch P.
        case vit(width: Int, layers: Int, heads: Int, patch: Int)
        /// ModifiedResNet: stage depths, base width w, attention-pool heads.
        case resnet(layers: [Int], width: Int, heads: Int)
    }

    public var embedDim: Int
    public var imageSize: Int
    public var vision: Vision
    public var textWidth: Int
    public var textHeads: Int
    public var textLayers: Int
    public var contextLength: Int = 77
    public var vocabSize: Int = 49_408
    public var activation: Activation
    /// Where the numbers came from (an architecture name, a JSON file, "inferred from weights", …).
    public var source: String

    public init(embedDim: Int, imageSize: Int, vision: Vision, textWidth: Int, textHeads: Int, textLayers: Int,
                contextLength: Int = 77, vocabSize: Int = 49_408, activation: Activation, source: String) {
        self.embedDim = embedDim; self.imageSize = imageSize; self.vision = vision
        self.textWidth = textWidth; self.textHeads = textHeads; self.textLayers = textLayers
        self.contextLength = contextLength; self.vocabSize = vocabSize; self.activation = activation
        self.source = source
    }

    /// open_clip's architecture names (model_configs at the commit in specs/clip.md, §4.7); a `-quickgelu`
    /// suffix selects QuickGELU, otherwise GELU.
    public static func named(_ name: String) -> CLIPConfig? {
        let quick = name.hasSuffix("-quickgelu")
        let base = quick ? String(name.dropLast("-quickgelu".count)) : name
        let act: Activation = quick ? .quickGELU : .gelu
        func vit(_ e: Int, _ r: Int, _ layers: Int, _ w: Int, _ p: Int, _ hw: Int, _ tw: Int, _ th: Int, _ tl: Int) -> CLIPConfig {
            CLIPConfig(embedDim: e, imageSize: r, vision: .vit(width: w, layers: layers, heads: w / hw, patch: p),
                       textWidth: tw, textHeads: th, textLayers: tl, activation: act, source: name)
        }
        func rn(_ e: Int, _ r: Int, _ layers: [Int], _ w: Int, _ tw: Int, _ th: Int) -> CLIPConfig {
            CLIPConfig(embedDim: e, imageSize: r, vision: .resnet(layers: layers, width: w, heads: w * 32 / 64),
                       textWidth: tw, textHeads: th, textLayers: 12, activation: act, source: name)
        }
        switch base {
        case "ViT-B-32": return vit(512, 224, 12, 768, 32, 64, 512, 8, 12)
        case "ViT-B-16": return vit(512, 224, 12, 768, 16, 64, 512, 8, 12)
        case "ViT-L-14": return vit(768, 224, 24, 1024, 14, 64, 768, 12, 12)
        case "ViT-L-14-336": return vit(768, 336, 24, 1024, 14, 64, 768, 12, 12)
        case "ViT-H-14": return vit(1024, 224, 32, 1280, 14, 80, 1024, 16, 24)
        case "ViT-g-14": return vit(1024, 224, 40, 1408, 14, 88, 1024, 16, 24)
        case "ViT-bigG-14": return vit(1280, 224, 48, 1664, 14, 104, 1280, 20, 32)
        case "RN50": return rn(1024, 224, [3, 4, 6, 3], 64, 512, 8)
        case "RN101": return rn(512, 224, [3, 4, 23, 3], 64, 512, 8)
        case "RN50x4": return rn(640, 288, [4, 6, 10, 6], 80, 640, 10)
        case "RN50x16": return rn(768, 384, [6, 8, 18, 8], 96, 768, 12)
        case "RN50x64": return rn(1024, 448, [3, 15, 36, 10], 128, 1024, 16)
        default: return nil
        }
    }

    /// The architecture names `named(_:)` knows (without and with `-quickgelu`).
    public static let knownNames: [String] = {
        let base = ["ViT-B-32", "ViT-B-16", "ViT-L-14", "ViT-L-14-336", "ViT-H-14", "ViT-g-14", "ViT-bigG-14",
                    "RN50", "RN101", "RN50x4", "RN50x16", "RN50x64"]
        return base + base.map { $0 + "-quickgelu" }
    }()

    /// Reads a config JSON: open_clip's model config (`embed_dim`, `vision_cfg`, `text_cfg`, `quick_gelu`), or the
    /// clip-fixtures form (`kind`, `vision_width`, …, `activation`).
    public static func fromJSON(_ url: URL) throws -> CLIPConfig {
        let name = url.lastPathComponent
        guard let data = try? Data(contentsOf: url),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ModelsError.invalidFile(file: name, reason: "not a JSON object")
        }
        func int(_ d: [String: Any], _ k: String, _ def: Int? = nil) throws -> Int {
            if let v = d[k] as? Int { return v }
            if let v = d[k] as? Double, v == v.rounded() { return Int(v) }
            if let def { return def }
            throw ModelsError.invalidFile(file: name, reason: "missing integer \(k)")
        }
        if let kind = obj["kind"] as? String {  // clip-fixtures form
            let act: Activation = (obj["activation"] as? String) == "gelu" ? .gelu : ((obj["quick_gelu"] as? Bool) == true || (obj["activation"] as? String) == "quick_gelu" ? .quickGELU : .gelu)
            let vision: Vision
            if kind == "vit" {
                vision = .vit(width: try int(obj, "vision_width"), layers: try int(obj, "vision_layers"),
                              heads: try int(obj, "vision_heads"), patch: try int(obj, "patch_size"))
            } else if kind == "resnet" {
                guard let layers = obj["resnet_layers"] as? [Int] else { throw ModelsError.invalidFile(file: name, reason: "missing resnet_layers") }
                vision = .resnet(layers: layers, width: try int(obj, "resnet_width"), heads: try int(obj, "vision_heads"))
            } else {
                throw ModelsError.invalidFile(file: name, reason: "unknown kind \(kind)")
            }
            return CLIPConfig(embedDim: try int(obj, "embed_dim"), imageSize: try int(obj, "image_size"), vision: vision,
                              textWidth: try int(obj, "text_width"), textHeads: try int(obj, "text_heads"),
                              textLayers: try int(obj, "text_layers"), contextLength: try int(obj, "context_length", 77),
                              vocabSize: try int(obj, "vocab_size", 49_408), activation: act, source: name)
        }
        guard let v = obj["vision_cfg"] as? [String: Any], let t = obj["text_cfg"] as? [String: Any] else {
            throw ModelsError.invalidFile(file: name, reason: "needs vision_cfg and text_cfg (open_clip model config)")
        }
        let unsupported = ["timm_model_name", "hf_model_name", "attentional_pool", "ls_init_value", "no_ln_pre",
                           "final_ln_after_pool", "proj_bias", "qk_norm", "scaled_cosine_attn", "norm_kwargs", "act_kwargs",
                           "embed_cls", "no_causal_mask"]
        for k in unsupported where (v[k] ?? t[k]) != nil && !((v[k] ?? t[k]) is NSNull) {
            if let b = (v[k] ?? t[k]) as? Bool, b == false { continue }
            throw ModelsError.invalidFile(file: name, reason: "unsupported architecture field \(k)")
        }
        let act: Activation = (obj["quick_gelu"] as? Bool) == true ? .quickGELU : .gelu
        let width = try int(v, "width")
        let vision: Vision
        if let layers = v["layers"] as? [Int] {
            vision = .resnet(layers: layers, width: width, heads: width * 32 / 64)
        } else {
            vision = .vit(width: width, layers: try int(v, "layers"), heads: width / (try int(v, "head_width", 64)),
                          patch: try int(v, "patch_size"))
        }
        let tw = try int(t, "width")
        return CLIPConfig(embedDim: try int(obj, "embed_dim"), imageSize: try int(v, "image_size"), vision: vision,
                          textWidth: tw, textHeads: try int(t, "heads", tw / 64), textLayers: try int(t, "layers"),
                          contextLength: try int(t, "context_length", 77), vocabSize: try int(t, "vocab_size", 49_408),
                          activation: act, source: name)
    }
}
