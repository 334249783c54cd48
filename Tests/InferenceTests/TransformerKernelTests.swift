import Foundation
import XCTest
@testable import Inference
import TestSupport

/// The CKernels transformer kernels (portable and AVX2+FMA paths) against the scalar Swift loops they replaced.
final class TransformerKernelTests: XCTestCase {
    func seeded(_ n: Int, _ seed: UInt64, scale: Float = 1) -> [Float] {
        LCG64.sequence(n, seed: seed) { scale * Float(Int64($0 >> 40) - (1 << 23)) / Float(1 << 23) }
    }

    /// The paths to check here: portable always, AVX2 where the CPU has it.
    var paths: [Bool] { TransformerKernelPaths.hasAVX2 ? [false, true] : [false] }

    func testLayerNormBothPathsMatchScalarSwift() {
        for width in [1, 7, 8, 13, 512, 768, 1001] {
            let rows = 3
            // an offset mean and varied scale per row, as in a residual stream
            var x = seeded(rows * width, UInt64(width), scale: 4)
            for r in 0..<rows { for i in 0..<width { x[r * width + i] += Float(r * 10 - 7) } }
            let g = seeded(width, 11).map { 1 + 0.1 * $0 }, b = seeded(width, 12, scale: 0.02)
            var want = [Float](repeating: 0, count: x.count)
            layerNormReference(x, rows: rows, width: width, gamma: g, beta: b, eps: 1e-5, out: &want)
            for avx2 in paths {
                var got = [Float](repeating: .nan, count: x.count)
                TransformerKernelPaths.layerNorm(avx2: avx2, x, rows: rows, width: width, gamma: g, beta: b, eps: 1e-5, out: &got)
                for i in 0..<x.count {
                    XCTAssertEqual(got[i], want[i], accuracy: avx2 ? 2e-6 : 0, "avx2 \(avx2) width \(width) index \(i)")
                }
            }
            // in place (out == x) gives the same values
            var inPlace = x
            inPlace.withUnsafeMutableBufferPointer { p in
                layerNorm(p.baseAddress!, rows: rows, width: width, gamma: g, beta: b, out: p.baseAddress!)
            }
            for i in 0..<x.count { XCTAssertEqual(inPlace[i], want[i], accuracy: 2e-6) }
        }
    }

    func testActivationsBothPathsMatchScalarSwift() {
        // −12…12 densely, plus extremes where exp under/overflows
        var x = (0..<2403).map { Float($0 - 1201) * 0.01 }
        x += [-100, -88, -87.5, 60, 88, 100, 0, -0.0, 1e-8, -1e-8]
        for act in Activation.allCases {
            var want = x
            act.applyReference(&want, count: want.count)
            for avx2 in paths {
                var got = x
                TransformerKernelPaths.biasActivation(avx2: avx2, &got, rows: 1, width: got.count, bias: nil, activation: act)
                for i in 0..<x.count {
                    // absolute 1e-6 around 0, a few ulps relative elsewhere (vector exp/erf)
                    let tol: Float = avx2 ? max(1e-6, 4e-7 * abs(want[i])) : 0
                    XCTAssertEqual(got[i], want[i], accuracy: tol, "\(act) avx2 \(avx2) x = \(x[i])")
                }
            }
        }
    }

    func testBiasActivationAddsBiasPerRow() {
        let rows = 4, width = 19
        let x = seeded(rows * width, 3, scale: 3), bias = seeded(width, 4)
        for avx2 in paths {
            for act in [nil] + Activation.allCases.map(Optional.some) {
                var got = x
                TransformerKernelPaths.biasActivation(avx2: avx2, &got, rows: rows, width: width, bias: bias, activation: act)
                var want = (0..<(rows * width)).map { x[$0] + bias[$0 % width] }
                act?.applyReference(&want, count: want.count)
                for i in 0..<want.count { XCTAssertEqual(got[i], want[i], accuracy: 1e-6, "\(String(describing: act)) avx2 \(avx2) index \(i)") }
            }
        }
        // the public bias add: hand-computed
        var y: [Float] = [1, 2, 3, 4, 5, 6]
        addBiasRows(&y, rows: 2, width: 3, bias: [10, 20, 30])
        XCTAssertEqual(y, [11, 22, 33, 14, 25, 36])
    }

    func testSoftmaxBothPathsMatchScalarSwift() {
        for width in [1, 3, 8, 9, 50, 77, 1000] {
            let rows = 5
            var x = seeded(rows * width, UInt64(100 + width), scale: 20)
            // a causal-style row: −∞ after the diagonal
            for j in 1..<width { x[j] = -.infinity }
            var want = x
            softmaxRowsReference(&want, rows: rows, width: width)
            for avx2 in paths {
                var got = x
                TransformerKernelPaths.softmax(avx2: avx2, &got, rows: rows, width: width)
                for i in 0..<x.count {
                    XCTAssertEqual(got[i], want[i], accuracy: avx2 ? max(1e-9, 1e-6 * want[i]) : 0, "avx2 \(avx2) width \(width) index \(i)")
                    if x[i] == -.infinity { XCTAssertEqual(got[i], 0) }
                }
                for r in 0..<rows {
                    XCTAssertEqual(got[(r * width)..<((r + 1) * width)].reduce(0, +), 1, accuracy: 1e-5)
                }
            }
        }
    }

    func testOpenBLASKernelWarning() {
        // AVX-512 CPU with Haswell kernels forced: warns and names the variable
        let forced = BLASInfo.kernelWarning(environment: ["OPENBLAS_CORETYPE": "Haswell"], avx512: true, core: "Haswell")
        XCTAssertTrue(forced?.contains("OPENBLAS_CORETYPE=Haswell forces Haswell kernels") ?? false, String(describing: forced))
        XCTAssertTrue(BLASInfo.kernelWarning(environment: [:], avx512: true, core: "Zen")?.contains("OpenBLAS picked Zen") ?? false)
        // AVX-512 kernels, or a CPU without AVX-512: no warning
        XCTAssertNil(BLASInfo.kernelWarning(environment: ["OPENBLAS_CORETYPE": "SkylakeX"], avx512: true, core: "SkylakeX"))
        XCTAssertNil(BLASInfo.kernelWarning(environment: [:], avx512: true, core: "Zen4"))
        XCTAssertNil(BLASInfo.kernelWarning(environment: ["OPENBLAS_CORETYPE": "Haswell"], avx512: false, core: "Haswell"))
    }
}
