import Foundation
import Models

/// Builds `mamba-clip:ARCH:PATH[@PROTOCOL]` classifiers for `--model`: the weights (`.pt` zip checkpoint of
/// mamba-clip, or a safetensors copy; EMA half), the CLIP vocabulary, and the protocol's class names and
/// templates from the offline mirror (`imagenet1000`, the default, and `direct16`: model-vs-human's 80 templates;
/// `mamba-clip-imagenet`: the CLIP-Mamba paper's 7 templates and 1000 names).
enum MambaCLIPLoader {
    static func classifier(argument raw: String, defaultProtocol: String = "imagenet1000") throws -> MambaCLIPClassifier {
        var argument = raw
        guard var zeroShot = MambaZeroShotProtocol(rawValue: defaultProtocol) else {
            throw CLIError("--protocol \(defaultProtocol) is not a CLIP-Mamba protocol (imagenet1000, direct16, mamba-clip-imagenet)")
        }
        if let at = argument.lastIndex(of: "@"), let p = MambaZeroShotProtocol(rawValue: String(argument[argument.index(after: at)...])) {
            zeroShot = p
            argument = String(argument[..<at])
        }
        let (arch, archName, heads, weights) = try MambaCLIPSpec.parse(argument)
        guard let root = OfflineMirror.root() else {
            throw CLIError("offline mirror not found (the CLIP vocabulary and class names live there): set OODBENCH_MIRROR")
        }
        FileHandle.standardError.write(Data("loading \(weights.lastPathComponent) as \(archName) (EMA weights)\n".utf8))
        let model = try MambaCLIPModel(architecture: arch, url: weights, half: .ema, textHeads: heads)
        let tokenizer = MambaCLIPTokenizer(base: try CLIPTokenizer(
            vocabulary: CLIPResources.pinnedVocabulary(), variant: .openai))
        func json(_ path: String) throws -> [String: Any] {
            let url = root.appendingPathComponent(path)
            guard let d = try? Data(contentsOf: url), let o = try? JSONSerialization.jsonObject(with: d) as? [String: Any] else {
                throw CLIError("\(url.path): cannot read the zero-shot class names or templates")
            }
            return o
        }
        let names: [String], templates: [String]
        switch zeroShot {
        case .imagenet1000:
            names = try json("model-vs-human/imagenet-classnames.json")["clip_names"] as? [String] ?? []
            templates = try json("model-vs-human/clip-templates.json")["templates"] as? [String] ?? []
        case .direct16:
            names = (try json("model-vs-human/categories16.json")["categories"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            templates = try json("model-vs-human/clip-templates.json")["templates"] as? [String] ?? []
        case .mambaClipImagenet:
            let z = try json("clip-mamba-fixtures/ref/imagenet_zeroshot.json")
            names = z["labels"] as? [String] ?? []
            templates = z["templates"] as? [String] ?? []
        }
        return try MambaCLIPClassifier(model: model, tokenizer: tokenizer, zeroShot: zeroShot, classNames: names,
                                       templates: templates, archName: archName) { done, total in
            if done == total || done % 1024 < 128 {
                FileHandle.standardError.write(Data("zero-shot head (\(zeroShot.rawValue)): \(done)/\(total) prompts\n".utf8))
            }
        }
    }
}
