import Foundation
import Inference

/// The state-dict layout (names below the tower prefix and shapes) of VMamba and SiMBA towers, from the
/// configuration alone: the bench's seeded random weights, and a check of the naming against the fixtures'
/// `real_keys_*.json`.
extension VMambaConfig {
    public var tensorShapes: [(name: String, shape: [Int])] {
        var out: [(String, [Int])] = []
        let c0 = dims[0]
        out += [("patch_embed.0.weight", [c0 / 2, 3, 3, 3]), ("patch_embed.0.bias", [c0 / 2]),
                ("patch_embed.2.weight", [c0 / 2]), ("patch_embed.2.bias", [c0 / 2]),
                ("patch_embed.5.weight", [c0, c0 / 2, 3, 3]), ("patch_embed.5.bias", [c0]),
                ("patch_embed.7.weight", [c0]), ("patch_embed.7.bias", [c0])]
        for s in 0..<4 {
            let c = dims[s], di = dInner(s), r = dtRanks[s], n = dState, hid = mlpHidden(s)
            for j in 0..<depths[s] {
                let p = "layers.\(s).blocks.\(j)."
                out += [(p + "norm.weight", [c]), (p + "norm.bias", [c]),
                        (p + "op.in_proj.weight", [forwardType == .v2 ? 2 * di : di, c]),
                        (p + "op.conv2d.weight", [di, 1, 3, 3]),
                        (p + "op.x_proj_weight", [4, r + 2 * n, di]), (p + "op.dt_projs_weight", [4, di, r]),
                        (p + "op.dt_projs_bias", [4, di]), (p + "op.A_logs", [4 * di, n]), (p + "op.Ds", [4 * di]),
                        (p + "op.out_norm.weight", [di]), (p + "op.out_norm.bias", [di]),
                        (p + "op.out_proj.weight", [c, di]),
                        (p + "norm2.weight", [c]), (p + "norm2.bias", [c]),
                        (p + "mlp.fc1.weight", [hid, c]), (p + "mlp.fc1.bias", [hid]),
                        (p + "mlp.fc2.weight", [c, hid]), (p + "mlp.fc2.bias", [c])]
            }
            if s < 3 {
                let cn = dims[s + 1]
                out += [("layers.\(s).downsample.1.weight", [cn, c, 3, 3]), ("layers.\(s).downsample.1.bias", [cn]),
                        ("layers.\(s).downsample.3.weight", [cn]), ("layers.\(s).downsample.3.bias", [cn])]
            }
        }
        out += [("classifier.norm.weight", [dims[3]]), ("classifier.norm.bias", [dims[3]])]
        return out
    }
}

extension SiMBAConfig {
    /// Parameters and BatchNorm buffers (`running_mean`, `running_var`; `num_batches_tracked` omitted).
    public var tensorShapes: [(name: String, shape: [Int])] {
        var out: [(String, [Int])] = []
        let sh = stemHiddenDim
        for (i, cin, k) in [(0, 3, 7), (3, sh, 3), (6, sh, 3)] {
            out.append(("patch_embed1.conv.\(i).weight", [sh, cin, k, k]))
            for f in ["weight", "bias", "running_mean", "running_var"] { out.append(("patch_embed1.conv.\(i + 1).\(f)", [sh])) }
        }
        func mamba(_ p: String, _ e: Int) -> [(String, [Int])] {
            let di = Self.expand * e, r = dtRank(e), n = Self.dState
            return [(p + "A_log", [di, n]), (p + "D", [di]), (p + "in_proj.weight", [2 * di, e]),
                    (p + "conv1d.weight", [di, 1, Self.dConv]), (p + "conv1d.bias", [di]),
                    (p + "x_proj.weight", [r + 2 * n, di]), (p + "dt_proj.weight", [di, r]), (p + "dt_proj.bias", [di]),
                    (p + "out_proj.weight", [e, di])]
        }
        for s in 0..<4 {
            let e = embedDims[s], hid = mlpRatios[s] * e
            let cin = s == 0 ? sh : embedDims[s - 1]
            out += [("patch_embed\(s + 1).proj.weight", [e, cin, 3, 3]), ("patch_embed\(s + 1).proj.bias", [e]),
                    ("patch_embed\(s + 1).norm.weight", [e]), ("patch_embed\(s + 1).norm.bias", [e])]
            for j in 0..<depths[s] {
                let p = "block\(s + 1).\(j)."
                out += [(p + "attn.norm.weight", [e]), (p + "attn.norm.bias", [e])]
                out += mamba(p + "attn.mamba.", e)
                out += [(p + "norm2.weight", [e]), (p + "norm2.bias", [e]),
                        (p + "mlp.fc1.weight", [hid, e]), (p + "mlp.fc1.bias", [hid]),
                        (p + "mlp.dwconv.dwconv.weight", [hid, 1, 3, 3]), (p + "mlp.dwconv.dwconv.bias", [hid]),
                        (p + "mlp.fc2.weight", [e, hid]), (p + "mlp.fc2.bias", [e])]
            }
            out += [("norm\(s + 1).weight", [e]), ("norm\(s + 1).bias", [e])]
        }
        let e3 = embedDims[3]
        out += [("post_network.0.attn.norm.weight", [e3]), ("post_network.0.attn.norm.bias", [e3])]
        out += mamba("post_network.0.attn.mamba.", e3)
        out += [("post_network.0.norm2.weight", [e3]), ("post_network.0.norm2.bias", [e3]),
                ("post_network.0.mlp.fc1.weight", [4 * e3, e3]), ("post_network.0.mlp.fc1.bias", [4 * e3]),
                ("post_network.0.mlp.fc2.weight", [e3, 4 * e3]), ("post_network.0.mlp.fc2.bias", [e3])]
        return out
    }
}

/// Seeded random tower weights with plausible scales (Linear/conv U(±1/√fan_in), LayerNorm 1/0, A_log = log n,
/// D = 1, dt bias for Δ ≈ 0.01–0.1, BatchNorm identity): speed measurements only.
enum MambaRandomWeights {
    static func make(_ shapes: [(name: String, shape: [Int])], seed: UInt64) -> [String: Tensor] {
        var state = seed
        func next() -> Float {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Float((z ^ (z >> 31)) >> 40) / Float(1 << 24) * 2 - 1
        }
        var out: [String: Tensor] = [:]
        for (name, shape) in shapes {
            let count = shape.reduce(1, *)
            var d = [Float](repeating: 0, count: count)
            let leaf = name.split(separator: ".").last.map(String.init) ?? name
            if name.hasSuffix("A_logs") || leaf == "A_log" {
                let n = shape[1]
                for i in 0..<count { d[i] = Float(Foundation.log(Double(i % n + 1))) }
            } else if leaf == "Ds" || leaf == "D" || leaf == "running_var" {
                for i in 0..<count { d[i] = 1 }
            } else if name.hasSuffix("dt_projs_bias") || name.hasSuffix("dt_proj.bias") {
                for i in 0..<count { let dt = 0.01 + 0.045 * (next() + 1); d[i] = dt + Float(Foundation.log(-Foundation.expm1(-Double(dt)))) }
            } else if shape.count == 1 && leaf == "weight" {      // every 1-d weight is a LayerNorm/BatchNorm scale
                for i in 0..<count { d[i] = 1 }
            } else if shape.count >= 2 {
                let fanIn = shape.dropFirst().reduce(1, *)
                let s = 1 / Float(fanIn).squareRoot()
                for i in 0..<count { d[i] = s * next() }
            } else if leaf == "bias" && !name.contains("norm") {
                for i in 0..<count { d[i] = 0.02 * next() }
            }
            out[name] = Tensor(shape: shape, data: d)
        }
        return out
    }
}
