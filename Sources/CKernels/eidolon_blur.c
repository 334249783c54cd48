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

// out = y · k over `rows` rows of 512 complex values; returns Σ weight_q·|out|² with weight 1 for rows 0 and 256,
// 2 otherwise (the rows 257…511 mirror rows 255…1).
#define DEFINE_PRODUCT(NAME, ATTR)                                                                                     \
    ATTR static double NAME(const double *restrict y, const double *restrict k, double *restrict out, int rows) {      \
        double total = 0.0;                                                                                            \
        for (int q = 0; q < rows; q++) {                                                                               \
            const double *yq = y + 2 * ((size_t)q * ROW_STRIDE), *kq = k + 2 * ((size_t)q * ROW_STRIDE);               \
            double *oq = out + 2 * ((size_t)q * ROW_STRIDE);                                                           \
            double s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;                                                             \
            for (int p = 0; p < SIDE; p += 2) {                                                                        \
                double a = yq[2 * p], b = yq[2 * p + 1], c = kq[2 * p], d = kq[2 * p + 1];                             \
                double re = a * c - b * d, im = a * d + b * c;                                                         \
                oq[2 * p] = re;                                                                                        \
                oq[2 * p + 1] = im;                                                                                    \
                s0 += re * re;                                                                                         \
                s1 += im * im;                                                                                         \
                double a2 = yq[2 * p + 2], b2 = yq[2 * p + 3], c2 = kq[2 * p + 2], d2 = kq[2 * p + 3];                 \
                double re2 = a2 * c2 - b2 * d2, im2 = a2 * d2 + b2 * c2;                                               \
                oq[2 * p + 2] = re2;                                                                                   \
                oq[2 * p + 3] = im2;                                                                                   \
                s2 += re2 * re2;                                                                                       \
                s3 += im2 * im2;                                                                                       \
            }                                                                                                          \
            double row = (s0 + s1) + (s2 + s3);                                                                        \
            total += (q == 0 || q == HALF - 1) ? row : 2.0 * row;                                                      \
        }                                                                                                              \
        return total;                                                                                                  \
    }

DEFINE_SCALE_T(scale_t_portable, )
DEFINE_BYTES_T(bytes_t_portable, )
DEFINE_TWIDDLE_F(twiddle_f_portable, )
DEFINE_TWIDDLE_B(twiddle_b_portable, )
DEFINE_PRODUCT(product_portable, )

#if defined(__x86_64__) || defined(__i386__)
#define AVX2_ATTR __attribute__((target("avx2")))
DEFINE_SCALE_T(scale_t_avx2, AVX2_ATTR)
DEFINE_BYTES_T(bytes_t_avx2, AVX2_ATTR)
DEFINE_TWIDDLE_F(twiddle_f_avx2, AVX2_ATTR)
DEFINE_TWIDDLE_B(twiddle_b_avx2, AVX2_ATTR)
DEFINE_PRODUCT(product_avx2, AVX2_ATTR)
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
    if (ck_cpu_has_avx2_fma()) { twiddle_b_avx2(p, w, vT, rows, j0, j1); return; }
#endif
    twiddle_b_portable(p, w, vT, rows, j0, j1);
}

double ck_eidolon_product(const double *y, const double *k, double *out, int rows) {
#if defined(__x86_64__) || defined(__i386__)
    if (ck_cpu_has_avx2_fma()) return product_avx2(y, k, out, rows);
#endif
    return product_portable(y, k, out, rows);
}
