// Kernels of the pixel and Fourier distortions (Swift callers: Sources/Distortions/Distorter.swift,
// MT19937.swift, FourierDistortions.swift, FalseColour.swift, DistortionTables.swift).
//
// Every kernel here must give the same bits as the reference's float64 arithmetic (specs/distortions.md): the AVX2
// paths only spread independent outputs over vector lanes and keep each output's own sequence of roundings.
// No FMA contraction anywhere in this file: a fused multiply-add rounds once where numpy rounds twice.
#pragma clang fp contract(off)

#include "CKernels.h"

#include <stdint.h>
#include <math.h>
#include <string.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CK_X86 1
#else
#define CK_X86 0
#endif

// ------------------------------------------------------------------------------------------ Gaussian filter
// scipy.ndimage.gaussian_filter(y, σ, mode='constant', cval) with a symmetric kernel (specs §3.0.1 step 5):
// per output sample, acc = L[i]·w0; for k = r … 1: acc = acc + (L[i−k] + L[i+k])·w[k].

static void gauss_vertical_portable(const double *p, int rows, int cols, const double *half, int r, double *out) {
    const double w0 = half[0];
    for (int i = 0; i < rows; i++) {
        const double *c = p + (size_t)(i + r) * cols;
        double *o = out + (size_t)i * cols;
        for (int x = 0; x < cols; x++) o[x] = c[x] * w0;
        for (int k = r; k >= 1; k--) {
            const double *up = c - (size_t)k * cols, *dn = c + (size_t)k * cols;
            const double wk = half[k];
            for (int x = 0; x < cols; x++) o[x] = o[x] + (up[x] + dn[x]) * wk;
        }
    }
}

static void gauss_horizontal_portable(double *line, const double *mid, int rows, int cols, const double *half, int r,
                                      double cval, double *out) {
    const double w0 = half[0];
    for (int x = 0; x < r; x++) { line[x] = cval; line[r + cols + x] = cval; }
    for (int i = 0; i < rows; i++) {
        memcpy(line + r, mid + (size_t)i * cols, sizeof(double) * (size_t)cols);
        const double *c = line + r;
        double *o = out + (size_t)i * cols;
        for (int x = 0; x < cols; x++) {
            double acc = c[x] * w0;
            for (int k = r; k >= 1; k--) acc = acc + (c[x - k] + c[x + k]) * half[k];
            o[x] = acc;
        }
    }
}

#if CK_X86
#define LD(p) _mm256_loadu_pd(p)
#define TAP(acc, a, b, wk) acc = _mm256_add_pd(acc, _mm256_mul_pd(_mm256_add_pd(a, b), wk))

__attribute__((target("avx2")))
static void gauss_vertical_avx2(const double *p, int rows, int cols, const double *half, int r, double *out) {
    const __m256d w0 = _mm256_set1_pd(half[0]);
    const size_t s = (size_t)cols;
    int x = 0;
    // Strips of 8 columns (one cache line per row), 4 output rows at a time: 8 independent chains.
    for (; x + 8 <= cols; x += 8) {
        int i = 0;
        for (; i + 4 <= rows; i += 4) {
            const double *c = p + (size_t)(i + r) * s + x;
            __m256d a0 = _mm256_mul_pd(LD(c), w0), b0 = _mm256_mul_pd(LD(c + 4), w0);
            __m256d a1 = _mm256_mul_pd(LD(c + s), w0), b1 = _mm256_mul_pd(LD(c + s + 4), w0);
            __m256d a2 = _mm256_mul_pd(LD(c + 2 * s), w0), b2 = _mm256_mul_pd(LD(c + 2 * s + 4), w0);
            __m256d a3 = _mm256_mul_pd(LD(c + 3 * s), w0), b3 = _mm256_mul_pd(LD(c + 3 * s + 4), w0);
            for (int k = r; k >= 1; k--) {
                const __m256d wk = _mm256_set1_pd(half[k]);
                const double *u = c - (size_t)k * s, *d = c + (size_t)k * s;
                TAP(a0, LD(u), LD(d), wk);                 TAP(b0, LD(u + 4), LD(d + 4), wk);
                TAP(a1, LD(u + s), LD(d + s), wk);         TAP(b1, LD(u + s + 4), LD(d + s + 4), wk);
                TAP(a2, LD(u + 2 * s), LD(d + 2 * s), wk); TAP(b2, LD(u + 2 * s + 4), LD(d + 2 * s + 4), wk);
                TAP(a3, LD(u + 3 * s), LD(d + 3 * s), wk); TAP(b3, LD(u + 3 * s + 4), LD(d + 3 * s + 4), wk);
            }
            double *o = out + (size_t)i * s + x;
            _mm256_storeu_pd(o, a0);         _mm256_storeu_pd(o + 4, b0);
            _mm256_storeu_pd(o + s, a1);     _mm256_storeu_pd(o + s + 4, b1);
            _mm256_storeu_pd(o + 2 * s, a2); _mm256_storeu_pd(o + 2 * s + 4, b2);
            _mm256_storeu_pd(o + 3 * s, a3); _mm256_storeu_pd(o + 3 * s + 4, b3);
        }
        for (; i < rows; i++) {
            const double *c = p + (size_t)(i + r) * s + x;
            __m256d a0 = _mm256_mul_pd(LD(c), w0), b0 = _mm256_mul_pd(LD(c + 4), w0);
            for (int k = r; k >= 1; k--) {
                const __m256d wk = _mm256_set1_pd(half[k]);
                const double *u = c - (size_t)k * s, *d = c + (size_t)k * s;
                TAP(a0, LD(u), LD(d), wk); TAP(b0, LD(u + 4), LD(d + 4), wk);
            }
            _mm256_storeu_pd(out + (size_t)i * s + x, a0);
            _mm256_storeu_pd(out + (size_t)i * s + x + 4, b0);
        }
    }
    for (; x < cols; x++) {
        for (int i = 0; i < rows; i++) {
            const double *c = p + (size_t)(i + r) * s + x;
            double acc = c[0] * half[0];
            for (int k = r; k >= 1; k--) acc = acc + (c[-(ptrdiff_t)(k * s)] + c[k * s]) * half[k];
            out[(size_t)i * s + x] = acc;
        }
    }
}

__attribute__((target("avx2")))
static void gauss_horizontal_avx2(double *line, const double *mid, int rows, int cols, const double *half, int r,
                                  double cval, double *out) {
    const __m256d w0 = _mm256_set1_pd(half[0]);
    for (int x = 0; x < r; x++) { line[x] = cval; line[r + cols + x] = cval; }
    for (int i = 0; i < rows; i++) {
        memcpy(line + r, mid + (size_t)i * cols, sizeof(double) * (size_t)cols);
        const double *c = line + r;
        double *o = out + (size_t)i * cols;
        int x = 0;
        for (; x + 32 <= cols; x += 32) {
            const double *q = c + x;
            __m256d a0 = _mm256_mul_pd(LD(q), w0), a1 = _mm256_mul_pd(LD(q + 4), w0);
            __m256d a2 = _mm256_mul_pd(LD(q + 8), w0), a3 = _mm256_mul_pd(LD(q + 12), w0);
            __m256d a4 = _mm256_mul_pd(LD(q + 16), w0), a5 = _mm256_mul_pd(LD(q + 20), w0);
            __m256d a6 = _mm256_mul_pd(LD(q + 24), w0), a7 = _mm256_mul_pd(LD(q + 28), w0);
            for (int k = r; k >= 1; k--) {
                const __m256d wk = _mm256_set1_pd(half[k]);
                const double *u = q - k, *d = q + k;
                TAP(a0, LD(u), LD(d), wk);           TAP(a1, LD(u + 4), LD(d + 4), wk);
                TAP(a2, LD(u + 8), LD(d + 8), wk);   TAP(a3, LD(u + 12), LD(d + 12), wk);
                TAP(a4, LD(u + 16), LD(d + 16), wk); TAP(a5, LD(u + 20), LD(d + 20), wk);
                TAP(a6, LD(u + 24), LD(d + 24), wk); TAP(a7, LD(u + 28), LD(d + 28), wk);
            }
            _mm256_storeu_pd(o + x, a0);      _mm256_storeu_pd(o + x + 4, a1);
            _mm256_storeu_pd(o + x + 8, a2);  _mm256_storeu_pd(o + x + 12, a3);
            _mm256_storeu_pd(o + x + 16, a4); _mm256_storeu_pd(o + x + 20, a5);
            _mm256_storeu_pd(o + x + 24, a6); _mm256_storeu_pd(o + x + 28, a7);
        }
        for (; x + 4 <= cols; x += 4) {
            const double *q = c + x;
            __m256d a0 = _mm256_mul_pd(LD(q), w0);
            for (int k = r; k >= 1; k--) TAP(a0, LD(q - k), LD(q + k), _mm256_set1_pd(half[k]));
            _mm256_storeu_pd(o + x, a0);
        }
        for (; x < cols; x++) {
            double acc = c[x] * half[0];
            for (int k = r; k >= 1; k--) acc = acc + (c[x - k] + c[x + k]) * half[k];
            o[x] = acc;
        }
    }
}
#undef TAP
#undef LD
#endif

size_t ck_gauss_scratch_count(int height, int width, int radius) {
    return (size_t)(height + 2 * radius) * (size_t)width + (size_t)height * (size_t)width
        + (size_t)(width + 2 * radius);
}

static void gauss_filter(const double *y, int h, int w, const double *half, int r, double cval, double *scratch,
                         double *out, int avx2) {
    double *padded = scratch;
    double *mid = padded + (size_t)(h + 2 * r) * w;
    double *line = mid + (size_t)h * w;
    const size_t edge = (size_t)r * w;
    for (size_t i = 0; i < edge; i++) { padded[i] = cval; padded[edge + (size_t)h * w + i] = cval; }
    memcpy(padded + edge, y, sizeof(double) * (size_t)h * w);
#if CK_X86
    if (avx2) {
        gauss_vertical_avx2(padded, h, w, half, r, mid);
        gauss_horizontal_avx2(line, mid, h, w, half, r, cval, out);
        return;
    }
#endif
    (void)avx2;
    gauss_vertical_portable(padded, h, w, half, r, mid);
    gauss_horizontal_portable(line, mid, h, w, half, r, cval, out);
}

void ck_gauss_filter(const double *y, int height, int width, const double *half, int radius, double cval,
                     double *scratch, double *out) {
    gauss_filter(y, height, width, half, radius, cval, scratch, out, ck_cpu_has_avx2_fma());
}

void ck_gauss_filter_portable(const double *y, int height, int width, const double *half, int radius, double cval,
                              double *scratch, double *out) {
    gauss_filter(y, height, width, half, radius, cval, scratch, out, 0);
}

// ------------------------------------------------------------------------------------------ MT19937
// numpy's legacy RandomState (specs §1.5): the refill in increasing index order, tempering, and
// random_sample() = ((next >> 5)·2^26 + (next >> 6)) / 2^53 from two consecutive words.

#define MT_N 624
#define MT_M 397

static inline uint32_t mt_mix(uint32_t cur, uint32_t next, uint32_t far) {
    const uint32_t y = (cur & 0x80000000u) | (next & 0x7fffffffu);
    return far ^ (y >> 1) ^ ((0u - (y & 1u)) & 0x9908b0dfu);
}

static inline uint32_t mt_temper(uint32_t y) {
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

static inline double mt_double(uint32_t first, uint32_t second) {
    const double a = (double)(first >> 5), b = (double)(second >> 6);
    return (a * 67108864.0 + b) / 9007199254740992.0;
}

static void mt_twist_portable(uint32_t *mt) {
    int i = 0;
    for (; i < MT_N - MT_M; i++) mt[i] = mt_mix(mt[i], mt[i + 1], mt[i + MT_M]);
    for (; i < MT_N - 1; i++) mt[i] = mt_mix(mt[i], mt[i + 1], mt[i + MT_M - MT_N]);
    mt[MT_N - 1] = mt_mix(mt[MT_N - 1], mt[0], mt[MT_M - 1]);
}

static size_t mt_pairs_portable(const uint32_t *words, double *out, size_t pairs) {
    for (size_t p = 0; p < pairs; p++) out[p] = mt_double(mt_temper(words[2 * p]), mt_temper(words[2 * p + 1]));
    return pairs;
}

#if CK_X86
__attribute__((target("avx2")))
static inline __m256i mt_mix8(__m256i cur, __m256i next, __m256i far) {
    const __m256i y = _mm256_or_si256(_mm256_and_si256(cur, _mm256_set1_epi32((int)0x80000000u)),
                                      _mm256_and_si256(next, _mm256_set1_epi32(0x7fffffff)));
    const __m256i odd = _mm256_sub_epi32(_mm256_setzero_si256(), _mm256_and_si256(y, _mm256_set1_epi32(1)));
    const __m256i mag = _mm256_and_si256(odd, _mm256_set1_epi32((int)0x9908b0dfu));
    return _mm256_xor_si256(_mm256_xor_si256(far, _mm256_srli_epi32(y, 1)), mag);
}

// Eight words at a time: word i reads i + 1 (not yet rewritten) and i ± 397 / 227 (rewritten at least 227 words
// earlier in the second part), so lanes never depend on each other.
__attribute__((target("avx2")))
static void mt_twist_avx2(uint32_t *mt) {
    int i = 0;
    for (; i + 8 <= MT_N - MT_M; i += 8) {
        const __m256i v = mt_mix8(_mm256_loadu_si256((const __m256i *)(mt + i)),
                                  _mm256_loadu_si256((const __m256i *)(mt + i + 1)),
                                  _mm256_loadu_si256((const __m256i *)(mt + i + MT_M)));
        _mm256_storeu_si256((__m256i *)(mt + i), v);
    }
    for (; i < MT_N - MT_M; i++) mt[i] = mt_mix(mt[i], mt[i + 1], mt[i + MT_M]);
    for (; i + 8 <= MT_N - 1; i += 8) {
        const __m256i v = mt_mix8(_mm256_loadu_si256((const __m256i *)(mt + i)),
                                  _mm256_loadu_si256((const __m256i *)(mt + i + 1)),
                                  _mm256_loadu_si256((const __m256i *)(mt + i + MT_M - MT_N)));
        _mm256_storeu_si256((__m256i *)(mt + i), v);
    }
    for (; i < MT_N - 1; i++) mt[i] = mt_mix(mt[i], mt[i + 1], mt[i + MT_M - MT_N]);
    mt[MT_N - 1] = mt_mix(mt[MT_N - 1], mt[0], mt[MT_M - 1]);
}

__attribute__((target("avx2")))
static inline __m256i mt_temper8(__m256i y) {
    y = _mm256_xor_si256(y, _mm256_srli_epi32(y, 11));
    y = _mm256_xor_si256(y, _mm256_and_si256(_mm256_slli_epi32(y, 7), _mm256_set1_epi32((int)0x9d2c5680u)));
    y = _mm256_xor_si256(y, _mm256_and_si256(_mm256_slli_epi32(y, 15), _mm256_set1_epi32((int)0xefc60000u)));
    return _mm256_xor_si256(y, _mm256_srli_epi32(y, 18));
}

// Four doubles from four word pairs: even words are the high parts a, odd words the low parts b. a < 2^27 and
// b < 2^26 convert exactly through int32, a·2^26 + b < 2^53 is exact, and ·2^−53 is the exact division by 2^53.
__attribute__((target("avx2")))
static size_t mt_pairs_avx2(const uint32_t *words, double *out, size_t pairs) {
    const __m256i split = _mm256_setr_epi32(0, 2, 4, 6, 1, 3, 5, 7);
    const __m256d high = _mm256_set1_pd(67108864.0), scale = _mm256_set1_pd(0x1p-53);
    size_t p = 0;
    for (; p + 4 <= pairs; p += 4) {
        const __m256i t = _mm256_permutevar8x32_epi32(
            mt_temper8(_mm256_loadu_si256((const __m256i *)(words + 2 * p))), split);
        const __m128i a = _mm_srli_epi32(_mm256_castsi256_si128(t), 5);
        const __m128i b = _mm_srli_epi32(_mm256_extracti128_si256(t, 1), 6);
        const __m256d v = _mm256_add_pd(_mm256_mul_pd(_mm256_cvtepi32_pd(a), high), _mm256_cvtepi32_pd(b));
        _mm256_storeu_pd(out + p, _mm256_mul_pd(v, scale));
    }
    for (; p < pairs; p++) out[p] = mt_double(mt_temper(words[2 * p]), mt_temper(words[2 * p + 1]));
    return pairs;
}
#endif

static int mt_fill(uint32_t *mt, int pos, double *out, size_t count, int avx2) {
    size_t i = 0;
    while (i < count) {
        if (pos == MT_N) {
#if CK_X86
            if (avx2) mt_twist_avx2(mt); else
#endif
            mt_twist_portable(mt);
            pos = 0;
        }
        size_t pairs = (size_t)(MT_N - pos) / 2;
        if (pairs > count - i) pairs = count - i;
#if CK_X86
        if (avx2) mt_pairs_avx2(mt + pos, out + i, pairs); else
#endif
        mt_pairs_portable(mt + pos, out + i, pairs);
        i += pairs;
        pos += 2 * (int)pairs;
        if (i < count && pos == MT_N - 1) {  // a double whose two words straddle a refill
            const uint32_t a = mt_temper(mt[MT_N - 1]);
#if CK_X86
            if (avx2) mt_twist_avx2(mt); else
#endif
            mt_twist_portable(mt);
            out[i++] = mt_double(a, mt_temper(mt[0]));
            pos = 1;
        }
    }
    (void)avx2;
    return pos;
}

int ck_mt19937_fill_random(uint32_t *state, int position, double *out, size_t count) {
    return mt_fill(state, position, out, count, ck_cpu_has_avx2_fma());
}

int ck_mt19937_fill_random_portable(uint32_t *state, int position, double *out, size_t count) {
    return mt_fill(state, position, out, count, 0);
}

// ------------------------------------------------------------------------------------------ pixel-wise

// Four pixels (12 bytes) per step read as one 8-byte and one 4-byte word: half the loads of byte reads.
static inline uint64_t load_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static inline uint32_t load_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

#define GREY4(s, lr, lg, lb, y0, y1, y2, y3) do {                                                   \
        const uint64_t wa = load_u64(s);                                                           \
        const uint32_t wb = load_u32((s) + 8);                                                     \
        y0 = (lr[wa & 255] + lg[(wa >> 8) & 255]) + lb[(wa >> 16) & 255];                         \
        y1 = (lr[(wa >> 24) & 255] + lg[(wa >> 32) & 255]) + lb[(wa >> 40) & 255];                \
        y2 = (lr[(wa >> 48) & 255] + lg[wa >> 56]) + lb[wb & 255];                                 \
        y3 = (lr[(wb >> 8) & 255] + lg[(wb >> 16) & 255]) + lb[wb >> 24];                          \
    } while (0)

void ck_grey_lut(const uint8_t *rgb, size_t n, const double *lut, double *out) {
    const double *lr = lut, *lg = lut + 256, *lb = lut + 512;
    size_t i = 0;
    if (n >= 4) {
        for (; i + 4 < n; i += 4) {  // "<": the 4-byte read of the last group stays inside the buffer
            double y0, y1, y2, y3;
            GREY4(rgb + 3 * i, lr, lg, lb, y0, y1, y2, y3);
            out[i] = y0; out[i + 1] = y1; out[i + 2] = y2; out[i + 3] = y3;
        }
    }
    for (; i < n; i++) out[i] = (lr[rgb[3 * i]] + lg[rgb[3 * i + 1]]) + lb[rgb[3 * i + 2]];
}

static inline double noise_pixel(const uint8_t *s, const double *lut, double a, double c, double low, double range,
                                 double u) {
    const double y = (lut[s[0]] + lut[256 + s[1]]) + lut[512 + s[2]];
    double v = (a + y * c) + (low + range * u);
    v = v < 0 ? 0 : v;
    return v > 1 ? 1 : v;
}

void ck_uniform_noise_finish(const uint8_t *rgb, size_t n, const double *lut, double a, double c, double low,
                             double range, const double *u, double *out) {
    for (size_t i = 0; i < n; i++) out[i] = noise_pixel(rgb + 3 * i, lut, a, c, low, range, u[i]);
}

#if CK_X86
// Four pixels per vector: clip((a + Y·c) + (low + range·u)), each operation as the scalar code.
__attribute__((target("avx2")))
static size_t noise_finish_avx2(const uint8_t *rgb, size_t n, const double *lut, double a, double c, double low,
                                double range, const double *u, double *out) {
    const double *lr = lut, *lg = lut + 256, *lb = lut + 512;
    const __m256d va = _mm256_set1_pd(a), vc = _mm256_set1_pd(c), vlow = _mm256_set1_pd(low);
    const __m256d vrange = _mm256_set1_pd(range), zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
    size_t i = 0;
    for (; i + 4 < n; i += 4) {
        double y0, y1, y2, y3;
        GREY4(rgb + 3 * i, lr, lg, lb, y0, y1, y2, y3);
        const __m256d y = _mm256_setr_pd(y0, y1, y2, y3);
        const __m256d noise = _mm256_add_pd(vlow, _mm256_mul_pd(vrange, _mm256_loadu_pd(u + i)));
        __m256d v = _mm256_add_pd(_mm256_add_pd(va, _mm256_mul_pd(y, vc)), noise);
        v = _mm256_blendv_pd(v, zero, _mm256_cmp_pd(v, zero, _CMP_LT_OQ));
        v = _mm256_blendv_pd(v, one, _mm256_cmp_pd(v, one, _CMP_GT_OQ));
        _mm256_storeu_pd(out + i, v);
    }
    return i;
}
#endif

static int uniform_noise(uint32_t *state, int position, const uint8_t *rgb, size_t n, const double *lut, double a,
                         double c, double low, double range, double *out, int avx2) {
    // A refill's worth of doubles at a time, so that the random numbers are used while they are in L1.
    double u[320];
    size_t i = 0;
    while (i < n) {
        const size_t block = n - i < 312 ? n - i : 312;
        position = mt_fill(state, position, u, block, avx2);
        size_t done = 0;
#if CK_X86
        if (avx2) done = noise_finish_avx2(rgb + 3 * i, block, lut, a, c, low, range, u, out + i);
#endif
        for (size_t j = done; j < block; j++) out[i + j] = noise_pixel(rgb + 3 * (i + j), lut, a, c, low, range, u[j]);
        i += block;
    }
    (void)avx2;
    return position;
}

int ck_uniform_noise(uint32_t *state, int position, const uint8_t *rgb, size_t n, const double *lut, double a,
                     double c, double low, double range, double *out) {
    return uniform_noise(state, position, rgb, n, lut, a, c, low, range, out, ck_cpu_has_avx2_fma());
}

int ck_uniform_noise_portable(uint32_t *state, int position, const uint8_t *rgb, size_t n, const double *lut,
                              double a, double c, double low, double range, double *out) {
    return uniform_noise(state, position, rgb, n, lut, a, c, low, range, out, 0);
}

/// Rotations of a grey plane by quarter turns counter-clockwise (numpy rot90), in 16 × 16 tiles.
void ck_rotate(const double *y, int h, int w, int degrees, double *out) {
    const int tile = 16;
    if (degrees == 180) {
        const size_t n = (size_t)h * w;
        for (size_t i = 0; i < n; i++) out[i] = y[n - 1 - i];
        return;
    }
    // Output is w rows × h columns. 90: out[i][j] = y[j][w−1−i]; 270: out[i][j] = y[h−1−j][i].
    for (int i0 = 0; i0 < w; i0 += tile) {
        const int i1 = i0 + tile < w ? i0 + tile : w;
        for (int j0 = 0; j0 < h; j0 += tile) {
            const int j1 = j0 + tile < h ? j0 + tile : h;
            for (int i = i0; i < i1; i++) {
                double *o = out + (size_t)i * h;
                if (degrees == 90) {
                    for (int j = j0; j < j1; j++) o[j] = y[(size_t)j * w + (w - 1 - i)];
                } else {
                    for (int j = j0; j < j1; j++) o[j] = y[(size_t)(h - 1 - j) * w + i];
                }
            }
        }
    }
}

// ------------------------------------------------------------------------------------------ false colour
// specs §3.7: linearise through the gamma table g, cones, opponent axes with the two chromatic ones negated, back,
// clip, and the index k minimising |g[k] − v| (lowest on ties) as k / 255.0. The nearest search starts from an
// index table keyed by the top bits of v's binary representation (exponent and 8 mantissa bits, so buckets are
// at most 0.4 % wide relative to v): tab[key] is the largest k with g[k] ≤ the bucket's lower edge.

#define FC_SHIFT 44
#define FC_BASE ((uint64_t)(1023 - 18) << 8)

static inline int fc_key(double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    const int64_t key = (int64_t)(bits >> FC_SHIFT) - (int64_t)FC_BASE;
    return key < 0 ? 0 : (key > CK_FC_INDEX_COUNT - 1 ? CK_FC_INDEX_COUNT - 1 : (int)key);
}

void ck_false_colour_index(const double *g, uint32_t *index) {
    int k = 0;
    index[0] = 0;
    for (int key = 1; key < CK_FC_INDEX_COUNT; key++) {
        const uint64_t bits = ((uint64_t)key + FC_BASE) << FC_SHIFT;
        double edge;
        memcpy(&edge, &bits, sizeof edge);
        while (k < 255 && g[k + 1] <= edge) k++;
        index[key] = (uint32_t)k;
    }
}

static inline double fc_nearest(double v, const double *g, const uint32_t *index) {
    int k = (int)index[fc_key(v)];
    while (k > 0 && g[k] > v) k--;
    while (k < 255 && g[k + 1] <= v) k++;
    if (k < 255 && fabs(g[k + 1] - v) < fabs(g[k] - v)) k++;
    return (double)k / 255.0;
}

// The constants in the order M (9), w (3), N (9), N⁻¹ (9), M⁻¹ (9).
static void fc_pixel(const uint8_t *s, const double *g, const uint32_t *index, const double *c, double *o) {
    const double lr = g[s[0]], lg = g[s[1]], lb = g[s[2]];
    const double *m = c, *w = c + 9, *n = c + 12, *p = c + 21, *q = c + 30;
    const double d0 = ((m[0] * lr + m[1] * lg) + m[2] * lb) - w[0];
    const double d1 = ((m[3] * lr + m[4] * lg) + m[5] * lb) - w[1];
    const double d2 = ((m[6] * lr + m[7] * lg) + m[8] * lb) - w[2];
    const double k0 = (n[0] * d0 + n[1] * d1) + n[2] * d2;
    const double k1 = -((n[3] * d0 + n[4] * d1) + n[5] * d2);
    const double k2 = -((n[6] * d0 + n[7] * d1) + n[8] * d2);
    const double c0 = ((p[0] * k0 + p[1] * k1) + p[2] * k2) + w[0];
    const double c1 = ((p[3] * k0 + p[4] * k1) + p[5] * k2) + w[1];
    const double c2 = ((p[6] * k0 + p[7] * k1) + p[8] * k2) + w[2];
    double r = (q[0] * c0 + q[1] * c1) + q[2] * c2;
    double gg = (q[3] * c0 + q[4] * c1) + q[5] * c2;
    double b = (q[6] * c0 + q[7] * c1) + q[8] * c2;
    r = r > 1 ? 1 : (r < 0 ? 0 : r);
    gg = gg > 1 ? 1 : (gg < 0 ? 0 : gg);
    b = b > 1 ? 1 : (b < 0 ? 0 : b);
    o[0] = fc_nearest(r, g, index);
    o[1] = fc_nearest(gg, g, index);
    o[2] = fc_nearest(b, g, index);
}

static void false_colour_portable(const uint8_t *rgb, size_t n, const double *g, const uint32_t *index,
                                  const double *c, double *out) {
    for (size_t i = 0; i < n; i++) fc_pixel(rgb + 3 * i, g, index, c, out + 3 * i);
}

#if CK_X86
#define BC(x) _mm256_set1_pd(x)
#define ROW(a, b, cc, x, y, z) _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(BC(a), x), _mm256_mul_pd(BC(b), y)), \
                                             _mm256_mul_pd(BC(cc), z))

// The nearest index of four values at once: one unconditional step up from the table's guess covers every bucket
// holding at most one entry of g; lanes that need more (or fewer) steps go through the scalar search.
__attribute__((target("avx2")))
static inline __m256d fc_nearest4(__m256d v, const double *g, const uint32_t *index) {
    const __m256i bits = _mm256_castpd_si256(v);
    __m256i key = _mm256_sub_epi64(_mm256_srli_epi64(bits, FC_SHIFT), _mm256_set1_epi64x((long long)FC_BASE));
    key = _mm256_max_epi32(key, _mm256_setzero_si256());  // keys fit in 32 bits; negatives only for v < 2^-18
    key = _mm256_min_epi32(key, _mm256_set1_epi64x(CK_FC_INDEX_COUNT - 1));
    const __m128i key32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(key, _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6)));
    __m128i k = _mm_i32gather_epi32((const int *)index, key32, 4);
    k = _mm_min_epi32(k, _mm_set1_epi32(254));             // k = 255 (v = 1) is handled by the check below
    const __m128i k1 = _mm_add_epi32(k, _mm_set1_epi32(1));
    __m256d gk = _mm256_i32gather_pd(g, k, 8), gk1 = _mm256_i32gather_pd(g, k1, 8);
    const __m128i k2 = _mm_min_epi32(_mm_add_epi32(k, _mm_set1_epi32(2)), _mm_set1_epi32(255));
    const __m256d gk2 = _mm256_i32gather_pd(g, k2, 8);
    // Step: k' = k + (g[k+1] ≤ v). Valid when g[k] ≤ v < g[k+2] (k + 2 ≤ 255) or k + 1 = 255.
    const __m256d up = _mm256_cmp_pd(gk1, v, _CMP_LE_OQ);
    const __m256d ok = _mm256_and_pd(_mm256_cmp_pd(gk, v, _CMP_LE_OQ),
                                     _mm256_or_pd(_mm256_cmp_pd(v, gk2, _CMP_LT_OQ),
                                                  _mm256_castsi256_pd(_mm256_cvtepi32_epi64(
                                                      _mm_cmpeq_epi32(k, _mm_set1_epi32(254))))));
    if (_mm256_movemask_pd(ok) != 0xf) {
        double vv[4], res[4];
        _mm256_storeu_pd(vv, v);
        for (int j = 0; j < 4; j++) res[j] = fc_nearest(vv[j], g, index);
        return _mm256_loadu_pd(res);
    }
    const __m256d kd = _mm256_add_pd(_mm256_cvtepi32_pd(k), _mm256_and_pd(up, BC(1.0)));
    gk = _mm256_blendv_pd(gk, gk1, up);
    gk1 = _mm256_blendv_pd(gk1, gk2, up);
    // Tie rule: move up when |g[k+1] − v| < |g[k] − v| and k < 255.
    const __m256d absmask = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffLL));
    const __m256d dn = _mm256_and_pd(_mm256_sub_pd(gk, v), absmask);
    const __m256d dup = _mm256_and_pd(_mm256_sub_pd(gk1, v), absmask);
    const __m256d below = _mm256_cmp_pd(kd, BC(255.0), _CMP_LT_OQ);
    const __m256d step = _mm256_and_pd(_mm256_and_pd(_mm256_cmp_pd(dup, dn, _CMP_LT_OQ), below), BC(1.0));
    return _mm256_div_pd(_mm256_add_pd(kd, step), BC(255.0));
}

__attribute__((target("avx2")))
static void false_colour_avx2(const uint8_t *rgb, size_t n, const double *g, const uint32_t *index,
                              const double *c, double *out) {
    const double *m = c, *w = c + 9, *nn = c + 12, *p = c + 21, *q = c + 30;
    const __m256d zero = _mm256_setzero_pd(), one = BC(1.0);
    const __m256d sign = BC(-0.0);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        const uint8_t *s = rgb + 3 * i;
        const __m256d lr = _mm256_setr_pd(g[s[0]], g[s[3]], g[s[6]], g[s[9]]);
        const __m256d lg = _mm256_setr_pd(g[s[1]], g[s[4]], g[s[7]], g[s[10]]);
        const __m256d lb = _mm256_setr_pd(g[s[2]], g[s[5]], g[s[8]], g[s[11]]);
        const __m256d d0 = _mm256_sub_pd(ROW(m[0], m[1], m[2], lr, lg, lb), BC(w[0]));
        const __m256d d1 = _mm256_sub_pd(ROW(m[3], m[4], m[5], lr, lg, lb), BC(w[1]));
        const __m256d d2 = _mm256_sub_pd(ROW(m[6], m[7], m[8], lr, lg, lb), BC(w[2]));
        const __m256d k0 = ROW(nn[0], nn[1], nn[2], d0, d1, d2);
        const __m256d k1 = _mm256_xor_pd(ROW(nn[3], nn[4], nn[5], d0, d1, d2), sign);
        const __m256d k2 = _mm256_xor_pd(ROW(nn[6], nn[7], nn[8], d0, d1, d2), sign);
        const __m256d c0 = _mm256_add_pd(ROW(p[0], p[1], p[2], k0, k1, k2), BC(w[0]));
        const __m256d c1 = _mm256_add_pd(ROW(p[3], p[4], p[5], k0, k1, k2), BC(w[1]));
        const __m256d c2 = _mm256_add_pd(ROW(p[6], p[7], p[8], k0, k1, k2), BC(w[2]));
        // Clip as the scalar code: v > 1 → 1, else v < 0 → 0 (NaN cannot occur).
        __m256d r = ROW(q[0], q[1], q[2], c0, c1, c2);
        __m256d gg = ROW(q[3], q[4], q[5], c0, c1, c2);
        __m256d b = ROW(q[6], q[7], q[8], c0, c1, c2);
        r = _mm256_blendv_pd(_mm256_blendv_pd(r, zero, _mm256_cmp_pd(r, zero, _CMP_LT_OQ)), one,
                             _mm256_cmp_pd(r, one, _CMP_GT_OQ));
        gg = _mm256_blendv_pd(_mm256_blendv_pd(gg, zero, _mm256_cmp_pd(gg, zero, _CMP_LT_OQ)), one,
                              _mm256_cmp_pd(gg, one, _CMP_GT_OQ));
        b = _mm256_blendv_pd(_mm256_blendv_pd(b, zero, _mm256_cmp_pd(b, zero, _CMP_LT_OQ)), one,
                             _mm256_cmp_pd(b, one, _CMP_GT_OQ));
        double tr[4], tg[4], tb[4];
        _mm256_storeu_pd(tr, fc_nearest4(r, g, index));
        _mm256_storeu_pd(tg, fc_nearest4(gg, g, index));
        _mm256_storeu_pd(tb, fc_nearest4(b, g, index));
        double *o = out + 3 * i;
        for (int j = 0; j < 4; j++) { o[3 * j] = tr[j]; o[3 * j + 1] = tg[j]; o[3 * j + 2] = tb[j]; }
    }
    for (; i < n; i++) fc_pixel(rgb + 3 * i, g, index, c, out + 3 * i);
}
#undef ROW
#undef BC
#endif

void ck_false_colour(const uint8_t *rgb, size_t n, const double *g, const uint32_t *index, const double *constants,
                     double *out) {
#if CK_X86
    if (ck_cpu_has_avx2_fma()) { false_colour_avx2(rgb, n, g, index, constants, out); return; }
#endif
    false_colour_portable(rgb, n, g, index, constants, out);
}

void ck_false_colour_portable(const uint8_t *rgb, size_t n, const double *g, const uint32_t *index,
                              const double *constants, double *out) {
    false_colour_portable(rgb, n, g, index, constants, out);
}

// ------------------------------------------------------------------------------------------ Fourier distortions
// sin and cos as Sources/Distortions/FastSinCos.swift (fdlibm kernels, Cody–Waite reduction), the same operations
// in the same order, so the portable and AVX2 paths and the Swift function agree bit for bit.

static const double SC_TWO_OVER_PI = 0x1.45f306dc9c883p-1;
static const double SC_PIO2_HI = 0x1.921fb54400000p0;
static const double SC_PIO2_LO = 0x1.0b4611a626331p-34;
static const double SC_S1 = -1.66666666666666324348e-01, SC_S2 = 8.33333333332248946124e-03,
                    SC_S3 = -1.98412698298579493134e-04, SC_S4 = 2.75573137070700676789e-06,
                    SC_S5 = -2.50507602534068634195e-08, SC_S6 = 1.58969099521155010221e-10;
static const double SC_C1 = 4.16666666666666019037e-02, SC_C2 = -1.38888888888741095749e-03,
                    SC_C3 = 2.48015872894767294178e-05, SC_C4 = -2.75573143513906633035e-07,
                    SC_C5 = 2.08757232129817482790e-09, SC_C6 = -1.13596475577881948265e-11;

static inline void sincos1(double x, double *sn, double *cs) {
    const double j = nearbyint(x * SC_TWO_OVER_PI);
    const double r = (x - j * SC_PIO2_HI) - j * SC_PIO2_LO;
    const double z = r * r;
    const double ps = SC_S2 + z * (SC_S3 + z * (SC_S4 + z * (SC_S5 + z * SC_S6)));
    const double sin_r = r + (z * r) * (SC_S1 + z * ps);
    const double pc = z * (SC_C1 + z * (SC_C2 + z * (SC_C3 + z * (SC_C4 + z * (SC_C5 + z * SC_C6)))));
    const double hz = 0.5 * z, w = 1.0 - hz;
    const double cos_r = w + (((1.0 - w) - hz) + z * pc);
    const int q = (int)j & 3;
    const double s = (q & 1) ? cos_r : sin_r, c = (q & 1) ? sin_r : cos_r;
    *sn = s * ((q & 2) ? -1.0 : 1.0);
    *cs = c * (((q + 1) & 2) ? -1.0 : 1.0);
}

void ck_sincos(const double *x, size_t count, double *sines, double *cosines) {
    for (size_t i = 0; i < count; i++) sincos1(x[i], sines + i, cosines + i);
}

#if CK_X86
__attribute__((target("avx2")))
static void sincos_avx2(const double *x, size_t count, double *sines, double *cosines) {
#define B(v) _mm256_set1_pd(v)
#define M(a, b) _mm256_mul_pd(a, b)
#define A(a, b) _mm256_add_pd(a, b)
    size_t i = 0;
    for (; i + 4 <= count; i += 4) {
        const __m256d xv = _mm256_loadu_pd(x + i);
        const __m256d j = _mm256_round_pd(M(xv, B(SC_TWO_OVER_PI)), _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
        const __m256d r = _mm256_sub_pd(_mm256_sub_pd(xv, M(j, B(SC_PIO2_HI))), M(j, B(SC_PIO2_LO)));
        const __m256d z = M(r, r);
        __m256d ps = A(B(SC_S5), M(z, B(SC_S6)));
        ps = A(B(SC_S4), M(z, ps));
        ps = A(B(SC_S3), M(z, ps));
        ps = A(B(SC_S2), M(z, ps));
        const __m256d sin_r = A(r, M(M(z, r), A(B(SC_S1), M(z, ps))));
        __m256d pc = A(B(SC_C5), M(z, B(SC_C6)));
        pc = A(B(SC_C4), M(z, pc));
        pc = A(B(SC_C3), M(z, pc));
        pc = A(B(SC_C2), M(z, pc));
        pc = M(z, A(B(SC_C1), M(z, pc)));
        const __m256d hz = M(B(0.5), z), w = _mm256_sub_pd(B(1.0), hz);
        const __m256d cos_r = A(w, A(_mm256_sub_pd(_mm256_sub_pd(B(1.0), w), hz), M(z, pc)));
        const __m256i q = _mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(j));  // j is integral: exact
        const __m256i one = _mm256_set1_epi64x(1), two = _mm256_set1_epi64x(2);
        const __m256d swap = _mm256_castsi256_pd(_mm256_cmpeq_epi64(_mm256_and_si256(q, one), one));
        const __m256d s = _mm256_blendv_pd(sin_r, cos_r, swap), c = _mm256_blendv_pd(cos_r, sin_r, swap);
        const __m256d sneg = _mm256_castsi256_pd(_mm256_cmpeq_epi64(_mm256_and_si256(q, two), two));
        const __m256d q1 = _mm256_castsi256_pd(_mm256_cmpeq_epi64(
            _mm256_and_si256(_mm256_add_epi64(q, one), two), two));
        _mm256_storeu_pd(sines + i, M(s, _mm256_blendv_pd(B(1.0), B(-1.0), sneg)));
        _mm256_storeu_pd(cosines + i, M(c, _mm256_blendv_pd(B(1.0), B(-1.0), q1)));
    }
    for (; i < count; i++) sincos1(x[i], sines + i, cosines + i);
#undef A
#undef M
#undef B
}
#endif

static void phase_factors(double *u, size_t m, double width, double half_scale, double *sines, double *cosines,
                          double *factors, int avx2) {
    for (size_t t = 0; t < m; t++) u[t] = ((((u[t] - 0.5) * 2) * width) / 180) * 3.141592653589793;
#if CK_X86
    if (avx2) sincos_avx2(u, m, sines, cosines); else
#endif
    ck_sincos(u, m, sines, cosines);
    (void)avx2;
    for (size_t j = 0; j < m; j++) {
        factors[2 * j] = (cosines[j] + cosines[m - 1 - j]) * half_scale;
        factors[2 * j + 1] = (sines[j] + sines[m - 1 - j]) * half_scale;
    }
}

void ck_phase_factors(double *values, size_t m, double width, double half_scale, double *sines, double *cosines,
                      double *factors) {
    phase_factors(values, m, width, half_scale, sines, cosines, factors, ck_cpu_has_avx2_fma());
}

void ck_phase_factors_portable(double *values, size_t m, double width, double half_scale, double *sines,
                               double *cosines, double *factors) {
    phase_factors(values, m, width, half_scale, sines, cosines, factors, 0);
}

void ck_phase_apply(double *z, int h, int w, const double *factors, double scale) {
    const int half_width = w / 2 + 1;
    const long n = (long)(h - 1) * (w - 1), m = n / 2;
    for (int u = 0; u < h; u++) {
        const int r = u < h / 2 ? u + h / 2 : u - h / 2;
        double *row = z + 2 * (size_t)u * half_width;
        if (r == 0) {
            for (int v = 0; v < half_width; v++) { row[2 * v] *= scale; row[2 * v + 1] *= scale; }
            continue;
        }
        // q-indices t0 … t0 + w/2 − 1 along the row: below m the factor P[t], at m (DC) the plain scale, above m
        // the conjugate partner's factor P[n − 1 − t] with its imaginary part negated.
        const long t0 = (long)(r - 1) * (w - 1) + w / 2 - 1;
        const long t_end = t0 + w / 2;
        long t = t0;
        double *z0 = row;  // z0[2(t − t0)] is the value at q-index t
        for (; t < t_end && t < m; t++) {
            const double fr = factors[2 * t], fi = factors[2 * t + 1];
            const double re = z0[2 * (t - t0)], im = z0[2 * (t - t0) + 1];
            z0[2 * (t - t0)] = re * fr - im * fi;
            z0[2 * (t - t0) + 1] = re * fi + im * fr;
        }
        if (t < t_end && t == m) {
            const double re = z0[2 * (t - t0)], im = z0[2 * (t - t0) + 1];
            z0[2 * (t - t0)] = re * scale - im * 0.0;
            z0[2 * (t - t0) + 1] = re * 0.0 + im * scale;
            t++;
        }
        for (; t < t_end; t++) {
            const long j = n - 1 - t;
            const double fr = factors[2 * j], fi = -factors[2 * j + 1];
            const double re = z0[2 * (t - t0)], im = z0[2 * (t - t0) + 1];
            z0[2 * (t - t0)] = re * fr - im * fi;
            z0[2 * (t - t0) + 1] = re * fi + im * fr;
        }
        row[2 * (w / 2)] *= scale;
        row[2 * (w / 2) + 1] *= scale;
    }
}

static inline void power_one(double *z, double t) {
    const double re = z[0], im = z[1];
    const double magnitude = sqrt(re * re + im * im);
    double c = 1.0, s = 0.0;
    if (magnitude > 0) { c = re / magnitude; s = im / magnitude; }
    else { const double phase = atan2(im, re); c = cos(phase); s = sin(phase); }
    z[0] = t * c;
    z[1] = t * s;
}

#if CK_X86
__attribute__((target("avx2")))
static void power_avx2(double *z, size_t count, const double *t) {
    size_t k = 0;
    for (; k + 2 <= count; k += 2) {
        const __m256d v = _mm256_loadu_pd(z + 2 * k);                 // re0 im0 re1 im1
        const __m256d sq = _mm256_mul_pd(v, v);
        const __m256d sum = _mm256_add_pd(sq, _mm256_permute_pd(sq, 0x5));  // re²+im² in both lanes of a pair
        const __m256d magnitude = _mm256_sqrt_pd(sum);
        if (_mm256_movemask_pd(_mm256_cmp_pd(magnitude, _mm256_setzero_pd(), _CMP_GT_OQ)) != 0xf) {
            power_one(z + 2 * k, t[k]);
            power_one(z + 2 * k + 2, t[k + 1]);
            continue;
        }
        const __m256d tt = _mm256_setr_pd(t[k], t[k], t[k + 1], t[k + 1]);
        _mm256_storeu_pd(z + 2 * k, _mm256_mul_pd(tt, _mm256_div_pd(v, magnitude)));
    }
    for (; k < count; k++) power_one(z + 2 * k, t[k]);
}
#endif

void ck_power_equalise(double *z, size_t count, const double *t) {
#if CK_X86
    if (ck_cpu_has_avx2_fma()) { power_avx2(z, count, t); return; }
#endif
    for (size_t k = 0; k < count; k++) power_one(z + 2 * k, t[k]);
}

void ck_power_equalise_portable(double *z, size_t count, const double *t) {
    for (size_t k = 0; k < count; k++) power_one(z + 2 * k, t[k]);
}

void ck_clip_copy(const double *in, size_t n, double *out) {
    for (size_t i = 0; i < n; i++) {
        const double v = in[i];
        out[i] = v > 1 ? 1 : (v < 0 ? 0 : v);
    }
}
