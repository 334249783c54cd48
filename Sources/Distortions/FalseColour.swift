import CKernels
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

    /// M, w, N, N⁻¹, M⁻¹ one after the other, as `ck_false_colour` takes them.
    static let falseColourConstants: [Double] =
        coneMatrix + whitePoint + opponentMatrix + inverseOpponentMatrix + inverseConeMatrix

    /// Per pixel (the C kernel `ck_false_colour`, AVX2 over four pixels, each in the reference's order): linearise
    /// through g, cones minus white point, opponent axes with L−M and S−(L+M) negated, back through N⁻¹ and M⁻¹,
    /// clip, and the index k minimising |g[k] − v| (lowest on ties) as k / 255.0.
    func falseColour(_ input: Image8) throws -> DistortedImage {
        guard let tables else {
            throw DistortionsError.unsupportedImage(
                distortion: "false-colour", reason: "needs the monitor gamma table (DistortionTables)")
        }
        let n = input.width * input.height
        return output(input.width, input.height, .rgb) { out in
            input.samples.withUnsafeBufferPointer { s in
                tables.gamma.withUnsafeBufferPointer { g in
                    tables.gammaIndex.withUnsafeBufferPointer { index in
                        Self.falseColourConstants.withUnsafeBufferPointer { c in
                            ck_false_colour(s.baseAddress!, n, g.baseAddress!, index.baseAddress!, c.baseAddress!, out)
                        }
                    }
                }
            }
        }
    }
}
