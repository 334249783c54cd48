import Foundation
import Imaging
import Inference

/// The zero-shot protocols a CLIP-Mamba model can be evaluated with.
public enum MambaZeroShotProtocol: String, Sendable, CaseIterable, Codable {
    /// model-vs-human's protocol, as for the other CLIP models (the default): 80 templates × 1000 ImageNet names.
    case imagenet1000
    /// 80 templates × the 16 category names, softmax over 16 (labelled as a different protocol).
    case direct16
    /// The CLIP-Mamba paper's own ImageNet protocol (mamba-clip `eval_zeroshot.py`): its 7 templates × its 1000
    /// `labels.json` names (duplicates kept), over the 1000 ImageNet classes.
    case mambaClipImagenet = "mamba-clip-imagenet"

    public var labelSpace: LabelSpace { self == .direct16 ? .categories16 : .imagenet1000 }
}

/// A CLIP-Mamba model as an `ImageClassifier`: mamba-clip preprocessing, the EMA image path, a zero-shot head
/// built with the EMA text path (normalise each prompt, mean over templates, normalise), softmax of 100 × cosine.
public struct MambaCLIPClassifier: ImageClassifier {
    public let model: MambaCLIPModel
    public let head: ZeroShotHead
    public let zeroShot: MambaZeroShotProtocol
    public let name: String
    public var labelSpace: LabelSpace { zeroShot.labelSpace }
    public var preprocessing: String { MambaCLIPPreprocessing.description }
    public var runInfo: [String: String] {
        ["architecture": archName, "weights": model.file, "weights_half": model.half.rawValue,
         "zero_shot_protocol": zeroShot.rawValue, "tokenizer": "openai simple tokenizer, truncation without EOT"]
    }
    let archName: String

    /// - Parameters:
    ///   - classNames/templates: the protocol's class names (1000 or 16) and templates (`{}` = the name).
    public init(model: MambaCLIPModel, tokenizer: MambaCLIPTokenizer, zeroShot: MambaZeroShotProtocol,
                classNames: [String], templates: [String], name: String = "mamba_clip", archName: String,
                progress: ((Int, Int) -> Void)? = nil) throws {
        guard classNames.count == zeroShot.labelSpace.classCount else {
            throw ModelsError.invalidFile(file: "class names", reason: "\(classNames.count) names for \(zeroShot.rawValue), expected \(zeroShot.labelSpace.classCount)")
        }
        guard !templates.isEmpty else { throw ModelsError.invalidFile(file: "templates", reason: "no templates") }
        self.model = model
        self.zeroShot = zeroShot
        self.name = name
        self.archName = archName
        head = try Self.buildHead(model: model, tokenizer: tokenizer, classNames: classNames, templates: templates,
                                  progress: progress)
    }

    /// The zero-shot classifier matrix from the EMA (or chosen) text path.
    public static func buildHead(model: MambaCLIPModel, tokenizer: MambaCLIPTokenizer, classNames: [String],
                                 templates: [String], batch: Int = 128,
                                 progress: ((Int, Int) -> Void)? = nil) throws -> ZeroShotHead {
        guard let e = model.embedDim, model.hasTextTower else {
            throw ModelsError.invalidFile(file: model.file, reason: "zero-shot needs the text tower and image_projection")
        }
        let k = classNames.count, t = templates.count
        var prompts: [[Int32]] = []
        for n in classNames { for tpl in templates { prompts.append(tokenizer.tokenize(tpl.replacingOccurrences(of: "{}", with: n))) } }
        var cls = [Float](repeating: 0, count: k * e)
        var start = 0
        while start < prompts.count {
            let end = min(start + batch, prompts.count)
            let f = try model.encodeTexts(Array(prompts[start..<end]))
            for p in start..<end {
                let row = (p - start) * e
                var s: Float = 0
                for j in 0..<e { s += f[row + j] * f[row + j] }
                let inv = 1 / s.squareRoot()
                for j in 0..<e { cls[(p / t) * e + j] += f[row + j] * inv / Float(t) }
            }
            start = end
            progress?(end, prompts.count)
        }
        for c in 0..<k {
            var s: Float = 0
            for j in 0..<e { s += cls[c * e + j] * cls[c * e + j] }
            let inv = 1 / s.squareRoot()
            for j in 0..<e { cls[c * e + j] *= inv }
        }
        return ZeroShotHead(classifier: cls, classCount: k, embedDim: e)
    }

    public func classify(_ images: [Image8]) throws -> [[Float]] {
        var pixels: [Float] = []
        pixels.reserveCapacity(images.count * 3 * 224 * 224)
        for (i, img) in images.enumerated() { pixels += try MambaCLIPPreprocessing.pixels(img, index: i) }
        let emb = try model.encodeImages(pixels, count: images.count, height: 224, width: 224)
        let p = head.probabilities(imageFeatures: emb, count: images.count)
        let k = head.classCount
        return (0..<images.count).map { Array(p[($0 * k)..<(($0 + 1) * k)]) }
    }
}

/// `mamba-clip:ARCH:PATH` model specs.
public enum MambaCLIPSpec {
    public static let prefix = "mamba-clip"

    /// Splits `ARCH:PATH` (the part after `mamba-clip:`) and resolves ARCH: a named tower (`vmamba-t220`,
    /// `vmamba-s`, `vmamba-b`, `simba-l`) or a JSON file in the fixtures' ARCH form.
    public static func parse(_ argument: String) throws -> (arch: MambaCLIPModel.Architecture, archName: String,
                                                            textHeads: Int?, weights: URL) {
        guard let colon = argument.firstIndex(of: ":") else {
            throw ModelsError.unknownModelSpec("\(prefix):\(argument) (expected mamba-clip:ARCH:PATH)")
        }
        let archText = String(argument[..<colon]), path = String(argument[argument.index(after: colon)...])
        guard !path.isEmpty else { throw ModelsError.unknownModelSpec("\(prefix):\(argument) (no weights PATH)") }
        if let a = MambaCLIPModel.Architecture.named(archText) { return (a, archText.lowercased(), nil, URL(fileURLWithPath: path)) }
        guard archText.hasSuffix(".json") else {
            throw ModelsError.unknownModelSpec("\(prefix):\(argument) (ARCH is vmamba-t220, vmamba-s, vmamba-b, simba-l or a .json file)")
        }
        let url = URL(fileURLWithPath: archText)
        guard let data = try? Data(contentsOf: url) else {
            throw ModelsError.invalidFile(file: url.lastPathComponent, reason: "cannot read the ARCH file")
        }
        let (a, heads) = try MambaCLIPModel.Architecture.fromJSON(data, file: url.lastPathComponent)
        return (a, url.lastPathComponent, heads, URL(fileURLWithPath: path))
    }
}
