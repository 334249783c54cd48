import Foundation

/// A VMamba image tower as CLIP-Mamba builds it (specs/clip-mamba.md §6.3): stem "v2", downsample "v3",
/// channel-last LayerNorm, 3×3 depthwise SS2D conv without bias, SiLU, exact-GELU MLP, no classification head.
public struct VMambaConfig: Sendable, Equatable, Codable {
    /// The SS2D forward type: `v2` has the z gate (T220), `v3noz` has none (S, B).
    public enum ForwardType: String, Sendable, Codable { case v2, v3noz }

    /// Stage widths C₀…C₃.
    public var dims: [Int]
    public var depths: [Int]
    /// N (d_state).
    public var dState: Int
    /// d_inner = ssmRatio · C.
    public var ssmRatio: Double
    /// dt_rank per stage (⌈C/16⌉ for "auto").
    public var dtRanks: [Int]
    public var forwardType: ForwardType
    public var mlpRatio: Double

    public init(dims: [Int], depths: [Int], dState: Int, ssmRatio: Double, dtRanks: [Int]? = nil,
                forwardType: ForwardType, mlpRatio: Double) {
        self.dims = dims; self.depths = depths; self.dState = dState; self.ssmRatio = ssmRatio
        self.dtRanks = dtRanks ?? dims.map { ($0 + 15) / 16 }
        self.forwardType = forwardType; self.mlpRatio = mlpRatio
    }

    /// VMamba-T220 (`vssm_tiny_224_0220`, forward type v2).
    public static let t220 = VMambaConfig(dims: [96, 192, 384, 768], depths: [2, 2, 4, 2], dState: 1, ssmRatio: 2,
                                          forwardType: .v2, mlpRatio: 4)
    /// VMamba-S (`vssm_small_224`, v3noz).
    public static let small = VMambaConfig(dims: [96, 192, 384, 768], depths: [2, 2, 15, 2], dState: 1, ssmRatio: 2,
                                           forwardType: .v3noz, mlpRatio: 4)
    /// VMamba-B (`vssm_base_224`, v3noz).
    public static let base = VMambaConfig(dims: [128, 256, 512, 1024], depths: [2, 2, 15, 2], dState: 1, ssmRatio: 2,
                                          forwardType: .v3noz, mlpRatio: 4)

    /// Feature width (the tower output, C₃).
    public var featureWidth: Int { dims[3] }

    func dInner(_ stage: Int) -> Int { Int(ssmRatio * Double(dims[stage])) }
    func mlpHidden(_ stage: Int) -> Int { Int(Double(dims[stage]) * mlpRatio) }

    /// Parameters of the tower (no head), counted from the configuration.
    public var parameterCount: Int {
        let c0 = dims[0]
        var n = (c0 / 2) * 3 * 9 + c0 / 2 + 2 * (c0 / 2) + c0 * (c0 / 2) * 9 + c0 + 2 * c0   // stem
        for s in 0..<4 {
            let c = dims[s], di = dInner(s), r = dtRanks[s], hid = mlpHidden(s)
            let inProj = (forwardType == .v2 ? 2 * di : di) * c
            let ss2d = inProj + di * 9 + 4 * (r + 2 * dState) * di + 4 * di * r + 4 * di + 4 * di * dState + 4 * di
                + 2 * di + c * di
            let block = 2 * c + ss2d + (mlpRatio > 0 ? 2 * c + c * hid + hid + hid * c + c : 0)
            n += depths[s] * block
            if s < 3 { n += dims[s + 1] * c * 9 + dims[s + 1] + 2 * dims[s + 1] }
        }
        return n + 2 * dims[3]
    }

    /// From the upstream `VSSM(...)` constructor arguments (the `config` object of an ARCH file,
    /// clip-mamba-fixtures/README.md). Refuses options this implementation does not cover.
    public init(upstream c: [String: Any], file: String) throws {
        func bad(_ why: String) -> ModelsError { .invalidFile(file: file, reason: why) }
        let dims: [Int]
        if let d = c["dims"] as? Int { dims = (0..<4).map { d << $0 } }
        else if let d = c["dims"] as? [Int], d.count == 4 { dims = d }
        else { throw bad("config.dims must be an integer or a list of 4 integers") }
        guard let depths = c["depths"] as? [Int], depths.count == 4, depths.allSatisfy({ $0 >= 0 }) else {
            throw bad("config.depths must be a list of 4 integers")
        }
        let dState = c["ssm_d_state"] as? Int ?? 16
        let ratio = (c["ssm_ratio"] as? NSNumber)?.doubleValue ?? 2.0
        let mlp = (c["mlp_ratio"] as? NSNumber)?.doubleValue ?? 4.0
        var ranks: [Int]? = nil
        if let r = c["ssm_dt_rank"] as? Int { ranks = [r, r, r, r] }
        else if let r = c["ssm_dt_rank"] as? String, r != "auto" { throw bad("config.ssm_dt_rank '\(r)' is not supported") }
        let ftName = c["forward_type"] as? String ?? "v2"
        guard let ft = ForwardType(rawValue: ftName) else {
            throw bad("forward_type '\(ftName)' is not supported (v2, v3noz)")
        }
        let expect: [(String, String)] = [("patchembed_version", "v2"), ("downsample_version", "v3"), ("norm_layer", "ln"),
                                          ("ssm_act_layer", "silu"), ("mlp_act_layer", "gelu")]
        for (k, v) in expect {
            if let got = c[k] as? String, got.lowercased() != v { throw bad("config.\(k) '\(got)' is not supported (\(v))") }
        }
        if let conv = c["ssm_conv"] as? Int, conv != 3 { throw bad("config.ssm_conv \(conv) is not supported (3)") }
        if let cb = c["ssm_conv_bias"] as? Bool, cb { throw bad("config.ssm_conv_bias true is not supported") }
        if let ps = c["patch_size"] as? Int, ps != 4 { throw bad("config.patch_size \(ps) is not supported (4)") }
        if let g = c["gmlp"] as? Bool, g { throw bad("config.gmlp true is not supported") }
        if let nc = c["num_classes"] as? Int, nc != 0 { throw bad("config.num_classes must be 0 (no head)") }
        guard mlp > 0 else { throw bad("config.mlp_ratio 0 is not supported") }
        self.init(dims: dims, depths: depths, dState: dState, ssmRatio: ratio, dtRanks: ranks, forwardType: ft, mlpRatio: mlp)
    }
}
