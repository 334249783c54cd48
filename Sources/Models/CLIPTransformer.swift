import Inference

/// A stack of pre-LN residual attention blocks (specs/clip.md §4.1) with packed q;k;v projections.
struct CLIPTransformer: Sendable {
    struct Block: Sendable {
        var ln1g: [Float], ln1b: [Float], inW: [Float], inB: [Float], outW: [Float], outB: [Float]
        var ln2g: [Float], ln2b: [Float], fcW: [Float], fcB: [Float], prW: [Float], prB: [Float]
        var mlp: Int
    }
    let width: Int
    let heads: Int
    let blocks: [Block]
    let activation: Activation

    init(prefix: String, width: Int, heads: Int, layers: Int, activation: Activation, bag: inout WeightBag) throws {
        guard heads > 0, width % heads == 0 else {
            throw ModelsError.invalidFile(file: bag.file, reason: "\(prefix): width \(width) is not divisible by \(heads) heads")
        }
        self.width = width; self.heads = heads; self.activation = activation
        var bs: [Block] = []
        for i in 0..<layers {
            let p = "\(prefix).resblocks.\(i)."
            let fcShape = try bag.shape(p + "mlp.c_fc.weight")
            guard fcShape.count == 2 else { throw ModelsError.shapeMismatch(file: bag.file, tensor: p + "mlp.c_fc.weight", expected: [-1, width], got: fcShape) }
            let m = fcShape[0]
            bs.append(Block(
                ln1g: try bag.take(p + "ln_1.weight", [width]), ln1b: try bag.take(p + "ln_1.bias", [width]),
                inW: try bag.take(p + "attn.in_proj_weight", [3 * width, width]), inB: try bag.take(p + "attn.in_proj_bias", [3 * width]),
                outW: try bag.take(p + "attn.out_proj.weight", [width, width]), outB: try bag.take(p + "attn.out_proj.bias", [width]),
                ln2g: try bag.take(p + "ln_2.weight", [width]), ln2b: try bag.take(p + "ln_2.bias", [width]),
                fcW: try bag.take(p + "mlp.c_fc.weight", [m, width]), fcB: try bag.take(p + "mlp.c_fc.bias", [m]),
                prW: try bag.take(p + "mlp.c_proj.weight", [width, m]), prB: try bag.take(p + "mlp.c_proj.bias", [width]),
                mlp: m))
        }
        if bag.has("\(prefix).resblocks.\(layers).ln_1.weight") {
            throw ModelsError.unexpectedTensor(file: bag.file, tensor: "\(prefix).resblocks.\(layers).ln_1.weight (more layers than the architecture says)")
        }
        blocks = bs
    }

    /// Runs every block on `x` `[batch * seq, width]` in place. `afterBlock` sees x after each block.
    ///
    /// Every Linear is one sgemm over all `batch · seq` rows (OpenBLAS spreads it over the cores); the work
    /// between the GEMMs (LayerNorm, bias + activation, the per-image per-head attention) is split over the
    /// cores with `parallelChunks` and runs the CKernels AVX2+FMA loops.
    func forward(_ x: UnsafeMutablePointer<Float>, batch: Int, seq: Int, causal: Bool,
                 afterBlock: ((Int, UnsafePointer<Float>) -> Void)? = nil) {
        let rows = batch * seq, w = width
        let maxMLP = blocks.map(\.mlp).max() ?? 0
        nonisolated(unsafe) let x = x
        nonisolated(unsafe) let h = UnsafeMutablePointer<Float>.allocate(capacity: rows * w)
        nonisolated(unsafe) let qkv = UnsafeMutablePointer<Float>.allocate(capacity: rows * 3 * w)
        nonisolated(unsafe) let att = UnsafeMutablePointer<Float>.allocate(capacity: rows * w)
        nonisolated(unsafe) let mid = UnsafeMutablePointer<Float>.allocate(capacity: rows * max(maxMLP, 1))
        defer { h.deallocate(); qkv.deallocate(); att.deallocate(); mid.deallocate() }
        let d = w / heads, nHeads = heads, activation = activation
        let rowChunk = max(1, 16_384 / max(w, 1))
        for (i, b) in blocks.enumerated() {
            b.ln1g.withUnsafeBufferPointer { g in b.ln1b.withUnsafeBufferPointer { be in
                nonisolated(unsafe) let g = g.baseAddress!, be = be.baseAddress!
                parallelChunks(rows, minChunk: rowChunk) { r in
                    layerNorm(x + r.lowerBound * w, rows: r.count, width: w, gamma: g, beta: be, out: h + r.lowerBound * w)
                }
            } }
            linear(h, rows: rows, inFeatures: w, weight: b.inW, bias: b.inB, outFeatures: 3 * w, out: qkv)
            // one job per (sequence, head): two small sgemms and a softmax on a private scores block
            parallelChunks(batch * nHeads, minChunk: 1) { jobs in
                let scores = UnsafeMutablePointer<Float>.allocate(capacity: seq * seq)
                defer { scores.deallocate() }
                for job in jobs {
                    let s = job / nHeads, head = job % nHeads
                    let base = qkv + s * seq * 3 * w + head * d
                    attentionHead(q: base, k: base + w, v: base + 2 * w, stride: 3 * w, seq: seq, headDim: d,
                                  causal: causal, out: att + s * seq * w + head * d, outStride: w, scores: scores)
                }
            }
            // x += att · W_oᵀ + b_o, accumulated straight into x by sgemm (beta = 1)
            b.outB.withUnsafeBufferPointer { bias in
                nonisolated(unsafe) let bias = bias.baseAddress!
                parallelChunks(rows, minChunk: rowChunk) { r in addBiasRows(x + r.lowerBound * w, rows: r.count, width: w, bias: bias) }
            }
            gemm(transB: true, m: rows, n: w, k: w, a: att, lda: w, b: b.outW, ldb: w, beta: 1, c: x, ldc: w)
            b.ln2g.withUnsafeBufferPointer { g in b.ln2b.withUnsafeBufferPointer { be in
                nonisolated(unsafe) let g = g.baseAddress!, be = be.baseAddress!
                parallelChunks(rows, minChunk: rowChunk) { r in
                    layerNorm(x + r.lowerBound * w, rows: r.count, width: w, gamma: g, beta: be, out: h + r.lowerBound * w)
                }
            } }
            let m = b.mlp
            gemm(transB: true, m: rows, n: m, k: w, a: h, lda: w, b: b.fcW, ldb: w, c: mid, ldc: m)
            b.fcB.withUnsafeBufferPointer { bias in
                nonisolated(unsafe) let bias = bias.baseAddress!
                parallelChunks(rows, minChunk: max(1, rowChunk * w / max(m, 1))) { r in
                    activation.applyWithBias(mid + r.lowerBound * m, rows: r.count, width: m, bias: bias)
                }
            }
            b.prB.withUnsafeBufferPointer { bias in
                nonisolated(unsafe) let bias = bias.baseAddress!
                parallelChunks(rows, minChunk: rowChunk) { r in addBiasRows(x + r.lowerBound * w, rows: r.count, width: w, bias: bias) }
            }
            gemm(transB: true, m: rows, n: w, k: m, a: mid, lda: m, b: b.prW, ldb: m, beta: 1, c: x, ldc: w)
            afterBlock?(i, x)
        }
    }
}

/// One attention head of one sequence: `out = softmax(q kᵀ / √d + mask) v`, q/k/v rows `stride` apart.
@inline(__always)
func attentionHead(q: UnsafePointer<Float>, k: UnsafePointer<Float>, v: UnsafePointer<Float>, stride: Int,
                   seq: Int, headDim d: Int, causal: Bool, out: UnsafeMutablePointer<Float>, outStride: Int,
                   scores: UnsafeMutablePointer<Float>) {
    gemm(transB: true, m: seq, n: seq, k: d, alpha: 1 / Float(d).squareRoot(), a: q, lda: stride, b: k, ldb: stride,
         c: scores, ldc: seq)
    if causal {
        for i in 0..<seq where i + 1 < seq {
            let row = scores + i * seq
            for j in (i + 1)..<seq { row[j] = -.infinity }
        }
    }
    softmaxRows(scores, rows: seq, width: seq)
    gemm(m: seq, n: d, k: seq, a: scores, lda: seq, b: v, ldb: stride, c: out, ldc: outStride)
}
