/// VMamba's SS2D cross-scan and cross-merge (specs/clip-mamba.md §6.2.3–§6.2.5) without moving data.
///
/// The four scan directions of an H×W map are four visiting orders of the same channel-last rows:
/// k = 0 the row-major raster (p = h·W + w at step l = h·W + w), k = 1 the column-major raster (step l = w·H + h
/// visits p = h·W + w), k = 2 and k = 3 their reverses. Because the per-token projections (x_proj, dt) do not
/// depend on the order, they are computed once per position in spatial order; each direction's scan then reads
/// its operands and writes its output at the spatial position of each step, and the merge is an accumulation
/// into one `y` (the sum of §6.2.5, in the order ys₀, ys₁, ys₂, ys₃).
public struct CrossScan: Sendable {
    public let height: Int
    public let width: Int
    /// `orders[k · L + l]`: the spatial position visited by direction k at step l.
    let orders: [Int32]

    public init(height: Int, width: Int) {
        self.height = height
        self.width = width
        let l = height * width
        var o = [Int32](repeating: 0, count: 4 * l)
        for t in 0..<l {
            let colMajor = Int32((t % height) * width + t / height)
            o[t] = Int32(t)
            o[l + t] = colMajor
        }
        for t in 0..<l {
            o[2 * l + t] = o[l - 1 - t]
            o[3 * l + t] = o[l + l - 1 - t]
        }
        orders = o
    }

    /// L = H·W.
    public var length: Int { height * width }

    /// The spatial position visited by direction `k` at step `l`.
    public func position(direction k: Int, step l: Int) -> Int { Int(orders[k * length + l]) }

    /// Runs the four directions and merges them into `y`.
    ///
    /// - Parameters:
    ///   - u: the scan input `[L, dInner]` (after the depthwise conv and SiLU), spatial row-major.
    ///   - xDbl: `[L, 4·(R + 2N)]`: for direction k, columns `k·(R+2N) + R ..< +N` are B_k and the next N are C_k
    ///     (the δ_low columns are not read here).
    ///   - dtRank: R.
    ///   - deltaRaw: `[L, 4·dInner]`, direction k at columns `k·dInner ..< (k+1)·dInner` (dt projection, no bias).
    ///   - weights: `A_logs`, `Ds`, `dt_projs_bias` for the 4·dInner channels (k-major).
    ///   - y: `[L, dInner]` output, overwritten.
    public func run(dInner: Int, u: UnsafePointer<Float>, xDbl: UnsafePointer<Float>, dtRank: Int,
                    deltaRaw: UnsafePointer<Float>, weights: SelectiveScanWeights, y: UnsafeMutablePointer<Float>) {
        let n = weights.dState
        let xw = dtRank + 2 * n
        orders.withUnsafeBufferPointer { ord in
            let scans = (0..<4).map { k in
                ScanOperands(length: length, order: ord.baseAddress! + k * length, u: u, uStride: dInner,
                             deltaRaw: deltaRaw + k * dInner, deltaStride: 4 * dInner,
                             b: xDbl + k * xw + dtRank, c: xDbl + k * xw + dtRank + n, bcStride: 4 * xw,
                             y: y, yStride: dInner, accumulate: k > 0)
            }
            SelectiveScan.run(scans, weights: weights, channels: dInner)
        }
    }

    /// `run` with the dt projections fused into the scan: `dtWeightsT` `[4, R, dInner]` (each direction's
    /// `dt_projs_weight[k]` transposed) times the δ_low columns `k·(R+2N) ..< +R` of `xDbl`; no δ_raw matrix.
    public func run(dInner: Int, u: UnsafePointer<Float>, xDbl: UnsafePointer<Float>, dtRank: Int,
                    dtWeightsT: UnsafePointer<Float>, weights: SelectiveScanWeights, y: UnsafeMutablePointer<Float>) {
        let n = weights.dState
        let xw = dtRank + 2 * n
        orders.withUnsafeBufferPointer { ord in
            let scans = (0..<4).map { k in
                ScanOperands(length: length, order: ord.baseAddress! + k * length, u: u, uStride: dInner,
                             dtLow: xDbl + k * xw, dtLowStride: 4 * xw, dtRank: dtRank,
                             dtWeight: dtWeightsT + k * dtRank * dInner, dtWeightStride: dInner,
                             b: xDbl + k * xw + dtRank, c: xDbl + k * xw + dtRank + n, bcStride: 4 * xw,
                             y: y, yStride: dInner, accumulate: k > 0)
            }
            SelectiveScan.run(scans, weights: weights, channels: dInner)
        }
    }
}

extension CrossScan {
    /// Runs direction `k` alone (same operands as `run`), writing its un-merged output at each step's spatial
    /// position; for traces and tests.
    public func runSingle(direction k: Int, dInner: Int, u: UnsafePointer<Float>, xDbl: UnsafePointer<Float>, dtRank: Int,
                          deltaRaw: UnsafePointer<Float>, weights: SelectiveScanWeights, y: UnsafeMutablePointer<Float>) {
        let n = weights.dState
        let xw = dtRank + 2 * n
        let w = weights.slice(k * dInner..<((k + 1) * dInner))
        orders.withUnsafeBufferPointer { ord in
            let s = ScanOperands(length: length, order: ord.baseAddress! + k * length, u: u, uStride: dInner,
                                 deltaRaw: deltaRaw + k * dInner, deltaStride: 4 * dInner,
                                 b: xDbl + k * xw + dtRank, c: xDbl + k * xw + dtRank + n, bcStride: 4 * xw,
                                 y: y, yStride: dInner)
            SelectiveScan.run([s], weights: w, channels: dInner)
        }
    }
}

/// A single forward raster (Mamba/SiMBA): the identity order 0..<L, shared and cached per length.
public struct ForwardOrder: Sendable {
    let order: [Int32]
    public init(length: Int) { order = (0..<length).map { Int32($0) } }
    /// Calls `body` with a pointer to the order table.
    public func withOrder<R>(_ body: (UnsafePointer<Int32>) -> R) -> R {
        order.withUnsafeBufferPointer { body($0.baseAddress!) }
    }
}
