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
        let w = width, d = w / heads, nHeads = heads
        run(x, rows: batch * seq, afterBlock: afterBlock) { _, qkv, att in
            nonisolated(unsafe) let qkv = qkv, att = att
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
        }
    }

    /// Causal blocks on a packed batch of text sequences without padding: sequence `s` owns the rows
    /// `starts[s] ..< starts[s] + lengths[s]` of `x` (in place), at absolute positions `p …` where `p` is the length
    /// of its prefix `prefixes[prefixIndex[s]]` (0 when `prefixes` is empty); each row attends to all of that
    /// prefix's keys and values and to its own sequence's rows up to itself, as if the prefix's rows stood before
    /// the sequence in the plain causal `forward`.
    /// `keepKV`, given a one-sequence batch without prefixes, receives the keys and values of every layer.
    /// With `outputRows` (ascending) only those rows are finished by the last block (`run`'s `keepRows`).
    func forwardPacked(_ x: UnsafeMutablePointer<Float>, starts: [Int], lengths: [Int], prefixes: [CLIPPrefixKV] = [],
                       prefixIndex: [Int] = [], outputRows: [Int]? = nil,
                       keepKV: ((Int, _ keys: [Float], _ values: [Float]) -> Void)? = nil) {
        precondition(starts.count == lengths.count && lengths.allSatisfy { $0 > 0 })
        precondition(prefixes.isEmpty || prefixIndex.count == starts.count)
        precondition(keepKV == nil || (prefixes.isEmpty && starts == [0]))
        guard let rows = zip(starts, lengths).map({ $0 + $1 }).max() else { return }
        let w = width, d = w / heads, nHeads = heads, n = starts.count
        let maxPrefix = prefixes.map(\.length).max() ?? 0, maxLength = lengths.max()!
        run(x, rows: rows, keepRows: outputRows) { layer, qkv, att in
            if let keepKV {
                var keys = [Float](repeating: 0, count: rows * w), values = keys
                for r in 0..<rows {
                    for i in 0..<w { keys[r * w + i] = qkv[r * 3 * w + w + i]; values[r * w + i] = qkv[r * 3 * w + 2 * w + i] }
                }
                keepKV(layer, keys, values)
            }
            nonisolated(unsafe) let qkv = qkv, att = att
            // one job per (sequence, head): the prefix's keys and values and its own gathered, two small sgemms
            parallelChunks(n * nHeads, minChunk: 1) { jobs in
                let keyRows = maxPrefix + maxLength
                let kBuf = UnsafeMutablePointer<Float>.allocate(capacity: keyRows * d)
                let vBuf = UnsafeMutablePointer<Float>.allocate(capacity: keyRows * d)
                let scores = UnsafeMutablePointer<Float>.allocate(capacity: maxLength * keyRows)
                defer { kBuf.deallocate(); vBuf.deallocate(); scores.deallocate() }
                for job in jobs {
                    let s = job / nHeads, head = job % nHeads
                    let r0 = starts[s], l = lengths[s]
                    var p = 0
                    if !prefixes.isEmpty, prefixes[prefixIndex[s]].length > 0 {
                        let prefix = prefixes[prefixIndex[s]]
                        p = prefix.length
                        prefix.keys[layer].withUnsafeBufferPointer { pk in prefix.values[layer].withUnsafeBufferPointer { pv in
                            for t in 0..<p {
                                (kBuf + t * d).update(from: pk.baseAddress! + t * w + head * d, count: d)
                                (vBuf + t * d).update(from: pv.baseAddress! + t * w + head * d, count: d)
                            }
                        } }
                    }
                    let own = qkv + r0 * 3 * w + head * d, keys = p + l
                    for t in 0..<l {
                        (kBuf + (p + t) * d).update(from: own + t * 3 * w + w, count: d)
                        (vBuf + (p + t) * d).update(from: own + t * 3 * w + 2 * w, count: d)
                    }
                    gemm(transB: true, m: l, n: keys, k: d, alpha: 1 / Float(d).squareRoot(), a: own, lda: 3 * w,
                         b: kBuf, ldb: d, c: scores, ldc: keys)
                    for i in 0..<l where p + i + 1 < keys {
                        let row = scores + i * keys
                        for j in (p + i + 1)..<keys { row[j] = -.infinity }
                    }
                    softmaxRows(scores, rows: l, width: keys)
                    gemm(m: l, n: d, k: keys, a: scores, lda: keys, b: vBuf, ldb: d, c: att + r0 * w + head * d, ldc: w)
                }
            }
        }
    }

    /// Runs every block on the `rows` rows of `x` in place; `attention(layer, qkv, att)` fills `att` `[rows, width]`
    /// from the packed projections `qkv` `[rows, 3 · width]` (q; k; v column blocks, heads inside each).
    /// With `keepRows` (ascending row indices) the last block finishes only those rows (the others' keys and
    /// values still feed its attention): after it only they hold the output.
    private func run(_ x: UnsafeMutablePointer<Float>, rows: Int, keepRows: [Int]? = nil,
                     afterBlock: ((Int, UnsafePointer<Float>) -> Void)? = nil,
                     attention: (Int, UnsafePointer<Float>, UnsafeMutablePointer<Float>) -> Void) {
        let w = width
        let maxMLP = blocks.map(\.mlp).max() ?? 0
        nonisolated(unsafe) let h = UnsafeMutablePointer<Float>.allocate(capacity: rows * w)
        nonisolated(unsafe) let qkv = UnsafeMutablePointer<Float>.allocate(capacity: rows * 3 * w)
        nonisolated(unsafe) let att = UnsafeMutablePointer<Float>.allocate(capacity: rows * w)
        nonisolated(unsafe) let mid = UnsafeMutablePointer<Float>.allocate(capacity: rows * max(maxMLP, 1))
        let kept = keepRows?.count ?? 0
        let keptX = UnsafeMutablePointer<Float>.allocate(capacity: kept * w)
        let keptAtt = UnsafeMutablePointer<Float>.allocate(capacity: kept * w)
        defer { h.deallocate(); qkv.deallocate(); att.deallocate(); mid.deallocate(); keptX.deallocate(); keptAtt.deallocate() }
        let activation = activation
        let rowChunk = max(1, 16_384 / max(w, 1))
        for (i, b) in blocks.enumerated() {
            b.ln1g.withUnsafeBufferPointer { g in b.ln1b.withUnsafeBufferPointer { be in
                nonisolated(unsafe) let g = g.baseAddress!, be = be.baseAddress!, x = x
                parallelChunks(rows, minChunk: rowChunk) { r in
                    layerNorm(x + r.lowerBound * w, rows: r.count, width: w, gamma: g, beta: be, out: h + r.lowerBound * w)
                }
            } }
            linear(h, rows: rows, inFeatures: w, weight: b.inW, bias: b.inB, outFeatures: 3 * w, out: qkv)
            attention(i, qkv, att)
            // the rest of the block on all rows, or in the last block on the kept rows gathered
            var n = rows
            nonisolated(unsafe) var xr = x, ar = att
            if let keepRows, i == blocks.count - 1 {
                for (j, r) in keepRows.enumerated() {
                    (keptX + j * w).update(from: x + r * w, count: w); (keptAtt + j * w).update(from: att + r * w, count: w)
                }
                n = kept; xr = keptX; ar = keptAtt
            }
            // x += att · W_oᵀ + b_o, accumulated straight into x by sgemm (beta = 1)
            b.outB.withUnsafeBufferPointer { bias in
                nonisolated(unsafe) let bias = bias.baseAddress!, x = xr
                parallelChunks(n, minChunk: rowChunk) { r in addBiasRows(x + r.lowerBound * w, rows: r.count, width: w, bias: bias) }
            }
            gemm(transB: true, m: n, n: w, k: w, a: ar, lda: w, b: b.outW, ldb: w, beta: 1, c: xr, ldc: w)
            b.ln2g.withUnsafeBufferPointer { g in b.ln2b.withUnsafeBufferPointer { be in
                nonisolated(unsafe) let g = g.baseAddress!, be = be.baseAddress!, x = xr
                parallelChunks(n, minChunk: rowChunk) { r in
                    layerNorm(x + r.lowerBound * w, rows: r.count, width: w, gamma: g, beta: be, out: h + r.lowerBound * w)
                }
            } }
            let m = b.mlp
            gemm(transB: true, m: n, n: m, k: w, a: h, lda: w, b: b.fcW, ldb: w, c: mid, ldc: m)
            b.fcB.withUnsafeBufferPointer { bias in
                nonisolated(unsafe) let bias = bias.baseAddress!
                parallelChunks(n, minChunk: max(1, rowChunk * w / max(m, 1))) { r in
                    activation.applyWithBias(mid + r.lowerBound * m, rows: r.count, width: m, bias: bias)
                }
            }
            b.prB.withUnsafeBufferPointer { bias in
                nonisolated(unsafe) let bias = bias.baseAddress!, x = xr
                parallelChunks(n, minChunk: rowChunk) { r in addBiasRows(x + r.lowerBound * w, rows: r.count, width: w, bias: bias) }
            }
            gemm(transB: true, m: n, n: w, k: m, a: mid, lda: m, b: b.prW, ldb: m, beta: 1, c: xr, ldc: w)
            if let keepRows, i == blocks.count - 1 {
                for (j, r) in keepRows.enumerated() { (x + r * w).update(from: keptX + j * w, count: w) }
            }
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
