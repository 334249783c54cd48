import ArgumentParser
import Foundation
import Imaging
import Models

/// `oodbench embed`: CLIP image and text embeddings as JSON, to check a checkpoint against another framework.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Print CLIP image or text embeddings (unnormalised) as JSON on stdout.",
        discussion: """
        Model spec grammar: \(CLIPModelSpec.grammar)

        Images go through the OpenAI/open_clip evaluation transform (Pillow-exact bicubic resize of the shorter \
        side, centre crop, OpenAI mean/std; palette PNGs resized with NEAREST as Pillow does). Texts are cleaned \
        and tokenised with the CLIP BPE (77 ids, truncated as open_clip does). With --tokens the output also holds \
        each text's 77 token ids and each image's sha256 of the 8-bit RGB crop (H×W×C bytes).

        Examples:
          oodbench embed --model clip:ViT-B-32.pt --image cat.png dog.jpg
          oodbench embed --model clip:open_clip_model.safetensors@ViT-B-32-quickgelu --text "a photo of a cat." --tokens
          oodbench embed --model clip:seeded@ViT-B-32-quickgelu --text "a photo of a dog."
          oodbench embed --model mamba-clip:vmamba-s:checkpoint_best.pt --image cat.png --features
        """
    )

    @Option(help: ArgumentHelp("The CLIP model: clip:SOURCE[@ARCH] (see above).", valueName: "spec"))
    var model: String

    @Option(name: .customLong("image"), parsing: .upToNextOption, help: ArgumentHelp("Image files (PNG or JPEG).", valueName: "path"))
    var images: [String] = []

    @Option(name: .customLong("text"), parsing: .upToNextOption, help: ArgumentHelp("Texts to embed.", valueName: "string"))
    var texts: [String] = []

    @Flag(help: "Also print token ids and the sha256 of each image's 8-bit preprocessed crop.")
    var tokens = false

    @Option(help: ArgumentHelp("The BPE vocabulary (default: an HF folder's merges.txt, else the manifest-pinned file from the mirror or the cache).", valueName: "file"))
    var vocab: String?

    @Option(help: "Images per image-tower call.")
    var batch = 16

    @Flag(help: "CLIP-Mamba (mamba-clip:ARCH:PATH) only: print the image tower's output before image_projection.")
    var features = false

    func validate() throws {
        if model.hasPrefix(MambaCLIPSpec.prefix + ":") { return try validateMambaCLIP() }
        guard CLIPModelSpec(model) != nil else {
            throw ValidationError("--model must be a CLIP spec: \(CLIPModelSpec.grammar)")
        }
        guard images.isEmpty != texts.isEmpty else { throw ValidationError("Give either --image PATH… or --text STRING….") }
        guard batch >= 1 else { throw ValidationError("--batch must be at least 1.") }
    }

    static func jsonNumbers(_ v: [Float]) -> String {
        "[" + v.map { $0.isFinite ? "\($0)" : "null" }.joined(separator: ", ") + "]"
    }

    static func jsonString(_ s: String) -> String {
        let d = (try? JSONSerialization.data(withJSONObject: [s], options: [.withoutEscapingSlashes])) ?? Data("[\"\"]".utf8)
        return String(String(decoding: d, as: UTF8.self).dropFirst().dropLast())
    }

    func run() throws {
        if model.hasPrefix(MambaCLIPSpec.prefix + ":") { return try runMambaCLIP() }
        let spec = CLIPModelSpec(model)!
        let (clip, _, format) = try spec.load()
        let e = clip.embedDim
        let entries: [String]
        if !texts.isEmpty {
            let tokenizer = try CLIPTokenizer(vocabulary: try CLIPResources.vocabulary(explicit: vocab, spec: spec),
                                              variant: format == "openai-torchscript" ? .openai : .openClip)
            let rows = texts.map { text -> [Int32] in
                let (ids, truncated) = tokenizer.tokenize(text)
                if truncated { FileHandle.standardError.write(Data("note: text truncated to 77 tokens: \(text.prefix(40))…\n".utf8)) }
                return ids
            }
            entries = textEntries(rows: rows, embeddings: try clip.encodeTexts(rows), width: e)
        } else {
            let r = clip.imageSize
            entries = try imageEntries(key: "embedding", width: e) { decoded in
                let crop = CLIPPreprocessing.crop(decoded.image, resolution: r, nearest: CLIPPreprocessing.needsNearest(decoded.source))
                return (crop, CLIPPreprocessing.normalise(crop))
            } encode: { pixels, count in
                clip.encodeImages(pixels, count: count)
            }
        }
        printDocument(header: [("model", Self.jsonString(model)), ("format", Self.jsonString(format)),
                               ("architecture", Self.jsonString(clip.config.source)),
                               ("activation", Self.jsonString(clip.config.activation.rawValue)), ("embed_dim", "\(e)")],
                      entries: entries)
    }

    /// One JSON object per text: the text, its token ids with --tokens, and its row of `embeddings`.
    func textEntries(rows: [[Int32]], embeddings: [Float], width: Int) -> [String] {
        texts.enumerated().map { i, text in
            var fields = ["\"text\": \(Self.jsonString(text))"]
            if tokens { fields.append("\"tokens\": [" + rows[i].map(String.init).joined(separator: ", ") + "]") }
            fields.append("\"embedding\": " + Self.jsonNumbers(Array(embeddings[(i * width)..<((i + 1) * width)])))
            return "    {" + fields.joined(separator: ", ") + "}"
        }
    }

    /// One JSON object per image, `batch` images per `encode` call: the path, the sha256 of the 8-bit crop with
    /// --tokens, and the image's row (`width` values) of the encoder's output under `key`.
    func imageEntries(key: String, width: Int,
                      preprocess: ((image: Image8, source: ImageSourceInfo)) throws -> (crop: Image8, pixels: [Float]),
                      encode: ([Float], Int) throws -> [Float]) throws -> [String] {
        var entries: [String] = []
        var start = 0
        while start < images.count {
            let end = min(start + batch, images.count)
            var pixels: [Float] = []
            var hashes: [String] = []
            for path in images[start..<end] {
                let decoded: (image: Image8, source: ImageSourceInfo)
                do { decoded = try Image8.decode(contentsOf: URL(fileURLWithPath: path)) } catch { throw CLIError("\(error)") }
                let prepared = try preprocess(decoded)
                hashes.append(CLIPHash.sha256(Data(prepared.crop.samples)))
                pixels += prepared.pixels
            }
            let out = try encode(pixels, end - start)
            for i in 0..<(end - start) {
                var fields = ["\"image\": \(Self.jsonString(images[start + i]))"]
                if tokens { fields.append("\"pixels_sha256\": \"\(hashes[i])\"") }
                fields.append("\"\(key)\": " + Self.jsonNumbers(Array(out[(i * width)..<((i + 1) * width)])))
                entries.append("    {" + fields.joined(separator: ", ") + "}")
            }
            start = end
        }
        return entries
    }

    /// The output document: the header's key–value pairs (values already JSON), then the entries under "images" or
    /// "texts".
    func printDocument(header: [(key: String, value: String)], entries: [String]) {
        print("{")
        for (key, value) in header { print("  \"\(key)\": \(value),") }
        print("  \"\(texts.isEmpty ? "images" : "texts")\": [")
        print(entries.joined(separator: ",\n"))
        print("  ]")
        print("}")
    }
}
