import Foundation

/// A SiMBA image tower as CLIP-Mamba builds it (specs/clip-mamba.md §6.4): convolutional stem with BatchNorm,
/// four stages of Mamba token mixer (d_state 64, d_conv 4, expand 2) + PVT-v2 MLP channel mixer with a 3×3
/// depthwise convolution, a class token (mean of the last stage) through a length-1 Mamba, no head.
public struct SiMBAConfig: Sendable, Equatable, Codable {
    public var stemHiddenDim: Int
    public var embedDims: [Int]
    public var depths: [Int]
    public var mlpRatios: [Int]
    /// eps of `norm1…4`, `block*.norm2` and `post_network.0.norm2` (1e-6 in every upstream model).
    public var normEps: Float

    public init(stemHiddenDim: Int, embedDims: [Int], depths: [Int], mlpRatios: [Int], normEps: Float = 1e-6) {
        self.stemHiddenDim = stemHiddenDim; self.embedDims = embedDims; self.depths = depths
        self.mlpRatios = mlpRatios; self.normEps = normEps
    }

    /// SiMBA-L (`simba_l`, the tower of `CLIP_Simba_L`).
    public static let large = SiMBAConfig(stemHiddenDim: 64, embedDims: [96, 192, 384, 512], depths: [3, 6, 18, 3],
                                          mlpRatios: [8, 8, 4, 4])

    static let dState = 64, dConv = 4, expand = 2

    /// Feature width (E₃).
    public var featureWidth: Int { embedDims[3] }
    func dtRank(_ e: Int) -> Int { (e + 15) / 16 }

    /// Parameters of the tower (no head; BatchNorm running statistics are buffers, not counted).
    public var parameterCount: Int {
        let sh = stemHiddenDim, e0 = embedDims[0]
        var n = sh * 3 * 49 + 2 * sh + 2 * (sh * sh * 9 + 2 * sh) + e0 * sh * 9 + e0 + 2 * e0
        func mamba(_ e: Int) -> Int {
            let di = Self.expand * e, r = dtRank(e), ns = Self.dState
            return 2 * di * e + di * Self.dConv + di + (r + 2 * ns) * di + di * r + di + di * ns + di + e * di
        }
        for s in 0..<4 {
            let e = embedDims[s], hid = mlpRatios[s] * e
            if s > 0 { n += e * embedDims[s - 1] * 9 + e + 2 * e }
            n += depths[s] * (2 * e + mamba(e) + 2 * e + e * hid + hid + hid * 9 + hid + hid * e + e)
            n += 2 * e
        }
        let e3 = embedDims[3]
        n += 2 * e3 + mamba(e3) + 2 * e3 + e3 * 4 * e3 + 4 * e3 + 4 * e3 * e3 + e3
        return n
    }

    /// From the upstream `SiMBA(...)` constructor arguments (the `config` object of an ARCH file).
    public init(upstream c: [String: Any], file: String) throws {
        func bad(_ why: String) -> ModelsError { .invalidFile(file: file, reason: why) }
        guard let dims = c["embed_dims"] as? [Int], dims.count == 4,
              let depths = c["depths"] as? [Int], depths.count == 4,
              let ratios = c["mlp_ratios"] as? [Int], ratios.count == 4 else {
            throw bad("config needs embed_dims, depths and mlp_ratios, 4 integers each")
        }
        let sh = c["stem_hidden_dim"] as? Int ?? 32
        if let nc = c["num_classes"] as? Int, nc != 0 { throw bad("config.num_classes must be 0 (no head)") }
        if let tl = c["token_label"] as? Bool, tl { throw bad("config.token_label true is not supported") }
        if let cm = c["cm_type"] as? String, cm.lowercased() != "mlp" { throw bad("config.cm_type '\(cm)' is not supported (mlp)") }
        let eps = (c["norm_layer_eps"] as? NSNumber)?.floatValue ?? 1e-6
        self.init(stemHiddenDim: sh, embedDims: dims, depths: depths, mlpRatios: ratios, normEps: eps)
    }
}
