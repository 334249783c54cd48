// Loops of the eidolon toolbox blur done as a four-step FFT (Sources/Distortions/EidolonBlur.swift): transposes
// fused with the noise scaling and with the twiddle factors, and the spectrum product with its Parseval sum.
//
// Layouts (complex values are interleaved re, im doubles): a plane is 512 × 512 doubles; the column spectrum Yᵀ is
// 512 rows (one per plane column j) of 257 complex values (q = 0…256); the row-major spectrum Y is `rows` rows
// (q) of 512 complex values (j, then p after the row FFT), rows ROW_STRIDE = 520 complex values apart (a power-of-two
// stride would make the transposes' column walks collide in the same cache sets); the twiddle table
// W[q][j] = exp(−2πi·q·j / 2¹⁸) is 257 such rows, the kernel spectra as many rows as
// they keep. No FMA contraction: the portable and the AVX2 paths give identical bits.
#include "CKernels.h"
#include <string.h>

#pragma clang fp contract(off)

#define SIDE 512
#define HALF 257
#define TILE 16
#define ROW_STRIDE CK_EIDOLON_ROW_STRIDE

// out[j][i] = clamp((127.5 · z[i][j]) / maxAbs, −127, 127): the toolbox's normalisation of a noise plane, transposed.
#define DEFINE_SCALE_T(NAME, ATTR)                                                                                     \
    ATTR static void NAME(const double *restrict z, double *restrict out, double maxAbs) {                             \
        for (int i0 = 0; i0 < SIDE; i0 += TILE)                                                                        \
            for (int j0 = 0; j0 < SIDE; j0 += TILE)                                                                    \
                for (int j = j0; j < j0 + TILE; j++) {                                                                 \
                    double *o = out + (size_t)j * SIDE;                                                                \
                    for (int i = i0; i < i0 + TILE; i++) {                                                             \
                        double v = 127.5 * z[(size_t)i * SIDE + j] / maxAbs;                                           \
                        o[i] = v < -127.0 ? -127.0 : (v > 127.0 ? 127.0 : v);                                          \
                    }                                                                                                  \
                }                                                                                                      \
    }

// out[j][i] = (double)p[i][j] for an 8-bit plane.
#define DEFINE_BYTES_T(NAME, ATTR)                                                                                     \
    ATTR static void NAME(const unsigned char *restrict p, double *restrict out) {                                     \
        for (int i0 = 0; i0 < SIDE; i0 += TILE)                                                                        \
            for (int j0 = 0; j0 < SIDE; j0 += TILE)                                                                    \
                for (int j = j0; j < j0 + TILE; j++) {                                                                 \
                    double *o = out + (size_t)j * SIDE;                                                                \
                    for (int i = i0; i < i0 + TILE; i++) o[i] = (double)p[(size_t)i * SIDE + j];                       \
                }                                                                                                      \
    }

// y[q][j] = yT[j][q] · W[q][j] for q < rows (row 0's twiddles are 1: copied).
#define DEFINE_TWIDDLE_F(NAME, ATTR)                                                                                   \
    ATTR static void NAME(const double *restrict yT, const double *restrict w, double *restrict y, int rows) {         \
        for (int q0 = 0; q0 < rows; q0 += TILE) {                                                                      \
            int q1 = q0 + TILE < rows ? q0 + TILE : rows;                                                              \
            for (int j0 = 0; j0 < SIDE; j0 += TILE)                                                                    \
                for (int q = q0; q < q1; q++) {                                                                        \
                    const double *wq = w + 2 * ((size_t)q * ROW_STRIDE);                                               \
                    double *yq = y + 2 * ((size_t)q * ROW_STRIDE);                                                     \
                    for (int j = j0; j < j0 + TILE; j++) {                                                             \
                        double a = yT[2 * ((size_t)j * HALF + q)], b = yT[2 * ((size_t)j * HALF + q) + 1];             \
                        double c = wq[2 * j], d = wq[2 * j + 1];                                                       \
                        yq[2 * j] = a * c - b * d;                                                                     \
                        yq[2 * j + 1] = a * d + b * c;                                                                 \
                    }                                                                                                  \
                }                                                                                                      \
        }                                                                                                              \
    }

// vT[j][q] = p[q][j] · conj(W[q][j]) for q < rows, 0 for rows ≤ q < 257, for columns j0 ≤ j < j1.
#define DEFINE_TWIDDLE_B(NAME, ATTR)                                                                                   \
    ATTR static void NAME(const double *restrict p, const double *restrict w, double *restrict vT, int rows, int j0,   \
                          int j1) {                                                                                    \
        for (int q0 = 0; q0 < rows; q0 += TILE) {                                                                      \
            int q1 = q0 + TILE < rows ? q0 + TILE : rows;                                                              \
            for (int jb = j0; jb < j1; jb += TILE) {                                                                   \
                int je = jb + TILE < j1 ? jb + TILE : j1;                                                              \
                for (int j = jb; j < je; j++) {                                                                        \
                    double *v = vT + 2 * ((size_t)j * HALF);                                                           \
                    for (int q = q0; q < q1; q++) {                                                                    \
                        double a = p[2 * ((size_t)q * ROW_STRIDE + j)], b = p[2 * ((size_t)q * ROW_STRIDE + j) + 1];   \
                        double c = w[2 * ((size_t)q * ROW_STRIDE + j)], d = w[2 * ((size_t)q * ROW_STRIDE + j) + 1];   \
                        v[2 * q] = a * c + b * d;                                                                      \
                        v[2 * q + 1] = b * c - a * d;                                                                  \
                    }                                                                                                  \
                }                                                                                                      \
            }                                                                                                          \
        }                                                                                                              \
        if (rows < HALF)                                                                                               \
            for (int j = j0; j < j1; j++)                                                                              \
                memset(vT + 2 * ((size_t)j * HALF + rows), 0, sizeof(double) * 2 * (size_t)(HALF - rows));             \
    }

// out = factor · (y · k) over `rows` rows of 512 complex values; returns Σ weight_q·|y · k|² (the unscaled
// products) with weight 1 for rows 0 and 256, 2 otherwise (the rows 257…511 mirror rows 255…1). Factor 1 gives
// the plain product bit for bit (1·x is exact).
#define DEFINE_PRODUCT_SCALED(NAME, ATTR)                                                                              \
    ATTR static double NAME(const double *restrict y, const double *restrict k, double *restrict out, int rows,       \
                            double factor) {                                                                           \
        double total = 0.0;                                                                                            \
        for (int q = 0; q < rows; q++) {                                                                               \
            const double *yq = y + 2 * ((size_t)q * ROW_STRIDE), *kq = k + 2 * ((size_t)q * ROW_STRIDE);               \
            double *oq = out + 2 * ((size_t)q * ROW_STRIDE);                                                           \
            double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;                                                             \
            for (int p = 0; p < SIDE; p += 2) {                                                                        \
                double a = yq[2 * p], b = yq[2 * p + 1], c = kq[2 * p], d = kq[2 * p + 1];                             \
                double re = a * c - b * d, im = a * d + b * c;                                                         \
                oq[2 * p] = factor * re;                                                                               \
                oq[2 * p + 1] = factor * im;                                                                           \
                s0 += re * re;                                                                                         \
                s1 += im * im;                                                                                         \
                double a2 = yq[2 * p + 2], b2 = yq[2 * p + 3], c2 = kq[2 * p + 2], d2 = kq[2 * p + 3];                 \
                double re2 = a2 * c2 - b2 * d2, im2 = a2 * d2 + b2 * c2;                                               \
                oq[2 * p + 2] = factor * re2;                                                                          \
                oq[2 * p + 3] = factor * im2;                                                                          \
                s2 += re2 * re2;                                                                                       \
                s3 += im2 * im2;                                                                                       \
            }                                                                                                          \
            double row = (s0 + s1) + (s2 + s3);                                                                        \
            total += (q == 0 || q == HALF - 1) ? row : 2.0 * row;                                                      \
        }                                                                                                              \
        return total;                                                                                                  \
    }

// out = a·x + b·y row by row (x has rx rows, y has ry: missing rows count as 0), rows < max(rx, ry); out may be x.
#define DEFINE_BLEND(NAME, ATTR)                                                                                       \
    ATTR static void NAME(double *out, double a, const double *x, int rx, double b, const double *y, int ry) {         \
        int rows = rx > ry ? rx : ry;                                                                                  \
        for (int q = 0; q < rows; q++) {                                                                               \
            double *o = out + 2 * ((size_t)q * ROW_STRIDE);                                                            \
            const double *xq = x + 2 * ((size_t)q * ROW_STRIDE), *yq = y + 2 * ((size_t)q * ROW_STRIDE);                \
            if (q < rx && q < ry)                                                                                      \
                for (int i = 0; i < 2 * SIDE; i++) o[i] = a * xq[i] + b * yq[i];                                       \
            else if (q < rx)                                                                                           \
                for (int i = 0; i < 2 * SIDE; i++) o[i] = a * xq[i];                                                   \
            else                                                                                                       \
                for (int i = 0; i < 2 * SIDE; i++) o[i] = b * yq[i];                                                   \
        }                                                                                                              \
    }

// dst += src over `rows` rows.
#define DEFINE_ADD_ROWS(NAME, ATTR)                                                                                    \
    ATTR static void NAME(double *restrict dst, const double *restrict src, int rows) {                                \
        for (int q = 0; q < rows; q++) {                                                                               \
            double *d = dst + 2 * ((size_t)q * ROW_STRIDE);                                                            \
            const double *s = src + 2 * ((size_t)q * ROW_STRIDE);                                                      \
            for (int i = 0; i < 2 * SIDE; i++) d[i] += s[i];                                                           \
        }                                                                                                              \
    }

DEFINE_PRODUCT_SCALED(product_scaled_portable, )
DEFINE_BLEND(blend_portable, )
DEFINE_ADD_ROWS(add_rows_portable, )
DEFINE_SCALE_T(scale_t_portable, )
DEFINE_BYTES_T(bytes_t_portable, )
DEFINE_TWIDDLE_F(twiddle_f_portable, )
DEFINE_TWIDDLE_B(twiddle_b_portable, )

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define AVX2_ATTR __attribute__((target("avx2")))
DEFINE_BYTES_T(bytes_t_avx2, AVX2_ATTR)
DEFINE_PRODUCT_SCALED(product_scaled_avx2, AVX2_ATTR)
DEFINE_BLEND(blend_avx2, AVX2_ATTR)
DEFINE_ADD_ROWS(add_rows_avx2, AVX2_ATTR)

// The explicit AVX2 loops below do the portable loops' operations per element (no FMA; a·d + b·c computed as
// b·c + a·d, the same IEEE result), in 4 × 4 (doubles) or 2 × 2 (complex) register transposes.

AVX2_ATTR static void scale_t_avx2(const double *restrict z, double *restrict out, double maxAbs) {
    const __m256d k = _mm256_set1_pd(127.5), m = _mm256_set1_pd(maxAbs);
    const __m256d lo = _mm256_set1_pd(-127.0), hi = _mm256_set1_pd(127.0);
    // 8 rows × 4 columns at a time: every store fills one whole cache line of `out` (8 doubles of a column).
    for (int i0 = 0; i0 < SIDE; i0 += 8) {
        for (int j0 = 0; j0 < SIDE; j0 += 4) {
            __m256d c[2][4];
            for (int h = 0; h < 2; h++) {
                const double *r = z + (size_t)(i0 + 4 * h) * SIDE + j0;
                __m256d r0 = _mm256_loadu_pd(r), r1 = _mm256_loadu_pd(r + SIDE);
                __m256d r2 = _mm256_loadu_pd(r + 2 * SIDE), r3 = _mm256_loadu_pd(r + 3 * SIDE);
                __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);
                __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);
                c[h][0] = _mm256_permute2f128_pd(t0, t2, 0x20);
                c[h][1] = _mm256_permute2f128_pd(t1, t3, 0x20);
                c[h][2] = _mm256_permute2f128_pd(t0, t2, 0x31);
                c[h][3] = _mm256_permute2f128_pd(t1, t3, 0x31);
            }
            for (int t = 0; t < 4; t++) {
                double *o = out + (size_t)(j0 + t) * SIDE + i0;
                for (int h = 0; h < 2; h++) {
                    __m256d v = _mm256_div_pd(_mm256_mul_pd(k, c[h][t]), m);
                    _mm256_storeu_pd(o + 4 * h, _mm256_min_pd(_mm256_max_pd(v, lo), hi));
                }
            }
        }
    }
}

// x · w for two interleaved complex values: [a·c − b·d, b·c + a·d].
AVX2_ATTR static inline __m256d cmul2(__m256d x, __m256d w) {
    __m256d t1 = _mm256_mul_pd(x, _mm256_movedup_pd(w));
    __m256d t2 = _mm256_mul_pd(_mm256_permute_pd(x, 0x5), _mm256_permute_pd(w, 0xf));
    return _mm256_addsub_pd(t1, t2);
}

// x · conj(w): [a·c + b·d, b·c − a·d].
AVX2_ATTR static inline __m256d cmulconj2(__m256d x, __m256d w) {
    __m256d t1 = _mm256_mul_pd(x, _mm256_movedup_pd(w));
    __m256d t2 = _mm256_mul_pd(_mm256_permute_pd(x, 0x5), _mm256_permute_pd(w, 0xf));
    return _mm256_addsub_pd(t1, _mm256_xor_pd(t2, _mm256_set1_pd(-0.0)));
}

AVX2_ATTR static void twiddle_f_avx2(const double *restrict yT, const double *restrict w, double *restrict y, int rows) {
    int even = rows & ~1;
    for (int q0 = 0; q0 < even; q0 += 8) {
        int q1 = q0 + 8 < even ? q0 + 8 : even;
        for (int j = 0; j < SIDE; j += 2) {
            const double *a = yT + 2 * ((size_t)j * HALF), *b = yT + 2 * ((size_t)(j + 1) * HALF);
            for (int q = q0; q < q1; q += 2) {
                __m256d A = _mm256_loadu_pd(a + 2 * q), B = _mm256_loadu_pd(b + 2 * q);
                size_t o0 = 2 * ((size_t)q * ROW_STRIDE + j), o1 = 2 * ((size_t)(q + 1) * ROW_STRIDE + j);
                _mm256_storeu_pd(y + o0, cmul2(_mm256_permute2f128_pd(A, B, 0x20), _mm256_loadu_pd(w + o0)));
                _mm256_storeu_pd(y + o1, cmul2(_mm256_permute2f128_pd(A, B, 0x31), _mm256_loadu_pd(w + o1)));
            }
        }
    }
    for (int q = even; q < rows; q++) {
        const double *wq = w + 2 * ((size_t)q * ROW_STRIDE);
        double *yq = y + 2 * ((size_t)q * ROW_STRIDE);
        for (int j = 0; j < SIDE; j++) {
            double a = yT[2 * ((size_t)j * HALF + q)], b = yT[2 * ((size_t)j * HALF + q) + 1];
            double c = wq[2 * j], d = wq[2 * j + 1];
            yq[2 * j] = a * c - b * d;
            yq[2 * j + 1] = a * d + b * c;
        }
    }
}

AVX2_ATTR static void twiddle_b_avx2(const double *restrict p, const double *restrict w, double *restrict vT, int rows,
                                     int j0, int j1) {
    int even = rows & ~1;
    for (int q0 = 0; q0 < even; q0 += 8) {
        int q1 = q0 + 8 < even ? q0 + 8 : even;
        for (int j = j0; j < j1; j += 2) {
            double *a = vT + 2 * ((size_t)j * HALF), *b = vT + 2 * ((size_t)(j + 1) * HALF);
            for (int q = q0; q < q1; q += 2) {
                size_t o0 = 2 * ((size_t)q * ROW_STRIDE + j), o1 = 2 * ((size_t)(q + 1) * ROW_STRIDE + j);
                __m256d X = cmulconj2(_mm256_loadu_pd(p + o0), _mm256_loadu_pd(w + o0));  // row q, columns j, j+1
                __m256d Y = cmulconj2(_mm256_loadu_pd(p + o1), _mm256_loadu_pd(w + o1));  // row q+1
                _mm256_storeu_pd(a + 2 * q, _mm256_permute2f128_pd(X, Y, 0x20));
                _mm256_storeu_pd(b + 2 * q, _mm256_permute2f128_pd(X, Y, 0x31));
            }
        }
    }
    for (int q = even; q < rows; q++)
        for (int j = j0; j < j1; j++) {
            double a = p[2 * ((size_t)q * ROW_STRIDE + j)], b = p[2 * ((size_t)q * ROW_STRIDE + j) + 1];
            double c = w[2 * ((size_t)q * ROW_STRIDE + j)], d = w[2 * ((size_t)q * ROW_STRIDE + j) + 1];
            vT[2 * ((size_t)j * HALF + q)] = a * c + b * d;
            vT[2 * ((size_t)j * HALF + q) + 1] = b * c - a * d;
        }
    if (rows < HALF)
        for (int j = j0; j < j1; j++)
            memset(vT + 2 * ((size_t)j * HALF + rows), 0, sizeof(double) * 2 * (size_t)(HALF - rows));
}
#endif

void ck_eidolon_scale_transpose(const double *z, double *out, double maxAbs) {
#if defined(__x86_64__) || defined(__i386__)
    if (ck_cpu_has_avx2_fma()) { scale_t_avx2(z, out, maxAbs); return; }
#endif
    scale_t_portable(z, out, maxAbs);
}

void ck_eidolon_bytes_transpose(const unsigned char *plane, double *out) {
#if defined(__x86_64__) || defined(__i386__)
    if (ck_cpu_has_avx2_fma()) { bytes_t_avx2(plane, out); return; }
#endif
    bytes_t_portable(plane, out);
}

void ck_eidolon_twiddle_forward(const double *yT, const double *w, double *y, int rows) {
#if defined(__x86_64__) || defined(__i386__)
    if (ck_cpu_has_avx2_fma()) { twiddle_f_avx2(yT, w, y, rows); return; }
#endif
    twiddle_f_portable(yT, w, y, rows);
}

void ck_eidolon_twiddle_backward(const double *p, const double *w, double *vT, int rows, int j0, int j1) {
#if defined(__x86_64__) || defined(__i386__)
    if (ck_cpu_has_avx2_fma() && ((j0 | j1) & 1) == 0) { twiddle_b_avx2(p, w, vT, rows, j0, j1); return; }
#endif
    twiddle_b_portable(p, w, vT, rows, j0, j1);
}

double ck_eidolon_product(const double *y, const double *k, double *out, int rows) {
    return ck_eidolon_product_scaled(y, k, out, rows, 1.0);
}

double ck_eidolon_product_scaled(const double *y, const double *k, double *out, int rows, double factor) {
#if defined(__x86_64__) || defined(__i386__)
    if (ck_cpu_has_avx2_fma()) return product_scaled_avx2(y, k, out, rows, factor);
#endif
    return product_scaled_portable(y, k, out, rows, factor);
}

void ck_eidolon_blend_rows(double *out, double a, const double *x, int rx, double b, const double *y, int ry) {
#if defined(__x86_64__) || defined(__i386__)
    if (ck_cpu_has_avx2_fma()) { blend_avx2(out, a, x, rx, b, y, ry); return; }
#endif
    blend_portable(out, a, x, rx, b, y, ry);
}

void ck_eidolon_add_rows(double *dst, const double *src, int rows) {
#if defined(__x86_64__) || defined(__i386__)
    if (ck_cpu_has_avx2_fma()) { add_rows_avx2(dst, src, rows); return; }
#endif
    add_rows_portable(dst, src, rows);
}

// The portable paths, for tests (the dispatching functions above must give the same bits).
void ck_eidolon_scale_transpose_portable(const double *z, double *out, double maxAbs) { scale_t_portable(z, out, maxAbs); }
void ck_eidolon_twiddle_forward_portable(const double *yT, const double *w, double *y, int rows) {
    twiddle_f_portable(yT, w, y, rows);
}
void ck_eidolon_twiddle_backward_portable(const double *p, const double *w, double *vT, int rows, int j0, int j1) {
    twiddle_b_portable(p, w, vT, rows, j0, j1);
}

// Synthesis (specs/eidolon.md §6) on the centre 256 × 256, everything transposed: for centre pixel (ci, cj) with
// i = ci + 128, j = cj + 128: r = trunc(clamp(fx·reach + i, 0, 511)), q = trunc(clamp(fy·reach + j, 0, 511)),
// sum += level[q·512 + r]. The same operations per pixel on both paths (products, then the index added as a double).
#define CENTRE 256
#define OFFSET 128
static void warp_portable(const double *restrict level, const double *restrict fx, const double *restrict fy,
                          double reach, double *restrict sum) {
    const double top = (double)(SIDE - 1);
    for (int cj = 0; cj < CENTRE; cj++) {
        double j = (double)(cj + OFFSET);
        for (int ci = 0; ci < CENTRE; ci++) {
            size_t n = (size_t)cj * CENTRE + ci;
            double x = fx[n] * reach + (double)(ci + OFFSET);
            double y = fy[n] * reach + j;
            int r = (int)(x < 0 ? 0 : (x > top ? top : x));
            int q = (int)(y < 0 ? 0 : (y > top ? top : y));
            sum[n] += level[(size_t)q * SIDE + r];
        }
    }
}

#if defined(__x86_64__) || defined(__i386__)
AVX2_ATTR static void warp_avx2(const double *restrict level, const double *restrict fx, const double *restrict fy,
                                double reach, double *restrict sum) {
    const __m256d top = _mm256_set1_pd((double)(SIDE - 1)), zero = _mm256_setzero_pd(), vr = _mm256_set1_pd(reach);
    const __m128i side = _mm_set1_epi32(SIDE);
    for (int cj = 0; cj < CENTRE; cj++) {
        __m256d j = _mm256_set1_pd((double)(cj + OFFSET));
        for (int ci = 0; ci < CENTRE; ci += 4) {
            size_t n = (size_t)cj * CENTRE + ci;
            __m256d i = _mm256_setr_pd(ci + OFFSET, ci + OFFSET + 1, ci + OFFSET + 2, ci + OFFSET + 3);
            __m256d x = _mm256_add_pd(_mm256_mul_pd(_mm256_loadu_pd(fx + n), vr), i);
            __m256d y = _mm256_add_pd(_mm256_mul_pd(_mm256_loadu_pd(fy + n), vr), j);
            // x < 0 → 0, x > top → top (NaN-free inputs); max/min give the same values as the comparisons.
            x = _mm256_min_pd(_mm256_max_pd(x, zero), top);
            y = _mm256_min_pd(_mm256_max_pd(y, zero), top);
            __m128i r = _mm256_cvttpd_epi32(x), q = _mm256_cvttpd_epi32(y);
            __m128i idx = _mm_add_epi32(_mm_mullo_epi32(q, side), r);
            __m256d v = _mm256_i32gather_pd(level, idx, 8);
            _mm256_storeu_pd(sum + n, _mm256_add_pd(_mm256_loadu_pd(sum + n), v));
        }
    }
}
#endif

void ck_eidolon_warp_accumulate(const double *level, const double *fx, const double *fy, double reach, double *sum) {
#if defined(__x86_64__) || defined(__i386__)
    if (ck_cpu_has_avx2_fma()) { warp_avx2(level, fx, fy, reach, sum); return; }
#endif
    warp_portable(level, fx, fy, reach, sum);
}

void ck_eidolon_warp_accumulate_portable(const double *level, const double *fx, const double *fy, double reach,
                                         double *sum) {
    warp_portable(level, fx, fy, reach, sum);
}
