import Foundation
import Synchronization
import CKernels

/// The learned, input-independent parameters of one S6 scan over `channels` channels (specs/clip-mamba.md §6.1).
///
/// Built from the checkpoint tensors `A_log` `[channels, dState]`, `D` `[channels]` and the dt projection bias
/// `[channels]`; stores A = −exp(A_log) pre-multiplied by log₂e and transposed to state-major
/// (`a2[n · channels + c]`) so that the kernel walks channels contiguously.
public struct SelectiveScanWeights: Sendable {
    /// Dch, the number of independent channels.
    public let channels: Int
    /// N, the state size per channel.
    public let dState: Int
    /// A · log₂e, state-major `[dState, channels]`.
    let a2: [Float]
    /// The skip weights D `[channels]`.
    let d: [Float]
    /// δ_bias `[channels]`, added to δ_raw before softplus.
    let deltaBias: [Float]

    /// - Parameters:
    ///   - aLog: `A_log` row-major `[channels, dState]` (the checkpoint layout; VMamba's `A_logs` row k·d_inner + d).
    ///   - d: `D` `[channels]`.
    ///   - deltaBias: the dt projection bias `[channels]` (VMamba's `dt_projs_bias` flattened k-major).
    public init(channels: Int, dState: Int, aLog: [Float], d: [Float], deltaBias: [Float]) {
        precondition(aLog.count == channels * dState && d.count == channels && deltaBias.count == channels,
                     "selective scan weights: inconsistent sizes")
        self.channels = channels
        self.dState = dState
        var a2 = [Float](repeating: 0, count: channels * dState)
        for c in 0..<channels {
            for n in 0..<dState {
                a2[n * channels + c] = -Float(Foundation.exp(Double(aLog[c * dState + n])) * 1.4426950408889634)
            }
        }
        self.a2 = a2
        self.d = d
        self.deltaBias = deltaBias
    }

    private init(channels: Int, dState: Int, a2: [Float], d: [Float], deltaBias: [Float]) {
        self.channels = channels; self.dState = dState; self.a2 = a2; self.d = d; self.deltaBias = deltaBias
    }

    /// The parameters of channels `range` alone.
    public func slice(_ range: Range<Int>) -> SelectiveScanWeights {
        var a = [Float](repeating: 0, count: range.count * dState)
        for n in 0..<dState { for (i, c) in range.enumerated() { a[n * range.count + i] = a2[n * channels + c] } }
        return SelectiveScanWeights(channels: range.count, dState: dState, a2: a, d: Array(d[range]),
                                    deltaBias: Array(deltaBias[range]))
    }

    /// A = −exp(A_log) at channel c, state n (for tests and naive twins).
    func a(_ c: Int, _ n: Int) -> Float { a2[n * channels + c] / 1.4426950408889634 }
}

/// One scan's input-dependent operands, all channel-last: element (position p, channel c) of `u` is
/// `u[p · uStride + c]`, and so on. Positions are visited in the order `order[0], order[1], …` (a raster, its
/// transpose, or their reverses; see `CrossScan`). B and C hold `dState` values per position
/// (`b[p · bcStride + n]`), shared by every channel of the scan (one group).
///
/// δ_raw is either read from `deltaRaw`, or computed inside the scan from the dt projection's low-rank input
/// (`dtLow[p · dtLowStride + r]`, r < `dtRank`) and its weight transposed to `[dtRank, channels]`
/// (`dtWeight[r · dtWeightStride + c]`): δ_raw[p, c] = Σ_r dtLow[p, r] · dtWeight[r, c]. The fused form spares
/// the `[L, channels]` δ_raw matrix and a thin GEMM.
///
/// Pointers are borrowed for the duration of the call; the caller owns every buffer.
public struct ScanOperands: @unchecked Sendable {
    public var length: Int
    public var order: UnsafePointer<Int32>
    public var u: UnsafePointer<Float>
    public var uStride: Int
    public var deltaRaw: UnsafePointer<Float>?
    public var deltaStride: Int
    public var dtLow: UnsafePointer<Float>?
    public var dtLowStride: Int
    public var dtRank: Int
    public var dtWeight: UnsafePointer<Float>?
    public var dtWeightStride: Int
    public var b: UnsafePointer<Float>
    public var c: UnsafePointer<Float>
    public var bcStride: Int
    /// Gate z (Mamba/SiMBA: y ← y · SiLU(z)); nil for VMamba.
    public var z: UnsafePointer<Float>?
    public var zStride: Int
    /// Output y, `y[p · yStride + c]`.
    public var y: UnsafeMutablePointer<Float>
    public var yStride: Int
    /// Add into `y` (cross-merge of several directions) instead of overwriting it.
    public var accumulate: Bool

    public init(length: Int, order: UnsafePointer<Int32>, u: UnsafePointer<Float>, uStride: Int,
                deltaRaw: UnsafePointer<Float>, deltaStride: Int, b: UnsafePointer<Float>, c: UnsafePointer<Float>,
                bcStride: Int, z: UnsafePointer<Float>? = nil, zStride: Int = 0,
                y: UnsafeMutablePointer<Float>, yStride: Int, accumulate: Bool = false) {
        self.length = length; self.order = order; self.u = u; self.uStride = uStride
        self.deltaRaw = deltaRaw; self.deltaStride = deltaStride; self.b = b; self.c = c; self.bcStride = bcStride
        self.z = z; self.zStride = zStride; self.y = y; self.yStride = yStride; self.accumulate = accumulate
        dtLow = nil; dtLowStride = 0; dtRank = 0; dtWeight = nil; dtWeightStride = 0
    }

    /// Operands with the dt projection fused into the scan (no δ_raw matrix).
    public init(length: Int, order: UnsafePointer<Int32>, u: UnsafePointer<Float>, uStride: Int,
                dtLow: UnsafePointer<Float>, dtLowStride: Int, dtRank: Int, dtWeight: UnsafePointer<Float>,
                dtWeightStride: Int, b: UnsafePointer<Float>, c: UnsafePointer<Float>,
                bcStride: Int, z: UnsafePointer<Float>? = nil, zStride: Int = 0,
                y: UnsafeMutablePointer<Float>, yStride: Int, accumulate: Bool = false) {
        self.length = length; self.order = order; self.u = u; self.uStride = uStride
        deltaRaw = nil; deltaStride = 0
        self.dtLow = dtLow; self.dtLowStride = dtLowStride; self.dtRank = dtRank
        self.dtWeight = dtWeight; self.dtWeightStride = dtWeightStride
        self.b = b; self.c = c; self.bcStride = bcStride
        self.z = z; self.zStride = zStride; self.y = y; self.yStride = yStride; self.accumulate = accumulate
    }

    /// δ_raw at position p, channel c (either form).
    func deltaRawValue(position p: Int, channel c: Int) -> Double {
        if let dtLow, let dtWeight {
            var s = 0.0
            for r in 0..<dtRank { s += Double(dtLow[p * dtLowStride + r]) * Double(dtWeight[r * dtWeightStride + c]) }
            return s
        }
        return Double(deltaRaw![p * deltaStride + c])
    }
}

/// The selective scan (S6) of specs/clip-mamba.md §6.1 on the CPU:
///
///     Δ = softplus(δ_raw + δ_bias);  h_t = exp(Δ·A) ⊙ h_{t−1} + Δ·B_t·u_t;  y_t = C_t·h_t + D·u_t  [· SiLU(z_t)]
///
/// with h₋₁ = 0. Channels are independent: the kernel runs blocks of channels (eight per SIMD vector) through
/// the whole sequence, keeping the block's state in a small stack buffer, and spreads the blocks over the cores
/// (`DispatchQueue.concurrentPerform`; inline inside `runSerially`, with wider blocks). The operand rows of
/// upcoming steps are prefetched (the cross-scan's column-major orders jump rows). Nothing is allocated per step.
public enum SelectiveScan {
    private static let nanoseconds = Atomic<UInt64>(0)

    /// CPU seconds spent in the scan kernels since the process started, summed over the threads that ran them
    /// (benchmarks compare it with the process's CPU time: the scan's share of the work).
    public static var cpuSeconds: Double { Double(nanoseconds.load(ordering: .relaxed)) / 1e9 }

    /// This thread's CPU time in nanoseconds.
    static func threadCPUNanoseconds() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
        return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
    }

    /// Channels per block: wide blocks for small states (more independent recurrences in flight), narrow for
    /// large ones (the state stays in L1); small enough that both cores get several blocks.
    static func blockWidth(dState: Int, channels: Int, serial: Bool = false) -> Int {
        if serial {
            // one thread: as wide as the state and the chunk buffers of the N = 1 path allow in L1
            let widest = dState <= 4 ? 64 : 16
            return Swift.max(8, Swift.min(widest, (channels + 7) / 8 * 8))
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        let widest = dState <= 4 ? 64 : 16
        // at least 2 blocks per core where the channels allow, in whole vectors of 8
        let perBlock = (channels + 2 * cores - 1) / (2 * cores)
        return Swift.max(8, Swift.min(widest, (perBlock + 7) / 8 * 8))
    }

    /// Runs several scans that share nothing but may write the same `y` (each scan's channel c is channel
    /// `channelOffset + c` of `weights`). Work is split over channel blocks; within a block the scans run in the
    /// order given, so accumulation into a shared `y` is deterministic and race-free when every scan covers the
    /// same channel range of `y`.
    ///
    /// - Parameters:
    ///   - scans: one `ScanOperands` per scan; all have `weights.channels / scans.count` or `channels` channels.
    ///   - weights: parameters of all scans stacked channel-wise (`channels` per scan, scan i at offset
    ///     `i · channels`).
    ///   - channels: channels per scan.
    ///   - path: the kernel to use (default: the fastest available).
    public static func run(_ scans: [ScanOperands], weights: SelectiveScanWeights, channels: Int, path: KernelPath = .best) {
        precondition(weights.channels == channels * scans.count, "selective scan: weights for \(weights.channels) channels, scans need \(channels * scans.count)")
        let serial = isRunningSerially
        let bw = blockWidth(dState: weights.dState, channels: channels, serial: serial)
        let blocks = (channels + bw - 1) / bw
        nonisolated(unsafe) let ops = scans.map { s in
            ck_scan_operands(length: s.length, order: s.order, u: s.u, u_stride: s.uStride, delta_raw: s.deltaRaw,
                             delta_stride: s.deltaStride, b: s.b, c: s.c, bc_stride: s.bcStride, z: s.z,
                             z_stride: s.zStride, y: s.y, y_stride: s.yStride, accumulate: s.accumulate ? 1 : 0,
                             dt_low: s.dtLow, dt_low_stride: s.dtLowStride, dt_rank: s.dtRank, dt_weight: s.dtWeight,
                             dt_weight_stride: s.dtWeightStride)
        }
        let n = weights.dState, total = weights.channels
        let work: @Sendable (Int) -> Void = { block in
            let start = threadCPUNanoseconds()
            defer { nanoseconds.add(threadCPUNanoseconds() &- start, ordering: .relaxed) }
            let c0 = block * bw, c1 = Swift.min(channels, c0 + bw)
            ops.withUnsafeBufferPointer { o in
                weights.a2.withUnsafeBufferPointer { a2 in
                    weights.d.withUnsafeBufferPointer { d in
                        weights.deltaBias.withUnsafeBufferPointer { bias in
                            ck_selective_scan(o.baseAddress!, o.count, channels, c0, c1, a2.baseAddress!, total,
                                              d.baseAddress!, bias.baseAddress!, n, path.rawValue)
                        }
                    }
                }
            }
        }
        if serial || blocks == 1 || scans[0].length * channels * scans.count * n < 16_384 {
            for b in 0..<blocks { work(b) }
        } else {
            DispatchQueue.concurrentPerform(iterations: blocks, execute: work)
        }
    }

    /// The naive twin of `run` for one scan (Double arithmetic, libm functions, one channel at a time): the
    /// oracle in tests. Same operand conventions.
    static func runNaive(_ s: ScanOperands, weights: SelectiveScanWeights, channelOffset: Int, channels: Int) {
        let n = weights.dState
        var h = [Double](repeating: 0, count: n)
        for ch in 0..<channels {
            let wc = channelOffset + ch
            for k in 0..<n { h[k] = 0 }
            for t in 0..<s.length {
                let p = Int(s.order[t])
                let x = s.deltaRawValue(position: p, channel: ch) + Double(weights.deltaBias[wc])
                let dt = x > 20 ? x : Foundation.log1p(Foundation.exp(x))
                let uu = Double(s.u[p * s.uStride + ch])
                var y = Double(weights.d[wc]) * uu
                for k in 0..<n {
                    let a = Double(weights.a(wc, k))
                    h[k] = Foundation.exp(dt * a) * h[k] + dt * Double(s.b[p * s.bcStride + k]) * uu
                    y += Double(s.c[p * s.bcStride + k]) * h[k]
                }
                if let z = s.z {
                    let zz = Double(z[p * s.zStride + ch])
                    y *= zz / (1 + Foundation.exp(-zz))
                }
                let dst = s.y + p * s.yStride + ch
                dst.pointee = s.accumulate ? dst.pointee + Float(y) : Float(y)
            }
        }
    }
}
