/// What the CLIP-Mamba model needs of its image tower (`VMambaTower` or `SiMBATower`); the entry points every
/// caller uses are written once, here.
protocol MambaImageTower: Sendable {
    /// Width of the pooled feature vector (before `image_projection`).
    var featureWidth: Int { get }
    /// Workspaces for concurrent forward passes.
    var workspaces: MambaWorkspacePool { get }
    /// `images` images `[images, 3, h, w]` planar → `out` `[images, featureWidth]` over the workspace `ws`.
    func forward(_ image: UnsafePointer<Float>, images: Int, height: Int, width: Int, out: UnsafeMutablePointer<Float>,
                 ws: MambaWorkspace, trace: MambaTrace?)
    /// Multiply-adds per image at `height × width` as the implementation counts them, and the part in the scan.
    func multiplyAdds(height: Int, width: Int) -> (total: Int, scan: Int)
}

extension MambaImageTower {
    /// One image `[3, h, w]` planar → `out` `[featureWidth]` (with `trace`, the named intermediate activations).
    func forward(_ image: UnsafePointer<Float>, height: Int, width: Int, out: UnsafeMutablePointer<Float>,
                 trace: MambaTrace? = nil) {
        forward(image, images: 1, height: height, width: width, out: out, trace: trace)
    }

    /// `images` images `[images, 3, h, w]` planar → `out` `[images, featureWidth]`, run together: the token-wise
    /// layers (LayerNorms, projections, MLP, convolutions as im2col + sgemm) see the rows of all the images stacked,
    /// so each sgemm packs its weights once for the group; the depthwise and causal convolutions and the scan run
    /// per image. Activations live in a pooled `MambaWorkspace` (no allocation after the first group of a size);
    /// the layers fork onto the cores unless called inside `runSerially`. `trace` needs `images == 1`.
    func forward(_ image: UnsafePointer<Float>, images g: Int, height: Int, width: Int, out: UnsafeMutablePointer<Float>,
                 trace: MambaTrace? = nil) {
        precondition(trace == nil || g == 1, "traces are per image")
        workspaces.with { ws in forward(image, images: g, height: height, width: width, out: out, ws: ws, trace: trace) }
    }
}
