import Foundation
import Inference

/// The SiMBA image tower of CLIP-Mamba (specs/clip-mamba.md §6.4), float32 on the CPU.
///
/// Input: a normalised image `[3, H, W]` planar; output the class feature `[E₃]` (after `norm4`). Weights use
/// the upstream names below the tower prefix (`patch_embed1.conv.0.weight`, `block3.11.attn.mamba.A_log`, …);
/// the stem's BatchNorms are folded into their convolutions at load time with the stored running statistics.
/// Immutable after loading; `forward` may run concurrently.
struct SiMBATower: MambaImageTower {
    /// mamba_ssm's `Mamba` token mixer (d_state 64, d_conv 4, expand 2, one forward scan, gate inside the scan).
    struct Mixer: Sendable {
        let e: Int, dInner: Int, dtRank: Int
        let inProj: LinearW, convT: [Float], convBias: [Float], xProj: LinearW
        let dtWT: [Float]        // dt_proj.weight transposed: [R, dInner]
        let scan: SelectiveScanWeights
        let outProj: LinearW

        init(_ bag: inout WeightBag, _ p: String, e: Int) throws {
            let di = SiMBAConfig.expand * e, r = (e + 15) / 16, n = SiMBAConfig.dState
            self.e = e; dInner = di; dtRank = r
            inProj = try LinearW(&bag, p + "in_proj", in: e, out: 2 * di, bias: false)
            convT = depthwiseTaps(try bag.take(p + "conv1d.weight", [di, 1, SiMBAConfig.dConv]), channels: di)
            convBias = try bag.take(p + "conv1d.bias", [di])
            xProj = try LinearW(&bag, p + "x_proj", in: di, out: r + 2 * n, bias: false)
            dtWT = transposed(try bag.take(p + "dt_proj.weight", [di, r]), rows: di, cols: r)
            scan = SelectiveScanWeights(channels: di, dState: n, aLog: try bag.take(p + "A_log", [di, n]),
                                        d: try bag.take(p + "D", [di]), deltaBias: try bag.take(p + "dt_proj.bias", [di]))
            outProj = try LinearW(&bag, p + "out_proj", in: di, out: e, bias: false)
        }

        /// residual `[images·l, e]` += Mamba(x) for normalised sequences `x` `[images·l, e]` (one per image). The
        /// causal conv carries the SiLU, the scan the dt projection and the gate; out_proj adds into `residual`.
        /// `trace` receives the internals (named `name.…`), `outTrace` the branch output as `outName` (one image).
        func forward(_ x: UnsafePointer<Float>, images g: Int, length l: Int, order: ForwardOrder,
                     residual: UnsafeMutablePointer<Float>, ws: MambaWorkspace, trace: MambaTrace?, name: String,
                     outTrace: MambaTrace?, outName: String) {
            let di = dInner, r = dtRank, n = SiMBAConfig.dState, xw = r + 2 * n, rows = g * l
            let t = ws.take(rows * 2 * di)
            inProj.apply(x, rows: rows, out: t.p)
            trace?(name + ".mamba.in_proj_out", t.array)
            let xc = ws.take(rows * di)
            convT.withUnsafeBufferPointer { w in convBias.withUnsafeBufferPointer { b in
                for i in 0..<g {
                    causalDepthwiseConv1d(t.p + i * l * 2 * di, xStride: 2 * di, length: l, channels: di,
                                          taps: SiMBAConfig.dConv, weightT: w.baseAddress!, bias: b.baseAddress!,
                                          activation: .silu, out: xc.p + i * l * di)
                }
            } }
            let xDbl = ws.take(rows * xw)
            xProj.apply(xc.p, rows: rows, out: xDbl.p)
            let y = ws.take(rows * di)
            order.withOrder { ord in dtWT.withUnsafeBufferPointer { dt in
                for i in 0..<g {
                    let xd = xDbl.p + i * l * xw
                    let ops = ScanOperands(length: l, order: ord, u: xc.p + i * l * di, uStride: di, dtLow: xd,
                                           dtLowStride: xw, dtRank: r, dtWeight: dt.baseAddress!, dtWeightStride: di,
                                           b: xd + r, c: xd + r + n, bcStride: xw, z: t.p + i * l * 2 * di + di,
                                           zStride: 2 * di, y: y.p + i * l * di, yStride: di)
                    SelectiveScan.run([ops], weights: scan, channels: di)
                }
            } }
            if let trace {
                let delta = ws.take(l * di)
                dtWT.withUnsafeBufferPointer { dt in
                    gemm(m: l, n: di, k: r, a: xDbl.p, lda: xw, b: dt.baseAddress!, ldb: di, c: delta.p, ldc: di)
                }
                trace(name + ".scan.u", channelFirst(xc.p, positions: l, channels: di))
                trace(name + ".scan.delta_raw", channelFirst(delta.p, positions: l, channels: di))
                trace(name + ".scan.B", channelFirst(xDbl.p + r, positions: l, channels: n, stride: xw))
                trace(name + ".scan.C", channelFirst(xDbl.p + r + n, positions: l, channels: n, stride: xw))
                trace(name + ".scan.z", channelFirst(t.p + di, positions: l, channels: di, stride: 2 * di))
                trace(name + ".scan.y_gated", channelFirst(y.p, positions: l, channels: di))
            }
            if let outTrace {
                let o = ws.take(l * e)
                outProj.apply(y.p, rows: l, out: o.p)
                outTrace(outName, o.array)
            }
            outProj.accumulate(y.p, rows: rows, into: residual)
        }

        func multiplyAdds(length l: Int) -> (total: Int, scan: Int) {
            let di = dInner, xw = xProj.outFeatures
            let scan = l * di * (2 * SiMBAConfig.dState + 1)
            return (l * 2 * di * e + l * di * SiMBAConfig.dConv + l * xw * di + l * di * dtRank + l * di * e + scan, scan)
        }
    }

    struct Block: Sendable {
        let attnNorm: LayerNormW, mixer: Mixer, norm2: LayerNormW
        let fc1: LinearW, dw9: [Float], dwBias: [Float], fc2: LinearW
    }

    let config: SiMBAConfig
    let stemConvs: [ChannelsLastConv]     // conv.0+BN, conv.3+BN, conv.6+BN (ReLU after each)
    let stemProj: ChannelsLastConv, stemNorm: LayerNormW
    let downsamples: [(conv: ChannelsLastConv, norm: LayerNormW)]  // stages 2…4
    let blocks: [[Block]]
    let stageNorms: [LayerNormW]          // norm1…norm4
    let clsNorm: LayerNormW, clsMixer: Mixer, clsNorm2: LayerNormW, clsFc1: LinearW, clsFc2: LinearW
    /// Activation memory, reused by later forward passes.
    let workspaces = MambaWorkspacePool()

    init(config: SiMBAConfig, bag: inout WeightBag) throws {
        self.config = config
        let sh = config.stemHiddenDim
        var convs: [ChannelsLastConv] = []
        for (i, (cin, k, pad, stride)) in [(3, 7, 3, 2), (sh, 3, 1, 1), (sh, 3, 1, 1)].enumerated() {
            let ci = 3 * i, bi = 3 * i + 1
            let w = try bag.take("patch_embed1.conv.\(ci).weight", [sh, cin, k, k])
            let bn = BatchNormFold(weight: try bag.take("patch_embed1.conv.\(bi).weight", [sh]),
                                   bias: try bag.take("patch_embed1.conv.\(bi).bias", [sh]),
                                   runningMean: try bag.take("patch_embed1.conv.\(bi).running_mean", [sh]),
                                   runningVar: try bag.take("patch_embed1.conv.\(bi).running_var", [sh]), eps: 1e-5)
            let f = foldBatchNorm(weight: w, bias: nil, outChannels: sh, bn: bn)
            convs.append(ChannelsLastConv(weight: f.weight, bias: f.bias, inChannels: cin, outChannels: sh, kernel: k,
                                          stride: stride, padding: pad))
        }
        stemConvs = convs
        let e = config.embedDims
        stemProj = try loadConv(&bag, "patch_embed1.proj", cin: sh, cout: e[0], k: 3, stride: 2, pad: 1, bias: true)
        stemNorm = try LayerNormW(&bag, "patch_embed1.norm", e[0], eps: 1e-5)
        var downs: [(ChannelsLastConv, LayerNormW)] = []
        for s in 1..<4 {
            downs.append((try loadConv(&bag, "patch_embed\(s + 1).proj", cin: e[s - 1], cout: e[s], k: 3, stride: 2, pad: 1, bias: true),
                          try LayerNormW(&bag, "patch_embed\(s + 1).norm", e[s], eps: 1e-5)))
        }
        downsamples = downs
        var all: [[Block]] = []
        for s in 0..<4 {
            let hid = config.mlpRatios[s] * e[s]
            var stage: [Block] = []
            for j in 0..<config.depths[s] {
                let p = "block\(s + 1).\(j)."
                stage.append(Block(
                    attnNorm: try LayerNormW(&bag, p + "attn.norm", e[s], eps: 1e-5),
                    mixer: try Mixer(&bag, p + "attn.mamba.", e: e[s]),
                    norm2: try LayerNormW(&bag, p + "norm2", e[s], eps: config.normEps),
                    fc1: try LinearW(&bag, p + "mlp.fc1", in: e[s], out: hid, bias: true),
                    dw9: depthwiseTaps(try bag.take(p + "mlp.dwconv.dwconv.weight", [hid, 1, 3, 3]), channels: hid),
                    dwBias: try bag.take(p + "mlp.dwconv.dwconv.bias", [hid]),
                    fc2: try LinearW(&bag, p + "mlp.fc2", in: hid, out: e[s], bias: true)))
            }
            all.append(stage)
        }
        blocks = all
        stageNorms = try (0..<4).map { try LayerNormW(&bag, "norm\($0 + 1)", e[$0], eps: config.normEps) }
        let e3 = e[3]
        clsNorm = try LayerNormW(&bag, "post_network.0.attn.norm", e3, eps: 1e-5)
        clsMixer = try Mixer(&bag, "post_network.0.attn.mamba.", e: e3)
        clsNorm2 = try LayerNormW(&bag, "post_network.0.norm2", e3, eps: config.normEps)
        clsFc1 = try LinearW(&bag, "post_network.0.mlp.fc1", in: e3, out: 4 * e3, bias: true)
        clsFc2 = try LinearW(&bag, "post_network.0.mlp.fc2", in: 4 * e3, out: e3, bias: true)
        if let bad = bag.tensors.keys.sorted().first(where: { $0.contains("complex_weight") || $0.contains("complex_bias") }) {
            throw ModelsError.invalidFile(file: bag.file, reason: "\(bad): EinFFT channel mixer weights are not supported (CLIP-Mamba's SiMBA uses the MLP mixer)")
        }
    }

    var featureWidth: Int { config.embedDims[3] }

    /// The forward pass of `images` images over a workspace (`MambaImageTower`).
    func forward(_ image: UnsafePointer<Float>, images g: Int, height: Int, width: Int,
                         out: UnsafeMutablePointer<Float>, ws: MambaWorkspace, trace: MambaTrace?) {
        var h = height, w = width
        var x = ws.take(g * h * w * 3)
        for i in 0..<g {
            planarToChannelsLast(image + i * 3 * h * w, channels: 3, positions: h * w, out: x.p + i * h * w * 3)
        }
        for conv in stemConvs {
            let (oh, ow) = conv.outSize(height: h, width: w)
            let y = ws.take(g * oh * ow * conv.outChannels)
            ws.scope {
                conv.forward(x.p, height: h, width: w, images: g, out: y.p,
                             scratch: ws.take(g * conv.scratchCount(height: h, width: w)).p)
            }
            reluInPlace(y.p, count: y.count)
            x = y; h = oh; w = ow
        }
        trace?("stem_conv_out", channelFirst(x.p, positions: h * w, channels: config.stemHiddenDim))
        var (oh, ow) = stemProj.outSize(height: h, width: w)
        var tok = ws.take(g * oh * ow * config.embedDims[0])
        ws.scope {
            stemProj.forward(x.p, height: h, width: w, images: g, out: tok.p,
                             scratch: ws.take(g * stemProj.scratchCount(height: h, width: w)).p)
        }
        h = oh; w = ow
        stemNorm.apply(tok.p, rows: g * h * w, out: tok.p)
        trace?("stem_out", tok.array)
        for s in 0..<4 {
            let e = config.embedDims[s]
            if s > 0 {
                let d = downsamples[s - 1]
                (oh, ow) = d.conv.outSize(height: h, width: w)
                let y = ws.take(g * oh * ow * e)
                ws.scope {
                    d.conv.forward(tok.p, height: h, width: w, images: g, out: y.p,
                                   scratch: ws.take(g * d.conv.scratchCount(height: h, width: w)).p)
                }
                h = oh; w = ow
                d.norm.apply(y.p, rows: g * h * w, out: y.p)
                tok = y
                trace?("stage\(s + 1).downsample_out", tok.array)
            }
            let order = ForwardOrder(length: h * w)
            for (j, b) in blocks[s].enumerated() {
                ws.scope {
                    runBlock(b, x: tok.p, images: g, height: h, width: w, order: order, ws: ws,
                             trace: (s == 0 && j == 0) ? trace : nil)
                }
                trace?("stage\(s + 1).block\(j)_out", tok.array)
            }
            if s < 3 {
                stageNorms[s].apply(tok.p, rows: g * h * w, out: tok.p)
                trace?("norm\(s + 1)_out", tok.array)
            }
        }
        // Class token: mean of the stage-4 tokens through a length-1 Mamba and the FFN (§6.4.4).
        let l4 = h * w, e3 = config.embedDims[3]
        let c = ws.take(g * e3)
        for i in 0..<g {
            let ci = c.p + i * e3, src = tok.p + i * l4 * e3
            for j in 0..<e3 { ci[j] = 0 }
            for p in 0..<l4 { for j in 0..<e3 { ci[j] += src[p * e3 + j] } }
            for j in 0..<e3 { ci[j] /= Float(l4) }
        }
        trace?("cls.in_tokens", c.array + tok.array)
        let t = ws.take(g * e3)
        clsNorm.apply(c.p, rows: g, out: t.p)
        ws.scope {
            clsMixer.forward(t.p, images: g, length: 1, order: ForwardOrder(length: 1), residual: c.p, ws: ws, trace: nil,
                             name: "cls", outTrace: trace, outName: "cls.mamba_out")
        }
        clsNorm2.apply(c.p, rows: g, out: t.p)
        let hid = ws.take(g * 4 * e3)
        clsFc1.apply(t.p, rows: g, out: hid.p)
        geluRows(hid.p, rows: g, width: 4 * e3)
        clsFc2.accumulate(hid.p, rows: g, into: c.p)
        trace?("cls.block_out_tokens", c.array + tok.array)
        stageNorms[3].apply(c.p, rows: g, out: out)
        trace?("norm4_out", Array(UnsafeBufferPointer(start: out, count: e3)))
    }

    private func runBlock(_ b: Block, x: UnsafeMutablePointer<Float>, images g: Int, height h: Int, width w: Int,
                          order: ForwardOrder, ws: MambaWorkspace, trace: MambaTrace?) {
        let l = h * w, rows = g * l, e = b.mixer.e, hidW = b.fc1.outFeatures
        let t = ws.take(rows * e)
        b.attnNorm.apply(x, rows: rows, out: t.p)
        trace?("s1b0.attn.norm_out", t.array)
        ws.scope {
            b.mixer.forward(t.p, images: g, length: l, order: order, residual: x, ws: ws, trace: trace, name: "s1b0",
                            outTrace: trace, outName: "s1b0.attn.mamba_out")
        }
        b.norm2.apply(x, rows: rows, out: t.p)
        let hid = ws.take(rows * hidW), conv = ws.take(rows * hidW)
        b.fc1.apply(t.p, rows: rows, out: hid.p)
        trace?("s1b0.mlp.fc1_out", hid.array)
        b.dw9.withUnsafeBufferPointer { k in b.dwBias.withUnsafeBufferPointer { bias in
            if let trace {
                depthwiseConv3x3ChannelsLast(hid.p, xStride: hidW, height: h, width: w, channels: hidW, weight9: k.baseAddress!,
                                             bias: bias.baseAddress!, out: conv.p)
                trace("s1b0.mlp.dwconv_out", conv.array)
            }
            for i in 0..<g {
                depthwiseConv3x3ChannelsLast(hid.p + i * l * hidW, xStride: hidW, height: h, width: w, channels: hidW,
                                             weight9: k.baseAddress!, bias: bias.baseAddress!, activation: .gelu,
                                             out: conv.p + i * l * hidW)
            }
        } }
        if let trace {
            let o = ws.take(l * e)
            b.fc2.apply(conv.p, rows: l, out: o.p)
            trace("s1b0.mlp_out", o.array)
        }
        b.fc2.accumulate(conv.p, rows: rows, into: x)
    }

    /// Multiply-adds of one forward pass (same counting rule as `VMambaTower.multiplyAdds`).
    func multiplyAdds(height: Int, width: Int) -> (total: Int, scan: Int) {
        var total = 0, scan = 0
        var h = height, w = width
        for conv in stemConvs + [stemProj] {
            total += conv.multiplyAdds(height: h, width: w)
            (h, w) = conv.outSize(height: h, width: w)
        }
        for s in 0..<4 {
            if s > 0 {
                total += downsamples[s - 1].conv.multiplyAdds(height: h, width: w)
                (h, w) = downsamples[s - 1].conv.outSize(height: h, width: w)
            }
            let l = h * w
            for b in blocks[s] {
                let m = b.mixer.multiplyAdds(length: l)
                total += m.total + 2 * l * b.fc1.outFeatures * b.mixer.e + l * b.fc1.outFeatures * 9
                scan += m.scan
            }
        }
        let m = clsMixer.multiplyAdds(length: 1)
        total += m.total + 8 * config.embedDims[3] * config.embedDims[3]
        scan += m.scan
        return (total, scan)
    }
}
