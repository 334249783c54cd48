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
    /// The longest run of ids every row starts with, capped at the earliest EOT index (so that every row keeps at
    /// least its EOT token to run): the prefix `forwardSharingPrefix` computes once. 0 for no rows.
    static func sharedPrefixLength(_ tokens: [[Int32]]) -> Int {
        guard let first = tokens.first else { return 0 }
        let cap = tokens.map(eotIndex).min()!
        var p = 0
        while p < cap, tokens.allSatisfy({ $0[p] == first[p] }) { p += 1 }
        return p
    }

    /// Runs the causal blocks on `ids` (positions `0 ..< ids.count`) once and keeps every layer's keys and values
    /// (the last block stops after its attention: no row's output is needed).
    func prefixKV(_ ids: [Int32]) -> CLIPPrefixKV {
        let p = ids.count, w = width
        var keys: [[Float]] = [], values: [[Float]] = []
        guard p > 0 else { return CLIPPrefixKV(ids: ids, keys: keys, values: values) }
        let x = UnsafeMutablePointer<Float>.allocate(capacity: p * w)
        defer { x.deallocate() }
        embed(ids[...], firstPosition: 0, into: x)
        transformer.forwardPacked(x, starts: [0], lengths: [p], outputRows: []) { _, k, v in keys.append(k); values.append(v) }
        return CLIPPrefixKV(ids: ids, keys: keys, values: values)
    }

    /// `tokens` rows, row `b` starting with `prefixes[prefixIndex[b]].ids` (contextLength ids each, its EOT after
    /// the prefix) → `out` `[n, E]`, the same embeddings as `forward` up to float rounding. Only each row's tokens
    /// from its prefix's end to its EOT run, packed without padding into one batch (one sgemm per Linear over all
    /// of them); their attention sees the cached prefix keys and values and their own earlier tokens. Positional
    /// embeddings index by absolute position; the last block's MLP, ln_final and the projection apply at the EOT
    /// rows only.
    func forwardSharingPrefix(_ tokens: [[Int32]], prefixes: [CLIPPrefixKV], prefixIndex: [Int], out: UnsafeMutablePointer<Float>) {
        let n = tokens.count, w = width
        precondition(prefixIndex.count == n)
        guard n > 0 else { return }
        var starts: [Int] = [], lengths: [Int] = [], firsts: [Int] = []
        var rows = 0
        for (row, i) in zip(tokens, prefixIndex) {
            let eot = Self.eotIndex(row), p = prefixes[i].length
            precondition(eot >= p && row[0..<p].elementsEqual(prefixes[i].ids), "row does not start with its prefix")
            starts.append(rows); lengths.append(eot + 1 - p); firsts.append(p); rows += eot + 1 - p
        }
        let x = UnsafeMutablePointer<Float>.allocate(capacity: rows * w)
        defer { x.deallocate() }
        for b in 0..<n { embed(tokens[b][firsts[b]..<(firsts[b] + lengths[b])], firstPosition: firsts[b], into: x + starts[b] * w) }
        let eotRows = (0..<n).map { starts[$0] + lengths[$0] - 1 }
        transformer.forwardPacked(x, starts: starts, lengths: lengths, prefixes: prefixes, prefixIndex: prefixIndex,
                                  outputRows: eotRows)
        let pooled = UnsafeMutablePointer<Float>.allocate(capacity: n * w)
        defer { pooled.deallocate() }
        for b in 0..<n {
            layerNorm(x + (starts[b] + lengths[b] - 1) * w, rows: 1, width: w, gamma: lnFinalG, beta: lnFinalB, out: pooled + b * w)
        }
        gemm(m: n, n: embedDim, k: w, a: pooled, lda: w, b: projection, ldb: embedDim, c: out, ldc: embedDim)
    }

    /// Token plus positional embeddings of `ids` at positions `firstPosition …` into consecutive rows of `x`.
    private func embed(_ ids: ArraySlice<Int32>, firstPosition: Int, into x: UnsafeMutablePointer<Float>) {
        let w = width
        tokenEmbedding.withUnsafeBufferPointer { emb in
            positional.withUnsafeBufferPointer { pos in
                for (j, id) in ids.enumerated() {
                    let dst = x + j * w
                    let e = emb.baseAddress! + Int(id) * w, pe = pos.baseAddress! + (firstPosition + j) * w
                    for i in 0..<w { dst[i] = e[i] + pe[i] }
                }
            }
        }
    }
}
