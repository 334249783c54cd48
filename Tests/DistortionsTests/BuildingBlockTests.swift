import Foundation
import Imaging
import TestSupport
import XCTest
@testable import Distortions

/// Pairwise summation, Gaussian kernels, fast sin/cos, quantisation rules: hand cases and the goldens' side files.
final class BuildingBlockTests: XCTestCase {
    /// numpy's blocking: for n = 9 the eight partial sums take a[0…7] and a[8] is added last; numpy gives
    /// np.sum([1e16] + [1.0] * 8) = 1e16 + 8, a plain loop 1e16 (1 is half an ulp of 1e16: ties to even).
    func testPairwiseSumBlocking() {
        let a: [Double] = [1e16, 1, 1, 1, 1, 1, 1, 1, 1]
        // ((1e16 + 1) + (1 + 1)) + ((1 + 1) + (1 + 1)) = (1e16 + 2) + 4 = 1e16 + 6; + a[8] = 1e16 + 7 → 1e16 + 8.
        XCTAssertEqual(a.withUnsafeBufferPointer { pairwiseSum($0.baseAddress!, 9) }, 1e16 + 8)
        var naive = 0.0
        for v in a { naive += v }
        XCTAssertEqual(naive, 1e16)
        // n < 8: left to right.
        XCTAssertEqual([1e16, 1, 1].withUnsafeBufferPointer { pairwiseSum($0.baseAddress!, 3) }, 1e16)
        // Split above 128: numpy's np.sum(np.full(1000, 0.1)) is 100.00000000000001; a plain loop gives less.
        let tenths = [Double](repeating: 0.1, count: 1000)
        XCTAssertEqual(tenths.withUnsafeBufferPointer { pairwiseSum($0.baseAddress!, 1000) }, 100.00000000000001)
        XCTAssertNotEqual(tenths.reduce(0, +), 100.00000000000001)
    }

    /// The stored kernels of the study's σ values are the goldens' `gaussian_kernels.json`, and the computed
    /// kernel (C library exp + pairwise sum) is within 2 ulps of them (equal for most σ).
    func testGaussianKernels() throws {
        let url = Goldens.folder.appendingPathComponent("gaussian_kernels.json")
        guard let data = try? Data(contentsOf: url) else { throw XCTSkip("\(url.path) not found") }
        let json = try JSONSerialization.jsonObject(with: data) as! [String: [String: Any]]
        XCTAssertEqual(json.count, 12)
        for (key, entry) in json {
            let sigma = Double(key)!
            let radius = entry["radius"] as! Int
            let weights = (entry["weights_hex"] as! [String]).map { Double($0)! }
            let kernel = GaussianKernel(sigma: sigma)
            XCTAssertEqual(kernel.radius, radius, "σ \(key)")
            XCTAssertEqual(kernel.half, Array(weights[radius...]), "σ \(key)")
            let computed = GaussianKernel.computed(sigma: sigma, radius: radius)
            for k in 0...radius {
                XCTAssertLessThanOrEqual(abs(computed[k] - weights[radius + k]), 2 * weights[radius + k].ulp, "σ \(key) tap \(k)")
            }
        }
        // σ = 1: identical even when computed (no tap of numpy's exp differs from the C library's here).
        XCTAssertEqual(GaussianKernel.computed(sigma: 1, radius: 4), GaussianKernel(sigma: 1).half)
    }

    /// The filter on a constant image equal to cval returns cval · Σw everywhere, and on a delta returns the kernel.
    func testGaussianFilterDeltaAndPadding() {
        let engine = Distorter()
        let h = 11, w = 13
        var delta = [Double](repeating: 0.4423, count: h * w)
        delta[5 * w + 6] = 1.4423
        var out = [Double](repeating: 0, count: h * w)
        delta.withUnsafeBufferPointer { d in
            out.withUnsafeMutableBufferPointer { engine.gaussian(d.baseAddress!, height: h, width: w, sigma: 1, into: $0.baseAddress!) }
        }
        let k = GaussianKernel(sigma: 1).half
        let sum = k[0] + 2 * (k[1] + k[2] + k[3] + k[4])
        // Far from the delta the value is 0.4423 · (Σw)² up to rounding; at the delta, 0.4423·… + w0·w0.
        XCTAssertEqual(out[0], 0.4423 * sum * sum, accuracy: 1e-15)
        XCTAssertEqual(out[5 * w + 6] - out[0], k[0] * k[0], accuracy: 1e-15)
        XCTAssertEqual(out[5 * w + 8] - out[0], k[0] * k[2], accuracy: 1e-15)
        XCTAssertEqual(out[3 * w + 5] - out[0], k[2] * k[1], accuracy: 1e-15)
    }

    func testFastSinCosAgainstLibm() {
        var worst = 0.0
        var x = -4.0
        while x <= 4.0 {
            let (s, c) = FastSinCos.sincos(x)
            worst = max(worst, abs(s - sin(x)), abs(c - cos(x)))
            x += 0.000_731
        }
        XCTAssertLessThan(worst, 4e-16)
        XCTAssertEqual(FastSinCos.sincos(0).sin, 0)
        XCTAssertEqual(FastSinCos.sincos(0).cos, 1)
    }

    /// The two writers (specs §1.4): 0.5/255 rounds up under (a) and truncates to 0 under (b).
    func testQuantisationRules() {
        let values = [0.0, 0.5 / 255.0, 1.0, 127.5 / 255.0, 254.999 / 255.0, -0.1, 1.7, .nan]
        let image = DistortedImage(width: values.count, height: 1, layout: .grey, values: values)
        XCTAssertEqual(image.image8(.roundHalfUp).samples, [0, 1, 255, 128, 255, 0, 255, 0])
        XCTAssertEqual(image.image8(.truncate).samples, [0, 0, 255, 127, 254, 0, 255, 0])
        XCTAssertEqual(image.image8(expandGrey: true).samples.count, 3 * values.count)
        let stacked = DistortedImage(width: 2, height: 1, layout: .stackedGrey, values: [0, 1])
        XCTAssertEqual(stacked.image8().samples, [0, 0, 0, 255, 255, 255])
    }
}
