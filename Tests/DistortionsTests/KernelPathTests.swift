import CKernels
import Foundation
import XCTest
@testable import Distortions
import TestSupport

/// The C kernels of Sources/CKernels/distortions.c: the AVX2 path (the one `ck_…` picks on this machine) and the
/// portable path (`ck_…_portable`, what `OODBENCH_NO_AVX2=1` or a CPU without AVX2 runs) give the same bits, and
/// both give what a plain Swift transcription of the spec gives.
final class KernelPathTests: XCTestCase {
    /// A deterministic pseudo-random plane in [0, 1) (an LCG, independent of the code under test).
    private func plane(_ count: Int, seed: UInt64) -> [Double] { LCG64.unitDoubles(count, seed: seed) }

    /// scipy's correlation (specs §3.0.1 steps 4–5) written plainly: out-of-range samples are cval in both passes.
    private func naiveGaussian(_ y: [Double], h: Int, w: Int, half: [Double], cval: Double) -> [Double] {
        let r = half.count - 1
        var mid = [Double](repeating: 0, count: h * w), out = mid
        for i in 0..<h {
            for x in 0..<w {
                var acc = y[i * w + x] * half[0]
                for k in stride(from: r, through: 1, by: -1) {
                    let a = i - k >= 0 ? y[(i - k) * w + x] : cval
                    let b = i + k < h ? y[(i + k) * w + x] : cval
                    acc = acc + (a + b) * half[k]
                }
                mid[i * w + x] = acc
            }
        }
        for i in 0..<h {
            for x in 0..<w {
                var acc = mid[i * w + x] * half[0]
                for k in stride(from: r, through: 1, by: -1) {
                    let a = x - k >= 0 ? mid[i * w + x - k] : cval
                    let b = x + k < w ? mid[i * w + x + k] : cval
                    acc = acc + (a + b) * half[k]
                }
                out[i * w + x] = acc
            }
        }
        return out
    }

    /// Both paths equal the plain loops bit for bit, for sizes that exercise every vector tail (37 × 53) and a
    /// kernel wider than the image (σ = 15: radius 60; σ = 40: radius 160).
    func testGaussianPathsAreBitIdentical() {
        for (h, w) in [(37, 53), (8, 32), (3, 5)] {
            let y = plane(h * w, seed: UInt64(h * 1000 + w))
            for sigma in [0.4, 1.0, 3.0, 15.0, 40.0] {
                let kernel = GaussianKernel(sigma: sigma)
                let r = kernel.radius
                let expected = naiveGaussian(y, h: h, w: w, half: kernel.half, cval: 0.4423)
                var scratch = [Double](repeating: 0, count: ck_gauss_scratch_count(Int32(h), Int32(w), Int32(r)))
                var fast = [Double](repeating: 0, count: h * w), portable = fast
                kernel.half.withUnsafeBufferPointer { k in
                    ck_gauss_filter(y, Int32(h), Int32(w), k.baseAddress!, Int32(r), 0.4423, &scratch, &fast)
                    ck_gauss_filter_portable(y, Int32(h), Int32(w), k.baseAddress!, Int32(r), 0.4423, &scratch,
                                             &portable)
                }
                XCTAssertEqual(fast.map(\.bitPattern), expected.map(\.bitPattern), "\(h)×\(w) σ \(sigma) (dispatched)")
                XCTAssertEqual(portable.map(\.bitPattern), expected.map(\.bitPattern), "\(h)×\(w) σ \(sigma) (portable)")
            }
        }
    }

    /// The block generator continues the stream exactly as one `randomSample()` at a time, through refills and
    /// doubles whose two words straddle a refill (odd chunk sizes), on both paths.
    func testMT19937PathsFollowTheScalarStream() {
        var scalar = MT19937(seed: 42)
        let count = 5_000
        let expected = (0..<count).map { _ in scalar.randomSample() }
        XCTAssertEqual(expected[0], 0.3745401188473625)
        var state = MT19937(seed: 42)
        var fast = [Double](repeating: 0, count: count)
        var portable = [Double](repeating: 0, count: count)
        var portableState = [UInt32](repeating: 0, count: 624)
        portableState[0] = 42
        for i in 1..<624 {
            let p = portableState[i - 1]
            portableState[i] = 1_812_433_253 &* (p ^ (p >> 30)) &+ UInt32(i)
        }
        var position: Int32 = 624
        var done = 0
        let chunks = [1, 311, 312, 313, 3, 1_000, 7, 2_053]
        var step = 0
        while done < count {
            let n = min(chunks[step % chunks.count], count - done)
            step += 1
            fast.withUnsafeMutableBufferPointer {
                state.fillRandomSamples(UnsafeMutableBufferPointer(rebasing: $0[done..<(done + n)]))
            }
            portable.withUnsafeMutableBufferPointer { p in
                position = ck_mt19937_fill_random_portable(&portableState, position, p.baseAddress! + done, n)
            }
            done += n
        }
        XCTAssertEqual(done, count)
        XCTAssertEqual(fast, expected)
        XCTAssertEqual(portable, expected)
        XCTAssertEqual(state.randomSample(), scalar.randomSample(), "the state after the block fill")
    }

    /// The phase factors (shifts, sin and cos as `FastSinCos`, paired sums) agree on both paths and with Swift, for
    /// even and odd counts and counts around the AVX2 path's pairs of 4-value blocks (its middle is scalar).
    func testPhaseFactorPathsAgree() {
        for m in [1_001, 1_000, 24_864, 16, 15, 9, 8, 7, 1] {
            let u = plane(m, seed: UInt64(7 + m))
            var a = u, b = u
            var sa = [Double](repeating: 0, count: m), ca = sa, sb = sa, cb = sa
            var fa = [Double](repeating: 0, count: 2 * m), fb = fa
            ck_phase_factors(&a, m, 150, 0.25, &sa, &ca, &fa)
            ck_phase_factors_portable(&b, m, 150, 0.25, &sb, &cb, &fb)
            XCTAssertEqual(fa.map(\.bitPattern), fb.map(\.bitPattern), "m \(m)")
            let shifts: [Double] = u.map { value in
                let scaled: Double = ((value - 0.5) * 2) * 150.0
                return (scaled / 180) * Double.pi
            }
            XCTAssertEqual(a.map(\.bitPattern), shifts.map(\.bitPattern), "m \(m): the shifts")
            let sincos = shifts.map { FastSinCos.sincos($0) }
            var expected: [Double] = []
            for t in 0..<m {
                let partner = m - 1 - t
                expected.append((sincos[t].cos + sincos[partner].cos) * 0.25)
                expected.append((sincos[t].sin + sincos[partner].sin) * 0.25)
            }
            XCTAssertEqual(fa.map(\.bitPattern), expected.map(\.bitPattern), "m \(m): the factors")
        }
    }

    /// Multiplying the half spectrum by the phase factors: the AVX2 path (two complex values per step, the factors
    /// of the conjugate half read backwards) gives the portable path's bits, on the distortion's size and on small
    /// planes where the rows start and end at odd offsets around the DC value.
    func testPhaseApplyPathsAgree() {
        for (h, w) in [(224, 224), (8, 10), (6, 4), (10, 8), (2, 2), (4, 12)] {
            let n = (h - 1) * (w - 1), m = n / 2
            let half = h * (w / 2 + 1)
            let spectrum = plane(2 * half, seed: UInt64(h * 1000 + w)).map { $0 * 2 - 1 }
            let factors = plane(2 * max(m, 1), seed: UInt64(h + w)).map { $0 - 0.5 }
            var fast = spectrum, portable = spectrum
            ck_phase_apply(&fast, Int32(h), Int32(w), factors, 1.0 / Double(h * w))
            ck_phase_apply_portable(&portable, Int32(h), Int32(w), factors, 1.0 / Double(h * w))
            XCTAssertEqual(fast.map(\.bitPattern), portable.map(\.bitPattern), "\(h)×\(w)")
            XCTAssertNotEqual(fast, spectrum, "\(h)×\(w): the spectrum is changed")
        }
    }

    /// The clip to [0, 1]: both paths give `v > 1 ? 1 : (v < 0 ? 0 : v)` bit for bit, NaN and −0 included, in
    /// place and into another buffer, at lengths around the vector step.
    func testClipPathsAgree() {
        var values: [Double] = [.nan, -.nan, 0, -0.0, 1, -1, 2, 1.0.nextUp, 0.0.nextDown, .infinity, -.infinity, 0.5]
        values += plane(101, seed: 3).map { $0 * 3 - 1 }
        let expected = values.map { v in v > 1 ? 1 : (v < 0 ? 0 : v) }
        for count in [values.count, values.count - 1, 4, 3, 0] {
            var fast = [Double](repeating: 7, count: values.count), portable = fast
            ck_clip_copy(values, count, &fast)
            ck_clip_copy_portable(values, count, &portable)
            var inPlace = values
            inPlace.withUnsafeMutableBufferPointer { ck_clip_copy($0.baseAddress!, count, $0.baseAddress!) }
            let want = Array(expected.prefix(count)) + Array(repeating: 7.0, count: values.count - count)
            XCTAssertEqual(fast.map(\.bitPattern), want.map(\.bitPattern), "count \(count)")
            XCTAssertEqual(portable.map(\.bitPattern), want.map(\.bitPattern), "count \(count) (portable)")
            XCTAssertEqual(Array(inPlace.prefix(count)).map(\.bitPattern), Array(expected.prefix(count)).map(\.bitPattern))
        }
    }

    /// The inverse real transform straight into other memory: same values as into an `FFTBuffer` where the memory
    /// is 16-byte aligned; refused (nothing written) 8 bytes off, so callers take the buffered path.
    func testRealBackwardIntoOtherMemory() {
        let forward = FFTPlan.shared(.realForward, shape: [6, 8])
        let backward = FFTPlan.shared(.realBackward, shape: [6, 8])
        let real = FFTBuffer(count: 48), spectrum = FFTBuffer(count: 2 * forward.halfComplexCount)
        let result = FFTBuffer(count: 48)
        for (i, v) in plane(48, seed: 5).enumerated() { real.pointer[i] = v }
        forward.execute(real, spectrum)
        let saved = Array(spectrum.buffer)
        backward.execute(spectrum, result)
        let memory = UnsafeMutablePointer<Double>.allocate(capacity: 50)  // malloc: 16-byte aligned
        defer { memory.deallocate() }
        memory.initialize(repeating: -1, count: 50)
        for (i, v) in saved.enumerated() { spectrum.pointer[i] = v }
        XCTAssertTrue(backward.executeRealBackward(spectrum, into: memory))
        XCTAssertEqual((0..<48).map { memory[$0].bitPattern }, (0..<48).map { result.pointer[$0].bitPattern })
        XCTAssertEqual(memory[48], -1)
        XCTAssertFalse(backward.executeRealBackward(spectrum, into: memory + 1))
        XCTAssertEqual((0..<48).map { memory[$0].bitPattern }, (0..<48).map { result.pointer[$0].bitPattern },
                       "nothing written when refused")
    }

    /// Power equalisation's spectrum step: both paths, including zero magnitudes (atan2's angle).
    func testPowerEqualisationPathsAgree() {
        let count = 1_001
        var z = plane(2 * count, seed: 3).map { $0 - 0.5 }
        z[10] = 0; z[11] = 0; z[12] = -0.0; z[13] = 0; z[2 * count - 2] = 0; z[2 * count - 1] = -0.0
        let t = plane(count, seed: 4)
        var fast = z, portable = z
        ck_power_equalise(&fast, count, t)
        ck_power_equalise_portable(&portable, count, t)
        XCTAssertEqual(fast.map(\.bitPattern), portable.map(\.bitPattern))
        // k = 3: the reference's t·(re/|z|), t·(im/|z|).
        let magnitude = (z[6] * z[6] + z[7] * z[7]).squareRoot()
        XCTAssertEqual(fast[6], t[3] * (z[6] / magnitude))
        XCTAssertEqual(fast[7], t[3] * (z[7] / magnitude))
        XCTAssertEqual(fast[10], t[5])       // atan2(0, 0) = 0: cos 1, sin 0
        XCTAssertEqual(fast[12], -t[6])      // atan2(0, −0) = π
    }

    /// The nearest search of false-colour against brute force: with M = w-free identity matrices and M⁻¹ = s·I,
    /// each output channel is argmin_k |g[k] − clip(s·g[k_in])| / 255 (lowest k on ties), on both paths.
    func testFalseColourNearestSearchAgainstBruteForce() throws {
        let tables = try Goldens.tables()
        let g = tables.gamma
        let n = 256
        var rgb = [UInt8]()
        for k in 0..<n { rgb += [UInt8(k), UInt8(255 - k), UInt8((k * 7) % 256)] }
        for s in [1.0, 0.5, 0.999, 1.37, 0.0123, 0.3333] {
            // M = I, w = 0, N = diag(1, −1, −1) (the negation then restores each axis), N⁻¹ = I, M⁻¹ = s·I.
            let identity: [Double] = [1, 0, 0, 0, 1, 0, 0, 0, 1]
            let opponent: [Double] = [1, 0, 0, 0, -1, 0, 0, 0, -1]
            let scaled: [Double] = [s, 0, 0, 0, s, 0, 0, 0, s]
            let white: [Double] = [0, 0, 0]
            var constants = identity
            constants += white
            constants += opponent
            constants += identity
            constants += scaled
            var fast = [Double](repeating: 0, count: 3 * n), portable = fast
            ck_false_colour(rgb, n, g, tables.gammaIndex, constants, &fast)
            ck_false_colour_portable(rgb, n, g, tables.gammaIndex, constants, &portable)
            XCTAssertEqual(fast, portable, "s = \(s)")
            for i in 0..<(3 * n) {
                let v = min(max(s * g[Int(rgb[i])], 0), 1)
                var best = 0
                for k in 1..<256 where abs(g[k] - v) < abs(g[best] - v) { best = k }
                XCTAssertEqual(fast[i], Double(best) / 255.0, "s = \(s), sample \(i)")
            }
        }
    }
    /// The nearest-index table of false-colour: for the study's gamma table every bucket holds at most one decision
    /// threshold (so the AVX2 path never searches), and each threshold t is exactly where brute force (spec §3.7
    /// step 8: argmin_k |g[k] − v|, lowest k on ties) steps from the bucket's base to base + 1; the bucket's lower
    /// edge gives base.
    func testFalseColourTableMatchesBruteForce() throws {
        let g = try Goldens.tables().gamma
        let count = Int(CK_FC_INDEX_COUNT)
        var table = [Double](repeating: .nan, count: 2 * count + 1)
        XCTAssertEqual(ck_false_colour_index(g, &table), 1)
        XCTAssertEqual(table[2 * count], 1)
        func brute(_ v: Double) -> Int {
            var best = 0
            for k in 1..<256 where abs(g[k] - v) < abs(g[best] - v) { best = k }
            return best
        }
        var thresholds = 0
        for key in 0..<count {
            let threshold = table[key], base = Int(table[count + key])
            let lower = key == 0 ? 0.0 : Double(bitPattern: (UInt64(key) + UInt64(1023 - 18) << 8) << 44)
            if lower < threshold { XCTAssertEqual(brute(lower), base, "lower edge of bucket \(key)") }
            guard threshold.isFinite else { continue }
            thresholds += 1
            XCTAssertEqual(brute(threshold), base + 1, "threshold of bucket \(key)")
            XCTAssertEqual(brute(threshold.nextDown), base, "below the threshold of bucket \(key)")
        }
        XCTAssertEqual(thresholds, 255, "one threshold between each pair of neighbours of g")
        XCTAssertEqual(brute(1), 255)
    }

    /// Both paths of false-colour with the study's constants on many colours (every grey level and a pseudo-random
    /// spread of 20 000 colours): the table's two loads and a compare agree with the search bit for bit.
    func testFalseColourPathsAgree() throws {
        let tables = try Goldens.tables()
        var random = LCG64(seed: 12345)
        var rgb = [UInt8]()
        for k in 0..<256 { rgb += [UInt8(k), UInt8(k), UInt8(k)] }
        for _ in 0..<20_000 {
            let x = random.next()
            rgb += [UInt8(truncatingIfNeeded: x >> 40), UInt8(truncatingIfNeeded: x >> 48), UInt8(truncatingIfNeeded: x >> 56)]
        }
        let n = rgb.count / 3
        var fast = [Double](repeating: 0, count: 3 * n), portable = fast
        ck_false_colour(rgb, n, tables.gamma, tables.gammaIndex, Distorter.falseColourConstants, &fast)
        ck_false_colour_portable(rgb, n, tables.gamma, tables.gammaIndex, Distorter.falseColourConstants, &portable)
        XCTAssertEqual(fast.map(\.bitPattern), portable.map(\.bitPattern))
    }

    /// The grey table kernel for every length up to 9 (its 4-pixel step and the tail) and the rotations against
    /// numpy's rot90 index formulas.
    func testGreyAndRotation() {
        let rgb = plane(27, seed: 5).map { UInt8(Int($0 * 256)) }
        for n in 0...9 {
            var out = [Double](repeating: -1, count: 9)
            Distorter.lumaTable.withUnsafeBufferPointer { ck_grey_lut(rgb, n, $0.baseAddress!, &out) }
            for i in 0..<9 {
                let y = i < n ? (Distorter.lumaR[Int(rgb[3 * i])] + Distorter.lumaG[Int(rgb[3 * i + 1])])
                    + Distorter.lumaB[Int(rgb[3 * i + 2])] : -1
                XCTAssertEqual(out[i], y, "n \(n), pixel \(i)")
            }
        }
        let h = 19, w = 37
        let y = plane(h * w, seed: 9)
        for degrees in [90, 180, 270] {
            var out = [Double](repeating: 0, count: h * w)
            ck_rotate(y, Int32(h), Int32(w), Int32(degrees), &out)
            for i in 0..<(degrees == 180 ? h : w) {
                for j in 0..<(degrees == 180 ? w : h) {
                    let expected: Double
                    switch degrees {
                    case 90: expected = y[j * w + (w - 1 - i)]
                    case 180: expected = y[(h - 1 - i) * w + (w - 1 - j)]
                    default: expected = y[(h - 1 - j) * w + i]
                    }
                    XCTAssertEqual(out[i * (degrees == 180 ? w : h) + j], expected, "\(degrees)° [\(i)][\(j)]")
                }
            }
        }
    }
}
