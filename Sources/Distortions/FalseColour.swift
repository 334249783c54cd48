import Imaging

/// `false_colour(X, x_gamma_function)` (specs/distortions.md §3.7): opponent colours with the L−M and S−(L+M)
/// axes negated, through the measured monitor response and back.
extension Distorter {
    // Cone fundamentals M, white point w, opponent matrix N (decimal literals of the reference) and the inverses
    // numpy/LAPACK computed for it (hex doubles from the goldens' manifest `false_colour_constants`).
    static let coneMatrix: [Double] = [
        0.1619982647, 0.208049264, 0.0389347448,
        0.0330275785, 0.2496504557, 0.0618343518,
        0.0015524055, 0.0198861001, 0.1890224274,
    ]
    static let whitePoint: [Double] = [0.20449114, 0.17225619, 0.10523047]
    static let opponentMatrix: [Double] = [
        9.27590805, 9.27590805, 0,
        7.86421647, -9.33587662, 0,
        -3.39709047, -3.39709047, 12.16230246,
    ]
    static let inverseOpponentMatrix: [Double] = [
        0x1.df5b094b4c291p-5, 0x1.dc46c82f00a52p-5, 0x0.0p+0,
        0x1.93cadc8f33879p-5, -0x1.dc46c82f00a52p-5, -0x0.0p+0,
        0x1.ed59822bc0003p-6, 0x0.0p+0, 0x1.50c7411cb398bp-4,
    ]
    static let inverseConeMatrix: [Double] = [
        0x1.dc3044fcf7569p+2, -0x1.8f6ec96ab7872p+2, 0x1.04a4393823158p-1,
        -0x1.fd81de62dc694p-1, 0x1.3ca3cd2fda3f5p+2, -0x1.69da11781f303p+0,
        0x1.650e0d0b9259dp-5, -0x1.e081864d5ac9ep-2, 0x1.5bd56ff2c3effp+2,
    ]

    func falseColour(_ input: Image8) throws -> DistortedImage {
        guard let tables else {
            throw DistortionsError.unsupportedImage(
                distortion: "false-colour", reason: "needs the monitor gamma table (DistortionTables)")
        }
        let n = input.width * input.height
        // Hoisted constants: the matrices as scalars so that the loop keeps them in registers.
        let m = Self.coneMatrix, wp = Self.whitePoint, o = Self.opponentMatrix
        let oi = Self.inverseOpponentMatrix, mi = Self.inverseConeMatrix
        let (m00, m01, m02, m10, m11, m12, m20, m21, m22) = (m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8])
        let (o00, o01, o02, o10, o11, o12, o20, o21, o22) = (o[0], o[1], o[2], o[3], o[4], o[5], o[6], o[7], o[8])
        let (p00, p01, p02, p10, p11, p12, p20, p21, p22) =
            (oi[0], oi[1], oi[2], oi[3], oi[4], oi[5], oi[6], oi[7], oi[8])
        let (q00, q01, q02, q10, q11, q12, q20, q21, q22) =
            (mi[0], mi[1], mi[2], mi[3], mi[4], mi[5], mi[6], mi[7], mi[8])
        let (w0, w1, w2) = (wp[0], wp[1], wp[2])
        let buckets = Double(DistortionTables.gammaBuckets)
        let lastBucket = DistortionTables.gammaBuckets - 1

        return output(input.width, input.height, .rgb) { out in
            input.samples.withUnsafeBufferPointer { s in
                tables.gamma.withUnsafeBufferPointer { g in
                    tables.gammaBucket.withUnsafeBufferPointer { bucket in
                        // 8. The index k minimising |g[k] − v| (lowest on ties), as k / 255.0.
                        @inline(__always) func nearest(_ v: Double) -> Double {
                            var k = Int(bucket[min(Int(v * buckets), lastBucket)])
                            while k > 0 && g[k] > v { k -= 1 }
                            while k < 255 && g[k + 1] <= v { k += 1 }
                            if k < 255 && abs(g[k + 1] - v) < abs(g[k] - v) { k += 1 }
                            return Double(k) / 255.0
                        }
                        for i in 0..<n {
                            // 1. Linearise.
                            let lr = g[Int(s[3 * i])], lg = g[Int(s[3 * i + 1])], lb = g[Int(s[3 * i + 2])]
                            // 2–3. Cone activations minus the white point.
                            let d0 = ((m00 * lr + m01 * lg) + m02 * lb) - w0
                            let d1 = ((m10 * lr + m11 * lg) + m12 * lb) - w1
                            let d2 = ((m20 * lr + m21 * lg) + m22 * lb) - w2
                            // 4–5. Opponent coordinates; negate the two chromatic ones.
                            let k0 = (o00 * d0 + o01 * d1) + o02 * d2
                            let k1 = -((o10 * d0 + o11 * d1) + o12 * d2)
                            let k2 = -((o20 * d0 + o21 * d1) + o22 * d2)
                            // 6. Back to cones (plus white point), then to linear RGB.
                            let c0 = ((p00 * k0 + p01 * k1) + p02 * k2) + w0
                            let c1 = ((p10 * k0 + p11 * k1) + p12 * k2) + w1
                            let c2 = ((p20 * k0 + p21 * k1) + p22 * k2) + w2
                            var r = (q00 * c0 + q01 * c1) + q02 * c2
                            var gg = (q10 * c0 + q11 * c1) + q12 * c2
                            var b = (q20 * c0 + q21 * c1) + q22 * c2
                            // 7. Clip.
                            r = r > 1 ? 1 : (r < 0 ? 0 : r)
                            gg = gg > 1 ? 1 : (gg < 0 ? 0 : gg)
                            b = b > 1 ? 1 : (b < 0 ? 0 : b)
                            out[3 * i] = nearest(r)
                            out[3 * i + 1] = nearest(gg)
                            out[3 * i + 2] = nearest(b)
                        }
                    }
                }
            }
        }
    }
}
