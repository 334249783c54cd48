import Foundation
import XCTest
@testable import Inference
import TestSupport

/// The C kernels behind the CLIP-Mamba towers (depthwise 3×3, LayerNorm rows, SiLU/GELU/softplus, the gate),
/// each path (AVX2+FMA where the CPU has it, and the portable one) against a Double oracle.
final class ChannelsLastKernelTests: XCTestCase {
    private let paths: [KernelPath] = [.best, .portable]

    private func randoms(_ n: Int, seed: UInt64, scale: Float = 1) -> [Float] {
        var g = SplitMix64(seed: seed)
        return (0..<n).map { _ in scale * g.nextFloat() }
    }

    /// Depthwise 3×3 (stride 1, zero padding 1) against the definition, with maps of one row/column, a channel
    /// count with a partial vector, input rows wider than the channels (a slice of in_proj's output), bias or none.
    func testDepthwise3x3MatchesDefinition() {
        for (h, w, c, extra, hasBias) in [(5, 7, 19, 3, true), (1, 1, 8, 0, false), (2, 2, 16, 8, true), (1, 6, 9, 0, true),
                                          (6, 1, 24, 0, false), (4, 5, 3, 1, true)] {
            let xs = c + extra
            let x = randoms(h * w * xs, seed: UInt64(h * 100 + w)), k = randoms(9 * c, seed: 5), b = randoms(c, seed: 6)
            var expected = [Float](repeating: 0, count: h * w * c)
            for oy in 0..<h { for ox in 0..<w { for ch in 0..<c {
                var acc = hasBias ? Double(b[ch]) : 0
                for ky in 0..<3 { for kx in 0..<3 {
                    let iy = oy + ky - 1, ix = ox + kx - 1
                    if iy < 0 || iy >= h || ix < 0 || ix >= w { continue }
                    acc += Double(x[(iy * w + ix) * xs + ch]) * Double(k[(ky * 3 + kx) * c + ch])
                } }
                expected[(oy * w + ox) * c + ch] = Float(acc)
            } } }
            for path in paths {
                var out = [Float](repeating: .nan, count: h * w * c)
                x.withUnsafeBufferPointer { xp in k.withUnsafeBufferPointer { kp in b.withUnsafeBufferPointer { bp in
                    out.withUnsafeMutableBufferPointer { op in
                        depthwiseConv3x3ChannelsLast(xp.baseAddress!, xStride: xs, height: h, width: w, channels: c,
                                                     weight9: kp.baseAddress!, bias: hasBias ? bp.baseAddress! : nil,
                                                     out: op.baseAddress!, path: path)
                    }
                } } }
                let err = zip(out, expected).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(err, 2e-6, "\(h)x\(w)x\(c) stride \(xs) \(path)")
            }
        }
    }

    /// LayerNorm rows against the Double definition (biased variance), widths with and without a partial vector,
    /// in place.
    func testLayerNormRowsMatchesDefinition() {
        for width in [1, 7, 8, 24, 131] {
            let rows = 5
            let x = randoms(rows * width, seed: UInt64(width), scale: 3).enumerated().map { $0.element + Float($0.offset % 3) }
            let g = randoms(width, seed: 1), b = randoms(width, seed: 2)
            var expected = [Float](repeating: 0, count: rows * width)
            for r in 0..<rows {
                let row = x[(r * width)..<((r + 1) * width)].map(Double.init)
                let mean = row.reduce(0, +) / Double(width)
                let v = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(width)
                for i in 0..<width {
                    expected[r * width + i] = Float((row[i] - mean) / (v + 1e-5).squareRoot() * Double(g[i]) + Double(b[i]))
                }
            }
            for path in paths {
                var y = x
                g.withUnsafeBufferPointer { gp in b.withUnsafeBufferPointer { bp in
                    y.withUnsafeMutableBufferPointer { yp in
                        layerNormRows(yp.baseAddress!, rows: rows, width: width, gamma: gp.baseAddress!, beta: bp.baseAddress!,
                                      eps: 1e-5, out: yp.baseAddress!, path: path)
                    }
                } }
                let err = zip(y, expected).map { abs($0 - $1) / max(1, abs($1)) }.max()!
                XCTAssertLessThan(err, 2e-6, "width \(width) \(path)")
            }
        }
    }

    /// SiLU, erf-GELU and softplus against libm from −87 to 80 (relative error, or absolute below 1), on rows with a
    /// stride and a partial vector; the gate y·SiLU(z) likewise.
    func testElementwiseFunctionsAgainstLibm() {
        var xs: [Float] = []
        var x: Float = -87
        while x < 80 { xs.append(x); x += 0.0371 }
        xs += [0, -0, 1e-8, -1e-8, 0.2, -0.2, 20, 20.5, -20]
        let width = 13, rows = xs.count / width
        let n = rows * width
        func check(_ name: String, _ apply: (UnsafeMutablePointer<Float>, KernelPath) -> Void, _ f: (Double) -> Double,
                   tolerance: Double) {
            for path in paths {
                var y = Array(xs[0..<n])
                y.withUnsafeMutableBufferPointer { apply($0.baseAddress!, path) }
                var worst = 0.0
                for i in 0..<n {
                    let ref = f(Double(xs[i]))
                    worst = max(worst, abs(Double(y[i]) - ref) / max(1, abs(ref)))
                }
                XCTAssertLessThan(worst, tolerance, "\(name) \(path)")
            }
        }
        check("silu", { siluRows($0, rows: rows, width: width, path: $1) }, { $0 / (1 + Foundation.exp(-$0)) }, tolerance: 1e-6)
        check("gelu", { geluRows($0, rows: rows, width: width, path: $1) }, { 0.5 * $0 * (1 + erf($0 / 2.0.squareRoot())) },
              tolerance: 1e-6)
        // softplus: relative error everywhere (Δ multiplies the state), PyTorch's threshold above 20
        for path in paths {
            var y = Array(xs[0..<n])
            y.withUnsafeMutableBufferPointer { softplusRows($0.baseAddress!, rows: rows, width: width, path: path) }
            var worst = 0.0
            for i in 0..<n where xs[i] > -80 {
                let v = Double(xs[i])
                let ref = v > 20 ? v : log1p(Foundation.exp(v))
                worst = max(worst, abs(Double(y[i]) - ref) / ref)
            }
            XCTAssertLessThan(worst, 1e-6, "softplus \(path)")
        }
        // gate on a strided z (VMamba v2 reads z from the second half of in_proj's output)
        let z = randoms(n * 2, seed: 9, scale: 8), y0 = randoms(n, seed: 10)
        for path in paths {
            var y = y0
            z.withUnsafeBufferPointer { zp in y.withUnsafeMutableBufferPointer { yp in
                gateRows(yp.baseAddress!, yStride: width, z: zp.baseAddress! + width, zStride: 2 * width, rows: rows,
                         width: width, path: path)
            } }
            var worst = 0.0
            for r in 0..<rows { for i in 0..<width {
                let zz = Double(z[r * 2 * width + width + i])
                let ref = Double(y0[r * width + i]) * zz / (1 + Foundation.exp(-zz))
                worst = max(worst, abs(Double(y[r * width + i]) - ref) / max(1, abs(ref)))
            } }
            XCTAssertLessThan(worst, 1e-6, "gate \(path)")
        }
    }
}
