import CKernels
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
        let largestFast = b.withUnsafeMutableBufferPointer { fast.fillStandardNormalsFast($0) }
        let largestPortable = c.withUnsafeMutableBufferPointer { portable.fillStandardNormalsFast($0, portable: true) }
        XCTAssertEqual(b, c, "AVX2 and portable paths differ")
        XCTAssertEqual(largestFast, b.map { abs($0) }.max())
        XCTAssertEqual(largestPortable, largestFast)
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

    /// The AVX2 driver decides attempts in blocks straight from the state, with one attempt straddling each refill
    /// when the stream's phase (position mod 4) is not 0: every phase, short and long draws, draws ending inside
    /// and at the end of a block, and skips must consume the words numpy consumes and give the portable bits.
    func testFastNormalsAtEveryPhaseAndLength() {
        for phase in 0..<4 {
            var exact = MT19937(seed: 7 + UInt32(phase)), fast = exact, portable = exact
            for _ in 0..<phase {
                _ = exact.nextUInt32()
                _ = fast.nextUInt32()
                _ = portable.nextUInt32()
            }
            for (step, count) in [2, 0, 10, 312, 2000, 1246, 40_000, 6].enumerated() {
                if step == 3 || step == 6 {
                    var drawn = [Double](repeating: 0, count: count)  // the scalar stream: draw and drop
                    drawn.withUnsafeMutableBufferPointer { exact.fillStandardNormals($0) }
                    fast.skipStandardNormals(count: count)
                    portable.skipStandardNormals(count: count)
                } else {
                    var a = [Double](repeating: 0, count: count), b = a, c = a
                    a.withUnsafeMutableBufferPointer { exact.fillStandardNormals($0) }
                    let mb = b.withUnsafeMutableBufferPointer { fast.fillStandardNormalsFast($0) }
                    let mc = c.withUnsafeMutableBufferPointer { portable.fillStandardNormalsFast($0, portable: true) }
                    XCTAssertEqual(b, c, "phase \(phase), step \(step): AVX2 and portable paths differ")
                    XCTAssertEqual(mb, mc)
                    XCTAssertEqual(mb, b.map { abs($0) }.max() ?? 0)
                    for i in 0..<count { XCTAssertEqual(a[i], b[i], accuracy: 4.5e-16 * abs(a[i])) }
                }
                var e = exact, f = fast, p = portable
                let next = e.nextUInt32()
                XCTAssertEqual(f.nextUInt32(), next, "phase \(phase), step \(step): stream position")
                XCTAssertEqual(p.nextUInt32(), next, "phase \(phase), step \(step): stream position")
            }
        }
    }

    /// Spectrum rows kept per σ (`EidolonBlur.rowThreshold`): every row for σ ≤ 2, then shrinking with σ — σ = 32 no
    /// longer keeps its ≈ 70 rows of the 1e-17 truncation floor. The blur's accuracy with the pruned rows is checked
    /// against the flat convolution below and by the goldens.
    func testSpectrumRowsShrinkWithSigma() {
        let rows = (EidolonScaleSpace.sigmas + [10.0]).map { EidolonBlur.rows(sigma: $0) }
        print("spectrum rows per σ (12 levels, grain):", rows)
        XCTAssertEqual(Array(rows[0..<4]), [257, 257, 257, 257])
        for k in 4..<12 { XCTAssertLessThan(rows[k], rows[k - 1], "σ_\(k)") }
        XCTAssertLessThanOrEqual(rows[11], 30)
        XCTAssertLessThanOrEqual(rows[12], 70)
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

    /// The AVX2 transposes (scaling, twiddles forward and back) give the portable loops' bits, at every row count
    /// the blur uses (odd ones included) and with clamped samples.
    func testBlurLoopsAgreeWithThePortablePaths() {
        let side = EidolonBlur.side, half = EidolonBlur.spectrumRows, stride = EidolonBlur.rowStride
        var random = MT19937(seed: 11)
        func buffer(_ count: Int) -> [Double] {
            var v = [Double](repeating: 0, count: count)
            v.withUnsafeMutableBufferPointer { random.fillUniform($0, low: -3, high: 3) }
            return v
        }
        var z = buffer(side * side)
        z[77] = 2.9995  // 127.5·z/3 > 127: clamped
        var a = [Double](repeating: 0, count: side * side), b = a
        ck_eidolon_scale_transpose(z, &a, 3.0)
        ck_eidolon_scale_transpose_portable(z, &b, 3.0)
        XCTAssertEqual(a, b)
        XCTAssertEqual(a[77 * side], 127)
        // Warping: reach 128 sends sources past both edges (clamped).
        let level = buffer(side * side), fx = buffer(256 * 256), fy = buffer(256 * 256)
        var sum1 = buffer(256 * 256)
        var sum2 = sum1
        for reach in [1.0, 8.0, 128.0] {
            ck_eidolon_warp_accumulate(level, fx, fy, reach, &sum1)
            ck_eidolon_warp_accumulate_portable(level, fx, fy, reach, &sum2)
        }
        XCTAssertEqual(sum1, sum2)
        let columns = buffer(2 * side * half), twiddles = buffer(2 * half * stride)
        for rows in [257, 256, 71, 22, 3, 1] {
            var y1 = [Double](repeating: 0, count: 2 * half * stride), y2 = y1
            ck_eidolon_twiddle_forward(columns, twiddles, &y1, Int32(rows))
            ck_eidolon_twiddle_forward_portable(columns, twiddles, &y2, Int32(rows))
            XCTAssertEqual(y1, y2, "forward, \(rows) rows")
            for (j0, j1) in [(128, 384), (0, 512)] {
                var v1 = buffer(2 * side * half), v2 = v1
                ck_eidolon_twiddle_backward(y1, twiddles, &v1, Int32(rows), Int32(j0), Int32(j1))
                ck_eidolon_twiddle_backward_portable(y1, twiddles, &v2, Int32(rows), Int32(j0), Int32(j1))
                XCTAssertEqual(v1, v2, "backward, \(rows) rows, columns \(j0)..<\(j1)")
            }
        }
    }

    /// The spectral field work (suffix sums of the coherent spectra, the blend in the spectrum, constants added after
    /// one inverse) against the reference's spatial order (§5.2–5.4: each plane blurred back to space, B − m/s,
    /// running sums T and C_k = C_{k−1} − Q_{k−1}, the blend per pixel), on the
    /// same draws, at coherence 0.3: within 1e-12 at levels 0, 5 and 11.
    func testSpectralFieldsMatchTheSpatialOrder() {
        let levels = EidolonScaleSpace.levelCount, centre = EidolonFields.centre, offset = EidolonFields.offset
        let side = EidolonBlur.side, n = EidolonBlur.length
        let seed: UInt32 = 3, c = 0.3, grain = 10.0
        let blur = EidolonBlur()
        let fields = EidolonFields()
        fields.prepare(seed: seed, coherence: c, grain: grain, blur: blur)
        var spectral: [Int: ([Double], [Double])] = [:]
        for k in 0..<levels {
            fields.makeLevel(k, blur: blur)
            if [0, 5, 11].contains(k) {
                spectral[k] = (EidolonFields.rowMajor(fields.fieldX), EidolonFields.rowMajor(fields.fieldY))
            }
        }
        // The spatial reference, plane by plane (centre only, row-major).
        var reference = MT19937(seed: seed)
        let z = FFTBuffer(count: n), t = FFTBuffer(count: n), b = FFTBuffer(count: n)
        func blurredPlane(sigma: Double) -> [Double] {
            let largest = reference.fillStandardNormalsFast(z.buffer)
            ck_eidolon_scale_transpose(z.pointer, t.pointer, largest)
            blur.transform(transposed: t)
            // Moments of the whole blurred plane (blur's, checked against direct sums in the test above).
            let moments = blur.blur(sigma: sigma, columns: 0..<side, into: b)
            let shift = moments.mean / moments.variance.squareRoot()
            var out = [Double](repeating: 0, count: centre * centre)
            for ci in 0..<centre {
                for cj in 0..<centre { out[ci * centre + cj] = b.pointer[(cj + offset) * side + ci + offset] - shift }
            }
            return out
        }
        var running: [[Double]] = []
        for _ in 0..<2 {
            var q: [[Double]] = []
            for k in 0..<levels {
                let sigma = EidolonScaleSpace.sigmas[k]
                q.append(blurredPlane(sigma: sigma).map { $0 * (sigma / EidolonScaleSpace.maxSigma) })
            }
            var total = [Double](repeating: 0, count: centre * centre)
            for k in 0..<levels { for i in total.indices { total[i] += q[k][i] } }
            running.append(total)
            var stack = [total]
            for k in 1..<levels {
                for i in total.indices { total[i] -= q[k - 1][i] }
                stack.append(total)
            }
            running += stack
        }
        // running = [T_x, C_x0 … C_x11, T_y, C_y0 … C_y11]
        for k in 0..<levels {
            let ix = blurredPlane(sigma: grain), iy = blurredPlane(sigma: grain)
            guard let (fx, fy) = spectral[k] else { continue }
            for (axis, (mine, incoherent)) in [(fx, ix), (fy, iy)].enumerated() {
                let coherent = running[axis * (levels + 1) + 1 + k]
                var worst = 0.0
                for i in mine.indices {
                    let expected = ((1 - c) * incoherent[i]) + (c * coherent[i])
                    worst = max(worst, abs(mine[i] - expected))
                }
                XCTAssertLessThanOrEqual(worst, 1e-12, "level \(k), axis \(axis)")
            }
        }
    }

    /// `product(sigma:factor:into:)` gives blur's moments, and its inverse is factor × the blur.
    func testScaledProductKeepsTheUnscaledMoments() {
        let side = EidolonBlur.side, length = EidolonBlur.length
        var random = MT19937(seed: 9)
        let plane = FFTBuffer(count: length), out = FFTBuffer(count: length), scaled = FFTBuffer(count: length)
        random.fillUniform(plane.buffer, low: -127, high: 127)
        let blur = EidolonBlur()
        let sigma = EidolonScaleSpace.sigmas[7], factor = 0.37
        let rows = EidolonBlur.rows(sigma: sigma)
        blur.transform(transposed: plane, rows: rows)
        let spectrum = FFTBuffer(count: 2 * rows * EidolonBlur.rowStride)
        let fromProduct = blur.product(sigma: sigma, factor: factor, into: spectrum.pointer)
        let fromBlur = blur.blur(sigma: sigma, columns: 0..<side, into: out)
        XCTAssertEqual(fromProduct.mean, fromBlur.mean)
        XCTAssertEqual(fromProduct.variance, fromBlur.variance, accuracy: 1e-12 * fromBlur.variance)
        blur.inverse(spectrum.pointer, rows: rows, columns: 128..<384, into: scaled)
        var worst = 0.0
        for j in 128..<384 {
            for i in 0..<side { worst = max(worst, abs(scaled.pointer[j * side + i] - factor * out.pointer[j * side + i])) }
        }
        XCTAssertLessThanOrEqual(worst, 1e-12)
    }
}
