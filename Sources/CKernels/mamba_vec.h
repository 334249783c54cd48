// Vector math shared by the CLIP-Mamba kernels (selective_scan.c, channels_last.c): 8-lane clang vectors and
// always-inline exp/log/softplus/SiLU/GELU. Included by those files only (not part of the public header).
//
// exp is a degree-5 polynomial for 2^f on f ∈ [−½, ½] (relative error ≲ 1.5e-7) with the integer part added to
// the exponent bits; log is Cephes' logf polynomial; both evaluated by Estrin's scheme, because the kernels are
// bound by the latency of these chains rather than by arithmetic.
#ifndef CK_MAMBA_VEC_H
#define CK_MAMBA_VEC_H

#include <string.h>

#pragma clang diagnostic ignored "-Wpsabi"

typedef float v8f __attribute__((ext_vector_type(8)));
typedef int v8i __attribute__((ext_vector_type(8)));

#define CK_INLINE static inline __attribute__((always_inline))
#define AVX2 __attribute__((target("avx2,fma")))

CK_INLINE v8f ld8(const float *p) { v8f v; memcpy(&v, p, sizeof v); return v; }
CK_INLINE void st8(float *p, v8f v) { memcpy(p, &v, sizeof v); }
CK_INLINE v8f ldn(const float *p, long lanes) {
    v8f v = (v8f)(0.0f);
    for (long i = 0; i < lanes; i++) v[i] = p[i];
    return v;
}
CK_INLINE void stn(float *p, v8f v, long lanes) { for (long i = 0; i < lanes; i++) p[i] = v[i]; }
CK_INLINE v8f vmax(v8f a, v8f b) { return __builtin_elementwise_max(a, b); }
CK_INLINE v8f vmin(v8f a, v8f b) { return __builtin_elementwise_min(a, b); }
CK_INLINE v8f vabs(v8f a) { return (v8f)((v8i)a & (v8i)(0x7FFFFFFF)); }

/// Nearest integer (ties to even) of |x| < 2²²: `roundps` where AVX is on (`fast`), else the 1.5·2²³ trick.
CK_INLINE v8f round_8(v8f x, int fast) {
    if (fast) return __builtin_elementwise_roundeven(x);
    const v8f magic = (v8f)(12582912.0f);
    return (x + magic) - magic;
}

/// 2^f for f in [−½, ½] (relative error ≲ 1.5e-7), evaluated by Estrin's scheme (short dependency chains).
CK_INLINE v8f exp2_poly(v8f f) {
    v8f f2 = f * f;
    v8f p01 = 0.6931469491610631f * f + 1.0000000710296983f;
    v8f p23 = 0.055507426160025373f * f + 0.24022121753561687f;
    v8f p45 = 0.0013266970386330984f * f + 0.009675459745517631f;
    return p01 + f2 * (p23 + f2 * p45);
}

/// 2^x for x ≤ 0 (the scan's exp(Δ·A): Δ > 0, A < 0), clamped below at −126.
CK_INLINE v8f exp2_neg_8(v8f x, int fast) {
    x = vmax(x, (v8f)(-126.0f));
    v8f r = round_8(x, fast);
    v8f p = exp2_poly(x - r);
    return (v8f)((v8i)p + (__builtin_convertvector(r, v8i) << 23));
}

/// 2^x for x ≤ 0 with the throughput-lean form the scan's inner loop uses: x clamped at −126, rounded to the
/// nearest integer by adding and subtracting 1.5·2²³ (whose low mantissa bits then hold that integer, shifted
/// into the exponent directly: no round or convert instructions), 2^f by the same degree-5 polynomial in
/// Horner's form (fewer multiplies than Estrin's; the loop has independent states to overlap latency).
CK_INLINE v8f exp2_neg_fast_8(v8f x) {
    const v8f magic = (v8f)(12582912.0f);
    x = vmax(x, (v8f)(-126.0f));
    v8f t = x + magic;
    v8f f = x - (t - magic);
    v8f p = (v8f)(0.0013266970386330984f);
    p = p * f + 0.009675459745517631f;
    p = p * f + 0.055507426160025373f;
    p = p * f + 0.24022121753561687f;
    p = p * f + 0.6931469491610631f;
    p = p * f + 1.0000000710296983f;
    return (v8f)((v8i)p + ((v8i)t << 23));
}

/// e^x with a Cody–Waite reduction x = k·ln 2 + r (relative error ≲ 2e-7 at every magnitude), x clamped to
/// [−87.3, 88.3] (results saturate instead of reaching denormals or infinity).
CK_INLINE v8f exp_8(v8f x, int fast) {
    x = vmax(x, (v8f)(-87.3f));
    x = vmin(x, (v8f)(88.3f));
    v8f k = round_8(x * 1.4426950408889634f, fast);
    v8f r = (x - k * 0.693359375f) - k * -2.12194440e-4f;
    v8f p = exp2_poly(r * 1.4426950408889634f);         // |f| ≤ ½ + rounding
    return (v8f)((v8i)p + (__builtin_convertvector(k, v8i) << 23));
}

/// ln(1 + e) for e in [0, 1]: ln(w) with w = 1 + e rounded, plus the rounding residual e − (w − 1).
/// ln w by Cephes' logf polynomial (Estrin's scheme) after halving w above √2.
CK_INLINE v8f log1p01_8(v8f e) {
    v8f w = 1.0f + e;
    v8f resid = e - (w - 1.0f);                         // exact: w − 1 is exact for w in [1, 2]
    v8i big = w > 1.41421356f;                          // all-ones lanes where w > √2
    v8f m = (v8f)((v8i)w - (big & (v8i)(0x00800000)));  // w/2 by decrementing the exponent
    v8f k = (v8f)(big & (v8i)(0x3F800000));             // 1.0 where halved
    v8f x = m - 1.0f;
    v8f x2 = x * x, x4 = x2 * x2;
    // y = x³ · P(x), P of degree 8
    v8f q01 = -2.4999993993e-1f * x + 3.3333331174e-1f;
    v8f q23 = -1.6668057665e-1f * x + 2.0000714765e-1f;
    v8f q45 = -1.2420140846e-1f * x + 1.4249322787e-1f;
    v8f q67 = -1.1514610310e-1f * x + 1.1676998740e-1f;
    v8f q = (q01 + x2 * q23) + x4 * ((q45 + x2 * q67) + x4 * 7.0376836292e-2f);
    v8f y = q * x * x2 - 0.5f * x2;
    return (x + y) + k * 0.6931471805599453f + resid;
}

/// softplus(x) = ln(1 + eˣ) = max(x, 0) + ln(1 + e^−|x|) (equal to x within an ulp above PyTorch's threshold 20).
CK_INLINE v8f softplus_8(v8f x, int fast) { return vmax(x, (v8f)(0.0f)) + log1p01_8(exp_8(-vabs(x), fast)); }

/// softplus for the scan's Δ: max(x, 0) + ln(1 + e) with e = e^−|x| = 2^(−|x|·log₂e) (exp2_neg_fast_8) and
/// ln(1 + e) = e·P(e), P a degree-8 fit of ln(1 + e)/e on [0, 1] (relative error ≲ 2e-7 in float, also for
/// tiny e, where Δ ≈ eˣ must stay relatively accurate). About half the operations of softplus_8.
CK_INLINE v8f softplus_fast_8(v8f x) {
    const v8f e = exp2_neg_fast_8(vabs(x) * -1.4426950408889634f);
    v8f p = (v8f)(0.005253457795972075f);
    p = p * e - 0.02958850738874098f;
    p = p * e + 0.07836166801198617f;
    p = p * e - 0.13674769704949544f;
    p = p * e + 0.19111431080296498f;
    p = p * e - 0.2484436989239102f;
    p = p * e + 0.33319271342490886f;
    p = p * e - 0.4999950151678661f;
    p = p * e + 0.9999999705406563f;
    return vmax(x, (v8f)(0.0f)) + e * p;
}

/// x · σ(x).
CK_INLINE v8f silu_8(v8f x, int fast) { return x / (1.0f + exp_8(-x, fast)); }

/// erf by Abramowitz–Stegun 7.1.26 (absolute error ≲ 1.5e-7), with the odd Taylor series near 0.
CK_INLINE v8f gelu_8(v8f x, int fast) {
    v8f s = x * 0.70710678118654752f;
    v8f as = vabs(s);
    v8f t = 1.0f / (1.0f + 0.3275911f * as);
    v8f p = (v8f)(1.061405429f);
    p = p * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    p = p * t;
    v8f e = 1.0f - p * exp_8(-(as * as), fast);
    v8i neg = (v8i)s & (v8i)(0x80000000);
    e = (v8f)((v8i)e | neg);                            // erf(−s) = −erf(s)
    v8f s2 = s * s;
    v8f series = (v8f)(-1.0f / 42);
    series = series * s2 + 0.1f;
    series = series * s2 - 1.0f / 3;
    series = series * s2 + 1.0f;
    series = series * s * 1.1283791670955126f;
    v8i small = as < 0.25f;
    e = (v8f)((small & (v8i)series) | (~small & (v8i)e));
    return 0.5f * x * (1.0f + e);
}

/// Activation codes of the fused kernels (CK_MAMBA_ACT_* in CKernels.h): none, SiLU, GELU (erf), ReLU.
CK_INLINE v8f act_8(v8f x, int act, int fast) {
    if (act == 1) return silu_8(x, fast);
    if (act == 2) return gelu_8(x, fast);
    if (act == 3) return vmax(x, (v8f)(0.0f));
    return x;
}

#endif
