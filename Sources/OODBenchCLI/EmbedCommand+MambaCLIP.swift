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
        var entries: [String] = []
        var width = features ? clip.featureWidth : (clip.embedDim ?? 0)
        if !texts.isEmpty {
            let vocabURL = try vocab.map { URL(fileURLWithPath: $0) } ?? CLIPResources.pinnedVocabulary()
            let tokenizer = MambaCLIPTokenizer(base: try CLIPTokenizer(vocabulary: vocabURL, variant: .openai))
            let rows = texts.map(tokenizer.tokenize)
            let feats = try clip.encodeTexts(rows)
            width = clip.embedDim ?? 0
            for (i, text) in texts.enumerated() {
                var fields = ["\"text\": \(Self.jsonString(text))"]
                if tokens { fields.append("\"tokens\": [" + rows[i].map(String.init).joined(separator: ", ") + "]") }
                fields.append("\"embedding\": " + Self.jsonNumbers(Array(feats[(i * width)..<((i + 1) * width)])))
                entries.append("    {" + fields.joined(separator: ", ") + "}")
            }
        } else {
            if !features && clip.embedDim == nil {
                throw CLIError("\(weights.lastPathComponent): backbone-only weights have no image_projection; use --features")
            }
            var start = 0
            while start < images.count {
                let end = min(start + batch, images.count)
                var pixels: [Float] = []
                var hashes: [String] = []
                for path in images[start..<end] {
                    let image: Image8
                    do { image = try Image8.decode(contentsOf: URL(fileURLWithPath: path)).image } catch { throw CLIError("\(error)") }
                    let crop = try MambaCLIPPreprocessing.crop8(image)
                    hashes.append(CLIPHash.sha256(Data(crop.samples)))
                    pixels += try MambaCLIPPreprocessing.pixels(image)
                }
                let n = end - start, s = MambaCLIPPreprocessing.size
                let out = features ? clip.features(pixels, count: n, height: s, width: s)
                                   : try clip.encodeImages(pixels, count: n, height: s, width: s)
                for i in 0..<n {
                    var fields = ["\"image\": \(Self.jsonString(images[start + i]))"]
                    if tokens { fields.append("\"pixels_sha256\": \"\(hashes[i])\"") }
                    fields.append("\"\(features ? "features" : "embedding")\": " + Self.jsonNumbers(Array(out[(i * width)..<((i + 1) * width)])))
                    entries.append("    {" + fields.joined(separator: ", ") + "}")
                }
                start = end
            }
        }
        print("{")
        print("  \"model\": \(Self.jsonString(model)),")
        print("  \"architecture\": \(Self.jsonString(archName)),")
        print("  \"weights_half\": \"\(clip.half.rawValue)\",")
        print("  \"\(features ? "feature_width" : "embed_dim")\": \(width),")
        print("  \"\(texts.isEmpty ? "images" : "texts")\": [")
        print(entries.joined(separator: ",\n"))
        print("  ]")
        print("}")
    }
}
