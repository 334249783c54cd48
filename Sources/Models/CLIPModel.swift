import Foundation
import Inference

/// A CLIP dual encoder running on the `Inference` kernels: image tower (ViT or ModifiedResNet) and text tower,
/// float32, weights in OpenAI/open_clip naming (specs/clip.md §4). Immutable after loading; the encode methods
/// may be called from several tasks at once (each call allocates its own activations).
public final class CLIPModel: Sendable {
    enum Visual: Sendable {
        case vit(CLIPVisionTransformer)
        case resnet(CLIPModifiedResNet)
    }

    public let config: CLIPConfig
    /// The checkpoint's `logit_scale` (log temperature); zero-shot heads use the constant 100 instead (§5).
    public let logitScale: Float
    let visual: Visual
    let text: CLIPTextTransformer

    /// Builds the model from float tensors with OpenAI/open_clip names. Every tensor the architecture needs
    /// must be present with its exact shape, and every tensor present must be used (apart from
    /// `num_batches_tracked`, OpenAI's integer scalars, the causal `attn_mask` buffer and HF `position_ids`).
    public init(config: CLIPConfig, tensors: [String: Tensor], file: String) throws {
        var bag = WeightBag(file: file, tensors: tensors)
        self.config = config
        switch config.vision {
        case let .vit(width, layers, heads, patch):
            visual = .vit(try CLIPVisionTransformer(width: width, layers: layers, heads: heads, patch: patch,
                                                    imageSize: config.imageSize, embedDim: config.embedDim,
                                                    activation: config.activation, bag: &bag))
        case let .resnet(layers, width, heads):
            visual = .resnet(try CLIPModifiedResNet(layers: layers, width: width, heads: heads, imageSize: config.imageSize,
                                                    embedDim: config.embedDim, bag: &bag))
        }
        text = try CLIPTextTransformer(config: config, bag: &bag)
        logitScale = bag.has("logit_scale") ? (try bag.take("logit_scale", []))[0] : Float(log(100.0))
        try bag.finish { name in
            name.hasSuffix("num_batches_tracked") || name.hasSuffix("position_ids") || name == "attn_mask"
                || ["input_resolution", "context_length", "vocab_size"].contains(name)
        }
    }

    /// Model input side R in pixels.
    public var imageSize: Int { config.imageSize }
    /// Joint embedding width E.
    public var embedDim: Int { config.embedDim }

    /// Image embeddings (not normalised): `pixels` holds `count` normalised images `[3, R, R]` back to back
    /// (§3.1 output); returns `[count, E]` row-major.
    public func encodeImages(_ pixels: [Float], count: Int) -> [Float] {
        precondition(pixels.count == count * 3 * imageSize * imageSize, "pixel count does not match \(count) images of \(imageSize)²")
        var out = [Float](repeating: 0, count: count * embedDim)
        guard count > 0 else { return out }
        switch visual {
        case .vit(let v):
            pixels.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { v.forward(p.baseAddress!, count: count, out: $0.baseAddress!) } }
        case .resnet(let r):
            let per = 3 * imageSize * imageSize
            out.withUnsafeMutableBufferPointer { o in
                for i in 0..<count { r.forward(Array(pixels[(i * per)..<((i + 1) * per)]), out: o.baseAddress! + i * embedDim) }
            }
        }
        return out
    }

    /// Text embeddings (not normalised) of rows of `contextLength` token ids; returns `[rows, E]`.
    /// Throws for a row of the wrong length or an id outside the vocabulary.
    public func encodeTexts(_ tokens: [[Int32]]) throws -> [Float] {
        try validate(tokens)
        var out = [Float](repeating: 0, count: tokens.count * embedDim)
        out.withUnsafeMutableBufferPointer { text.forward(tokens, out: $0.baseAddress!) }
        return out
    }

    /// The same embeddings as `encodeTexts` (up to float rounding: ≤ 1e-5 relative), faster for rows that start
    /// alike, such as one template filled with many class names: the longest common prefix (up to the first
    /// EOT) of the rows of each group (rows with equal `groups` numbers; nil: one group) runs once and its
    /// per-layer keys and values are cached; then only each row's remaining tokens up to its EOT run, packed
    /// without padding into batches of about `batchTokens` tokens (whole rows, groups mixed; one sgemm per Linear
    /// each), attending to their group's cached prefix under the causal mask. Throws as `encodeTexts`.
    public func encodeTextsSharingPrefix(_ tokens: [[Int32]], groups: [Int]? = nil, batchTokens: Int = 2048) throws -> [Float] {
        precondition(batchTokens > 0 && (groups == nil || groups!.count == tokens.count))
        try validate(tokens)
        var out = [Float](repeating: 0, count: tokens.count * embedDim)
        guard !tokens.isEmpty else { return out }
        var rowsOf: [Int: [Int]] = [:], order: [Int] = []
        for (i, g) in (groups ?? [Int](repeating: 0, count: tokens.count)).enumerated() {
            if rowsOf[g] == nil { order.append(g) }
            rowsOf[g, default: []].append(i)
        }
        var prefixes: [CLIPPrefixKV] = [], prefixIndex = [Int](repeating: 0, count: tokens.count)
        func suffixLength(_ i: Int) -> Int { CLIPTextTransformer.eotIndex(tokens[i]) + 1 - prefixes[prefixIndex[i]].length }
        for g in order {
            let rows = rowsOf[g]!.map { tokens[$0] }
            for i in rowsOf[g]! { prefixIndex[i] = prefixes.count }
            prefixes.append(text.prefixKV(Array(rows[0].prefix(CLIPTextTransformer.sharedPrefixLength(rows)))))
        }
        out.withUnsafeMutableBufferPointer { o in
            var start = 0
            while start < tokens.count {
                var end = start, rowsInBatch = 0
                while end < tokens.count, end == start || rowsInBatch + suffixLength(end) <= batchTokens {
                    rowsInBatch += suffixLength(end); end += 1
                }
                text.forwardSharingPrefix(Array(tokens[start..<end]), prefixes: prefixes, prefixIndex: Array(prefixIndex[start..<end]),
                                          out: o.baseAddress! + start * embedDim)
                start = end
            }
        }
        return out
    }

    /// Each row holds `contextLength` ids inside the vocabulary.
    private func validate(_ tokens: [[Int32]]) throws {
        for (i, row) in tokens.enumerated() {
            guard row.count == config.contextLength else {
                throw ModelsError.invalidFile(file: "tokens", reason: "row \(i) has \(row.count) ids, expected \(config.contextLength)")
            }
            if let bad = row.first(where: { $0 < 0 || Int($0) >= config.vocabSize }) {
                throw ModelsError.invalidFile(file: "tokens", reason: "row \(i) holds id \(bad) outside the vocabulary of \(config.vocabSize)")
            }
        }
    }

    /// Per-layer activations for one image (tests compare them with the fixtures' intermediates).
    func traceImage(_ pixels: [Float]) -> [String: [Float]] {
        var t: [String: [Float]] = [:]
        var out = [Float](repeating: 0, count: embedDim)
        switch visual {
        case .vit(let v):
            pixels.withUnsafeBufferPointer { p in out.withUnsafeMutableBufferPointer { v.forward(p.baseAddress!, count: 1, out: $0.baseAddress!) { t[$0] = $1 } } }
        case .resnet(let r):
            out.withUnsafeMutableBufferPointer { r.forward(pixels, out: $0.baseAddress!) { t[$0] = $1 } }
        }
        return t
    }

    func traceText(_ row: [Int32]) -> [String: [Float]] {
        var t: [String: [Float]] = [:]
        var out = [Float](repeating: 0, count: embedDim)
        out.withUnsafeMutableBufferPointer { text.forward([row], out: $0.baseAddress!) { t[$0] = $1 } }
        return t
    }
}
