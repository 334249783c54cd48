import Foundation
import Inference

/// Loads CLIP checkpoints in the three families of specs/clip.md §1: open_clip state dicts (safetensors,
/// `.pt`/`.bin` zip, optionally wrapped in `state_dict` and prefixed `module.`), OpenAI TorchScript `.pt`
/// archives, and Hugging Face `CLIPModel` folders (`config.json` + `model.safetensors` or `pytorch_model.bin`).
public enum CLIPLoader {
    /// What `load` returns: the model plus facts for `run.json` and `embed`.
    public struct Loaded: Sendable {
        public let model: CLIPModel
        /// "openai-torchscript", "open_clip-state-dict" or "huggingface".
        public let format: String
        /// The weights file read (for hashing).
        public let weightsFile: URL
    }

    /// Loads `url`. `arch` is an open_clip architecture name (`ViT-B-32-quickgelu`, …; the `-quickgelu` suffix
    /// decides the activation), or a config JSON file (open_clip model config or the clip-fixtures form).
    /// TorchScript archives and HF folders need no `arch` (dimensions inferred or read from `config.json`;
    /// TorchScript → QuickGELU); open_clip state dicts do, because the activation cannot be inferred.
    public static func load(_ url: URL, arch: String? = nil) throws -> Loaded {
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDir) else {
            throw ModelsError.weightsNotFound(model: "clip", hint: "no file or folder at \(url.path)")
        }
        if isDir.boolValue { return try loadHuggingFace(url, arch: arch) }
        let name = url.lastPathComponent
        var tensors: [String: Tensor]
        var torchScript = false
        do {
            if try isSafetensors(url) {
                tensors = try SafetensorsFile(url: url).floatTensors()
            } else {
                let ck = try TorchCheckpoint(url: url)
                torchScript = ck.isTorchScript
                tensors = try ck.loadStateDict()
            }
        } catch let e as InferenceError {
            throw ModelsError.invalidFile(file: name, reason: stripFile(e.description, name))
        }
        tensors = normaliseNames(tensors)
        if tensors["visual.proj"] == nil, tensors["text_model.embeddings.token_embedding.weight"] != nil {
            tensors = try hfToOpenAI(tensors, file: name)
        }
        let config: CLIPConfig
        if let arch {
            config = try resolveArch(arch)
        } else if torchScript {
            config = try inferConfig(tensors, activation: .quickGELU, file: name)
        } else {
            throw ModelsError.invalidFile(file: name, reason: "an open_clip state dict needs its architecture (e.g. clip:\(url.path)@ViT-B-32-quickgelu, or @config.json): the activation cannot be inferred from weights")
        }
        return Loaded(model: try CLIPModel(config: config, tensors: tensors, file: name),
                      format: torchScript ? "openai-torchscript" : "open_clip-state-dict", weightsFile: url)
    }

    static func stripFile(_ message: String, _ file: String) -> String {
        message.hasPrefix(file + ": ") ? String(message.dropFirst(file.count + 2)) : message
    }

    static func isSafetensors(_ url: URL) throws -> Bool {
        let h = try FileHandle(forReadingFrom: url)
        defer { try? h.close() }
        let head = try h.read(upToCount: 9) ?? Data()
        if head.starts(with: [0x50, 0x4B]) { return false }
        if url.pathExtension == "safetensors" { return true }
        return head.count == 9 && head[8] == UInt8(ascii: "{")
    }

    /// An architecture name, or a path to a config JSON.
    public static func resolveArch(_ arch: String) throws -> CLIPConfig {
        if let c = CLIPConfig.named(arch) { return c }
        if arch.hasSuffix(".json") || FileManager.default.fileExists(atPath: arch) {
            return try CLIPConfig.fromJSON(URL(fileURLWithPath: arch))
        }
        throw ModelsError.unknownModelSpec("unknown CLIP architecture '\(arch)'; known: \(CLIPConfig.knownNames.joined(separator: ", ")), or a config .json")
    }

    /// Strips `module.` prefixes and a TorchScript wrapper prefix (e.g. `m.`), and drops non-tensor extras.
    static func normaliseNames(_ t: [String: Tensor]) -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        for (k, v) in t {
            var key = k
            while key.hasPrefix("module.") { key = String(key.dropFirst(7)) }
            out[key] = v
        }
        if out.keys.contains(where: { $0.hasPrefix("visual.") || $0.hasPrefix("text_model.") }) { return out }
        // A wrapper module: find the prefix under which `visual.` lives.
        if let probe = out.keys.first(where: { $0.contains(".visual.") }), let r = probe.range(of: ".visual.") {
            let prefix = String(probe[..<r.lowerBound]) + "."
            var stripped: [String: Tensor] = [:]
            for (k, v) in out where k.hasPrefix(prefix) { stripped[String(k.dropFirst(prefix.count))] = v }
            return stripped
        }
        return out
    }

    /// OpenAI's build_model inference (§4.6), heads = width/64.
    static func inferConfig(_ t: [String: Tensor], activation: Activation, file: String) throws -> CLIPConfig {
        func shape(_ k: String) throws -> [Int] {
            guard let s = t[k]?.shape else { throw ModelsError.missingTensor(file: file, tensor: k) }
            return s
        }
        func count(_ prefix: String, _ field: Int) -> Int {
            Set(t.keys.filter { $0.hasPrefix(prefix) }.compactMap { k -> String? in
                let parts = k.split(separator: ".")
                return parts.count > field ? String(parts[field]) : nil
            }).count
        }
        let vision: CLIPConfig.Vision
        let imageSize: Int
        if t["visual.proj"] != nil {
            let conv = try shape("visual.conv1.weight")
            guard conv.count == 4 else { throw ModelsError.shapeMismatch(file: file, tensor: "visual.conv1.weight", expected: [-1, 3, -1, -1], got: conv) }
            let w = conv[0], p = conv[3]
            let layers = t.keys.filter { $0.hasPrefix("visual.") && $0.hasSuffix(".attn.in_proj_weight") }.count
            let g = Int((Double(try shape("visual.positional_embedding")[0] - 1)).squareRoot().rounded())
            vision = .vit(width: w, layers: layers, heads: w / 64, patch: p)
            imageSize = p * g
        } else if t["visual.layer1.0.conv1.weight"] != nil {
            let depths = (1...4).map { count("visual.layer\($0).", 2) }
            let w = try shape("visual.layer1.0.conv1.weight")[0]
            let g = Int((Double(try shape("visual.attnpool.positional_embedding")[0] - 1)).squareRoot().rounded())
            vision = .resnet(layers: depths, width: w, heads: w * 32 / 64)
            imageSize = 32 * g
        } else {
            throw ModelsError.invalidFile(file: file, reason: "neither a ViT (visual.proj) nor a ModifiedResNet (visual.layer1) image tower: unknown architecture")
        }
        let tp = try shape("text_projection")
        let tw = try shape("ln_final.weight")[0]
        return CLIPConfig(embedDim: tp.count == 2 ? tp[1] : 0, imageSize: imageSize, vision: vision, textWidth: tw,
                          textHeads: tw / 64, textLayers: count("transformer.resblocks.", 2),
                          contextLength: try shape("positional_embedding")[0],
                          vocabSize: try shape("token_embedding.weight")[0], activation: activation,
                          source: "inferred from weights")
    }

    /// A Hugging Face `CLIPModel` folder.
    static func loadHuggingFace(_ dir: URL, arch: String?) throws -> Loaded {
        let cfgURL = dir.appendingPathComponent("config.json")
        guard let data = try? Data(contentsOf: cfgURL),
              let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let tc = obj["text_config"] as? [String: Any], let vc = obj["vision_config"] as? [String: Any] else {
            throw ModelsError.invalidFile(file: "config.json", reason: "not a Hugging Face CLIP config (text_config, vision_config) in \(dir.path)")
        }
        func int(_ d: [String: Any], _ k: String, _ def: Int? = nil) throws -> Int {
            if let v = d[k] as? Int { return v }
            if let def { return def }
            throw ModelsError.invalidFile(file: "config.json", reason: "missing \(k)")
        }
        func act(_ d: [String: Any]) throws -> Activation {
            switch (d["hidden_act"] as? String) ?? "quick_gelu" {
            case "quick_gelu": return .quickGELU
            case "gelu": return .gelu
            case let other: throw ModelsError.invalidFile(file: "config.json", reason: "unsupported hidden_act \(other)")
            }
        }
        let ta = try act(tc), va = try act(vc)
        guard ta == va else { throw ModelsError.invalidFile(file: "config.json", reason: "text and vision towers with different activations are not supported") }
        let vw = try int(vc, "hidden_size")
        let config = CLIPConfig(
            embedDim: try int(obj, "projection_dim", 512), imageSize: try int(vc, "image_size", 224),
            vision: .vit(width: vw, layers: try int(vc, "num_hidden_layers"), heads: try int(vc, "num_attention_heads"),
                         patch: try int(vc, "patch_size")),
            textWidth: try int(tc, "hidden_size"), textHeads: try int(tc, "num_attention_heads"),
            textLayers: try int(tc, "num_hidden_layers"), contextLength: try int(tc, "max_position_embeddings", 77),
            vocabSize: try int(tc, "vocab_size", 49_408), activation: ta, source: "config.json")
        let st = dir.appendingPathComponent("model.safetensors"), bin = dir.appendingPathComponent("pytorch_model.bin")
        let weights = FileManager.default.fileExists(atPath: st.path) ? st : bin
        var tensors: [String: Tensor]
        do {
            tensors = weights == st ? try SafetensorsFile(url: st).floatTensors() : try TorchCheckpoint(url: bin).loadStateDict()
        } catch let e as InferenceError {
            throw ModelsError.invalidFile(file: weights.lastPathComponent, reason: stripFile(e.description, weights.lastPathComponent))
        }
        tensors = try hfToOpenAI(tensors, file: weights.lastPathComponent)
        return Loaded(model: try CLIPModel(config: arch.map { try resolveArch($0) } ?? config, tensors: tensors,
                                           file: weights.lastPathComponent),
                      format: "huggingface", weightsFile: weights)
    }

    /// HF CLIPModel names → OpenAI names (§4.8 table): q/k/v concatenated, projections transposed.
    static func hfToOpenAI(_ t: [String: Tensor], file: String) throws -> [String: Tensor] {
        var out: [String: Tensor] = [:]
        var qkv: [String: [String: Tensor]] = [:]   // openai block prefix → q/k/v weight/bias pieces
        func get(_ k: String) throws -> Tensor {
            guard let v = t[k] else { throw ModelsError.missingTensor(file: file, tensor: k) }
            return v
        }
        for (k, v) in t {
            var key = k
            if key.hasSuffix("position_ids") { continue }
            if key == "text_projection.weight" { out["text_projection"] = v.rank == 2 ? v.transposed2D() : v; continue }
            if key == "visual_projection.weight" { out["visual.proj"] = v.rank == 2 ? v.transposed2D() : v; continue }
            if key == "logit_scale" { out[key] = v; continue }
            let tower: String
            if key.hasPrefix("text_model.") { key.removeFirst("text_model.".count); tower = "" }
            else if key.hasPrefix("vision_model.") { key.removeFirst("vision_model.".count); tower = "visual." }
            else { throw ModelsError.unexpectedTensor(file: file, tensor: k) }
            let simple: [String: String] = [
                "embeddings.token_embedding.weight": "token_embedding.weight",
                "embeddings.position_embedding.weight": "positional_embedding",
                "final_layer_norm.weight": "ln_final.weight", "final_layer_norm.bias": "ln_final.bias",
                "embeddings.patch_embedding.weight": "conv1.weight",
                "embeddings.class_embedding": "class_embedding",
                "pre_layrnorm.weight": "ln_pre.weight", "pre_layrnorm.bias": "ln_pre.bias",
                "post_layernorm.weight": "ln_post.weight", "post_layernorm.bias": "ln_post.bias",
            ]
            if let m = simple[key] { out[tower + m] = v; continue }
            guard key.hasPrefix("encoder.layers.") else { throw ModelsError.unexpectedTensor(file: file, tensor: k) }
            let rest = key.dropFirst("encoder.layers.".count)
            guard let dot = rest.firstIndex(of: ".") else { throw ModelsError.unexpectedTensor(file: file, tensor: k) }
            let i = rest[..<dot], sub = String(rest[rest.index(after: dot)...])
            let p = tower + "transformer.resblocks.\(i)."
            let blockMap: [String: String] = [
                "layer_norm1.weight": "ln_1.weight", "layer_norm1.bias": "ln_1.bias",
                "layer_norm2.weight": "ln_2.weight", "layer_norm2.bias": "ln_2.bias",
                "self_attn.out_proj.weight": "attn.out_proj.weight", "self_attn.out_proj.bias": "attn.out_proj.bias",
                "mlp.fc1.weight": "mlp.c_fc.weight", "mlp.fc1.bias": "mlp.c_fc.bias",
                "mlp.fc2.weight": "mlp.c_proj.weight", "mlp.fc2.bias": "mlp.c_proj.bias",
            ]
            if let m = blockMap[sub] { out[p + m] = v; continue }
            if sub.hasPrefix("self_attn.") && (sub.hasSuffix("_proj.weight") || sub.hasSuffix("_proj.bias")) {
                qkv[p, default: [:]][String(sub.dropFirst("self_attn.".count))] = v
                continue
            }
            throw ModelsError.unexpectedTensor(file: file, tensor: k)
        }
        for (p, parts) in qkv {
            for kind in ["weight", "bias"] {
                var data: [Float] = []
                var shape: [Int] = []
                for n in ["q", "k", "v"] {
                    guard let piece = parts["\(n)_proj.\(kind)"] else {
                        throw ModelsError.missingTensor(file: file, tensor: "\(p)self_attn.\(n)_proj.\(kind) (HF name)")
                    }
                    guard shape.isEmpty || piece.shape == shape, !piece.shape.isEmpty else {
                        throw ModelsError.shapeMismatch(file: file, tensor: "\(p)self_attn.\(n)_proj.\(kind) (HF name)", expected: shape, got: piece.shape)
                    }
                    data += piece.data
                    shape = piece.shape
                }
                guard !shape.isEmpty else { continue }
                shape[0] *= 3
                out[p + (kind == "weight" ? "attn.in_proj_weight" : "attn.in_proj_bias")] = Tensor(shape: shape, data: data)
            }
        }
        return out
    }
}
