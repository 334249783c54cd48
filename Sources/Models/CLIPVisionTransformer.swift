import Inference

/// The ViT image tower (specs/clip.md §4.2): patch embedding as one GEMM, class token, positional embedding,
/// ln_pre, blocks without mask, ln_post on the class token, `proj` ([W, E], stored [in, out]).
struct CLIPVisionTransformer: Sendable {
    let width: Int, patch: Int, grid: Int, imageSize: Int, embedDim: Int
    let conv1: [Float]          // [W, 3·P·P]
    let classEmbedding: [Float] // [W]
    let positional: [Float]     // [g²+1, W]
    let lnPreG: [Float], lnPreB: [Float], lnPostG: [Float], lnPostB: [Float]
    let proj: [Float]           // [W, E]
    let transformer: CLIPTransformer

    init(width: Int, layers: Int, heads: Int, patch: Int, imageSize: Int, embedDim: Int, activation: Activation,
         bag: inout WeightBag) throws {
        guard patch > 0, imageSize % patch == 0 else {
            throw ModelsError.invalidFile(file: bag.file, reason: "image size \(imageSize) is not a multiple of patch \(patch)")
        }
        self.width = width; self.patch = patch; self.imageSize = imageSize; self.embedDim = embedDim
        grid = imageSize / patch
        conv1 = try bag.take("visual.conv1.weight", [width, 3, patch, patch])
        classEmbedding = try bag.take("visual.class_embedding", [width])
        positional = try bag.take("visual.positional_embedding", [grid * grid + 1, width])
        lnPreG = try bag.take("visual.ln_pre.weight", [width]); lnPreB = try bag.take("visual.ln_pre.bias", [width])
        lnPostG = try bag.take("visual.ln_post.weight", [width]); lnPostB = try bag.take("visual.ln_post.bias", [width])
        proj = try bag.take("visual.proj", [width, embedDim])
        transformer = try CLIPTransformer(prefix: "visual.transformer", width: width, heads: heads, layers: layers,
                                          activation: activation, bag: &bag)
    }

    /// `pixels` `[n, 3, R, R]` normalised → `out` `[n, E]`.
    func forward(_ pixels: UnsafePointer<Float>, count n: Int, out: UnsafeMutablePointer<Float>,
                 trace: ((String, [Float]) -> Void)? = nil) {
        let r = imageSize, p = patch, g = grid, t = g * g, seq = t + 1, w = width, k = 3 * p * p
        let patches = UnsafeMutablePointer<Float>.allocate(capacity: n * t * k)
        let tokens = UnsafeMutablePointer<Float>.allocate(capacity: n * t * w)
        let x = UnsafeMutablePointer<Float>.allocate(capacity: n * seq * w)
        defer { patches.deallocate(); tokens.deallocate(); x.deallocate() }
        // patches[(b·T + gy·g + gx), (c·P + py)·P + px]
        for b in 0..<n {
            for gy in 0..<g {
                for gx in 0..<g {
                    let row = patches + ((b * t) + gy * g + gx) * k
                    for c in 0..<3 {
                        for py in 0..<p {
                            let src = pixels + ((b * 3 + c) * r + gy * p + py) * r + gx * p
                            (row + (c * p + py) * p).update(from: src, count: p)
                        }
                    }
                }
            }
        }
        gemm(transB: true, m: n * t, n: w, k: k, a: patches, lda: k, b: conv1, ldb: k, c: tokens, ldc: w)
        positional.withUnsafeBufferPointer { pos in
            for b in 0..<n {
                let xb = x + b * seq * w
                for i in 0..<w { xb[i] = classEmbedding[i] + pos[i] }
                for j in 0..<t {
                    let dst = xb + (j + 1) * w, src = tokens + (b * t + j) * w, pe = pos.baseAddress! + (j + 1) * w
                    for i in 0..<w { dst[i] = src[i] + pe[i] }
                }
            }
        }
        layerNorm(x, rows: n * seq, width: w, gamma: lnPreG, beta: lnPreB, out: x)
        trace?("ln_pre.out", Array(UnsafeBufferPointer(start: x, count: seq * w)))
        transformer.forward(x, batch: n, seq: seq, causal: false) { i, xp in
            trace?("block\(i).out", Array(UnsafeBufferPointer(start: xp, count: seq * w)))
        }
        let pooled = UnsafeMutablePointer<Float>.allocate(capacity: n * w)
        defer { pooled.deallocate() }
        for b in 0..<n {
            layerNorm(x + b * seq * w, rows: 1, width: w, gamma: lnPostG, beta: lnPostB, out: pooled + b * w)
        }
        gemm(m: n, n: embedDim, k: w, a: pooled, lda: w, b: proj, ldb: embedDim, c: out, ldc: embedDim)
    }
}
