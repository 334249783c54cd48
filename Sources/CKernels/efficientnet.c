// EfficientNet-Lite0's forward-pass kernels on one image in channels-last layout (`[positions][channels]`,
// channels fastest), called by Models/EfficientNetLite0.swift: the stem convolution, depthwise convolutions
// with bias and ReLU6, 1×1 convolutions as a register-blocked GEMM on pre-packed weights with the bias, ReLU6
// and residual add fused into the store, and the global average pool.
//
// Each kernel body is written once on 8-float vectors (clang vector extensions) and compiled twice: inlined
// into a portable entry (SSE2 on x86-64: each 8-vector becomes two 4-vectors, `a * b + c` stays a multiply and
// an add) and into an `avx2,fma` entry (`a * b + c` becomes one FMA). `use_avx2` picks the entry; it falls back
// to the portable one where `ck_cpu_has_avx2_fma()` says no. Results of the two paths differ only by FMA
// rounding (far inside the model's 2e-3 logit tolerance).
#include "CKernels.h"

#include <string.h>

#pragma clang diagnostic ignored "-Wpsabi"  // 8-float vectors only pass between inlined functions

typedef float v8 __attribute__((vector_size(32)));
typedef float v8u __attribute__((vector_size(32), aligned(4)));

#define INLINE static inline __attribute__((always_inline))
#define AVX2 __attribute__((target("avx2,fma")))

INLINE v8 ld(const float *p) { return *(const v8u *)p; }
INLINE void st(float *p, v8 v) { *(v8u *)p = v; }
INLINE v8 bc(float x) { return (v8){x, x, x, x, x, x, x, x}; }
INLINE v8 relu6v(v8 x) {
    const v8 zero = bc(0.0f), six = bc(6.0f);
    x = __builtin_elementwise_max(x, zero);
    return __builtin_elementwise_min(x, six);
}

static int use_vector_isa(int use_avx2) { return use_avx2 && ck_cpu_has_avx2_fma(); }

// MARK: - 1×1 convolution (GEMM with fused epilogue)

// Packed layout: column blocks of 16 output channels (the last one 8 wide when cout % 16 == 8); block j holds
// `packed[j0 * cin + ci * width + t] = w[(j0 + t) * cin + ci]` where j0 is the block's first channel.
void ck_en_pack_pointwise(const float *w, int cin, int cout, float *packed) {
    for (int j0 = 0; j0 < cout; j0 += 16) {
        int width = cout - j0 >= 16 ? 16 : 8;
        float *dst = packed + (size_t)j0 * cin;
        for (int ci = 0; ci < cin; ci++)
            for (int t = 0; t < width; t++) dst[ci * width + t] = w[(size_t)(j0 + t) * cin + ci];
    }
}

// MR positions × NV·8 output channels: acc starts at the bias, takes Σ_ci in·w, then the residual, then ReLU6.
INLINE void pw_micro(const float *a, int cin, const float *bp, const float *bias, const float *res, int ldo,
                     int relu6, float *out, const int MR, const int NV) {
    v8 acc[6][2];
    for (int r = 0; r < MR; r++)
        for (int v = 0; v < NV; v++) acc[r][v] = ld(bias + 8 * v);
    for (int ci = 0; ci < cin; ci++) {
        v8 b0 = ld(bp + ci * NV * 8);
        v8 b1 = NV > 1 ? ld(bp + ci * NV * 8 + 8) : b0;
        for (int r = 0; r < MR; r++) {
            v8 x = bc(a[(size_t)r * cin + ci]);
            acc[r][0] = x * b0 + acc[r][0];
            if (NV > 1) acc[r][1] = x * b1 + acc[r][1];
        }
    }
    for (int r = 0; r < MR; r++)
        for (int v = 0; v < NV; v++) {
            v8 y = acc[r][v];
            if (res) y = y + ld(res + (size_t)r * ldo + 8 * v);
            if (relu6) y = relu6v(y);
            st(out + (size_t)r * ldo + 8 * v, y);
        }
}

INLINE void pw_body(const float *in, int positions, int cin, const float *packed, const float *bias, int cout,
                    const float *residual, int relu6, float *out) {
    // Column blocks (each a cin × 16 weight panel, ≤ 72 KiB) pass over chunks of positions whose inputs stay in
    // L2: all positions when they fit (the late layers: each weight panel is read once), else 64 KiB of inputs.
    int chunk = positions;
    if ((size_t)positions * cin * 4 > 393216) {
        chunk = (65536 / (cin * 4)) / 6 * 6;
        if (chunk < 6) chunk = 6;
    }
    for (int p0 = 0; p0 < positions; p0 += chunk) {
        int p1 = p0 + chunk < positions ? p0 + chunk : positions;
        for (int j0 = 0; j0 < cout; j0 += 16) {
            int nv = cout - j0 >= 16 ? 2 : 1;
            const float *bp = packed + (size_t)j0 * cin;
            for (int p = p0; p < p1; p += 6) {
                int mr = p1 - p < 6 ? p1 - p : 6;
                const float *a = in + (size_t)p * cin;
                const float *res = residual ? residual + (size_t)p * cout + j0 : 0;
                float *o = out + (size_t)p * cout + j0;
#define PW_CASE(M)                                                                      \
    case M:                                                                             \
        if (nv == 2) pw_micro(a, cin, bp, bias + j0, res, cout, relu6, o, M, 2);        \
        else pw_micro(a, cin, bp, bias + j0, res, cout, relu6, o, M, 1);                \
        break;
                switch (mr) { PW_CASE(6) PW_CASE(5) PW_CASE(4) PW_CASE(3) PW_CASE(2) PW_CASE(1) }
#undef PW_CASE
            }
        }
    }
}

static void pw_portable(const float *in, int positions, int cin, const float *packed, const float *bias,
                        int cout, const float *residual, int relu6, float *out) {
    pw_body(in, positions, cin, packed, bias, cout, residual, relu6, out);
}

AVX2 static void pw_avx2(const float *in, int positions, int cin, const float *packed, const float *bias,
                         int cout, const float *residual, int relu6, float *out) {
    pw_body(in, positions, cin, packed, bias, cout, residual, relu6, out);
}

void ck_en_pointwise(const float *in, int positions, int cin, const float *packed, const float *bias, int cout,
                     const float *residual, int relu6, float *out, int use_avx2) {
    if (use_vector_isa(use_avx2)) pw_avx2(in, positions, cin, packed, bias, cout, residual, relu6, out);
    else pw_portable(in, positions, cin, packed, bias, cout, residual, relu6, out);
}

// MARK: - Depthwise k×k convolution, bias, ReLU6

// `in` holds the input rows from `in_row0` on (row iy at in + (iy − in_row0)·w·c); iy0 is relative to it.
INLINE void dw_position(const float *in, int w, int c, int k, int iy0, int ky0, int ky1, int ix0, int kx0,
                        int kx1, const float *wt, const float *bias, float *out, int c0, const int NV) {
    v8 acc[8];
    for (int v = 0; v < NV; v++) acc[v] = ld(bias + c0 + 8 * v);
    for (int ky = ky0; ky < ky1; ky++) {
        const float *row = in + ((size_t)(iy0 + ky) * w + ix0) * c + c0;
        const float *wr = wt + (size_t)ky * k * c + c0;
        for (int kx = kx0; kx < kx1; kx++) {
            const float *p = row + (size_t)kx * c, *q = wr + (size_t)kx * c;
            for (int v = 0; v < NV; v++) acc[v] = ld(p + 8 * v) * ld(q + 8 * v) + acc[v];
        }
    }
    for (int v = 0; v < NV; v++) st(out + c0 + 8 * v, relu6v(acc[v]));
}

// Interior positions (the whole k×k window inside the image) with k known at compile time: unrolled taps.
INLINE void dw_interior(const float *in, int w, int c, int iy0, int ix0, const float *wt, const float *bias,
                        float *out, int c0, const int K, const int NV) {
    v8 acc[8];
    for (int v = 0; v < NV; v++) acc[v] = ld(bias + c0 + 8 * v);
    for (int ky = 0; ky < K; ky++) {
        const float *row = in + ((size_t)(iy0 + ky) * w + ix0) * c + c0;
        const float *wr = wt + (size_t)ky * K * c + c0;
        for (int kx = 0; kx < K; kx++)
            for (int v = 0; v < NV; v++) acc[v] = ld(row + (size_t)kx * c + 8 * v) * ld(wr + (size_t)kx * c + 8 * v) + acc[v];
    }
    for (int v = 0; v < NV; v++) st(out + c0 + 8 * v, relu6v(acc[v]));
}

INLINE void dw_row(const float *in, int w, int c, int k, int stride, int pad_left, int ow, int iy0, int ky0,
                   int ky1, const float *wt, const float *bias, float *orow, int c0, const int NV) {
    for (int ox = 0; ox < ow; ox++) {
        int ix0 = ox * stride - pad_left;
        int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = w - ix0 < k ? w - ix0 : k;
        float *o = orow + (size_t)ox * c;
        if (ky0 == 0 && ky1 == k && kx0 == 0 && kx1 == k) {
            if (k == 3) { dw_interior(in, w, c, iy0, ix0, wt, bias, o, c0, 3, NV); continue; }
            if (k == 5) { dw_interior(in, w, c, iy0, ix0, wt, bias, o, c0, 5, NV); continue; }
        }
        dw_position(in, w, c, k, iy0, ky0, ky1, ix0, kx0, kx1, wt, bias, o, c0, NV);
    }
}

// Output rows [oy_begin, oy_end) into `out` (row oy at out + (oy − oy_begin)·ow·c); input rows from `in_row0`.
INLINE void dw_rows(const float *in, int in_row0, int h, int w, int c, int k, int stride, int pad_top,
                    int pad_left, int oy_begin, int oy_end, int ow, const float *wt, const float *bias, float *out) {
    for (int oy = oy_begin; oy < oy_end; oy++) {
        int iy0 = oy * stride - pad_top;
        int ky0 = iy0 < 0 ? -iy0 : 0, ky1 = h - iy0 < k ? h - iy0 : k;
        float *orow = out + (size_t)(oy - oy_begin) * ow * c;
        int rel = iy0 - in_row0;
        // Channel chunks of 64 (8 accumulators), then 32, 16, 8: the chunk's k·k weight vectors stay in L1
        // along the row.
        int c0 = 0;
        for (; c0 + 64 <= c; c0 += 64) dw_row(in, w, c, k, stride, pad_left, ow, rel, ky0, ky1, wt, bias, orow, c0, 8);
        for (; c0 + 32 <= c; c0 += 32) dw_row(in, w, c, k, stride, pad_left, ow, rel, ky0, ky1, wt, bias, orow, c0, 4);
        for (; c0 + 16 <= c; c0 += 16) dw_row(in, w, c, k, stride, pad_left, ow, rel, ky0, ky1, wt, bias, orow, c0, 2);
        for (; c0 + 8 <= c; c0 += 8) dw_row(in, w, c, k, stride, pad_left, ow, rel, ky0, ky1, wt, bias, orow, c0, 1);
    }
}

INLINE void dw_body(const float *in, int h, int w, int c, int k, int stride, int pad_top, int pad_left, int oh,
                    int ow, const float *wt, const float *bias, float *out) {
    dw_rows(in, 0, h, w, c, k, stride, pad_top, pad_left, 0, oh, ow, wt, bias, out);
}

static void dw_portable(const float *in, int h, int w, int c, int k, int stride, int pad_top, int pad_left,
                        int oh, int ow, const float *wt, const float *bias, float *out) {
    dw_body(in, h, w, c, k, stride, pad_top, pad_left, oh, ow, wt, bias, out);
}

AVX2 static void dw_avx2(const float *in, int h, int w, int c, int k, int stride, int pad_top, int pad_left,
                         int oh, int ow, const float *wt, const float *bias, float *out) {
    dw_body(in, h, w, c, k, stride, pad_top, pad_left, oh, ow, wt, bias, out);
}

void ck_en_depthwise(const float *in, int h, int w, int c, int k, int stride, int pad_top, int pad_left, int oh,
                     int ow, const float *wt, const float *bias, float *out, int use_avx2) {
    if (use_vector_isa(use_avx2)) dw_avx2(in, h, w, c, k, stride, pad_top, pad_left, oh, ow, wt, bias, out);
    else dw_portable(in, h, w, c, k, stride, pad_top, pad_left, oh, ow, wt, bias, out);
}

// MARK: - Fused MBConv block (expand → depthwise → project) in bands of output rows

// The expanded rows a band needs are computed into `band` (kept across bands where they overlap), the band's
// depthwise rows into `dband`, then projected at once: the wide E-channel tensors never leave L2.
INLINE void mb_body(const float *x, int h, int w, int cin, const float *ep, const float *eb, int e,
                    const float *dwt, const float *dwb, int k, int stride, int pad_top, int pad_left, int oh, int ow,
                    const float *pp, const float *pb, int cout, int residual, float *band, float *dband,
                    int band_floats, float *out) {
    int rows_held = ep ? band_floats / (w * e) : h;   // expanded rows the band buffer holds
    int r = (rows_held - k) / stride + 1;             // output rows per band
    int r_d = band_floats / (ow * e);
    if (r > r_d) r = r_d;
    if (r < 1) r = 1;
    int b0 = 0, b1 = 0;  // expanded rows [b0, b1) are in band
    for (int oy0 = 0; oy0 < oh; oy0 += r) {
        int oy1 = oy0 + r < oh ? oy0 + r : oh;
        int lo = oy0 * stride - pad_top, hi = (oy1 - 1) * stride - pad_top + k;
        if (lo < 0) lo = 0;
        if (hi > h) hi = h;
        const float *src = x;
        int src_row0 = 0;
        if (ep) {
            if (lo < b1 && lo >= b0) {
                memmove(band, band + (size_t)(lo - b0) * w * e, (size_t)(b1 - lo) * w * e * sizeof(float));
            } else {
                b1 = lo;
            }
            b0 = lo;
            if (hi > b1) {
                pw_body(x + (size_t)b1 * w * cin, (hi - b1) * w, cin, ep, eb, e, 0, 1, band + (size_t)(b1 - b0) * w * e);
                b1 = hi;
            }
            src = band;
            src_row0 = b0;
        }
        dw_rows(src, src_row0, h, w, e, k, stride, pad_top, pad_left, oy0, oy1, ow, dwt, dwb, dband);
        float *o = out + (size_t)oy0 * ow * cout;
        pw_body(dband, (oy1 - oy0) * ow, e, pp, pb, cout, residual ? o : 0, 0, o);
    }
}

static void mb_portable(const float *x, int h, int w, int cin, const float *ep, const float *eb, int e,
                        const float *dwt, const float *dwb, int k, int stride, int pad_top, int pad_left, int oh,
                        int ow, const float *pp, const float *pb, int cout, int residual, float *band, float *dband,
                        int band_floats, float *out) {
    mb_body(x, h, w, cin, ep, eb, e, dwt, dwb, k, stride, pad_top, pad_left, oh, ow, pp, pb, cout, residual, band,
            dband, band_floats, out);
}

AVX2 static void mb_avx2(const float *x, int h, int w, int cin, const float *ep, const float *eb, int e,
                         const float *dwt, const float *dwb, int k, int stride, int pad_top, int pad_left, int oh,
                         int ow, const float *pp, const float *pb, int cout, int residual, float *band, float *dband,
                         int band_floats, float *out) {
    mb_body(x, h, w, cin, ep, eb, e, dwt, dwb, k, stride, pad_top, pad_left, oh, ow, pp, pb, cout, residual, band,
            dband, band_floats, out);
}

void ck_en_mbconv(const float *x, int h, int w, int cin, const float *expand_packed, const float *expand_bias,
                  int e, const float *dw_wt, const float *dw_bias, int k, int stride, int pad_top, int pad_left,
                  int oh, int ow, const float *project_packed, const float *project_bias, int cout, int residual,
                  float *band, float *dband, int band_floats, float *out, int use_avx2) {
    if (use_vector_isa(use_avx2))
        mb_avx2(x, h, w, cin, expand_packed, expand_bias, e, dw_wt, dw_bias, k, stride, pad_top, pad_left, oh, ow,
                project_packed, project_bias, cout, residual, band, dband, band_floats, out);
    else
        mb_portable(x, h, w, cin, expand_packed, expand_bias, e, dw_wt, dw_bias, k, stride, pad_top, pad_left, oh,
                    ow, project_packed, project_bias, cout, residual, band, dband, band_floats, out);
}

// MARK: - Dense k×k convolution (the stem), bias, ReLU6

INLINE void conv_body(const float *in, int h, int w, int cin, int k, int stride, int pad_top, int pad_left,
                      int oh, int ow, const float *wt, const float *bias, int cout, float *out) {
    for (int oy = 0; oy < oh; oy++) {
        int iy0 = oy * stride - pad_top;
        int ky0 = iy0 < 0 ? -iy0 : 0, ky1 = h - iy0 < k ? h - iy0 : k;
        for (int ox = 0; ox < ow; ox++) {
            int ix0 = ox * stride - pad_left;
            int kx0 = ix0 < 0 ? -ix0 : 0, kx1 = w - ix0 < k ? w - ix0 : k;
            float *o = out + ((size_t)oy * ow + ox) * cout;
            for (int j0 = 0; j0 < cout; j0 += 32) {
                v8 acc[4];
                for (int v = 0; v < 4; v++) acc[v] = ld(bias + j0 + 8 * v);
                for (int ky = ky0; ky < ky1; ky++)
                    for (int kx = kx0; kx < kx1; kx++) {
                        const float *p = in + ((size_t)(iy0 + ky) * w + ix0 + kx) * cin;
                        const float *q = wt + ((size_t)(ky * k + kx) * cin) * cout + j0;
                        for (int ci = 0; ci < cin; ci++) {
                            v8 x = bc(p[ci]);
                            for (int v = 0; v < 4; v++) acc[v] = x * ld(q + (size_t)ci * cout + 8 * v) + acc[v];
                        }
                    }
                for (int v = 0; v < 4; v++) st(o + j0 + 8 * v, relu6v(acc[v]));
            }
        }
    }
}

static void conv_portable(const float *in, int h, int w, int cin, int k, int stride, int pad_top, int pad_left,
                          int oh, int ow, const float *wt, const float *bias, int cout, float *out) {
    conv_body(in, h, w, cin, k, stride, pad_top, pad_left, oh, ow, wt, bias, cout, out);
}

AVX2 static void conv_avx2(const float *in, int h, int w, int cin, int k, int stride, int pad_top, int pad_left,
                           int oh, int ow, const float *wt, const float *bias, int cout, float *out) {
    conv_body(in, h, w, cin, k, stride, pad_top, pad_left, oh, ow, wt, bias, cout, out);
}

void ck_en_conv(const float *in, int h, int w, int cin, int k, int stride, int pad_top, int pad_left, int oh,
                int ow, const float *wt, const float *bias, int cout, float *out, int use_avx2) {
    if (use_vector_isa(use_avx2)) conv_avx2(in, h, w, cin, k, stride, pad_top, pad_left, oh, ow, wt, bias, cout, out);
    else conv_portable(in, h, w, cin, k, stride, pad_top, pad_left, oh, ow, wt, bias, cout, out);
}

// MARK: - Global average pool

void ck_en_mean_positions(const float *in, int positions, int c, float *out) {
    for (int j = 0; j < c; j++) out[j] = 0;
    for (int p = 0; p < positions; p++) {
        const float *row = in + (size_t)p * c;
        for (int j = 0; j < c; j++) out[j] += row[j];
    }
    float scale = 1.0f / (float)positions;
    for (int j = 0; j < c; j++) out[j] *= scale;
}
