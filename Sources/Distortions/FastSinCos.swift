/// sin and cos of many arguments in one loop the compiler can vectorise (fdlibm's kernels, Cody–Waite reduction).
///
/// Accurate to about 1 ulp for |x| ≤ 2^20, which covers the phase shifts of phase scrambling (|x| ≤ π). Used where
/// the reference takes `exp(1j·φ)`: the FFT round trip already differs from scipy's in the last bits
/// (specs/distortions.md §3.0.2), so the 1-ulp difference to the C library is invisible in the outputs.
enum FastSinCos {
    private static let twoOverPi = 0x1.45f306dc9c883p-1
    private static let pio2Hi = 0x1.921fb54400000p0     // first 33 bits of π/2
    private static let pio2Lo = 0x1.0b4611a626331p-34   // π/2 − pio2Hi

    private static let s1 = -1.66666666666666324348e-01
    private static let s2 = 8.33333333332248946124e-03
    private static let s3 = -1.98412698298579493134e-04
    private static let s4 = 2.75573137070700676789e-06
    private static let s5 = -2.50507602534068634195e-08
    private static let s6 = 1.58969099521155010221e-10
    private static let c1 = 4.16666666666666019037e-02
    private static let c2 = -1.38888888888741095749e-03
    private static let c3 = 2.48015872894767294178e-05
    private static let c4 = -2.75573143513906633035e-07
    private static let c5 = 2.08757232129817482790e-09
    private static let c6 = -1.13596475577881948265e-11

    /// sin(x[i]) → sines[i], cos(x[i]) → cosines[i] for i in 0..<count.
    static func compute(_ x: UnsafePointer<Double>, sines: UnsafeMutablePointer<Double>,
                        cosines: UnsafeMutablePointer<Double>, count: Int) {
        for i in 0..<count {
            let (s, c) = sincos(x[i])
            sines[i] = s
            cosines[i] = c
        }
    }

    @inline(__always)
    static func sincos(_ x: Double) -> (sin: Double, cos: Double) {
        let j = (x * twoOverPi).rounded(.toNearestOrEven)
        let r = (x - j * pio2Hi) - j * pio2Lo
        let z = r * r
        // fdlibm __kernel_sin(r, 0, 0)
        let ps = s2 + z * (s3 + z * (s4 + z * (s5 + z * s6)))
        let sinR = r + (z * r) * (s1 + z * ps)
        // fdlibm __kernel_cos(r, 0)
        let pc = z * (c1 + z * (c2 + z * (c3 + z * (c4 + z * (c5 + z * c6)))))
        let hz = 0.5 * z
        let w = 1.0 - hz
        let cosR = w + (((1.0 - w) - hz) + z * pc)
        let q = Int(j) & 3
        let swap = q & 1 != 0
        let s = swap ? cosR : sinR
        let c = swap ? sinR : cosR
        let sinSign: Double = q & 2 != 0 ? -1 : 1
        let cosSign: Double = (q + 1) & 2 != 0 ? -1 : 1
        return (s * sinSign, c * cosSign)
    }
}
