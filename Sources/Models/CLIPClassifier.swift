import Crypto
import Foundation
import Imaging

/// A CLIP model with a zero-shot head as an `ImageClassifier` (what `oodbench evaluate --model clip:…` runs).
///
/// `classify` applies the §3.1 transform to each image (Pillow-exact bicubic resize of the shorter side,
/// centre crop, OpenAI mean/std), encodes the batch with the image tower and returns the softmax over the
/// head's classes: 1000 ImageNet classes (`imagenet1000`, model-vs-human's protocol) or the 16 categories
/// (`direct16`, a different protocol). Images are converted to RGB before the resize, as model-vs-human's loader
/// does (`CLIPPreprocessing.evaluationCrop`); `oodbench embed` applies open_clip's transform to the raw file instead.
public struct CLIPClassifier: ImageClassifier {
    public let name: String
    public let model: CLIPModel
    public let head: ZeroShotHead
    public let zeroShotProtocol: ZeroShotProtocol
    public let runInfo: [String: String]

    public var labelSpace: LabelSpace { zeroShotProtocol.labelSpace }

    public var preprocessing: String {
        "convert to RGB, resize shorter side to \(model.imageSize) with Pillow BICUBIC (long side int(R*long/short)), centre crop "
            + "\(model.imageSize) at round-half-even offsets, RGB, (x/255 - mean)/std with OpenAI mean "
            + "(0.48145466, 0.4578275, 0.40821073) and std (0.26862954, 0.26130258, 0.27577711)"
    }

    public init(name: String, model: CLIPModel, head: ZeroShotHead, protocol p: ZeroShotProtocol, runInfo: [String: String]) {
        precondition(head.classCount == p.labelSpace.classCount && head.embedDim == model.embedDim)
        self.name = name; self.model = model; self.head = head; self.zeroShotProtocol = p; self.runInfo = runInfo
    }

    public func classify(_ images: [Image8]) throws -> [[Float]] {
        let r = model.imageSize, per = 3 * r * r
        var pixels = [Float]()
        pixels.reserveCapacity(images.count * per)
        for (i, image) in images.enumerated() {
            guard image.width > 0, image.height > 0, (1...4).contains(image.channels) else {
                throw ModelsError.unsupportedImage(index: i, reason: "\(image.channels) channels")
            }
            pixels += CLIPPreprocessing.normalise(CLIPPreprocessing.evaluationCrop(image, resolution: r))
        }
        let probs = head.probabilities(imageFeatures: model.encodeImages(pixels, count: images.count), count: images.count)
        let k = head.classCount
        return (0..<images.count).map { Array(probs[($0 * k)..<(($0 + 1) * k)]) }
    }

    /// Loads `spec` (`clip:SOURCE[@ARCH]`) and builds or reads its zero-shot head.
    /// - Parameters:
    ///   - classNames / templates: the protocol's data (model-vs-human's `imagenet-classnames.json` `clip_names`
    ///     or the 16 category names, and `clip-templates.json` `templates`).
    ///   - vocabulary: `bpe_simple_vocab_16e6.txt.gz` (or an HF `merges.txt`).
    ///   - cacheDirectory: where heads are cached, keyed by weights sha256, protocol and class/template hash;
    ///     nil disables the cache.
    ///   - progress: called while the head is built (prompts done, total).
    public static func make(spec: CLIPModelSpec, protocol p: ZeroShotProtocol, classNames: [String], templates: [String],
                            vocabulary: URL, cacheDirectory: URL?, name: String? = nil,
                            progress: ((Int, Int) -> Void)? = nil) throws -> CLIPClassifier {
        let (model, weightsFile, format) = try spec.load()
        let weightsHash = try weightsFile.map(sha256(of:)) ?? "seeded-\(spec.arch ?? "")"
        let tokenizer = try CLIPTokenizer(vocabulary: vocabulary, variant: format == "openai-torchscript" ? .openai : .openClip)
        var keyHasher = SHA256()
        keyHasher.update(data: Data((classNames + ["\u{1}"] + templates + [model.config.source]).joined(separator: "\n").utf8))
        let dataHash = keyHasher.finalize().map { String(format: "%02x", $0) }.joined().prefix(16)
        let cacheFile = cacheDirectory?.appendingPathComponent("clip-\(weightsHash.prefix(32))-\(p.rawValue)-\(dataHash).zsh")
        var head: ZeroShotHead?
        if let cacheFile, let data = try? Data(contentsOf: cacheFile) {
            head = ZeroShotHead(serialized: data, expectedClasses: classNames.count, embedDim: model.embedDim)
        }
        if head == nil {
            head = try ZeroShotHead.build(model: model, tokenizer: tokenizer, classNames: classNames, templates: templates,
                                          progress: progress)
            if let cacheFile {
                try? FileManager.default.createDirectory(at: cacheFile.deletingLastPathComponent(), withIntermediateDirectories: true)
                try? head!.serialized().write(to: cacheFile, options: .atomic)
            }
        }
        let stem = spec.source == "seeded" ? "seeded-\(spec.arch ?? "")"
            : URL(fileURLWithPath: spec.source).deletingPathExtension().lastPathComponent
        let defaultName = "clip_" + stem.replacingOccurrences(of: "_", with: "-") + (p == .direct16 ? "_direct16" : "")
        var info: [String: String] = [
            "architecture": model.config.source, "activation": model.config.activation.rawValue,
            "checkpoint_format": format, "zero_shot_protocol": p.rawValue,
            "zero_shot_templates": String(templates.count), "zero_shot_classes": String(classNames.count),
            "logit_scale": "100",
        ]
        if weightsFile != nil { info["weights_sha256"] = weightsHash }
        return CLIPClassifier(name: name ?? defaultName, model: model, head: head!, protocol: p, runInfo: info)
    }

    /// Hex sha256 of a file, streamed.
    public static func sha256(of url: URL) throws -> String {
        guard let h = try? FileHandle(forReadingFrom: url) else {
            throw ModelsError.weightsNotFound(model: "clip", hint: "cannot read \(url.path)")
        }
        defer { try? h.close() }
        var hasher = SHA256()
        while let chunk = try h.read(upToCount: 1 << 22), !chunk.isEmpty { hasher.update(data: chunk) }
        return hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}
