import CKernels
import Foundation
import Imaging
import XCTest
@testable import Distortions
import TestSupport

/// The spectral (FFT) Gaussian filter against the exact one (whose bits `KernelPathTests` and the goldens pin down).
final class SpectralGaussianTests: XCTestCase {
    /// A deterministic pseudo-random plane in [0, 1) (an LCG, independent of the code under test).
    private func plane(_ count: Int, seed: UInt64) -> [Double] { LCG64.unitDoubles(count, seed: seed) }

    private func filtered(_ y: [Double], h: Int, w: Int, sigma: Double, method: GaussianMethod) -> [Double] {
        let engine = Distorter()
        engine.gaussianMethod = method
        var out = [Double](repeating: .nan, count: h * w)
        y.withUnsafeBufferPointer { p in
            out.withUnsafeMutableBufferPointer {
                engine.gaussian(p.baseAddress!, height: h, width: w, sigma: sigma, into: $0.baseAddress!)
            }
        }
        return out
    }

    /// Same linear filter up to rounding, for square and oblong planes, kernels narrower and wider than the plane
    /// (σ 40: radius 160 > 53), and a plane narrower than a vector.
    func testSpectralEqualsExactUpToRounding() {
        for (h, w) in [(224, 224), (37, 53), (3, 5), (64, 20)] {
            let y = plane(h * w, seed: UInt64(h * 7 + w))
            for sigma in [0.4, 1.0, 3.0, 7.0, 15.0, 40.0] {
                let exact = filtered(y, h: h, w: w, sigma: sigma, method: .exact)
                let spectral = filtered(y, h: h, w: w, sigma: sigma, method: .spectral)
                var worst = 0.0
                for i in exact.indices { worst = max(worst, abs(exact[i] - spectral[i])) }
                XCTAssertLessThan(worst, 4e-15, "\(h)×\(w) σ \(sigma)")
            }
        }
    }

    /// `automatic` is exact below the threshold radius and spectral from it on; low-pass at σ 7 and 40 on a 224²
    /// image keeps every 8-bit sample of the exact path.
    func testAutomaticChoosesByRadius() throws {
        XCTAssertFalse(GaussianMethod.automatic.usesSpectral(radius: GaussianKernel(sigma: 5).radius))
        XCTAssertTrue(GaussianMethod.automatic.usesSpectral(radius: GaussianKernel(sigma: 7).radius))
        XCTAssertFalse(GaussianMethod.exact.usesSpectral(radius: 160))
        XCTAssertTrue(GaussianMethod.spectral.usesSpectral(radius: 1))

        let y = plane(224 * 224, seed: 99)
        let delta = filtered(y, h: 224, w: 224, sigma: 7, method: .automatic)
        let spectral = filtered(y, h: 224, w: 224, sigma: 7, method: .spectral)
        XCTAssertEqual(delta.map(\.bitPattern), spectral.map(\.bitPattern))
        let small = filtered(y, h: 224, w: 224, sigma: 3, method: .automatic)
        let exact = filtered(y, h: 224, w: 224, sigma: 3, method: .exact)
        XCTAssertEqual(small.map(\.bitPattern), exact.map(\.bitPattern))
    }

    /// A delta of height 1 on a plane of cval gives cval plus the outer product of the taps (the padding is cval
    /// too, so nothing else changes; Σw = 1 up to rounding), also where the kernel is wider than the plane.
    func testDeltaGivesTheKernel() {
        let h = 41, w = 30, sigma = 10.0
        var y = [Double](repeating: 0.4423, count: h * w)
        y[20 * w + 3] += 1
        let out = filtered(y, h: h, w: w, sigma: sigma, method: .spectral)
        let k = GaussianKernel(sigma: sigma).half
        for (i, x) in [(20, 3), (0, 0), (40, 29), (25, 17)] {
            XCTAssertEqual(out[i * w + x], 0.4423 + k[abs(i - 20)] * k[abs(x - 3)], accuracy: 1e-15, "(\(i), \(x))")
        }
    }

    /// Low-pass zips the grey of the RGB image straight into pass 1 (four pixels per AVX2 step where the luma table
    /// is canonical); the filter of the grey plane zips the plane. Both must give the same bits, clipped, on sizes
    /// with odd widths and heights (a last column pair of one column, a last row pair of one row) and widths that
    /// end a 16-line chunk early, and with the same zero padding on a second image (nothing left from the first).
    func testGreyAndPlaneZipsAgree() throws {
        for (h, w) in [(224, 224), (37, 53), (3, 5), (51, 30), (20, 66)] {
            let engine = Distorter()
            engine.gaussianMethod = .spectral
            for seed in [1, 2] as [UInt64] {
                let bytes = LCG64.sequence(3 * h * w, seed: seed &+ UInt64(h * w)) {
                    UInt8(truncatingIfNeeded: $0 >> 56)
                }
                let image = Image8(channels: 3, height: h, width: w, samples: bytes)
                for sigma in ["7", "40"] {
                    let viaImage = try engine.apply(.lowPass, condition: sigma, to: image).values
                    let lut = Distorter.lumaTable
                    var grey: [Double] = []
                    for i in 0..<(h * w) {
                        let r = lut[Int(bytes[3 * i])], g = lut[256 + Int(bytes[3 * i + 1])]
                        grey.append((r + g) + lut[512 + Int(bytes[3 * i + 2])])
                    }
                    let viaPlane: [Double] = filtered(grey, h: h, w: w, sigma: Double(sigma)!, method: .spectral)
                        .map { v in v > 1 ? 1 : (v < 0 ? 0 : v) }
                    XCTAssertEqual(viaImage.map(\.bitPattern), viaPlane.map(\.bitPattern), "\(h)×\(w) σ \(sigma) #\(seed)")
                }
            }
        }
    }

    func testTransformLengths() {
        XCTAssertEqual(SpectralGaussian.transformLength(atLeast: 224 + 28), 256)
        XCTAssertEqual(SpectralGaussian.transformLength(atLeast: 224 + 40), 288)
        XCTAssertEqual(SpectralGaussian.transformLength(atLeast: 224 + 60), 288)
        XCTAssertEqual(SpectralGaussian.transformLength(atLeast: 224 + 160), 384)
        XCTAssertEqual(SpectralGaussian.transformLength(atLeast: 5), 16)
        XCTAssertEqual(SpectralGaussian.transformLength(atLeast: 385), 432)
    }
}
