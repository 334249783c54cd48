import Foundation
import XCTest

@testable import Distortions

/// The fast paths of the eidolon factory against their definitions, independently of the goldens: the vectorised
/// normals against numpy's legacy polar method (MT19937's single draws), the four-step pruned blur against the
/// flattened circular convolution of specs/eidolon.md §3 computed term by term.
final class EidolonSpeedTests: XCTestCase {
    /// Same stream consumption (the next draws are identical), values within the last bit, both C paths identical.
    func testFastNormalsFollowNumpysStream() {
        let count = 20_000  // crosses many refills
        var exact = MT19937(seed: 42), fast = MT19937(seed: 42), portable = MT19937(seed: 42)
        var a = [Double](repeating: 0, count: count), b = a, c = a
        a.withUnsafeMutableBufferPointer { exact.fillStandardNormals($0) }
        b.withUnsafeMutableBufferPointer { fast.fillStandardNormalsFast($0) }
        c.withUnsafeMutableBufferPointer { portable.fillStandardNormalsFast($0, portable: true) }
        XCTAssertEqual(b, c, "AVX2 and portable paths differ")
        var worst = 0.0, differing = 0
        for i in 0..<count where a[i] != b[i] {
            differing += 1
            worst = max(worst, abs(a[i] - b[i]) / abs(a[i]))
        }
        XCTAssertLessThanOrEqual(worst, 4.5e-16)
        XCTAssertLessThan(differing, count / 10)
        let next = exact.nextUInt32()
        XCTAssertEqual(fast.nextUInt32(), next)
        XCTAssertEqual(portable.nextUInt32(), next)
        // Skipping consumes the same words.
        var skipped = MT19937(seed: 42)
        skipped.skipStandardNormals(count: count)
        XCTAssertEqual(skipped.nextUInt32(), next)
    }

    /// O_flat[n] = Σ_m K_flat[m]·P_flat[(n − m) mod L] at sample points, for the smallest and largest σ, the grain
    /// (pruned rows) and the centre-only inverse; with the mean and variance from the spectrum.
    func testFourStepBlurIsTheFlatCircularConvolution() {
        let side = EidolonBlur.side, length = EidolonBlur.length
        var random = MT19937(seed: 5)
        var plane = [Double](repeating: 0, count: length)
        plane.withUnsafeMutableBufferPointer { random.fillUniform($0, low: -127, high: 127) }
        let transposed = FFTBuffer(count: length), out = FFTBuffer(count: length)
        for i in 0..<side {
            for j in 0..<side { transposed.pointer[j * side + i] = plane[i * side + j] }
        }
        let blur = EidolonBlur()
        for (sigma, centreOnly) in [(EidolonScaleSpace.sigmas[0], false), (10.0, true), (EidolonScaleSpace.sigmas[11], false)] {
            let rows = centreOnly ? EidolonBlur.rows(sigma: sigma) : EidolonBlur.spectrumRows
            if centreOnly { XCTAssertLessThan(rows, 100, "σ = 10 keeps few spectrum rows") }
            blur.transform(transposed: transposed, rows: rows)
            let columns = centreOnly ? 128..<384 : 0..<side
            let moments = blur.blur(sigma: sigma, columns: columns, into: out)
            let g = EidolonBlur.taps(sigma: sigma)
            for (i, j) in [(128, 128), (200, 383), (383, 255), (300, 131)] + (centreOnly ? [] : [(0, 0), (511, 7), (3, 511)]) {
                let n = i * side + j
                var direct = 0.0
                for m in 0..<length {
                    direct += g[m % side] * g[m / side] * plane[(n - m + length) % length]
                }
                XCTAssertEqual(out.pointer[j * side + i], direct, accuracy: 1e-11, "σ \(sigma) at (\(i), \(j))")
            }
            if !centreOnly {
                var sum = 0.0, squares = 0.0
                for j in 0..<side {
                    for i in 0..<side { sum += out.pointer[j * side + i] }
                }
                let mean = sum / Double(length)
                for k in 0..<length { squares += (out.pointer[k] - mean) * (out.pointer[k] - mean) }
                XCTAssertEqual(moments.mean, mean, accuracy: 1e-12)
                XCTAssertEqual(moments.variance, squares / Double(length), accuracy: 1e-9 * moments.variance)
            }
        }
    }
}
