/// Eight-lane float math used by the selective scan: exp2, exp, log, softplus, SiLU.
///
/// The polynomials are fitted so that each result is within a few float32 ulps of the correctly rounded value
/// over the ranges the scan uses; the scalar `Foundation` functions are the oracle in tests.
typealias Vec8 = SIMD8<Float>

@inline(__always)
func load8(_ p: UnsafePointer<Float>) -> Vec8 {
    UnsafeRawPointer(p).loadUnaligned(as: Vec8.self)
}

@inline(__always)
func store8(_ v: Vec8, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vec8.self)
}

/// 1.5 · 2²³: adding it rounds a float of magnitude < 2²² to an integer (round half even) kept in the low
/// mantissa bits.
private let roundMagic: Float = 12_582_912

/// 2^x for x ≤ 128; results below 2⁻¹²⁶ flush to 2⁻¹²⁶·p (never denormal, never NaN). Relative error ≲ 1.5e-7.
@inline(__always)
func exp2v(_ xIn: Vec8) -> Vec8 {
    let x = xIn.clamped(lowerBound: Vec8(repeating: -126), upperBound: Vec8(repeating: 127))
    let t = x + Vec8(repeating: roundMagic)
    let r = t - Vec8(repeating: roundMagic)             // nearest integer
    let f = x - r                                        // in [-0.5, 0.5]
    var p = Vec8(repeating: 0.0013266970386330984)
    p = p * f + Vec8(repeating: 0.009675459745517631)
    p = p * f + Vec8(repeating: 0.055507426160025373)
    p = p * f + Vec8(repeating: 0.24022121753561687)
    p = p * f + Vec8(repeating: 0.6931469491610631)
    p = p * f + Vec8(repeating: 1.0000000710296983)
    let n = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(Vec8(repeating: roundMagic), to: SIMD8<Int32>.self)
    let scale = unsafeBitCast((n &+ 127) &<< 23, to: Vec8.self)
    return p * scale
}

/// e^x for x in [−87, 88] with a Cody–Waite reduction (x = k·ln 2 + r exactly enough that the result keeps
/// ≲ 2e-7 relative error at every magnitude); outside that range it saturates like `exp2v`.
@inline(__always)
func expv(_ xIn: Vec8) -> Vec8 {
    let x = xIn.clamped(lowerBound: Vec8(repeating: -87.3), upperBound: Vec8(repeating: 88.3))
    let t = x * Vec8(repeating: 1.4426950408889634) + Vec8(repeating: roundMagic)
    let k = t - Vec8(repeating: roundMagic)
    let r = (x - k * Vec8(repeating: 0.693359375)) - k * Vec8(repeating: -2.12194440e-4)
    let f = r * Vec8(repeating: 1.4426950408889634)       // |f| ≤ 0.5 + rounding
    var p = Vec8(repeating: 0.0013266970386330984)
    p = p * f + Vec8(repeating: 0.009675459745517631)
    p = p * f + Vec8(repeating: 0.055507426160025373)
    p = p * f + Vec8(repeating: 0.24022121753561687)
    p = p * f + Vec8(repeating: 0.6931469491610631)
    p = p * f + Vec8(repeating: 1.0000000710296983)
    let n = unsafeBitCast(t, to: SIMD8<Int32>.self) &- unsafeBitCast(Vec8(repeating: roundMagic), to: SIMD8<Int32>.self)
    // split the scale in two so that k = 128 (x near 88.3) does not overflow the exponent field
    let half = n &>> 1
    let s1 = unsafeBitCast((half &+ 127) &<< 23, to: Vec8.self)
    let s2 = unsafeBitCast(((n &- half) &+ 127) &<< 23, to: Vec8.self)
    return p * s1 * s2
}

/// Natural logarithm of positive normal floats (Cephes `logf`).
@inline(__always)
func logv(_ xIn: Vec8) -> Vec8 {
    let bits = unsafeBitCast(xIn, to: SIMD8<Int32>.self)
    var e = Vec8((bits &>> 23) &- 126)                        // x = m · 2^e, m in [0.5, 1)
    var m = unsafeBitCast((bits & 0x007F_FFFF) | 0x3F00_0000, to: Vec8.self)
    let small = m .< Vec8(repeating: 0.70710678118654752)
    e = e.replacing(with: e - 1, where: small)
    m = m.replacing(with: m + m, where: small) - 1
    let z = m * m
    var y = Vec8(repeating: 7.0376836292e-2)
    y = y * m + Vec8(repeating: -1.1514610310e-1)
    y = y * m + Vec8(repeating: 1.1676998740e-1)
    y = y * m + Vec8(repeating: -1.2420140846e-1)
    y = y * m + Vec8(repeating: 1.4249322787e-1)
    y = y * m + Vec8(repeating: -1.6668057665e-1)
    y = y * m + Vec8(repeating: 2.0000714765e-1)
    y = y * m + Vec8(repeating: -2.4999993993e-1)
    y = y * m + Vec8(repeating: 3.3333331174e-1)
    y = y * m * z
    y += e * Vec8(repeating: -2.12194440e-4)
    y -= 0.5 * z
    return m + y + e * Vec8(repeating: 0.693359375)
}

/// softplus(x) = log(1 + eˣ), and x itself for x > 20 (PyTorch's threshold). log1p is evaluated as
/// log(w)·(w − 1)⁻¹·eˣ with w = 1 + eˣ, which keeps full relative precision for very negative x.
@inline(__always)
func softplusv(_ x: Vec8) -> Vec8 {
    let e = expv(x.clamped(lowerBound: Vec8(repeating: -100), upperBound: Vec8(repeating: 20)))
    let w = 1 + e
    let wm1 = w - 1
    let tiny = wm1 .== Vec8(repeating: 0)
    let safe = wm1.replacing(with: 1, where: tiny)
    var r = logv(w) * (e / safe)
    r = r.replacing(with: e, where: tiny)
    return r.replacing(with: x, where: x .> Vec8(repeating: 20))
}

/// x · σ(x).
@inline(__always)
func siluv(_ x: Vec8) -> Vec8 {
    x / (1 + expv(-x))
}
