// The selective scan (S6) of specs/clip-mamba.md §6.1 and the elementwise epilogues of the CLIP-Mamba towers
// (softplus, SiLU, GELU, gate), called from Sources/Inference/SelectiveScan.swift and ChannelsLastKernels.swift.
//
// Every kernel is written once on 8-lane clang vectors (`v8f`) with `always_inline` helpers, and instantiated
// twice: a portable function (SSE2 pairs on x86-64, whatever the target has elsewhere) and an
// `__attribute__((target("avx2,fma")))` one (AVX2 registers, FMA contraction of a·b + c). The two therefore
// compute the same formulas; they differ only by FMA rounding (≲ 1 ulp per operation).
//
// exp is a degree-5 polynomial for 2^f on f ∈ [−½, ½] (relative error ≲ 1.5e-7) with the integer part added to
// the exponent bits; log is Cephes' logf polynomial; both evaluated by Estrin's scheme, because the kernels are
// bound by the latency of these chains rather than by arithmetic. They keep the tiny-tower fixtures within 1e-5.
#include "CKernels.h"
#include <math.h>
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

// MARK: - Selective scan

/// Per-channel inputs of one step for the channel vector at `o`: Δ = softplus(δ_raw + δ_bias), Δ·u, D·u.
#define STEP_INPUTS(o, lanes, isfull) \
    const v8f uu##o = isfull ? ld8(urow + (o)) : ldn(urow + (o), lanes); \
    const v8f dt##o = softplus_8((isfull ? ld8(drow + (o)) : ldn(drow + (o), lanes)) \
                                 + (isfull ? ld8(bias + c0 + (o)) : ldn(bias + c0 + (o), lanes)), fast); \
    const v8f du##o = dt##o * uu##o;

/// The output epilogue: y = acc (+ D·u already in acc) [· SiLU(z)] [+ y].
CK_INLINE void finish(v8f acc, const float *zrow, float *yrow, long o, long lanes, int accumulate, int fast) {
    const int isfull = lanes == 8;
    if (zrow) acc = acc * silu_8(isfull ? ld8(zrow + o) : ldn(zrow + o, lanes), fast);
    if (accumulate) acc = acc + (isfull ? ld8(yrow + o) : ldn(yrow + o, lanes));
    if (isfull) st8(yrow + o, acc); else stn(yrow + o, acc, lanes);
}

/// Channels [c0, c1) of one scan through its whole sequence. `a2`, `d`, `bias` point at the scan's channel 0;
/// `h` has room for dState · ⌈(c1 − c0)/8⌉ vectors (state k of vector v at h[k·nv + v]).
///
/// Channel vectors are taken two at a time so that two independent exp chains are in flight; with a large state
/// (SiMBA, N = 64) the states are the inner loop and B_k, C_k are loaded once for both vectors.
CK_INLINE void scan_block(const ck_scan_operands *s, long c0, long c1, const float *a2, long a_stride,
                          const float *d, const float *bias, long n, v8f *h, int fast) {
    const long width = c1 - c0, nv = (width + 7) / 8, full = width / 8, pairs = full / 2;
    for (long i = 0; i < n * nv; i++) h[i] = (v8f)(0.0f);
    for (long t = 0; t < s->length; t++) {
        const long p = s->order[t];
        const float *brow = s->b + p * s->bc_stride, *crow = s->c + p * s->bc_stride;
        const float *urow = s->u + p * s->u_stride + c0, *drow = s->delta_raw + p * s->delta_stride + c0;
        float *yrow = s->y + p * s->y_stride + c0;
        const float *zrow = s->z ? s->z + p * s->z_stride + c0 : NULL;
        for (long pv = 0; pv < pairs; pv++) {
            const long v = 2 * pv, oa = 8 * v, ob = oa + 8;
            STEP_INPUTS(oa, 8, 1)
            STEP_INPUTS(ob, 8, 1)
            v8f acca = ld8(d + c0 + oa) * uuoa, accb = ld8(d + c0 + ob) * uuob;
            v8f acca2 = (v8f)(0.0f), accb2 = (v8f)(0.0f);
            const float *ap = a2 + c0 + oa;
            v8f *hv = h + v;
            long k = 0;
            for (; k + 2 <= n; k += 2) {
                const float b0 = brow[k], b1 = brow[k + 1], cc0 = crow[k], cc1 = crow[k + 1];
                const float *a0 = ap + k * a_stride, *a1 = a0 + a_stride;
                v8f ea0 = exp2_neg_8(dtoa * ld8(a0), fast), eb0 = exp2_neg_8(dtob * ld8(a0 + 8), fast);
                v8f ea1 = exp2_neg_8(dtoa * ld8(a1), fast), eb1 = exp2_neg_8(dtob * ld8(a1 + 8), fast);
                v8f *h0 = hv + k * nv, *h1 = h0 + nv;
                v8f ha0 = ea0 * h0[0] + duoa * b0, hb0 = eb0 * h0[1] + duob * b0;
                v8f ha1 = ea1 * h1[0] + duoa * b1, hb1 = eb1 * h1[1] + duob * b1;
                h0[0] = ha0; h0[1] = hb0; h1[0] = ha1; h1[1] = hb1;
                acca = acca + ha0 * cc0; accb = accb + hb0 * cc0;
                acca2 = acca2 + ha1 * cc1; accb2 = accb2 + hb1 * cc1;
            }
            for (; k < n; k++) {
                const float *a0 = ap + k * a_stride;
                v8f *h0 = hv + k * nv;
                v8f ha = exp2_neg_8(dtoa * ld8(a0), fast) * h0[0] + duoa * brow[k];
                v8f hb = exp2_neg_8(dtob * ld8(a0 + 8), fast) * h0[1] + duob * brow[k];
                h0[0] = ha; h0[1] = hb;
                acca = acca + ha * crow[k]; accb = accb + hb * crow[k];
            }
            finish(acca + acca2, zrow, yrow, oa, 8, s->accumulate, fast);
            finish(accb + accb2, zrow, yrow, ob, 8, s->accumulate, fast);
        }
        for (long v = 2 * pairs; v < nv; v++) {
            const long o = v * 8;
            const int isfull = v < full;
            const long lanes = isfull ? 8 : width - o;
            STEP_INPUTS(o, lanes, isfull)
            v8f acc = (isfull ? ld8(d + c0 + o) : ldn(d + c0 + o, lanes)) * uuo;
            const float *ap = a2 + c0 + o;
            for (long k = 0; k < n; k++) {
                v8f *hk = h + k * nv + v;
                v8f a = isfull ? ld8(ap + k * a_stride) : ldn(ap + k * a_stride, lanes);
                v8f hn = exp2_neg_8(dto * a, fast) * hk[0] + duo * brow[k];
                hk[0] = hn;
                acc = acc + hn * crow[k];
            }
            finish(acc, zrow, yrow, o, lanes, s->accumulate, fast);
        }
    }
}

CK_INLINE void scan_blocks(const ck_scan_operands *scans, long count, long channels, long c0, long c1,
                           const float *a2, long a_stride, const float *d, const float *bias, long d_state, int fast) {
    const long nv = (c1 - c0 + 7) / 8;
    v8f h[d_state * nv];
    for (long i = 0; i < count; i++) {
        const long off = i * channels;
        scan_block(&scans[i], c0, c1, a2 + off, a_stride, d + off, bias + off, d_state, h, fast);
    }
}

static void scan_portable(const ck_scan_operands *scans, long count, long channels, long c0, long c1,
                          const float *a2, long a_stride, const float *d, const float *bias, long d_state) {
    scan_blocks(scans, count, channels, c0, c1, a2, a_stride, d, bias, d_state, 0);
}

#if defined(__x86_64__) || defined(__i386__)
AVX2 static void scan_avx2(const ck_scan_operands *scans, long count, long channels, long c0, long c1,
                           const float *a2, long a_stride, const float *d, const float *bias, long d_state) {
    scan_blocks(scans, count, channels, c0, c1, a2, a_stride, d, bias, d_state, 1);
}
#endif

void ck_selective_scan(const ck_scan_operands *scans, long count, long channels, long c0, long c1,
                       const float *a2, long a_stride, const float *d, const float *bias, long d_state, int path) {
#if defined(__x86_64__) || defined(__i386__)
    if (path != 1 && ck_cpu_has_avx2_fma()) { scan_avx2(scans, count, channels, c0, c1, a2, a_stride, d, bias, d_state); return; }
#endif
    scan_portable(scans, count, channels, c0, c1, a2, a_stride, d, bias, d_state);
}

// MARK: - Elementwise rows

enum { OP_SILU = 0, OP_GELU = 1, OP_SOFTPLUS = 2 };

#define MAP_LOOP(F) \
    for (long r = 0; r < rows; r++) { \
        float *p = x + r * stride; \
        long i = 0; \
        for (; i < full; i += 8) st8(p + i, F(ld8(p + i), fast)); \
        if (i < width) stn(p + i, F(ldn(p + i, width - i), fast), width - i); \
    }

CK_INLINE void map_rows(int op, float *x, long rows, long width, long stride, int fast) {
    const long full = width / 8 * 8;
    switch (op) {
    case OP_SILU: MAP_LOOP(silu_8) break;
    case OP_GELU: MAP_LOOP(gelu_8) break;
    default: MAP_LOOP(softplus_8) break;
    }
}

/// y ← y · SiLU(z) on rows.
CK_INLINE void gate_rows(float *y, long y_stride, const float *z, long z_stride, long rows, long width, int fast) {
    const long full = width / 8 * 8;
    for (long r = 0; r < rows; r++) {
        float *yp = y + r * y_stride;
        const float *zp = z + r * z_stride;
        long i = 0;
        for (; i < full; i += 8) st8(yp + i, ld8(yp + i) * silu_8(ld8(zp + i), fast));
        if (i < width) stn(yp + i, ldn(yp + i, width - i) * silu_8(ldn(zp + i, width - i), fast), width - i);
    }
}

static void map_rows_portable(int op, float *x, long rows, long width, long stride) { map_rows(op, x, rows, width, stride, 0); }
static void gate_rows_portable(float *y, long ys, const float *z, long zs, long rows, long width) { gate_rows(y, ys, z, zs, rows, width, 0); }
#if defined(__x86_64__) || defined(__i386__)
AVX2 static void map_rows_avx2(int op, float *x, long rows, long width, long stride) { map_rows(op, x, rows, width, stride, 1); }
AVX2 static void gate_rows_avx2(float *y, long ys, const float *z, long zs, long rows, long width) { gate_rows(y, ys, z, zs, rows, width, 1); }
#endif

void ck_map_rows(int op, float *x, long rows, long width, long stride, int path) {
#if defined(__x86_64__) || defined(__i386__)
    if (path != 1 && ck_cpu_has_avx2_fma()) { map_rows_avx2(op, x, rows, width, stride); return; }
#endif
    map_rows_portable(op, x, rows, width, stride);
}

void ck_gate_rows(float *y, long y_stride, const float *z, long z_stride, long rows, long width, int path) {
#if defined(__x86_64__) || defined(__i386__)
    if (path != 1 && ck_cpu_has_avx2_fma()) { gate_rows_avx2(y, y_stride, z, z_stride, rows, width); return; }
#endif
    gate_rows_portable(y, y_stride, z, z_stride, rows, width);
}
