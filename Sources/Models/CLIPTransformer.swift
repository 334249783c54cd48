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
    func forward(_ x: UnsafeMutablePointer<Float>, batch: Int, seq: Int, causal: Bool,
                 afterBlock: ((Int, UnsafePointer<Float>) -> Void)? = nil) {
        let rows = batch * seq, w = width
        let maxMLP = blocks.map(\.mlp).max() ?? 0
        let h = UnsafeMutablePointer<Float>.allocate(capacity: rows * w)
        let qkv = UnsafeMutablePointer<Float>.allocate(capacity: rows * 3 * w)
        let att = UnsafeMutablePointer<Float>.allocate(capacity: rows * w)
        let mid = UnsafeMutablePointer<Float>.allocate(capacity: rows * max(maxMLP, 1))
        let scores = UnsafeMutablePointer<Float>.allocate(capacity: seq * seq)
        defer { h.deallocate(); qkv.deallocate(); att.deallocate(); mid.deallocate(); scores.deallocate() }
        let d = w / heads
        for (i, b) in blocks.enumerated() {
            layerNorm(x, rows: rows, width: w, gamma: b.ln1g, beta: b.ln1b, out: h)
            linear(h, rows: rows, inFeatures: w, weight: b.inW, bias: b.inB, outFeatures: 3 * w, out: qkv)
            for s in 0..<batch {
                let base = qkv + s * seq * 3 * w
                multiHeadAttention(q: base, qStride: 3 * w, k: base + w, v: base + 2 * w, kvStride: 3 * w,
                                   queries: seq, keys: seq, heads: heads, headDim: d, causal: causal,
                                   out: att + s * seq * w, outStride: w, scores: scores)
            }
            // x += att · W_oᵀ + b_o, accumulated straight into x by sgemm (beta = 1)
            addBias(x, rows: rows, width: w, bias: b.outB)
            gemm(transB: true, m: rows, n: w, k: w, a: att, lda: w, b: b.outW, ldb: w, beta: 1, c: x, ldc: w)
            layerNorm(x, rows: rows, width: w, gamma: b.ln2g, beta: b.ln2b, out: h)
            linear(h, rows: rows, inFeatures: w, weight: b.fcW, bias: b.fcB, outFeatures: b.mlp, out: mid)
            activation.apply(mid, count: rows * b.mlp)
            addBias(x, rows: rows, width: w, bias: b.prB)
            gemm(transB: true, m: rows, n: w, k: b.mlp, a: mid, lda: b.mlp, b: b.prW, ldb: b.mlp, beta: 1, c: x, ldc: w)
            afterBlock?(i, x)
        }
    }
}

func addBias(_ x: UnsafeMutablePointer<Float>, rows: Int, width: Int, bias: UnsafePointer<Float>) {
    for r in 0..<rows {
        let p = x + r * width
        for i in 0..<width { p[i] += bias[i] }
    }
}
