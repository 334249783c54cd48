import Inference

/// The text tower (specs/clip.md §4.4): token + positional embeddings, causal blocks, ln_final, pooling at
/// the first maximum id (the end-of-text token), `text_projection` ([W_t, E], stored [in, out]).
/// Runs only the first max(EOT index)+1 positions of the batch: with the causal mask the rest cannot
/// influence the pooled token.
struct CLIPTextTransformer: Sendable {
    let width: Int, contextLength: Int, vocabSize: Int, embedDim: Int
    let tokenEmbedding: [Float]   // [V, W]
    let positional: [Float]       // [77, W]
    let lnFinalG: [Float], lnFinalB: [Float]
    let projection: [Float]       // [W, E]
    let transformer: CLIPTransformer

    init(config c: CLIPConfig, bag: inout WeightBag) throws {
        width = c.textWidth; contextLength = c.contextLength; vocabSize = c.vocabSize; embedDim = c.embedDim
        tokenEmbedding = try bag.take("token_embedding.weight", [c.vocabSize, c.textWidth])
        positional = try bag.take("positional_embedding", [c.contextLength, c.textWidth])
        lnFinalG = try bag.take("ln_final.weight", [c.textWidth]); lnFinalB = try bag.take("ln_final.bias", [c.textWidth])
        projection = try bag.take("text_projection", [c.textWidth, c.embedDim])
        transformer = try CLIPTransformer(prefix: "transformer", width: c.textWidth, heads: c.textHeads,
                                          layers: c.textLayers, activation: c.activation, bag: &bag)
    }

    /// Index of the first maximum id (the EOT position).
    static func eotIndex(_ row: [Int32]) -> Int {
        var best = 0
        for i in row.indices where row[i] > row[best] { best = i }
        return best
    }

    /// `tokens`: rows of `contextLength` ids → `out` `[n, E]`. Ids must be < vocabSize (checked by the caller).
    func forward(_ tokens: [[Int32]], out: UnsafeMutablePointer<Float>, trace: ((String, [Float]) -> Void)? = nil) {
        let n = tokens.count, w = width
        guard n > 0 else { return }
        let eots = tokens.map(Self.eotIndex)
        let seq = trace == nil ? (eots.max()! + 1) : contextLength
        let x = UnsafeMutablePointer<Float>.allocate(capacity: n * seq * w)
        defer { x.deallocate() }
        tokenEmbedding.withUnsafeBufferPointer { emb in
            positional.withUnsafeBufferPointer { pos in
                for b in 0..<n {
                    for j in 0..<seq {
                        let dst = x + (b * seq + j) * w
                        let e = emb.baseAddress! + Int(tokens[b][j]) * w, pe = pos.baseAddress! + j * w
                        for i in 0..<w { dst[i] = e[i] + pe[i] }
                    }
                }
            }
        }
        transformer.forward(x, batch: n, seq: seq, causal: true) { i, xp in
            trace?("block\(i).out", Array(UnsafeBufferPointer(start: xp, count: seq * w)))
        }
        let pooled = UnsafeMutablePointer<Float>.allocate(capacity: n * w)
        defer { pooled.deallocate() }
        for b in 0..<n {
            layerNorm(x + (b * seq + eots[b]) * w, rows: 1, width: w, gamma: lnFinalG, beta: lnFinalB, out: pooled + b * w)
        }
        gemm(m: n, n: embedDim, k: w, a: pooled, lda: w, b: projection, ldb: embedDim, c: out, ldc: embedDim)
    }
}
