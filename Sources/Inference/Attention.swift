/// Scaled dot-product multi-head attention for one sequence, heads read in place from packed projections.
///
/// Query rows `q[i * qStride + h * headDim + j]` for `i < queries`, keys `k[t * kvStride + …]` and values
/// `v[t * kvStride + …]` for `t < keys` (so q, k, v may be column blocks of one `[L, 3W]` qkv matrix).
/// Per head `h`: `softmax(q_h k_hᵀ / √headDim + mask) · v_h`, written to `out[i * outStride + h * headDim + j]`.
/// `causal` adds the text tower's mask (query i sees keys 0…i; needs `queries == keys`).
/// `scores` is caller-owned scratch of at least `queries * keys` floats.
public func multiHeadAttention(q: UnsafePointer<Float>, qStride: Int, k: UnsafePointer<Float>,
                               v: UnsafePointer<Float>, kvStride: Int,
                               queries: Int, keys: Int, heads: Int, headDim: Int, causal: Bool,
                               out: UnsafeMutablePointer<Float>, outStride: Int,
                               scores: UnsafeMutablePointer<Float>) {
    let scale = 1 / Float(headDim).squareRoot()
    for h in 0..<heads {
        let off = h * headDim
        gemm(transB: true, m: queries, n: keys, k: headDim, alpha: scale, a: q + off, lda: qStride,
             b: k + off, ldb: kvStride, c: scores, ldc: keys)
        if causal {
            for i in 0..<queries where i + 1 < keys {
                let row = scores + i * keys
                for j in (i + 1)..<keys { row[j] = -.infinity }
            }
        }
        softmaxRows(scores, rows: queries, width: keys)
        gemm(m: queries, n: headDim, k: keys, a: scores, lda: keys, b: v + off, ldb: kvStride,
             c: out + off, ldc: outStride)
    }
}
