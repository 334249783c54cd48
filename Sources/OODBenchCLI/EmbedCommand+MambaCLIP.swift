import ArgumentParser
import Foundation
import Imaging
import Models

/// `oodbench embed --model mamba-clip:ARCH:PATH`: CLIP-Mamba image (and text) embeddings, or with `--features`
/// the image tower's output before `image_projection` (what a backbone-only safetensors file gives).
extension EmbedCommand {
    func validateMambaCLIP() throws {
        guard images.isEmpty != texts.isEmpty else { throw ValidationError("Give either --image PATH… or --text STRING….") }
        guard !(features && !texts.isEmpty) else { throw ValidationError("--features applies to --image only.") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1.") }
    }

    func runMambaCLIP() throws {
        let argument = String(model.dropFirst(MambaCLIPSpec.prefix.count + 1))
        let (arch, archName, heads, weights) = try MambaCLIPSpec.parse(argument)
        let clip = try MambaCLIPModel(architecture: arch, url: weights, half: .ema, textHeads: heads)
        let entries: [String]
        var width = features ? clip.featureWidth : (clip.embedDim ?? 0)
        if !texts.isEmpty {
            let vocabURL = try vocab.map { URL(fileURLWithPath: $0) } ?? CLIPResources.pinnedVocabulary()
            let tokenizer = MambaCLIPTokenizer(base: try CLIPTokenizer(vocabulary: vocabURL, variant: .openai))
            let rows = texts.map(tokenizer.tokenize)
            width = clip.embedDim ?? 0
            entries = textEntries(rows: rows, embeddings: try clip.encodeTexts(rows), width: width)
        } else {
            if !features && clip.embedDim == nil {
                throw CLIError("\(weights.lastPathComponent): backbone-only weights have no image_projection; use --features")
            }
            let s = MambaCLIPPreprocessing.size
            entries = try imageEntries(key: features ? "features" : "embedding", width: width) { decoded in
                (try MambaCLIPPreprocessing.crop8(decoded.image), try MambaCLIPPreprocessing.pixels(decoded.image))
            } encode: { pixels, count in
                features ? clip.features(pixels, count: count, height: s, width: s)
                         : try clip.encodeImages(pixels, count: count, height: s, width: s)
            }
        }
        printDocument(header: [("model", Self.jsonString(model)), ("architecture", Self.jsonString(archName)),
                               ("weights_half", Self.jsonString(clip.half.rawValue)),
                               (features ? "feature_width" : "embed_dim", "\(width)")],
                      entries: entries)
    }
}
