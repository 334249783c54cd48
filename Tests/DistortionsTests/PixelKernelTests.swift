import CKernels
import Foundation
import Imaging
import XCTest
@testable import Distortions
import TestSupport

/// The pixel-wise kernels added for speed (Sources/CKernels/distortions.c): the table-free grey formula, the fused
/// grey + rotation, the uniform-noise pass straight from the generator's words and the 8-bit quantisation. Each
/// against a plain Swift transcription of the spec and against its portable path.
final class PixelKernelTests: XCTestCase {
    /// Deterministic pseudo-random bytes (an LCG, independent of the code under test).
    private func bytes(_ count: Int, seed: UInt64) -> [UInt8] {
        LCG64.sequence(count, seed: seed) { UInt8(truncatingIfNeeded: $0 >> 56) }
    }

    /// Y = ((0.2125·(R/255.0)) + (0.7154·(G/255.0))) + (0.0721·(B/255.0)) (specs §1.2), written out.
    private func grey(_ rgb: [UInt8], _ i: Int) -> Double {
        (0.2125 * (Double(rgb[3 * i]) / 255.0) + 0.7154 * (Double(rgb[3 * i + 1]) / 255.0))
            + 0.0721 * (Double(rgb[3 * i + 2]) / 255.0)
    }

    /// The formula w·(P + P·2^−48), P = (k·0x010101010101)·2^−48, gives w·(k / 255.0) for every k and weight: the
    /// kernel's own check accepts the Rec. 709 table, and an image holding every value in every channel greys
    /// identically.
    func testGreyFormulaIsExactForEverySample() {
        Distorter.lumaTable.withUnsafeBufferPointer { XCTAssertEqual(ck_grey_formula_matches($0.baseAddress!), 1) }
        var other = Distorter.lumaTable
        other[300] = other[300].nextUp
        XCTAssertEqual(ck_grey_formula_matches(other), 0, "a different table must take the table path")
        let n = 256 * 3 + 5
        var rgb = [UInt8](repeating: 0, count: 3 * n)
        for i in 0..<n {  // channel values k, 255 − k, 3k (mod 256): every value in every channel
            rgb[3 * i] = UInt8(i % 256)
            rgb[3 * i + 1] = UInt8(255 - i % 256)
            rgb[3 * i + 2] = UInt8((3 * i) % 256)
        }
        rgb += bytes(3 * 1000, seed: 3)
        let total = rgb.count / 3
        for count in [total, total - 1, total - 5, 0, 1, 5, 6, 7] {
            var fast = [Double](repeating: -1, count: total), portable = fast
            Distorter.lumaTable.withUnsafeBufferPointer { lut in
                ck_grey_lut(rgb, count, lut.baseAddress!, &fast)
                ck_grey_lut_portable(rgb, count, lut.baseAddress!, &portable)
            }
            let expected = (0..<total).map { $0 < count ? grey(rgb, $0) : -1 }
            XCTAssertEqual(fast.map(\.bitPattern), expected.map(\.bitPattern), "count \(count) (dispatched)")
            XCTAssertEqual(portable.map(\.bitPattern), expected.map(\.bitPattern), "count \(count) (portable)")
        }
    }

    /// Grey + rotation in one pass (sizes that are multiples of 4 take the fused AVX2 path, others the two-pass one)
    /// against numpy rot90's index formulas.
    func testFusedGreyRotation() {
        for (h, w) in [(8, 12), (12, 8), (4, 4), (224, 224), (19, 37), (5, 8)] {
            let rgb = bytes(3 * h * w, seed: UInt64(h * 1000 + w))
            let y = (0..<(h * w)).map { grey(rgb, $0) }
            var scratch = [Double](repeating: 0, count: h * w)
            for degrees in [90, 180, 270] {
                var fast = [Double](repeating: -1, count: h * w), portable = fast
                Distorter.lumaTable.withUnsafeBufferPointer { lut in
                    ck_grey_rotate(rgb, Int32(h), Int32(w), lut.baseAddress!, Int32(degrees), &scratch, &fast)
                    ck_grey_rotate_portable(rgb, Int32(h), Int32(w), lut.baseAddress!, Int32(degrees), &scratch,
                                            &portable)
                }
                let (rows, cols) = degrees == 180 ? (h, w) : (w, h)
                var expected = [Double](repeating: 0, count: h * w)
                for i in 0..<rows {
                    for j in 0..<cols {
                        switch degrees {
                        case 90: expected[i * cols + j] = y[j * w + (w - 1 - i)]
                        case 180: expected[i * cols + j] = y[(h - 1 - i) * w + (w - 1 - j)]
                        default: expected[i * cols + j] = y[(h - 1 - j) * w + i]
                        }
                    }
                }
                XCTAssertEqual(fast.map(\.bitPattern), expected.map(\.bitPattern), "\(h)×\(w) \(degrees)° (dispatched)")
                XCTAssertEqual(portable.map(\.bitPattern), expected.map(\.bitPattern), "\(h)×\(w) \(degrees)° (portable)")
            }
        }
    }

    /// Uniform noise in one pass (MT19937 a refill at a time, grey, contrast, noise, clip) against the spec written
    /// plainly with `randomSample()`, on both paths, at several widths and from every start position of the
    /// generator (even ones take the fused pass, odd ones the buffered one), lengths across refills: the values and
    /// the generator's state after the call as numpy's.
    func testUniformNoiseFromEveryKindOfPosition() {
        let n = 1_250  // four refills' worth of doubles, not a multiple of 4
        let rgb = bytes(3 * n, seed: 17)
        let a = (1 - 0.3) / 2.0
        for w in [0.0, 0.35, 0.6, 0.9] {
            for skip in [0, 1, 2, 3, 311, 312, 623] {
                var reference = MT19937(seed: 7)
                for _ in 0..<skip { _ = reference.nextUInt32() }
                var fastRNG = reference, portableRNG = reference
                let expected: [Double] = (0..<n).map { i in
                    let v = (a + grey(rgb, i) * 0.3) + (-w + (w - -w) * reference.randomSample())
                    return v < 0 ? 0 : (v > 1 ? 1 : v)
                }
                var fast = [Double](repeating: 0, count: n), portable = fast
                Distorter.lumaTable.withUnsafeBufferPointer { lut in
                    fastRNG.drawRaw { ck_uniform_noise($0, $1, rgb, n, lut.baseAddress!, a, 0.3, -w, 2 * w, &fast) }
                    portableRNG.drawRaw {
                        ck_uniform_noise_portable($0, $1, rgb, n, lut.baseAddress!, a, 0.3, -w, 2 * w, &portable)
                    }
                }
                XCTAssertEqual(fast.map(\.bitPattern), expected.map(\.bitPattern), "w \(w) skip \(skip) (dispatched)")
                XCTAssertEqual(portable.map(\.bitPattern), expected.map(\.bitPattern), "w \(w) skip \(skip) (portable)")
                let next = reference.nextUInt32()
                XCTAssertEqual(fastRNG.nextUInt32(), next, "w \(w) skip \(skip): the state after the call")
                XCTAssertEqual(portableRNG.nextUInt32(), next,
                               "w \(w) skip \(skip): the state after the call (portable)")
            }
        }
    }

    /// The AVX2 pass leaves out a clip that its bounds say cannot act: at the edge of those bounds (white and black
    /// pixels, widths one ulp either side of where a value could first leave [0, 1], contrasts 0.3 and 1 where
    /// a = 0) the values still equal the spec's clipped ones, and a non-canonical grey table takes the table path.
    func testUniformNoiseClipBoundsAtTheirEdges() {
        let n = 2 * 624 + 40
        var rgb = [UInt8](repeating: 255, count: 3 * n)  // white, then black, then random pixels
        for i in n / 3..<(2 * n / 3) { rgb[3 * i] = 0; rgb[3 * i + 1] = 0; rgb[3 * i + 2] = 0 }
        let tail = bytes(3 * (n - 2 * n / 3), seed: 5)
        rgb.replaceSubrange((3 * (2 * n / 3))..., with: tail)
        var tables = [Distorter.lumaTable]
        var other = Distorter.lumaTable
        other[255] = other[255].nextDown
        tables.append(other)
        for c in [0.3, 1.0] {
            let a = (1 - c) / 2.0
            let white = (Distorter.lumaTable[255] + Distorter.lumaTable[511]) + Distorter.lumaTable[767]
            let edge = 1 - (a + white * c)  // above this width a value could pass 1; below a, one could pass 0
            var widths = [0.0, a, a.nextDown, a.nextUp, 0.9]
            widths += [edge, edge.nextDown, edge.nextUp].filter { $0 >= 0 }
            for w in widths {
                for table in tables {
                    let y: (Int) -> Double = { i in
                        (table[Int(rgb[3 * i])] + table[256 + Int(rgb[3 * i + 1])]) + table[512 + Int(rgb[3 * i + 2])]
                    }
                    var reference = MT19937(seed: 11)
                    var rng = reference
                    let expected: [Double] = (0..<n).map { i in
                        let v = (a + y(i) * c) + (-w + (w - -w) * reference.randomSample())
                        return v < 0 ? 0 : (v > 1 ? 1 : v)
                    }
                    var got = [Double](repeating: 0, count: n)
                    table.withUnsafeBufferPointer { lut in
                        rng.drawRaw { ck_uniform_noise($0, $1, rgb, n, lut.baseAddress!, a, c, -w, w - -w, &got) }
                    }
                    let first = got.indices.first { got[$0].bitPattern != expected[$0].bitPattern }
                    XCTAssertNil(first, "c \(c) w \(w): pixel \(first ?? -1) is \(first.map { got[$0] } ?? 0), "
                                 + "expected \(first.map { expected[$0] } ?? 0)")
                    XCTAssertEqual(rng.nextUInt32(), reference.nextUInt32(), "c \(c) w \(w): state after the call")
                }
            }
        }
    }

    /// The C quantisation equals `QuantisationRule.quantise` for both rules, with and without grey expansion, on
    /// values around every half and integer step, outside [0, 1], ±0 and NaN, at lengths around its 16-value step.
    func testQuantisationEqualsTheRule() {
        var values: [Double] = [.nan, -.nan, 0, -0.0, -1e-300, -5, 1, 1.0000001, 7, .infinity, -.infinity]
        for k in 0...255 {
            let half = (Double(k) + 0.5) / 255.0, whole = Double(k) / 255.0
            values += [half, half.nextUp, half.nextDown, whole, whole.nextUp, whole.nextDown]
        }
        values += LCG64.unitDoubles(500, seed: 99).map { $0 * 1.2 - 0.1 }
        for count in [values.count, values.count - 7, 16, 15, 1, 0] {
            let v = Array(values.prefix(count))
            for rule in QuantisationRule.allCases {
                let expected = v.map { rule.quantise($0) }
                for expand in [false, true] {
                    let want = expand ? expected.flatMap { [$0, $0, $0] } : expected
                    var fast = [UInt8](repeating: 7, count: want.count), portable = fast
                    v.withUnsafeBufferPointer { p in
                        guard let base = p.baseAddress else { return }
                        ck_quantise_u8(base, count, rule == .roundHalfUp ? 1 : 0, expand ? 1 : 0, &fast)
                        ck_quantise_u8_portable(base, count, rule == .roundHalfUp ? 1 : 0, expand ? 1 : 0, &portable)
                    }
                    XCTAssertEqual(fast, want, "\(rule) expand \(expand) count \(count) (dispatched)")
                    XCTAssertEqual(portable, want, "\(rule) expand \(expand) count \(count) (portable)")
                }
            }
        }
        // Through the public API: a grey output expanded to RGB and kept grey.
        let out = DistortedImage(width: 3, height: 1, layout: .grey, values: [0.5, 1.5, 80.5 / 255])
        XCTAssertEqual(out.image8(.roundHalfUp, expandGrey: true).samples, [128, 128, 128, 255, 255, 255, 81, 81, 81])
        XCTAssertEqual(out.image8(.truncate).samples, [127, 255, 80])
    }
}
