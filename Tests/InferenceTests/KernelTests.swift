import XCTest
@testable import Inference
import TestSupport

final class KernelTests: XCTestCase {
    func seeded(_ n: Int, _ seed: UInt64) -> [Float] {
        LCG64.sequence(n, seed: seed) { Float(Int64($0 >> 40) - (1 << 23)) / Float(1 << 23) }
    }

    func testGemmMatchesNaiveAllTransposes() {
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            let m = 7, n = 5, k = 9
            let a = seeded(m * k, 1), b = seeded(k * n, 2)
            var c1 = seeded(m * n, 3), c2 = c1
            let lda = ta ? m : k, ldb = tb ? k : n
            gemm(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb, beta: 2, c: &c1, ldc: n)
            gemmNaive(transA: ta, transB: tb, m: m, n: n, k: k, alpha: 0.5, a: a, lda: lda, b: b, ldb: ldb, beta: 2, c: &c2, ldc: n)
            for i in 0..<(m * n) { XCTAssertEqual(c1[i], c2[i], accuracy: 1e-5, "ta \(ta) tb \(tb) index \(i)") }
        }
    }

    func testGemmHandComputed() {
        let a: [Float] = [1, 2, 3, 4]      // [[1,2],[3,4]]
        let b: [Float] = [5, 6, 7, 8]      // [[5,6],[7,8]]
        var c = [Float](repeating: 0, count: 4)
        gemm(m: 2, n: 2, k: 2, a: a, lda: 2, b: b, ldb: 2, c: &c, ldc: 2)
        XCTAssertEqual(c, [19, 22, 43, 50])
    }

    func testLinearAddsBias() {
        let x: [Float] = [1, 2]             // one row, in = 2
        let w: [Float] = [1, 0, 0, 1, 1, 1] // out = 3
        let b: [Float] = [10, 20, 30]
        var out = [Float](repeating: -1, count: 3)
        linear(x, rows: 1, inFeatures: 2, weight: w, bias: b, outFeatures: 3, out: &out)
        XCTAssertEqual(out, [11, 22, 33])
    }

    func testConv2dMatchesNaive() {
        let cases: [(Conv2DShape, Int, Int)] = [
            (Conv2DShape(inChannels: 3, outChannels: 4, kernel: 3, stride: 1, padding: 1), 7, 6),
            (Conv2DShape(inChannels: 3, outChannels: 6, kernel: 3, stride: 2, padding: 1), 9, 8),
            (Conv2DShape(inChannels: 4, outChannels: 6, kernel: 3, stride: 1, padding: 0, groups: 2), 6, 6),
            (Conv2DShape(inChannels: 5, outChannels: 5, kernel: 3, stride: 2, padding: 1, groups: 5), 8, 7),
            (Conv2DShape(inChannels: 4, outChannels: 3, kernel: 1), 5, 5),
            (Conv2DShape(inChannels: 3, outChannels: 2, kernelH: 3, kernelW: 3, strideH: 2, strideW: 2,
                         padTop: 0, padLeft: 0, padBottom: 1, padRight: 1, groups: 1), 6, 6),
        ]
        for (i, (s, h, w)) in cases.enumerated() {
            let x = seeded(s.inChannels * h * w, UInt64(10 + i))
            let wt = seeded(s.outChannels * (s.inChannels / s.groups) * s.kernelH * s.kernelW, UInt64(20 + i))
            let b = seeded(s.outChannels, UInt64(30 + i))
            let n = s.outChannels * s.outHeight(h) * s.outWidth(w)
            var fast = [Float](repeating: .nan, count: n + 1), slow = [Float](repeating: 0, count: n)
            fast[n] = 12345  // sentinel
            var scratch = [Float](repeating: 0, count: s.scratchCount(height: h, width: w))
            conv2d(x, height: h, width: w, shape: s, weight: wt, bias: b, out: &fast, scratch: &scratch)
            conv2dNaive(x, height: h, width: w, shape: s, weight: wt, bias: b, out: &slow)
            for j in 0..<n { XCTAssertEqual(fast[j], slow[j], accuracy: 1e-5, "case \(i) index \(j)") }
            XCTAssertEqual(fast[n], 12345, "case \(i) wrote past the output")
        }
    }

    func testLayerNormHandComputed() {
        let x: [Float] = [1, 2, 3, 4]
        var out = [Float](repeating: 0, count: 4)
        layerNorm(x, rows: 1, width: 4, gamma: [1, 1, 2, 1], beta: [0, 0, 0, 1], eps: 0, out: &out)
        // mean 2.5, var 1.25
        let s = Float(1.25).squareRoot()
        XCTAssertEqual(out[0], -1.5 / s, accuracy: 1e-6)
        XCTAssertEqual(out[2], 2 * 0.5 / s, accuracy: 1e-6)
        XCTAssertEqual(out[3], 1.5 / s + 1, accuracy: 1e-6)
    }

    func testSoftmaxAndActivations() {
        var x: [Float] = [0, Float(log(3.0)), -.infinity, 1000, 1000, 1000]
        softmaxRows(&x, rows: 2, width: 3)
        XCTAssertEqual(x[0], 0.25, accuracy: 1e-6); XCTAssertEqual(x[1], 0.75, accuracy: 1e-6); XCTAssertEqual(x[2], 0)
        XCTAssertEqual(x[3] + x[4] + x[5], 1, accuracy: 1e-6)
        var g: [Float] = [1, -1, 0]
        Activation.gelu.apply(&g, count: 3)
        XCTAssertEqual(g[0], 0.8413447, accuracy: 1e-6)   // 0.5·(1+erf(1/√2))
        XCTAssertEqual(g[1], -0.1586553, accuracy: 1e-6)
        var q: [Float] = [1]
        Activation.quickGELU.apply(&q, count: 1)
        XCTAssertEqual(q[0], Float(1 / (1 + exp(-1.702))), accuracy: 1e-6)
    }

    func testBatchNormFold() {
        let bn = BatchNormFold(weight: [2], bias: [1], runningMean: [3], runningVar: [4 - 1e-5])
        var x: [Float] = [5]
        batchNorm(&x, channels: 1, plane: 1, fold: bn)
        XCTAssertEqual(x[0], (5 - 3) / 2 * 2 + 1, accuracy: 1e-5)
        let f = foldBatchNorm(weight: [1, 1], bias: nil, outChannels: 1, bn: bn)
        XCTAssertEqual(f.weight[0], 1, accuracy: 1e-5); XCTAssertEqual(f.bias[0], -2, accuracy: 1e-5)
    }

    func testCausalAttentionHandComputed() {
        // one head, d = 1, three tokens; q = k = 0 so scores are uniform over the visible keys.
        let q: [Float] = [0, 0, 0], k: [Float] = [0, 0, 0], v: [Float] = [3, 6, 9]
        var out = [Float](repeating: 0, count: 3), scores = [Float](repeating: 0, count: 9)
        multiHeadAttention(q: q, qStride: 1, k: k, v: v, kvStride: 1, queries: 3, keys: 3, heads: 1, headDim: 1,
                           causal: true, out: &out, outStride: 1, scores: &scores)
        XCTAssertEqual(out[0], 3, accuracy: 1e-6); XCTAssertEqual(out[1], 4.5, accuracy: 1e-6); XCTAssertEqual(out[2], 6, accuracy: 1e-6)
        multiHeadAttention(q: q, qStride: 1, k: k, v: v, kvStride: 1, queries: 3, keys: 3, heads: 1, headDim: 1,
                           causal: false, out: &out, outStride: 1, scores: &scores)
        XCTAssertEqual(out[0], 6, accuracy: 1e-6)
    }

    func testHalfConversion() {
        XCTAssertEqual(halfToFloat(0x3C00), 1)
        XCTAssertEqual(halfToFloat(0xC000), -2)
        XCTAssertEqual(halfToFloat(0x0001), Float(5.9604645e-8))
        XCTAssertEqual(halfToFloat(0x7BFF), 65504)
        XCTAssertTrue(halfToFloat(0x7C00).isInfinite)
    }
}
