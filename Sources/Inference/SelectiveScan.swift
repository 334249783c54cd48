import Foundation
import Synchronization

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
/// Pointers are borrowed for the duration of the call; the caller owns every buffer.
public struct ScanOperands: @unchecked Sendable {
    public var length: Int
    public var order: UnsafePointer<Int32>
    public var u: UnsafePointer<Float>
    public var uStride: Int
    public var deltaRaw: UnsafePointer<Float>
    public var deltaStride: Int
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
    }
}

/// The selective scan (S6) of specs/clip-mamba.md §6.1 on the CPU:
///
///     Δ = softplus(δ_raw + δ_bias);  h_t = exp(Δ·A) ⊙ h_{t−1} + Δ·B_t·u_t;  y_t = C_t·h_t + D·u_t  [· SiLU(z_t)]
///
/// with h₋₁ = 0. Channels are independent: the kernel runs blocks of channels (eight per SIMD vector) through
/// the whole sequence, keeping the block's state in a small stack buffer, and spreads the blocks over the cores
/// (`DispatchQueue.concurrentPerform`). Nothing is allocated per step.
public enum SelectiveScan {
    private static let nanoseconds = Atomic<UInt64>(0)

    /// Wall-clock seconds spent in `run` since the process started (benchmarks report the scan's share).
    public static var elapsedSeconds: Double { Double(nanoseconds.load(ordering: .relaxed)) / 1e9 }

    /// Channels per block: wide blocks for small states (more independent recurrences in flight), narrow for
    /// large ones (the state stays in L1).
    static func blockWidth(dState: Int) -> Int { dState <= 4 ? 64 : 16 }

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
    public static func run(_ scans: [ScanOperands], weights: SelectiveScanWeights, channels: Int) {
        let start = DispatchTime.now().uptimeNanoseconds
        defer { nanoseconds.add(DispatchTime.now().uptimeNanoseconds &- start, ordering: .relaxed) }
        precondition(weights.channels == channels * scans.count, "selective scan: weights for \(weights.channels) channels, scans need \(channels * scans.count)")
        let bw = blockWidth(dState: weights.dState)
        let blocks = (channels + bw - 1) / bw
        let work: @Sendable (Int) -> Void = {
            (block: Int) in
            let c0 = block * bw, c1 = Swift.min(channels, c0 + bw)
            withUnsafeTemporaryAllocation(of: Float.self, capacity: weights.dState * bw) { state in
                weights.a2.withUnsafeBufferPointer { a2 in
                    weights.d.withUnsafeBufferPointer { d in
                        weights.deltaBias.withUnsafeBufferPointer { bias in
                            for (i, s) in scans.enumerated() {
                                let off = i * channels
                                scanBlock(s, c0: c0, c1: c1, a2: a2.baseAddress! + off, aStride: weights.channels,
                                          d: d.baseAddress! + off, bias: bias.baseAddress! + off,
                                          dState: weights.dState, state: state.baseAddress!)
                            }
                        }
                    }
                }
            }
        }
        if blocks == 1 || scans[0].length * channels * weights.dState < 16_384 {
            for b in 0..<blocks { work(b) }
        } else {
            DispatchQueue.concurrentPerform(iterations: blocks, execute: work)
        }
    }

    /// Channels `c0..<c1` of one scan through the whole sequence. `a2`, `d`, `bias` point at this scan's channel 0.
    @inline(__always)
    static func scanBlock(_ s: ScanOperands, c0: Int, c1: Int, a2: UnsafePointer<Float>, aStride: Int,
                          d: UnsafePointer<Float>, bias: UnsafePointer<Float>, dState n: Int,
                          state: UnsafeMutablePointer<Float>) {
        let width = c1 - c0
        let vectors = (width + 7) / 8
        let full = width / 8
        let sv = UnsafeMutableRawPointer(state).bindMemory(to: Vec8.self, capacity: n * vectors)
        for i in 0..<(n * vectors) { sv[i] = Vec8(repeating: 0) }
        for t in 0..<s.length {
            let p = Int(s.order[t])
            let bRow = s.b + p * s.bcStride, cRow = s.c + p * s.bcStride
            let uRow = s.u + p * s.uStride + c0, dRow = s.deltaRaw + p * s.deltaStride + c0
            let yRow = s.y + p * s.yStride + c0
            let zRow = s.z.map { $0 + p * s.zStride + c0 }
            for v in 0..<vectors {
                let o = v * 8
                let isFull = v < full
                let lanes = isFull ? 8 : width - o
                let uu = isFull ? load8(uRow + o) : loadPartial(uRow + o, lanes)
                let dl = (isFull ? load8(dRow + o) : loadPartial(dRow + o, lanes))
                    + (isFull ? load8(bias + c0 + o) : loadPartial(bias + c0 + o, lanes))
                let dt = softplusv(dl)
                let du = dt * uu
                var acc = (isFull ? load8(d + c0 + o) : loadPartial(d + c0 + o, lanes)) * uu
                var aPtr = a2 + c0 + o
                let hBase = sv + v
                if isFull {
                    for k in 0..<n {
                        let dA = exp2v(dt * load8(aPtr))
                        let h = dA * hBase[k * vectors] + du * bRow[k]
                        hBase[k * vectors] = h
                        acc += h * cRow[k]
                        aPtr += aStride
                    }
                } else {
                    for k in 0..<n {
                        let dA = exp2v(dt * loadPartial(aPtr, lanes))
                        let h = dA * hBase[k * vectors] + du * bRow[k]
                        hBase[k * vectors] = h
                        acc += h * cRow[k]
                        aPtr += aStride
                    }
                }
                if let zRow {
                    acc *= siluv(isFull ? load8(zRow + o) : loadPartial(zRow + o, lanes))
                }
                if s.accumulate {
                    acc += isFull ? load8(UnsafePointer(yRow + o)) : loadPartial(UnsafePointer(yRow + o), lanes)
                }
                if isFull { store8(acc, yRow + o) } else { storePartial(acc, yRow + o, lanes) }
            }
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
                let x = Double(s.deltaRaw[p * s.deltaStride + ch]) + Double(weights.deltaBias[wc])
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

@inline(__always)
func loadPartial(_ p: UnsafePointer<Float>, _ lanes: Int) -> Vec8 {
    var v = Vec8(repeating: 0)
    for i in 0..<lanes { v[i] = p[i] }
    return v
}

@inline(__always)
func storePartial(_ v: Vec8, _ p: UnsafeMutablePointer<Float>, _ lanes: Int) {
    for i in 0..<lanes { p[i] = v[i] }
}
