import Foundation
import Inference

/// The VMamba image tower of CLIP-Mamba (specs/clip-mamba.md §6.2–§6.3), float32 on the CPU.
///
/// Input: normalised images `[3, H, W]` planar (H, W multiples of 4 not required: every stride-2 conv gives
/// ⌈S/2⌉). Output: the pooled feature `[C₃]` (after `classifier.norm` and the mean over positions), the vector
/// CLIP-Mamba multiplies by `image_projection`. Weights use the upstream names below the tower prefix
/// (`patch_embed.0.weight`, `layers.0.blocks.0.op.A_logs`, …). Immutable after loading; `forward` may run
/// concurrently from several tasks.
struct VMambaTower: MambaImageTower {
    struct SS2D: Sendable {
        let c: Int, dInner: Int, dState: Int, dtRank: Int, gated: Bool
        let inProj: LinearW
        let conv9: [Float]               // [9, dInner]
        let xProj: LinearW               // [4·(R+2N), dInner]
        let dtProjsT: [Float]            // [4, R, dInner]: each direction's dt_projs_weight transposed
        let scan: SelectiveScanWeights   // 4·dInner channels
        let outNorm: LayerNormW
        let outProj: LinearW
    }
    struct Block: Sendable {
        let norm: LayerNormW, op: SS2D, norm2: LayerNormW, fc1: LinearW, fc2: LinearW
    }
    struct Stage: Sendable {
        let blocks: [Block]
        let downsample: ChannelsLastConv?
        let downNorm: LayerNormW?
    }

    let config: VMambaConfig
    let stem0: ChannelsLastConv, stemNorm0: LayerNormW, stem1: ChannelsLastConv, stemNorm1: LayerNormW
    let stages: [Stage]
    let finalNorm: LayerNormW
    /// Activation memory, reused by later forward passes.
    let workspaces = MambaWorkspacePool()

    init(config: VMambaConfig, bag: inout WeightBag) throws {
        self.config = config
        let c0 = config.dims[0]
        stem0 = try loadConv(&bag, "patch_embed.0", cin: 3, cout: c0 / 2, k: 3, stride: 2, pad: 1, bias: true)
        stemNorm0 = try LayerNormW(&bag, "patch_embed.2", c0 / 2, eps: 1e-5)
        stem1 = try loadConv(&bag, "patch_embed.5", cin: c0 / 2, cout: c0, k: 3, stride: 2, pad: 1, bias: true)
        stemNorm1 = try LayerNormW(&bag, "patch_embed.7", c0, eps: 1e-5)
        var stages: [Stage] = []
        for s in 0..<4 {
            let c = config.dims[s], di = config.dInner(s), n = config.dState, r = config.dtRanks[s]
            let hid = config.mlpHidden(s)
            var blocks: [Block] = []
            for j in 0..<config.depths[s] {
                let p = "layers.\(s).blocks.\(j)."
                let gated = config.forwardType == .v2
                let inW = try bag.shape(p + "op.in_proj.weight")
                guard inW == [gated ? 2 * di : di, c] else {
                    throw ModelsError.shapeMismatch(file: bag.file, tensor: p + "op.in_proj.weight",
                                                    expected: [gated ? 2 * di : di, c], got: inW)
                }
                let dtW = try bag.take(p + "op.dt_projs_weight", [4, di, r])
                let op = SS2D(
                    c: c, dInner: di, dState: n, dtRank: r, gated: gated,
                    inProj: try LinearW(&bag, p + "op.in_proj", in: c, out: gated ? 2 * di : di, bias: false),
                    conv9: depthwiseTaps(try bag.take(p + "op.conv2d.weight", [di, 1, 3, 3]), channels: di),
                    xProj: LinearW(weight: try bag.take(p + "op.x_proj_weight", [4, r + 2 * n, di]),
                                   inFeatures: di, outFeatures: 4 * (r + 2 * n)),
                    dtProjsT: (0..<4).flatMap { k in
                        transposed(Array(dtW[(k * di * r)..<((k + 1) * di * r)]), rows: di, cols: r)
                    },
                    scan: SelectiveScanWeights(channels: 4 * di, dState: n,
                                               aLog: try bag.take(p + "op.A_logs", [4 * di, n]),
                                               d: try bag.take(p + "op.Ds", [4 * di]),
                                               deltaBias: try bag.take(p + "op.dt_projs_bias", [4, di])),
                    outNorm: try LayerNormW(&bag, p + "op.out_norm", di, eps: 1e-5),
                    outProj: try LinearW(&bag, p + "op.out_proj", in: di, out: c, bias: false))
                blocks.append(Block(norm: try LayerNormW(&bag, p + "norm", c, eps: 1e-5), op: op,
                                    norm2: try LayerNormW(&bag, p + "norm2", c, eps: 1e-5),
                                    fc1: try LinearW(&bag, p + "mlp.fc1", in: c, out: hid, bias: true),
                                    fc2: try LinearW(&bag, p + "mlp.fc2", in: hid, out: c, bias: true)))
            }
            if s < 3 {
                let cn = config.dims[s + 1]
                stages.append(Stage(blocks: blocks,
                                    downsample: try loadConv(&bag, "layers.\(s).downsample.1", cin: c, cout: cn, k: 3,
                                                             stride: 2, pad: 1, bias: true),
                                    downNorm: try LayerNormW(&bag, "layers.\(s).downsample.3", cn, eps: 1e-5)))
            } else {
                stages.append(Stage(blocks: blocks, downsample: nil, downNorm: nil))
            }
        }
        self.stages = stages
        finalNorm = try LayerNormW(&bag, "classifier.norm", config.dims[3], eps: 1e-5)
    }

    var featureWidth: Int { config.dims[3] }

    /// The forward pass of `images` images over a workspace (`MambaImageTower`).
    func forward(_ image: UnsafePointer<Float>, images g: Int, height: Int, width: Int,
                         out: UnsafeMutablePointer<Float>, ws: MambaWorkspace, trace: MambaTrace?) {
        var h = height, w = width
        let rgb = ws.take(g * h * w * 3)
        for i in 0..<g {
            planarToChannelsLast(image + i * 3 * h * w, channels: 3, positions: h * w, out: rgb.p + i * h * w * 3)
        }
        var (oh, ow) = stem0.outSize(height: h, width: w)
        let s0 = ws.take(g * oh * ow * stem0.outChannels)
        ws.scope {
            stem0.forward(rgb.p, height: h, width: w, images: g, out: s0.p,
                          scratch: ws.take(g * stem0.scratchCount(height: h, width: w)).p)
        }
        stemNorm0.apply(s0.p, rows: g * oh * ow, out: s0.p)
        geluRows(s0.p, rows: g * oh * ow, width: stem0.outChannels)
        h = oh; w = ow
        (oh, ow) = stem1.outSize(height: h, width: w)
        var x = ws.take(g * oh * ow * stem1.outChannels)
        ws.scope {
            stem1.forward(s0.p, height: h, width: w, images: g, out: x.p,
                          scratch: ws.take(g * stem1.scratchCount(height: h, width: w)).p)
        }
        h = oh; w = ow
        stemNorm1.apply(x.p, rows: g * h * w, out: x.p)
        trace?("stem_out", x.array)
        for (si, stage) in stages.enumerated() {
            let c = config.dims[si]
            let cross = CrossScan(height: h, width: w)
            for (bj, block) in stage.blocks.enumerated() {
                let inner: MambaTrace? = (si == 0 && bj == 0) ? trace : nil
                ws.scope { runBlock(block, x: x.p, images: g, height: h, width: w, cross: cross, ws: ws, trace: inner) }
                trace?("stage\(si).block\(bj)_out", Array(UnsafeBufferPointer(start: x.p, count: h * w * c)))
            }
            if let down = stage.downsample, let dn = stage.downNorm {
                (oh, ow) = down.outSize(height: h, width: w)
                let y = ws.take(g * oh * ow * down.outChannels)
                ws.scope {
                    down.forward(x.p, height: h, width: w, images: g, out: y.p,
                                 scratch: ws.take(g * down.scratchCount(height: h, width: w)).p)
                }
                dn.apply(y.p, rows: g * oh * ow, out: y.p)
                x = y; h = oh; w = ow
            }
            trace?("stage\(si)_out", Array(UnsafeBufferPointer(start: x.p, count: h * w * config.dims[min(si + 1, 3)])))
        }
        let c3 = config.dims[3], l = h * w
        finalNorm.apply(x.p, rows: g * l, out: x.p)
        trace?("final_norm_out", x.array)
        let inv = 1 / Float(l)
        for i in 0..<g {
            let o = out + i * c3, src = x.p + i * l * c3
            for j in 0..<c3 { o[j] = 0 }
            for p in 0..<l { for j in 0..<c3 { o[j] += src[p * c3 + j] } }
            for j in 0..<c3 { o[j] *= inv }
        }
    }

    /// x ← x + SS2D(LN(x)); x ← x + MLP(LN2(x)), in place on `[images·h·w, C]`; both branches end in an sgemm
    /// that adds into x (β = 1).
    private func runBlock(_ b: Block, x: UnsafeMutablePointer<Float>, images g: Int, height h: Int, width w: Int,
                          cross: CrossScan, ws: MambaWorkspace, trace: MambaTrace?) {
        let rows = g * h * w, c = b.op.c
        let t = ws.take(rows * c)
        b.norm.apply(x, rows: rows, out: t.p)
        trace?("s0b0.norm_out", t.array)
        ws.scope { ss2d(b.op, t.p, images: g, height: h, width: w, cross: cross, residual: x, ws: ws, trace: trace) }
        b.norm2.apply(x, rows: rows, out: t.p)
        let hid = ws.take(rows * b.fc1.outFeatures)
        b.fc1.apply(t.p, rows: rows, out: hid.p)
        geluRows(hid.p, rows: rows, width: b.fc1.outFeatures)
        b.fc2.accumulate(hid.p, rows: rows, into: x)
    }

    /// residual += SS2D(x) for normalised maps x `[images·h·w, C]` (§6.2). The depthwise conv carries the SiLU,
    /// the scan the dt projections, out_norm the v2 gate; out_proj adds into `residual`.
    private func ss2d(_ op: SS2D, _ x: UnsafePointer<Float>, images g: Int, height h: Int, width w: Int,
                      cross: CrossScan, residual: UnsafeMutablePointer<Float>, ws: MambaWorkspace, trace: MambaTrace?) {
        let l = h * w, rows = g * l, di = op.dInner, n = op.dState, r = op.dtRank
        let xw = r + 2 * n
        let inW = op.inProj.outFeatures
        let t = ws.take(rows * inW)
        op.inProj.apply(x, rows: rows, out: t.p)
        trace?("s0b0.op.in_proj_out", t.array)
        let xc = ws.take(rows * di)
        op.conv9.withUnsafeBufferPointer { k in
            if let trace {
                depthwiseConv3x3ChannelsLast(t.p, xStride: inW, height: h, width: w, channels: di, weight9: k.baseAddress!,
                                             bias: nil, out: xc.p)
                trace("s0b0.op.conv2d_out_before_act", channelFirst(xc.p, positions: l, channels: di))
            }
            for i in 0..<g {
                depthwiseConv3x3ChannelsLast(t.p + i * l * inW, xStride: inW, height: h, width: w, channels: di,
                                             weight9: k.baseAddress!, bias: nil, activation: .silu, out: xc.p + i * l * di)
            }
        }
        let xDbl = ws.take(rows * 4 * xw)
        op.xProj.apply(xc.p, rows: rows, out: xDbl.p)
        let y = ws.take(rows * di)
        op.dtProjsT.withUnsafeBufferPointer { dt in
            for i in 0..<g {
                cross.run(dInner: di, u: xc.p + i * l * di, xDbl: xDbl.p + i * l * 4 * xw, dtRank: r,
                          dtWeightsT: dt.baseAddress!, weights: op.scan, y: y.p + i * l * di)
            }
        }
        if let trace {
            traceScan(op, cross: cross, xc: xc.p, xDbl: xDbl.p, ws: ws, trace: trace)
            trace("s0b0.op.merged_before_out_norm", y.array)
            let normed = ws.take(l * di)
            op.outNorm.apply(y.p, rows: l, out: normed.p)
            trace("s0b0.op.out_norm_out", normed.array)
        }
        // out_norm, then (v2) z = SiLU(second half of in_proj) as the gate (§6.2.5), in one pass
        op.outNorm.apply(y.p, rows: rows, out: y.p, gate: op.gated ? t.p + di : nil, gateStride: inW)
        if let trace {
            trace("s0b0.op.out_proj_in", y.array)
            let o = ws.take(l * op.c)
            op.outProj.apply(y.p, rows: l, out: o.p)
            trace("s0b0.op_out", o.array)
        }
        op.outProj.accumulate(y.p, rows: rows, into: residual)
    }

    /// The scan's operands and per-direction outputs in the fixtures' layout (each direction in its own order).
    private func traceScan(_ op: SS2D, cross: CrossScan, xc: UnsafePointer<Float>, xDbl: UnsafePointer<Float>,
                           ws: MambaWorkspace, trace: MambaTrace) {
        let l = cross.length, di = op.dInner, n = op.dState, r = op.dtRank, xw = r + 2 * n
        // δ_raw as the unfused computation had it: [L, 4·dInner], direction k at columns k·dInner
        let deltaBuf = ws.take(l * 4 * di)
        let delta = deltaBuf.p
        op.dtProjsT.withUnsafeBufferPointer { dt in
            for k in 0..<4 {
                gemm(m: l, n: di, k: r, a: xDbl + k * xw, lda: 4 * xw, b: dt.baseAddress! + k * r * di, ldb: di,
                     c: delta + k * di, ldc: 4 * di)
            }
        }
        var u = [Float](repeating: 0, count: 4 * di * l), dr = u
        var bs = [Float](repeating: 0, count: 4 * n * l), cs = bs
        for k in 0..<4 {
            for s in 0..<l {
                let p = cross.position(direction: k, step: s)
                for d in 0..<di {
                    u[(k * di + d) * l + s] = xc[p * di + d]
                    dr[(k * di + d) * l + s] = delta[p * 4 * di + k * di + d]
                }
                for j in 0..<n {
                    bs[(k * n + j) * l + s] = xDbl[p * 4 * xw + k * xw + r + j]
                    cs[(k * n + j) * l + s] = xDbl[p * 4 * xw + k * xw + r + n + j]
                }
            }
        }
        trace("s0b0.scan.u", u); trace("s0b0.scan.delta_raw", dr)
        trace("s0b0.scan.Bs", bs); trace("s0b0.scan.Cs", cs)
        // Each direction alone, un-merged, read back in its own order.
        var ys = [Float](repeating: 0, count: 4 * di * l)
        let one = ws.take(l * di)
        for k in 0..<4 {
            cross.runSingle(direction: k, dInner: di, u: xc, xDbl: xDbl, dtRank: r, deltaRaw: delta, weights: op.scan,
                            y: one.p)
            for s in 0..<l {
                let p = cross.position(direction: k, step: s)
                for d in 0..<di { ys[(k * di + d) * l + s] = one.p[p * di + d] }
            }
        }
        trace("s0b0.scan.y", ys)
    }

    /// Multiply-adds of one forward pass at `h × w` as this implementation computes it: GEMMs and convolutions
    /// (m·n·k), depthwise convolutions (taps per output), and the scan (2 per channel, state and step for the
    /// state update and read-out, plus 1 per channel and step for D·u).
    func multiplyAdds(height: Int, width: Int) -> (total: Int, scan: Int) {
        var total = 0, scan = 0
        var h = height, w = width
        total += stem0.multiplyAdds(height: h, width: w)
        (h, w) = stem0.outSize(height: h, width: w)
        total += stem1.multiplyAdds(height: h, width: w)
        (h, w) = stem1.outSize(height: h, width: w)
        for (si, stage) in stages.enumerated() {
            let l = h * w
            for b in stage.blocks {
                let di = b.op.dInner, n = b.op.dState
                total += l * b.op.inProj.outFeatures * b.op.c + l * di * 9 + l * b.op.xProj.outFeatures * di
                    + 4 * l * di * b.op.dtRank + l * di * b.op.c + l * b.fc1.outFeatures * b.op.c * 2
                let sc = 4 * l * di * (2 * n + 1)
                scan += sc; total += sc
            }
            if let d = stage.downsample {
                total += d.multiplyAdds(height: h, width: w)
                (h, w) = d.outSize(height: h, width: w)
            }
            _ = si
        }
        return (total, scan)
    }
}
