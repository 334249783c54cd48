import Foundation
import XCTest
import TestSupport
@testable import Inference

/// A minimal F32 safetensors reader for the scan fixture (the module's full reader is tested elsewhere).
private func readF32Safetensors(_ url: URL) throws -> [String: (shape: [Int], data: [Float])] {
    let bytes = try Data(contentsOf: url)
    let n = bytes.prefix(8).enumerated().reduce(0) { $0 | (Int($1.element) << (8 * $1.offset)) }
    let header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + n))) as! [String: Any]
    var out: [String: (shape: [Int], data: [Float])] = [:]
    for (name, value) in header where name != "__metadata__" {
        let d = value as! [String: Any]
        guard d["dtype"] as? String == "F32" else { continue }
        let offs = d["data_offsets"] as! [Int]
        let raw = bytes.subdata(in: (8 + n + offs[0])..<(8 + n + offs[1]))
        let floats = raw.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        out[name] = (d["shape"] as! [Int], floats)
    }
    return out
}

/// Channel-first `[channels, L]` → channel-last `[L, channels]`.
private func toChannelLast(_ x: ArraySlice<Float>, channels: Int, length: Int) -> [Float] {
    let base = x.startIndex
    var out = [Float](repeating: 0, count: channels * length)
    for c in 0..<channels { for t in 0..<length { out[t * channels + c] = x[base + c * length + t] } }
    return out
}

private func softplus(_ x: Double) -> Double { x > 20 ? x : log1p(exp(x)) }

final class SelectiveScanTests: XCTestCase {
    /// Runs one scan (fast kernel, or its naive twin) on channel-last buffers.
    private func scan(length: Int, channels: Int, dState: Int, u: [Float], deltaRaw: [Float], b: [Float], c: [Float],
                      z: [Float]?, weights: SelectiveScanWeights, naive: Bool = false, order: [Int32]? = nil,
                      path: KernelPath = .best) -> [Float] {
        var y = [Float](repeating: .nan, count: length * channels)
        let ord = order ?? (0..<length).map { Int32($0) }
        ord.withUnsafeBufferPointer { o in
            u.withUnsafeBufferPointer { u in
                deltaRaw.withUnsafeBufferPointer { dr in
                    b.withUnsafeBufferPointer { b in
                        c.withUnsafeBufferPointer { c in
                            y.withUnsafeMutableBufferPointer { y in
                                let zp = z.map { UnsafeMutablePointer<Float>.allocate(capacity: $0.count) }
                                defer { zp?.deallocate() }
                                if let z, let zp { zp.initialize(from: z, count: z.count) }
                                let ops = ScanOperands(length: length, order: o.baseAddress!, u: u.baseAddress!,
                                                       uStride: channels, deltaRaw: dr.baseAddress!, deltaStride: channels,
                                                       b: b.baseAddress!, c: c.baseAddress!, bcStride: dState,
                                                       z: zp.map { UnsafePointer($0) }, zStride: channels,
                                                       y: y.baseAddress!, yStride: channels)
                                if naive {
                                    SelectiveScan.runNaive(ops, weights: weights, channelOffset: 0, channels: channels)
                                } else {
                                    SelectiveScan.run([ops], weights: weights, channels: channels, path: path)
                                }
                            }
                        }
                    }
                }
            }
        }
        return y
    }

    /// L = 1, N = 1: y = C·Δ·B·u + D·u with Δ = softplus(δ_raw + δ_bias); with the gate, times SiLU(z).
    func testLengthOneByHand() {
        for path in [KernelPath.best, .portable] { lengthOneByHand(path) }
    }

    private func lengthOneByHand(_ path: KernelPath) {
        let w = SelectiveScanWeights(channels: 2, dState: 1, aLog: [0.3, -0.2], d: [0.5, -1.5], deltaBias: [0.25, -0.5])
        let u: [Float] = [2, -3], dr: [Float] = [-0.25, 1.5], b: [Float] = [0.7], c: [Float] = [-1.1]
        let y = scan(length: 1, channels: 2, dState: 1, u: u, deltaRaw: dr, b: b, c: c, z: nil, weights: w, path: path)
        // channel 0: Δ = softplus(0) = ln 2; channel 1: Δ = softplus(1) = ln(1 + e)
        let e0 = -1.1 * log(2.0) * 0.7 * 2 + 0.5 * 2
        let e1 = -1.1 * log(1 + M_E) * 0.7 * -3 + -1.5 * -3
        XCTAssertEqual(Double(y[0]), e0, accuracy: 1e-6)
        XCTAssertEqual(Double(y[1]), e1, accuracy: 1e-6)
        let z: [Float] = [1, -2]
        let g = scan(length: 1, channels: 2, dState: 1, u: u, deltaRaw: dr, b: b, c: c, z: z, weights: w, path: path)
        XCTAssertEqual(Double(g[0]), e0 * (1 / (1 + exp(-1.0))), accuracy: 1e-6)
        XCTAssertEqual(Double(g[1]), e1 * (-2 / (1 + exp(2.0))), accuracy: 1e-6)
    }

    /// L = 2, N = 2, one channel: h₁ = exp(Δ₁A)·h₀ + Δ₁·B₁·u₁ per state, written out by hand.
    func testLengthTwoByHand() {
        for path in [KernelPath.best, .portable] { lengthTwoByHand(path) }
    }

    private func lengthTwoByHand(_ path: KernelPath) {
        let aLog: [Float] = [0, log(2)]                       // A = [−1, −2]
        let w = SelectiveScanWeights(channels: 1, dState: 2, aLog: aLog, d: [0.25], deltaBias: [0])
        let u: [Float] = [1, 2]
        let dr: [Float] = [0, 1]                               // Δ₀ = ln 2, Δ₁ = ln(1 + e)
        let b: [Float] = [1, 0.5, -1, 2]                      // B₀ = (1, 0.5), B₁ = (−1, 2)
        let c: [Float] = [2, 1, 0.5, -1]                      // C₀ = (2, 1),  C₁ = (0.5, −1)
        let y = scan(length: 2, channels: 1, dState: 2, u: u, deltaRaw: dr, b: b, c: c, z: nil, weights: w, path: path)
        let d0 = log(2.0), d1 = log(1 + M_E)
        let h0 = [d0 * 1 * 1, d0 * 0.5 * 1]
        let y0 = 2 * h0[0] + 1 * h0[1] + 0.25 * 1
        let h1 = [exp(-d1) * h0[0] + d1 * -1 * 2, exp(-2 * d1) * h0[1] + d1 * 2 * 2]
        let y1 = 0.5 * h1[0] - 1 * h1[1] + 0.25 * 2
        XCTAssertEqual(Double(y[0]), y0, accuracy: 1e-6)
        XCTAssertEqual(Double(y[1]), y1, accuracy: 1e-6)
    }

    /// Zero input gives zero output whatever the other operands (h stays 0, D·u = 0), gated or not.
    func testZeroInputGivesZero() {
        let ch = 19, n = 5, l = 11
        var rng = SystemRandomNumberGenerator()
        func r(_ k: Int) -> [Float] { (0..<k).map { _ in Float.random(in: -2...2, using: &rng) } }
        let w = SelectiveScanWeights(channels: ch, dState: n, aLog: r(ch * n), d: r(ch), deltaBias: r(ch))
        let dr = r(l * ch), b = r(l * n), c = r(l * n), z = r(l * ch)
        for path in [KernelPath.best, .portable] {
            let y = scan(length: l, channels: ch, dState: n, u: [Float](repeating: 0, count: l * ch), deltaRaw: dr,
                         b: b, c: c, z: z, weights: w, path: path)
            XCTAssertEqual(y, [Float](repeating: 0, count: l * ch), "\(path)")
        }
    }

    /// Fast kernel against its naive twin: N = 64 (SiMBA) and N = 1 (VMamba), channel counts with a partial
    /// SIMD vector and several blocks, a shuffled visiting order, with and without the gate.
    func testKernelMatchesNaiveTwin() {
        var gen = SplitMix64(seed: 7)
        func r(_ k: Int, _ s: Float = 1) -> [Float] { (0..<k).map { _ in s * gen.nextFloat() } }
        for (ch, n, l) in [(37, 64, 23), (150, 1, 40), (8, 4, 5), (3, 7, 9)] {
            let w = SelectiveScanWeights(channels: ch, dState: n, aLog: r(ch * n), d: r(ch), deltaBias: r(ch))
            var order = (0..<l).map { Int32($0) }
            order.reverse(); order.swapAt(1, l - 2)
            let u = r(l * ch, 2), dr = r(l * ch, 3), b = r(l * n), c = r(l * n), z = r(l * ch, 2)
            for gate in [false, true] { for path in [KernelPath.best, .portable] {
                let fast = scan(length: l, channels: ch, dState: n, u: u, deltaRaw: dr, b: b, c: c, z: gate ? z : nil,
                                weights: w, order: order, path: path)
                let slow = scan(length: l, channels: ch, dState: n, u: u, deltaRaw: dr, b: b, c: c, z: gate ? z : nil,
                                weights: w, naive: true, order: order)
                let err = zip(fast, slow).map { abs($0 - $1) / max(1, abs($1)) }.max()!
                XCTAssertLessThan(err, 1e-5, "channels \(ch) N \(n) gate \(gate) \(path)")
            } }
        }
    }

    /// The upstream reference scan (mamba_ssm `selective_scan_ref`) on the standalone fixture:
    /// two groups of three channels (two scans sharing weights stacked channel-wise), with and without the gate,
    /// and the one-group variant.
    func testMatchesUpstreamReferenceScan() throws {
        let url = Mirror.url("clip-mamba-fixtures/s6_unit.safetensors")
        guard FileManager.default.fileExists(atPath: url.path) else { throw XCTSkip("mirror file \(url.path) is absent") }
        let t = try readF32Safetensors(url)
        let bt = 2, dch = 6, n = 4, l = 7, groups = 2, per = 3
        let w = SelectiveScanWeights(channels: dch, dState: n, aLog: t["A_log"]!.data, d: t["D"]!.data,
                                     deltaBias: t["delta_bias"]!.data)
        let order = (0..<l).map { Int32($0) }
        for (gated, key, oneGroup) in [(false, "y_no_gate", false), (true, "y_gated", false), (true, "y_groups1_gated", true)] {
          for path in [KernelPath.best, .portable] {
            var worst: Float = 0
            for bi in 0..<bt {
                let slice = { (name: String) -> [Float] in
                    toChannelLast(t[name]!.data[(bi * dch * l)..<((bi + 1) * dch * l)], channels: dch, length: l)
                }
                let u = slice("u"), dr = slice("delta_raw"), z = slice("z")
                let expected = slice(key)
                var y = [Float](repeating: .nan, count: l * dch)
                // B, C: (Bt, G, N, L) → per group channel-last (L, N); one-group variant (Bt, N, L).
                func bc(_ name: String, _ g: Int) -> [Float] {
                    let stride = (oneGroup ? 1 : groups) * n * l
                    let off = bi * stride + (oneGroup ? 0 : g * n * l)
                    return toChannelLast(t[name]!.data[off..<(off + n * l)], channels: n, length: l)
                }
                let bG = (0..<groups).map { bc(oneGroup ? "B1" : "B", $0) }
                let cG = (0..<groups).map { bc(oneGroup ? "C1" : "C", $0) }
                order.withUnsafeBufferPointer { o in
                    u.withUnsafeBufferPointer { u in dr.withUnsafeBufferPointer { dr in z.withUnsafeBufferPointer { z in
                        bG[0].withUnsafeBufferPointer { b0 in bG[1].withUnsafeBufferPointer { b1 in
                            cG[0].withUnsafeBufferPointer { c0 in cG[1].withUnsafeBufferPointer { c1 in
                                y.withUnsafeMutableBufferPointer { y in
                                    let bs = [b0.baseAddress!, b1.baseAddress!], cs = [c0.baseAddress!, c1.baseAddress!]
                                    let scans = (0..<groups).map { g in
                                        ScanOperands(length: l, order: o.baseAddress!, u: u.baseAddress! + g * per, uStride: dch,
                                                     deltaRaw: dr.baseAddress! + g * per, deltaStride: dch,
                                                     b: bs[g], c: cs[g], bcStride: n,
                                                     z: gated ? z.baseAddress! + g * per : nil, zStride: dch,
                                                     y: y.baseAddress! + g * per, yStride: dch)
                                    }
                                    SelectiveScan.run(scans, weights: w, channels: per, path: path)
                                }
                            } }
                        } }
                    } } }
                }
                for i in 0..<y.count { worst = max(worst, abs(y[i] - expected[i]) / max(1, abs(expected[i]))) }
            }
            XCTAssertLessThan(worst, 1e-5, "\(key) \(path)")
          }
        }
    }
}
