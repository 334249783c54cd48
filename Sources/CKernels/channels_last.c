// Channel-last (`[positions, channels]`) kernels of the CLIP-Mamba towers: the 3×3 depthwise convolution
// (VMamba's SS2D conv, SiMBA's MLP dwconv) and LayerNorm over rows. Called from
// Sources/Inference/ChannelsLastKernels.swift, which splits the rows over the cores.
//
// Written once on 8-lane clang vectors and instantiated as a portable and an AVX2+FMA function (see
// selective_scan.c); the two differ only by FMA rounding.
#include "CKernels.h"
#include "mamba_vec.h"
#include <math.h>

// MARK: - Depthwise 3×3, stride 1, zero padding 1

/// One output position's channels [c0, c) by the bounds-checked formula (edges and tail channels).
CK_INLINE void dw_point(const float *x, long xs, long h, long w, long c, const float *w9, const float *bias,
                        int act, float *out, long oy, long ox, long c0, int fast) {
    for (long ch = c0; ch < c; ch++) {
        float acc = bias ? bias[ch] : 0.0f;
        for (long ky = 0; ky < 3; ky++) {
            long iy = oy + ky - 1;
            if (iy < 0 || iy >= h) continue;
            for (long kx = 0; kx < 3; kx++) {
                long ix = ox + kx - 1;
                if (ix < 0 || ix >= w) continue;
                acc += x[(iy * w + ix) * xs + ch] * w9[(ky * 3 + kx) * c + ch];
            }
        }
        out[(oy * w + ox) * c + ch] = act ? act_8((v8f)(acc), act, fast)[0] : acc;
    }
}

CK_INLINE void dw3x3(const float *x, long xs, long h, long w, long c, const float *w9, const float *bias, int act,
                     float *out, long oy0, long oy1, int fast) {
    const long full = c / 8 * 8;
    for (long oy = oy0; oy < oy1; oy++) {
        // Missing rows (top/bottom edge) get zero weights and read the centre row instead.
        const int top = oy == 0, bottom = oy == h - 1;
        const float *r0 = x + (top ? oy : oy - 1) * w * xs;
        const float *r1 = x + oy * w * xs;
        const float *r2 = x + (bottom ? oy : oy + 1) * w * xs;
        float *orow = out + oy * w * c;
        for (long ch = 0; ch < full; ch += 8) {
            v8f k0 = ld8(w9 + 0 * c + ch), k1 = ld8(w9 + 1 * c + ch), k2 = ld8(w9 + 2 * c + ch);
            v8f k3 = ld8(w9 + 3 * c + ch), k4 = ld8(w9 + 4 * c + ch), k5 = ld8(w9 + 5 * c + ch);
            v8f k6 = ld8(w9 + 6 * c + ch), k7 = ld8(w9 + 7 * c + ch), k8 = ld8(w9 + 8 * c + ch);
            if (top) { k0 = 0.0f; k1 = 0.0f; k2 = 0.0f; }
            if (bottom) { k6 = 0.0f; k7 = 0.0f; k8 = 0.0f; }
            const v8f b = bias ? ld8(bias + ch) : (v8f)(0.0f);
            const float *p0 = r0 + ch, *p1 = r1 + ch, *p2 = r2 + ch;
            // ox = 0: no left column
            if (w == 1) {
                st8(orow + ch, act_8(b + k1 * ld8(p0) + k4 * ld8(p1) + k7 * ld8(p2), act, fast));
                continue;
            }
            st8(orow + ch, act_8(b + k1 * ld8(p0) + k4 * ld8(p1) + k7 * ld8(p2)
                                 + k2 * ld8(p0 + xs) + k5 * ld8(p1 + xs) + k8 * ld8(p2 + xs), act, fast));
            for (long ox = 1; ox < w - 1; ox++) {
                const long l = (ox - 1) * xs, m = ox * xs, r = (ox + 1) * xs;
                v8f a = b + k0 * ld8(p0 + l) + k3 * ld8(p1 + l) + k6 * ld8(p2 + l);
                a = a + k1 * ld8(p0 + m) + k4 * ld8(p1 + m) + k7 * ld8(p2 + m);
                a = a + k2 * ld8(p0 + r) + k5 * ld8(p1 + r) + k8 * ld8(p2 + r);
                st8(orow + ox * c + ch, act_8(a, act, fast));
            }
            const long l = (w - 2) * xs, m = (w - 1) * xs;
            st8(orow + (w - 1) * c + ch, act_8(b + k0 * ld8(p0 + l) + k3 * ld8(p1 + l) + k6 * ld8(p2 + l)
                                               + k1 * ld8(p0 + m) + k4 * ld8(p1 + m) + k7 * ld8(p2 + m), act, fast));
        }
        if (full < c) {
            for (long ox = 0; ox < w; ox++) dw_point(x, xs, h, w, c, w9, bias, act, out, oy, ox, full, fast);
        }
    }
}

/// One function per activation code (a constant inside: no branch in the inner loop).
#define DW_ACTS(F, fast) \
    switch (act) { \
    case CK_MAMBA_ACT_SILU: F(x, xs, h, w, c, w9, bias, CK_MAMBA_ACT_SILU, out, oy0, oy1, fast); break; \
    case CK_MAMBA_ACT_GELU: F(x, xs, h, w, c, w9, bias, CK_MAMBA_ACT_GELU, out, oy0, oy1, fast); break; \
    case CK_MAMBA_ACT_RELU: F(x, xs, h, w, c, w9, bias, CK_MAMBA_ACT_RELU, out, oy0, oy1, fast); break; \
    default: F(x, xs, h, w, c, w9, bias, CK_MAMBA_ACT_NONE, out, oy0, oy1, fast); break; \
    }

static void dw3x3_portable(const float *x, long xs, long h, long w, long c, const float *w9, const float *bias,
                           int act, float *out, long oy0, long oy1) { DW_ACTS(dw3x3, 0) }
#if defined(__x86_64__) || defined(__i386__)
AVX2 static void dw3x3_avx2(const float *x, long xs, long h, long w, long c, const float *w9, const float *bias,
                            int act, float *out, long oy0, long oy1) { DW_ACTS(dw3x3, 1) }
#endif

void ck_depthwise3x3_act(const float *x, long x_stride, long height, long width, long channels, const float *weight9,
                         const float *bias, int act, float *out, long row0, long row1, int path) {
#if defined(__x86_64__) || defined(__i386__)
    if (path != 1 && ck_cpu_has_avx2_fma()) {
        dw3x3_avx2(x, x_stride, height, width, channels, weight9, bias, act, out, row0, row1);
        return;
    }
#endif
    dw3x3_portable(x, x_stride, height, width, channels, weight9, bias, act, out, row0, row1);
}

void ck_depthwise3x3(const float *x, long x_stride, long height, long width, long channels, const float *weight9,
                     const float *bias, float *out, long row0, long row1, int path) {
    ck_depthwise3x3_act(x, x_stride, height, width, channels, weight9, bias, CK_MAMBA_ACT_NONE, out, row0, row1, path);
}

// MARK: - Causal depthwise 1-d convolution (Mamba's conv1d), then an activation

CK_INLINE void causal_conv1d(const float *x, long xs, long c, long taps, const float *wt, const float *bias, int act,
                             float *out, long t0, long t1, int fast) {
    const long full = c / 8 * 8;
    for (long t = t0; t < t1; t++) {
        float *dst = out + t * c;
        long ch = 0;
        for (; ch < full; ch += 8) {
            v8f acc = ld8(bias + ch);
            for (long k = 0; k < taps; k++) {
                const long s = t - taps + 1 + k;
                if (s >= 0) acc = acc + ld8(x + s * xs + ch) * ld8(wt + k * c + ch);
            }
            st8(dst + ch, act_8(acc, act, fast));
        }
        if (ch < c) {
            const long lanes = c - ch;
            v8f acc = ldn(bias + ch, lanes);
            for (long k = 0; k < taps; k++) {
                const long s = t - taps + 1 + k;
                if (s >= 0) acc = acc + ldn(x + s * xs + ch, lanes) * ldn(wt + k * c + ch, lanes);
            }
            stn(dst + ch, act_8(acc, act, fast), lanes);
        }
    }
}

#define CONV1D_ACTS(fast) \
    switch (act) { \
    case CK_MAMBA_ACT_SILU: causal_conv1d(x, xs, c, taps, wt, bias, CK_MAMBA_ACT_SILU, out, t0, t1, fast); break; \
    case CK_MAMBA_ACT_GELU: causal_conv1d(x, xs, c, taps, wt, bias, CK_MAMBA_ACT_GELU, out, t0, t1, fast); break; \
    case CK_MAMBA_ACT_RELU: causal_conv1d(x, xs, c, taps, wt, bias, CK_MAMBA_ACT_RELU, out, t0, t1, fast); break; \
    default: causal_conv1d(x, xs, c, taps, wt, bias, CK_MAMBA_ACT_NONE, out, t0, t1, fast); break; \
    }

static void causal_conv1d_portable(const float *x, long xs, long c, long taps, const float *wt, const float *bias,
                                   int act, float *out, long t0, long t1) { CONV1D_ACTS(0) }
#if defined(__x86_64__) || defined(__i386__)
AVX2 static void causal_conv1d_avx2(const float *x, long xs, long c, long taps, const float *wt, const float *bias,
                                    int act, float *out, long t0, long t1) { CONV1D_ACTS(1) }
#endif

void ck_causal_conv1d_act(const float *x, long x_stride, long length, long channels, long taps, const float *weight_t,
                          const float *bias, int act, float *out, long t0, long t1, int path) {
    (void)length;
#if defined(__x86_64__) || defined(__i386__)
    if (path != 1 && ck_cpu_has_avx2_fma()) {
        causal_conv1d_avx2(x, x_stride, channels, taps, weight_t, bias, act, out, t0, t1);
        return;
    }
#endif
    causal_conv1d_portable(x, x_stride, channels, taps, weight_t, bias, act, out, t0, t1);
}

// MARK: - LayerNorm

CK_INLINE float hsum(v8f v) {
    return ((v[0] + v[4]) + (v[1] + v[5])) + ((v[2] + v[6]) + (v[3] + v[7]));
}

CK_INLINE void layer_norm(const float *x, long rows, long width, const float *gamma, const float *beta, float eps,
                          const float *z, long zs, float *out, int fast) {
    const long full = width / 8 * 8;
    for (long r = 0; r < rows; r++) {
        const float *src = x + r * width;
        float *dst = out + r * width;
        v8f s0 = 0.0f, s1 = 0.0f;
        long i = 0;
        for (; i + 16 <= full; i += 16) { s0 += ld8(src + i); s1 += ld8(src + i + 8); }
        for (; i < full; i += 8) s0 += ld8(src + i);
        float sum = hsum(s0 + s1);
        for (; i < width; i++) sum += src[i];
        const float mean = sum / (float)width;
        v8f q0 = 0.0f, q1 = 0.0f;
        i = 0;
        for (; i + 16 <= full; i += 16) {
            v8f d0 = ld8(src + i) - mean, d1 = ld8(src + i + 8) - mean;
            q0 += d0 * d0; q1 += d1 * d1;
        }
        for (; i < full; i += 8) { v8f d = ld8(src + i) - mean; q0 += d * d; }
        float sq = hsum(q0 + q1);
        for (; i < width; i++) { float d = src[i] - mean; sq += d * d; }
        const float inv = 1.0f / sqrtf(sq / (float)width + eps);
        i = 0;
        if (z) {
            const float *zr = z + r * zs;
            for (; i < full; i += 8)
                st8(dst + i, ((ld8(src + i) - mean) * inv * ld8(gamma + i) + ld8(beta + i)) * silu_8(ld8(zr + i), fast));
            if (i < width) {
                const long lanes = width - i;
                stn(dst + i, ((ldn(src + i, lanes) - mean) * inv * ldn(gamma + i, lanes) + ldn(beta + i, lanes))
                             * silu_8(ldn(zr + i, lanes), fast), lanes);
            }
            continue;
        }
        for (; i < full; i += 8) st8(dst + i, (ld8(src + i) - mean) * inv * ld8(gamma + i) + ld8(beta + i));
        for (; i < width; i++) dst[i] = (src[i] - mean) * inv * gamma[i] + beta[i];
    }
}

static void layer_norm_portable(const float *x, long rows, long width, const float *g, const float *b, float eps,
                                const float *z, long zs, float *out) { layer_norm(x, rows, width, g, b, eps, z, zs, out, 0); }
#if defined(__x86_64__) || defined(__i386__)
AVX2 static void layer_norm_avx2(const float *x, long rows, long width, const float *g, const float *b, float eps,
                                 const float *z, long zs, float *out) { layer_norm(x, rows, width, g, b, eps, z, zs, out, 1); }
#endif

void ck_layer_norm_gate_rows(const float *x, long rows, long width, const float *gamma, const float *beta, float eps,
                             const float *z, long z_stride, float *out, int path) {
#if defined(__x86_64__) || defined(__i386__)
    if (path != 1 && ck_cpu_has_avx2_fma()) { layer_norm_avx2(x, rows, width, gamma, beta, eps, z, z_stride, out); return; }
#endif
    layer_norm_portable(x, rows, width, gamma, beta, eps, z, z_stride, out);
}

void ck_layer_norm_rows(const float *x, long rows, long width, const float *gamma, const float *beta, float eps,
                        float *out, int path) {
    ck_layer_norm_gate_rows(x, rows, width, gamma, beta, eps, NULL, 0, out, path);
}
