import Foundation
import XCTest
@testable import Inference
import TestSupport

private func silu(_ x: Double) -> Double { x / (1 + exp(-x)) }
private func gelu(_ x: Double) -> Double { 0.5 * x * (1 + erf(x / 2.squareRoot())) }
private func softplus(_ x: Double) -> Double { x > 20 ? x : log1p(exp(x)) }

/// The fused channel-last kernels of the CLIP-Mamba towers (activation inside the depthwise and causal
/// convolutions, LayerNorm with the v2 gate, bias + activation rows, the dt projection inside the scan) against
/// their definitions in Double, on both kernel paths, with widths that leave a tail of fewer than 8 channels.
final class MambaFusedKernelTests: XCTestCase {
    private var paths: [KernelPath] { [.best, .portable] }

    private func values(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        LCG64.sequence(n, seed: seed) { scale * (Float(Int64(bitPattern: $0) >> 40) / Float(1 << 23)) }
    }

    private func assertClose(_ got: [Float], _ want: [Double], tol: Double, _ what: String) {
        XCTAssertEqual(got.count, want.count)
        var worst = 0.0
        for (g, w) in zip(got, want) { worst = max(worst, abs(Double(g) - w) / max(1, abs(w))) }
        XCTAssertLessThanOrEqual(worst, tol, "\(what): worst relative error \(worst)")
    }

    func testDepthwiseWithActivation() {
        let h = 5, w = 6, c = 13, stride = 17
        let x = values(h * w * stride, seed: 1), k = values(9 * c, seed: 2, scale: 0.5), bias = values(c, seed: 3)
        for act in [ChannelActivation.silu, .gelu] {
            var want = [Double](repeating: 0, count: h * w * c)
            for oy in 0..<h { for ox in 0..<w { for ch in 0..<c {
                var acc = Double(bias[ch])
                for ky in 0..<3 { for kx in 0..<3 {
                    let iy = oy + ky - 1, ix = ox + kx - 1
                    if iy < 0 || iy >= h || ix < 0 || ix >= w { continue }
                    acc += Double(x[(iy * w + ix) * stride + ch]) * Double(k[(ky * 3 + kx) * c + ch])
                } }
                want[(oy * w + ox) * c + ch] = act == .silu ? silu(acc) : gelu(acc)
            } } }
            for path in paths {
                var out = [Float](repeating: .nan, count: h * w * c)
                depthwiseConv3x3ChannelsLast(x, xStride: stride, height: h, width: w, channels: c, weight9: k, bias: bias,
                                             activation: act, out: &out, path: path)
                assertClose(out, want, tol: 2e-6, "depthwise + \(act) (\(path))")
            }
        }
    }

    func testCausalConv1dWithSiLU() {
        let l = 9, c = 11, taps = 4, stride = 23
        let x = values(l * stride, seed: 4), wt = values(taps * c, seed: 5, scale: 0.5), bias = values(c, seed: 6)
        var want = [Double](repeating: 0, count: l * c)
        for t in 0..<l { for ch in 0..<c {
            var acc = Double(bias[ch])
            for k in 0..<taps where t - taps + 1 + k >= 0 {
                acc += Double(x[(t - taps + 1 + k) * stride + ch]) * Double(wt[k * c + ch])
            }
            want[t * c + ch] = silu(acc)
        } }
        for path in paths {
            var out = [Float](repeating: .nan, count: l * c)
            causalDepthwiseConv1d(x, xStride: stride, length: l, channels: c, taps: taps, weightT: wt, bias: bias,
                                  activation: .silu, out: &out, path: path)
            assertClose(out, want, tol: 2e-6, "causal conv1d + SiLU (\(path))")
        }
    }

    func testLayerNormWithGate() {
        let rows = 4, width = 21, zStride = 30
        let x = values(rows * width, seed: 7, scale: 3), z = values(rows * zStride, seed: 8, scale: 2)
        let g = values(width, seed: 9), b = values(width, seed: 10)
        var want = [Double](repeating: 0, count: rows * width)
        for r in 0..<rows {
            let row = (0..<width).map { Double(x[r * width + $0]) }
            let mean = row.reduce(0, +) / Double(width)
            let v = row.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(width)
            for i in 0..<width {
                want[r * width + i] = ((row[i] - mean) / (v + 1e-5).squareRoot() * Double(g[i]) + Double(b[i]))
                    * silu(Double(z[r * zStride + i]))
            }
        }
        for path in paths {
            var out = [Float](repeating: .nan, count: rows * width)
            layerNormRows(x, rows: rows, width: width, gamma: g, beta: b, eps: 1e-5, gate: z, gateStride: zStride,
                          out: &out, path: path)
            assertClose(out, want, tol: 1e-5, "LayerNorm + gate (\(path))")
        }
    }

    func testBiasActivationRows() {
        let rows = 3, width = 19, stride = 24
        let x0 = values(rows * stride, seed: 11, scale: 4), bias = values(width, seed: 12)
        for act in [ChannelActivation.none, .silu, .gelu, .relu] {
            for path in paths {
                var x = x0
                biasActivationRows(&x, rows: rows, width: width, stride: stride, bias: bias, activation: act, path: path)
                for r in 0..<rows {
                    for i in 0..<stride {
                        let got = Double(x[r * stride + i]), v = Double(x0[r * stride + i])
                        if i >= width { XCTAssertEqual(got, v, "\(act): column \(i) beyond the width changed"); continue }
                        let s = v + Double(bias[i])
                        let want: Double = switch act { case .none: s; case .silu: silu(s); case .gelu: gelu(s); case .relu: max(s, 0) }
                        XCTAssertEqual(got, want, accuracy: 2e-6 * max(1, abs(want)), "\(act) (\(path)) at \(r),\(i)")
                    }
                }
            }
        }
    }

    /// The scan with the dt projection inside (δ_raw = δ_low · Wᵀ computed per step) against the definition with
    /// δ_raw formed first, for N = 1 and N = 64, channel counts with tails, a gate, and a reversed order.
    func testScanWithFusedDtProjection() {
        for (channels, n, rank) in [(21, 1, 3), (19, 64, 5), (16, 2, 1)] {
            let l = 7, lowStride = rank + 2 * n + 1
            let u = values(l * channels, seed: 13), z = values(l * channels, seed: 14, scale: 2)
            let xDbl = values(l * lowStride, seed: 15, scale: 0.7)
            let wT = values(rank * channels, seed: 16, scale: 0.6)          // [rank, channels]
            let aLog = (0..<(channels * n)).map { Float(log(Double($0 % n + 1))) + 0.1 * Float($0 % 3) }
            let weights = SelectiveScanWeights(channels: channels, dState: n, aLog: aLog, d: values(channels, seed: 17),
                                               deltaBias: values(channels, seed: 18, scale: 0.5).map { $0 - 2 })
            let order = (0..<l).reversed().map { Int32($0) }
            // the definition (§6.1) in Double
            var want = [Double](repeating: 0, count: l * channels)
            for ch in 0..<channels {
                var hs = [Double](repeating: 0, count: n)
                for p in order.map(Int.init) {
                    var raw = 0.0
                    for r in 0..<rank { raw += Double(xDbl[p * lowStride + r]) * Double(wT[r * channels + ch]) }
                    let dt = softplus(raw + Double(weights.deltaBias[ch]))
                    let uu = Double(u[p * channels + ch])
                    var y = Double(weights.d[ch]) * uu
                    for k in 0..<n {
                        let a = -exp(Double(aLog[ch * n + k]))
                        hs[k] = exp(dt * a) * hs[k] + dt * Double(xDbl[p * lowStride + rank + k]) * uu
                        y += Double(xDbl[p * lowStride + rank + n + k]) * hs[k]
                    }
                    want[p * channels + ch] = y * silu(Double(z[p * channels + ch]))
                }
            }
            for path in paths + [nil] {
                var y = [Float](repeating: .nan, count: l * channels)
                order.withUnsafeBufferPointer { o in u.withUnsafeBufferPointer { u in xDbl.withUnsafeBufferPointer { xd in
                    wT.withUnsafeBufferPointer { wt in z.withUnsafeBufferPointer { z in y.withUnsafeMutableBufferPointer { y in
                        let ops = ScanOperands(length: l, order: o.baseAddress!, u: u.baseAddress!, uStride: channels,
                                               dtLow: xd.baseAddress!, dtLowStride: lowStride, dtRank: rank,
                                               dtWeight: wt.baseAddress!, dtWeightStride: channels,
                                               b: xd.baseAddress! + rank, c: xd.baseAddress! + rank + n, bcStride: lowStride,
                                               z: z.baseAddress!, zStride: channels, y: y.baseAddress!, yStride: channels)
                        if let path {
                            SelectiveScan.run([ops], weights: weights, channels: channels, path: path)
                        } else {
                            SelectiveScan.runNaive(ops, weights: weights, channelOffset: 0, channels: channels)
                        }
                    } } }
                } } }
                assertClose(y, want, tol: 2e-5, "fused dt scan C=\(channels) N=\(n) R=\(rank) (\(path.map { "\($0)" } ?? "naive"))")
            }
        }
    }

    /// Inside `runSerially`, `parallelChunks` calls its body once, on the calling thread, with the whole range;
    /// the scan gives the same values serially as split over the cores.
    func testSerialMode() {
        XCTAssertFalse(isRunningSerially)
        let calls = LockedCounter()
        runSerially {
            XCTAssertTrue(isRunningSerially)
            parallelChunks(1_000_000, minChunk: 1) { r in
                calls.add()
                XCTAssertEqual(r, 0..<1_000_000)
            }
        }
        XCTAssertEqual(calls.value, 1)
        XCTAssertFalse(isRunningSerially)
    }
}

private final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}
