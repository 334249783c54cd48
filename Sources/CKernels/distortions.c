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
#include <pthread.h>

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

// Four doubles from four tempered word pairs t (first word of a pair in the low half of a 64-bit lane), built
// from their bits without conversions or shuffles: a = first >> 5 lands in mantissa bits 25…51 under the exponent
// of 1, so the double is 1 + a·2^−27 and subtracting 1 leaves a·2^−27 exactly; b = second >> 6 lands in bits
// 26…51 under the exponent of 2^−27, giving 2^−27 + b·2^−53. Both subtractions are folded into one: (1 + a·2^−27)
// − (1 + 2^−27) = (a − 1)·2^−27 is exact (Sterbenz), and adding 2^−27 + b·2^−53 gives (a·2^26 + b)·2^−53 < 1, a
// 53-bit multiple of 2^−53, so that sum is exact too: numpy's value, bit for bit.
__attribute__((target("avx2")))
static inline __m256d mt_doubles4(__m256i t) {
    const __m256i ia = _mm256_or_si256(_mm256_slli_epi64(_mm256_and_si256(t, _mm256_set1_epi64x(0xFFFFFFE0LL)), 20),
                                       _mm256_set1_epi64x(0x3FF0000000000000LL));
    const __m256i ib = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi64(t, 12), _mm256_set1_epi64x(0x000FFFFFFC000000LL)),
                                       _mm256_set1_epi64x(0x3E40000000000000LL));
    return _mm256_add_pd(_mm256_sub_pd(_mm256_castsi256_pd(ia), _mm256_set1_pd(1.0 + 0x1p-27)),
                         _mm256_castsi256_pd(ib));
}

__attribute__((target("avx2")))
static size_t mt_pairs_avx2(const uint32_t *words, double *out, size_t pairs) {
    size_t p = 0;
    for (; p + 4 <= pairs; p += 4) {
        _mm256_storeu_pd(out + p, mt_doubles4(mt_temper8(_mm256_loadu_si256((const __m256i *)(words + 2 * p)))));
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

/// Y of the RGB pixel at s from the luma table (R at 0, G at 256, B at 512), summed in numpy's order.
static inline double grey_pixel(const uint8_t *s, const double *lut) {
    return (lut[s[0]] + lut[256 + s[1]]) + lut[512 + s[2]];
}

// The luma products w·(k / 255.0) without a table, a conversion or a division. k/255 = M·2^−48·(1 + 2^−48 + 2^−96 + …)
// with M = k·0x010101010101 (k in six bytes); P = M·2^−48 is exact and is made from the bytes themselves: M under
// the exponent of 16 is the double 16 + P, and subtracting 16 leaves P. P + P·2^−48 (P·2^−48 exact too) then rounds
// to the correctly rounded quotient for every k in 0…255: checked exhaustively here at run time, as this table is
// compared with the caller's (Distorter.lumaTable: w·(k / 255.0)), and in the tests. The vector path is used only when
// the caller's table is exactly `grey_canonical`, else the table path runs.
static inline double grey_quotient(int k) {
    const uint64_t bits = 0x4030000000000000ULL | ((uint64_t)k * 0x010101010101ULL);
    double sixteen_plus_p;
    memcpy(&sixteen_plus_p, &bits, sizeof bits);
    const double p = sixteen_plus_p - 16.0;
    return p + p * 0x1p-48;
}

static double grey_canonical_table[768];
static pthread_once_t grey_canonical_once = PTHREAD_ONCE_INIT;

static void grey_canonical_make(void) {
    static const double weights[3] = {0.2125, 0.7154, 0.0721};
    for (int c = 0; c < 3; c++) {
        for (int k = 0; k < 256; k++) grey_canonical_table[256 * c + k] = weights[c] * grey_quotient(k);
    }
}

static const double *grey_canonical(void) {
    pthread_once(&grey_canonical_once, grey_canonical_make);
    return grey_canonical_table;
}

/// Whether `lut` holds the canonical table, whose values the vector formula reproduces.
static int grey_is_canonical(const double *lut) {
    return memcmp(lut, grey_canonical(), sizeof grey_canonical_table) == 0;
}

int ck_grey_formula_matches(const double *lut) { return grey_is_canonical(lut); }

static void grey_lut_scalar(const uint8_t *rgb, size_t n, const double *lut, double *out) {
    const double *lr = lut, *lg = lut + 256, *lb = lut + 512;
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {  // GREY4 reads exactly the 12 bytes of the 4 pixels
        double y0, y1, y2, y3;
        GREY4(rgb + 3 * i, lr, lg, lb, y0, y1, y2, y3);
        out[i] = y0; out[i + 1] = y1; out[i + 2] = y2; out[i + 3] = y3;
    }
    for (; i < n; i++) out[i] = grey_pixel(rgb + 3 * i, lut);
}

#if CK_X86
/// Y of the four pixels at s (reads 16 bytes: the caller keeps s + 16 inside the buffer), by `grey_quotient`'s
/// arithmetic: each pixel's byte into the six low bytes of its 64-bit lane under the exponent of 16, minus 16, then
/// P + P·2^−48, times the weight; (Yr + Yg) + Yb as the table path adds.
__attribute__((target("avx2")))
static inline __m256d grey4_formula(const uint8_t *s) {
    const __m256i px = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)s));  // the 16 bytes in both halves
    const __m256i mr = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, -1, -1, 3, 3, 3, 3, 3, 3, -1, -1,
                                        6, 6, 6, 6, 6, 6, -1, -1, 9, 9, 9, 9, 9, 9, -1, -1);
    const __m256i mg = _mm256_setr_epi8(1, 1, 1, 1, 1, 1, -1, -1, 4, 4, 4, 4, 4, 4, -1, -1,
                                        7, 7, 7, 7, 7, 7, -1, -1, 10, 10, 10, 10, 10, 10, -1, -1);
    const __m256i mb = _mm256_setr_epi8(2, 2, 2, 2, 2, 2, -1, -1, 5, 5, 5, 5, 5, 5, -1, -1,
                                        8, 8, 8, 8, 8, 8, -1, -1, 11, 11, 11, 11, 11, 11, -1, -1);
    const __m256i e16 = _mm256_set1_epi64x(0x4030000000000000LL);
    const __m256d sixteen = _mm256_set1_pd(16.0), tiny = _mm256_set1_pd(0x1p-48);
    const __m256d pr = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_shuffle_epi8(px, mr), e16)), sixteen);
    const __m256d pg = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_shuffle_epi8(px, mg), e16)), sixteen);
    const __m256d pb = _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(_mm256_shuffle_epi8(px, mb), e16)), sixteen);
    const __m256d yr = _mm256_mul_pd(_mm256_set1_pd(0.2125), _mm256_add_pd(pr, _mm256_mul_pd(pr, tiny)));
    const __m256d yg = _mm256_mul_pd(_mm256_set1_pd(0.7154), _mm256_add_pd(pg, _mm256_mul_pd(pg, tiny)));
    const __m256d yb = _mm256_mul_pd(_mm256_set1_pd(0.0721), _mm256_add_pd(pb, _mm256_mul_pd(pb, tiny)));
    return _mm256_add_pd(_mm256_add_pd(yr, yg), yb);
}

/// grey4_formula for four pixels anywhere in a buffer ending at `end` (copies the last ones out first).
__attribute__((target("avx2")))
static inline __m256d grey4_formula_safe(const uint8_t *s, const uint8_t *end) {
    if (s + 16 <= end) return grey4_formula(s);
    uint8_t tmp[16] = {0};
    memcpy(tmp, s, 12);
    return grey4_formula(tmp);
}

__attribute__((target("avx2")))
static void grey_formula_avx2(const uint8_t *rgb, size_t n, double *out) {
    size_t i = 0;
    for (; i + 6 <= n; i += 4) _mm256_storeu_pd(out + i, grey4_formula(rgb + 3 * i));  // reads ≤ 3i + 16 ≤ 3n
    const double *lut = grey_canonical();
    for (; i < n; i++) out[i] = grey_pixel(rgb + 3 * i, lut);
}
#endif

void ck_grey_lut(const uint8_t *rgb, size_t n, const double *lut, double *out) {
#if CK_X86
    if (ck_cpu_has_avx2_fma() && grey_is_canonical(lut)) { grey_formula_avx2(rgb, n, out); return; }
#endif
    grey_lut_scalar(rgb, n, lut, out);
}

void ck_grey_lut_portable(const uint8_t *rgb, size_t n, const double *lut, double *out) {
    grey_lut_scalar(rgb, n, lut, out);
}

// Pass 1 of the spectral Gaussian (lowpass_spectral.c) straight from the RGB image: column line l gets
// (Y[y][x] − cval, Y[y][x + 1] − cval) at y < height, x = 2(first_pair + l) (0 for a missing last column), Y by the
// luma table; the line padding is left alone. With AVX2 and the canonical table, four pixels (two lines) per step.
static void zip_grey_columns_scalar(const uint8_t *rgb, int height, int width, const double *lut, double cval,
                                    int first_pair, int from, int count, int n, double *lines) {
    for (int l = from; l < count; l++) {
        const int x = 2 * (first_pair + l);
        double *d = lines + (size_t)2 * n * l;
        for (int y = 0; y < height; y++) {
            const uint8_t *s = rgb + 3 * ((size_t)width * y + x);
            d[2 * y] = grey_pixel(s, lut) - cval;
            d[2 * y + 1] = x + 1 < width ? grey_pixel(s + 3, lut) - cval : 0;
        }
    }
}

#if CK_X86
__attribute__((target("avx2")))
static void zip_grey_columns_avx2(const uint8_t *rgb, int height, int width, double cval, int first_pair, int pairs,
                                  int n, double *lines) {
    const uint8_t *end = rgb + 3 * (size_t)width * height;
    const __m256d c = _mm256_set1_pd(cval);
    for (int y = 0; y < height; y++) {
        const uint8_t *s = rgb + 3 * ((size_t)width * y + 2 * (size_t)first_pair);
        double *d = lines + 2 * (size_t)y;
        for (int l = 0; l < pairs; l += 2, s += 12) {
            const __m256d g = _mm256_sub_pd(grey4_formula_safe(s, end), c);
            _mm_storeu_pd(d + (size_t)2 * n * l, _mm256_castpd256_pd128(g));
            _mm_storeu_pd(d + (size_t)2 * n * (l + 1), _mm256_extractf128_pd(g, 1));
        }
    }
}
#endif

void ck_lps_zip_grey_columns(const uint8_t *rgb, int height, int width, const double *lut, double cval,
                             int first_pair, int count, int n, double *lines) {
    int done = 0;
#if CK_X86
    // Whole pairs of lines whose four pixels all exist: the vector formula (its values are the table's).
    int pairs = count & ~1;
    while (pairs > 0 && 2 * (first_pair + pairs) > width) pairs -= 2;
    if (pairs > 0 && ck_cpu_has_avx2_fma() && grey_is_canonical(lut)) {
        zip_grey_columns_avx2(rgb, height, width, cval, first_pair, pairs, n, lines);
        done = pairs;
    }
#endif
    zip_grey_columns_scalar(rgb, height, width, lut, cval, first_pair, done, count, n, lines);
}

/// clip((a + Y·c) + (low + range·u)): one pixel of uniform noise, as numpy computes it.
static inline double noise_from_y(double y, double a, double c, double low, double range, double u) {
    double v = (a + y * c) + (low + range * u);
    v = v < 0 ? 0 : v;
    return v > 1 ? 1 : v;
}

static inline double noise_pixel(const uint8_t *s, const double *lut, double a, double c, double low, double range,
                                 double u) {
    return noise_from_y(grey_pixel(s, lut), a, c, low, range, u);
}

#if CK_X86
// clip((a + Y·c) + (low + range·u)) for `count` pixels whose Y is already in y (y may be out), u straight from the
// state words at w (an even position, 2·count words left before the next refill), four pixels per step. The clip's
// max and min are left out where `clip_low` / `clip_high` say they can never act (see uniform_noise_two_pass).
// Returns the pixels done (a multiple of 4); the caller does the rest.
__attribute__((target("avx2"), always_inline))
static inline size_t noise_from_grey_avx2(const uint32_t *w, const double *y, size_t count, double a, double c,
                                          double low, double range, double *out, int clip_low, int clip_high) {
    const __m256d va = _mm256_set1_pd(a), vc = _mm256_set1_pd(c), vlow = _mm256_set1_pd(low);
    const __m256d vrange = _mm256_set1_pd(range), zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
    size_t i = 0;
    for (; i + 4 <= count; i += 4) {
        const __m256d u = mt_doubles4(mt_temper8(_mm256_loadu_si256((const __m256i *)(w + 2 * i))));
        const __m256d noise = _mm256_add_pd(vlow, _mm256_mul_pd(vrange, u));
        __m256d v = _mm256_add_pd(_mm256_add_pd(va, _mm256_mul_pd(_mm256_loadu_pd(y + i), vc)), noise);
        if (clip_low) v = _mm256_max_pd(v, zero);   // v is never NaN, and never −0 (a + Y·c ≥ a > 0)
        if (clip_high) v = _mm256_min_pd(v, one);
        _mm256_storeu_pd(out + i, v);
    }
    return i;
}

__attribute__((target("avx2")))
static size_t noise_from_grey_dispatch(const uint32_t *w, const double *y, size_t count, double a, double c,
                                       double low, double range, double *out, int clip_low, int clip_high) {
    // One specialised loop per clip case: a clip that cannot act costs a vector instruction per 4 pixels.
    if (clip_low && clip_high) return noise_from_grey_avx2(w, y, count, a, c, low, range, out, 1, 1);
    if (clip_low) return noise_from_grey_avx2(w, y, count, a, c, low, range, out, 1, 0);
    if (clip_high) return noise_from_grey_avx2(w, y, count, a, c, low, range, out, 0, 1);
    return noise_from_grey_avx2(w, y, count, a, c, low, range, out, 0, 0);
}

// Uniform noise in two passes for the canonical grey table: Y of every pixel by the exact vector formula into out,
// then the noise over out in place, the generator's words turned into doubles as they are used. While the VM is in
// its slow phase (its core busy with other work; the same kernel then takes up to 1.6× as long) the two short
// loops run about 17 % faster than one fused loop with table look-ups; in its fast phase about 5 % slower.
//
// The clip is skipped where it cannot act. Rounding is monotone, Y ≥ 0, u ∈ [0, 1), and given a, c, range ≥ 0
// (checked) every v = (a + Y·c) + (low + range·u) lies between (a + 0·c) + low and (a + Ywhite·c) + (low + range),
// each bound evaluated with the same roundings; Y of white is the largest Y, as each term grows with its byte.
// When the lower bound is ≥ 0 no v is negative or −0 (a sum of terms ≥ a and ≥ −a rounds to +0 at worst), so
// `v < 0 ? 0 : v` is v; when the upper bound is ≤ 1, `v > 1 ? 1 : v` is v. With the reference's contrast 0.3
// neither clip can act up to w = 0.35 (upper bound 0.9999999999999999); both can at 0.6 and 0.9.
__attribute__((target("avx2")))
static int uniform_noise_two_pass(uint32_t *state, int position, const uint8_t *rgb, size_t n, const double *lut,
                                  double a, double c, double low, double range, double *out) {
    grey_formula_avx2(rgb, n, out);
    const double white = (lut[255] + lut[511]) + lut[767];
    const int bounded = a >= 0 && c >= 0 && range >= 0;
    const int clip_low = !(bounded && (a + 0.0 * c) + low >= 0);
    const int clip_high = !(bounded && (a + white * c) + (low + range) <= 1);
    double u[320];
    size_t i = 0;
    while (i < n) {
        if (position == MT_N || (position & 1) == 0) {
            if (position == MT_N) {
                mt_twist_avx2(state);
                position = 0;
            }
            size_t block = (size_t)(MT_N - position) / 2;
            if (block > n - i) block = n - i;
            const uint32_t *w = state + position;
            size_t j = noise_from_grey_dispatch(w, out + i, block, a, c, low, range, out + i, clip_low, clip_high);
            for (; j < block; j++) {
                out[i + j] = noise_from_y(out[i + j], a, c, low, range,
                                          mt_double(mt_temper(w[2 * j]), mt_temper(w[2 * j + 1])));
            }
            i += block;
            position += 2 * (int)block;
            continue;
        }
        // An odd position: a refill's worth of doubles through a buffer (this also handles a double straddling a
        // refill).
        const size_t block = n - i < 312 ? n - i : 312;
        position = mt_fill(state, position, u, block, 1);
        for (size_t j = 0; j < block; j++) out[i + j] = noise_from_y(out[i + j], a, c, low, range, u[j]);
        i += block;
    }
    return position;
}
#endif

static int uniform_noise(uint32_t *state, int position, const uint8_t *rgb, size_t n, const double *lut, double a,
                         double c, double low, double range, double *out, int avx2) {
#if CK_X86
    if (avx2 && grey_is_canonical(lut)) return uniform_noise_two_pass(state, position, rgb, n, lut, a, c, low, range, out);
#endif
    double u[320];
    size_t i = 0;
    while (i < n) {
        // A refill's worth of doubles at a time (this also handles a double straddling a refill).
        const size_t block = n - i < 312 ? n - i : 312;
        position = mt_fill(state, position, u, block, avx2);
        for (size_t j = 0; j < block; j++) out[i + j] = noise_pixel(rgb + 3 * (i + j), lut, a, c, low, range, u[j]);
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

#if CK_X86
#define TRANSPOSE4(r0, r1, r2, r3) do {                                                                          \
        const __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);                          \
        const __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);                          \
        r0 = _mm256_permute2f128_pd(t0, t2, 0x20); r1 = _mm256_permute2f128_pd(t1, t3, 0x20);                     \
        r2 = _mm256_permute2f128_pd(t0, t2, 0x31); r3 = _mm256_permute2f128_pd(t1, t3, 0x31);                     \
    } while (0)

// Grey and quarter turn in one pass, 4 × 4 pixel blocks: Y of four rows × four columns (the exact formula),
// transposed in registers and stored as four 4-value pieces of output rows. h and w multiples of 4.
__attribute__((target("avx2")))
static void grey_rotate_avx2(const uint8_t *rgb, int h, int w, int degrees, double *out) {
    const uint8_t *end = rgb + (size_t)3 * h * w;
    const size_t row = (size_t)3 * w;
    for (int j = 0; j < h; j += 4) {
        const uint8_t *s = rgb + row * (size_t)j;
        for (int x = 0; x < w; x += 4) {
            const uint8_t *q = s + 3 * (size_t)x;
            __m256d r0 = grey4_formula(q), r1 = grey4_formula(q + row), r2 = grey4_formula(q + 2 * row);
            __m256d r3 = grey4_formula_safe(q + 3 * row, end);
            if (degrees == 90) {
                // out[i][j] = Y[j][w−1−i]: lane l of column block x goes to output row w−1−x−l, columns j…j+3.
                TRANSPOSE4(r0, r1, r2, r3);
                double *o = out + (size_t)(w - 1 - x) * h + j;
                _mm256_storeu_pd(o, r0);
                _mm256_storeu_pd(o - h, r1);
                _mm256_storeu_pd(o - 2 * (size_t)h, r2);
                _mm256_storeu_pd(o - 3 * (size_t)h, r3);
            } else {
                // out[i][j] = Y[h−1−j][i]: rows j+3 … j become output columns h−4−j … h−1−j of rows x … x+3.
                TRANSPOSE4(r3, r2, r1, r0);
                double *o = out + (size_t)x * h + (h - 4 - j);
                _mm256_storeu_pd(o, r3);
                _mm256_storeu_pd(o + h, r2);
                _mm256_storeu_pd(o + 2 * (size_t)h, r1);
                _mm256_storeu_pd(o + 3 * (size_t)h, r0);
            }
        }
    }
}
#undef TRANSPOSE4
#endif

void ck_grey_rotate(const uint8_t *rgb, int height, int width, const double *lut, int degrees, double *scratch,
                    double *out) {
#if CK_X86
    if ((degrees == 90 || degrees == 270) && height % 4 == 0 && width % 4 == 0 && ck_cpu_has_avx2_fma() &&
        grey_is_canonical(lut)) {
        grey_rotate_avx2(rgb, height, width, degrees, out);
        return;
    }
#endif
    ck_grey_lut(rgb, (size_t)height * width, lut, scratch);
    ck_rotate(scratch, height, width, degrees, out);
}

void ck_grey_rotate_portable(const uint8_t *rgb, int height, int width, const double *lut, int degrees,
                             double *scratch, double *out) {
    grey_lut_scalar(rgb, (size_t)height * width, lut, scratch);
    ck_rotate(scratch, height, width, degrees, out);
}

// ------------------------------------------------------------------------------------------ 8-bit quantisation
// QuantisationRule.quantise (Sources/Imaging/QuantisationRule.swift): t = v·255.0; t ≤ 0 or NaN → 0; t > 255 → 255;
// round half up: (int)(t + 0.5), truncate: (int)t. `expand` writes each value three times (grey → RGB).

static inline uint8_t quantise1(double v, int round_half_up) {
    double t = v * 255.0;
    if (!(t > 0)) t = 0;
    if (t > 255) t = 255;
    return (uint8_t)(int)(round_half_up ? t + 0.5 : t);
}

static void quantise_portable(const double *v, size_t n, int round_half_up, int expand, uint8_t *out) {
    if (expand) {
        for (size_t i = 0; i < n; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = quantise1(v[i], round_half_up);
    } else {
        for (size_t i = 0; i < n; i++) out[i] = quantise1(v[i], round_half_up);
    }
}

#if CK_X86
// Sixteen values per step: max(t, 0) gives 0 for NaN (the second operand) and for −0; the conversion truncates.
__attribute__((target("avx2")))
static inline __m128i quantise4(const double *v, __m256d half) {
    __m256d t = _mm256_mul_pd(_mm256_loadu_pd(v), _mm256_set1_pd(255.0));
    t = _mm256_min_pd(_mm256_max_pd(t, _mm256_setzero_pd()), _mm256_set1_pd(255.0));
    return _mm256_cvttpd_epi32(_mm256_add_pd(t, half));
}

__attribute__((target("avx2")))
static void quantise_avx2(const double *v, size_t n, int round_half_up, int expand, uint8_t *out) {
    const __m256d half = _mm256_set1_pd(round_half_up ? 0.5 : 0.0);  // t + 0.0 = t exactly
    const __m128i e0 = _mm_setr_epi8(0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 5);
    const __m128i e1 = _mm_setr_epi8(5, 5, 6, 6, 6, 7, 7, 7, 8, 8, 8, 9, 9, 9, 10, 10);
    const __m128i e2 = _mm_setr_epi8(10, 11, 11, 11, 12, 12, 12, 13, 13, 13, 14, 14, 14, 15, 15, 15);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        const __m128i a = _mm_packs_epi32(quantise4(v + i, half), quantise4(v + i + 4, half));
        const __m128i b = _mm_packs_epi32(quantise4(v + i + 8, half), quantise4(v + i + 12, half));
        const __m128i bytes = _mm_packus_epi16(a, b);
        if (expand) {
            uint8_t *o = out + 3 * i;
            _mm_storeu_si128((__m128i *)o, _mm_shuffle_epi8(bytes, e0));
            _mm_storeu_si128((__m128i *)(o + 16), _mm_shuffle_epi8(bytes, e1));
            _mm_storeu_si128((__m128i *)(o + 32), _mm_shuffle_epi8(bytes, e2));
        } else {
            _mm_storeu_si128((__m128i *)(out + i), bytes);
        }
    }
    quantise_portable(v + i, n - i, round_half_up, expand, out + (expand ? 3 * i : i));
}
#endif

void ck_quantise_u8(const double *values, size_t n, int round_half_up, int expand, uint8_t *out) {
#if CK_X86
    if (ck_cpu_has_avx2_fma()) { quantise_avx2(values, n, round_half_up, expand, out); return; }
#endif
    quantise_portable(values, n, round_half_up, expand, out);
}

void ck_quantise_u8_portable(const double *values, size_t n, int round_half_up, int expand, uint8_t *out) {
    quantise_portable(values, n, round_half_up, expand, out);
}

// ------------------------------------------------------------------------------------------ false colour
// specs §3.7: linearise through the gamma table g, cones, opponent axes with the two chromatic ones negated, back,
// clip, and the index k minimising |g[k] − v| (lowest on ties) as k / 255.0.
//
// The nearest index is a step function of v: k*(v) = #{k : m_k ≤ v}, where m_k (k = 0…254) is the smallest double
// in [g[k], g[k+1]] with |g[k+1] − v| < |g[k] − v| as float64 (both sides are monotone in v, so the test is false
// below m_k and true from it on). The table has two parts of CK_FC_INDEX_COUNT doubles, keyed by the exponent and
// top 8 mantissa bits of v (buckets at most 0.4 % wide relative to v; key 0 also holds everything below 2^-18):
// threshold[key] = the one m_k inside the bucket (+inf if none), base[key] = #{k : m_k ≤ the bucket's lower
// edge}; a last entry says whether every bucket holds at most one m_k. Then k* = base + (v ≥ threshold): two loads
// and a compare (AVX2 path, used only for such a table). The portable path keeps the plain search (started at the
// bucket's base), so the two paths check each other.

#define FC_SHIFT 44
#define FC_BASE ((uint64_t)(1023 - 18) << 8)

static inline int fc_key(double v) {
    uint64_t bits;
    const double a = fabs(v);  // −0.0 belongs to bucket 0
    memcpy(&bits, &a, sizeof bits);
    const int64_t key = (int64_t)(bits >> FC_SHIFT) - (int64_t)FC_BASE;
    return key < 0 ? 0 : (key > CK_FC_INDEX_COUNT - 1 ? CK_FC_INDEX_COUNT - 1 : (int)key);
}

static inline double fc_from_bits(uint64_t bits) {
    double v;
    memcpy(&v, &bits, sizeof v);
    return v;
}

static inline uint64_t fc_bits(double v) {
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    return bits;
}

int ck_false_colour_index(const double *g, double *index) {
    double m[255];
    for (int k = 0; k < 255; k++) {
        // Bisection over the bit patterns of [g[k], g[k+1]] (non-negative doubles order like their bits).
        uint64_t lo = fc_bits(g[k]), hi = fc_bits(g[k + 1]);
        while (hi - lo > 1) {
            const uint64_t mid = lo + (hi - lo) / 2;
            const double v = fc_from_bits(mid);
            if (fabs(g[k + 1] - v) < fabs(g[k] - v)) hi = mid; else lo = mid;
        }
        m[k] = fc_from_bits(hi);
    }
    double *threshold = index, *base = index + CK_FC_INDEX_COUNT;
    int simple = 1, k = 0;
    for (int key = 0; key < CK_FC_INDEX_COUNT; key++) {
        const double lower = key == 0 ? 0.0 : fc_from_bits(((uint64_t)key + FC_BASE) << FC_SHIFT);
        const double upper = key == CK_FC_INDEX_COUNT - 1 ? INFINITY
                                                           : fc_from_bits(((uint64_t)key + 1 + FC_BASE) << FC_SHIFT);
        while (k < 255 && m[k] <= lower) k++;
        base[key] = (double)k;
        int inside = 0;
        while (k + inside < 255 && m[k + inside] < upper) inside++;
        threshold[key] = inside == 0 ? INFINITY : m[k];  // several: the first (the search corrects it)
        if (inside > 1) simple = 0;
    }
    index[2 * CK_FC_INDEX_COUNT] = simple;
    return simple;
}

static inline double fc_nearest(double v, const double *g, const double *index) {
    int k = (int)index[CK_FC_INDEX_COUNT + fc_key(v)];
    while (k > 0 && g[k] > v) k--;
    while (k < 255 && g[k + 1] <= v) k++;
    if (k < 255 && fabs(g[k + 1] - v) < fabs(g[k] - v)) k++;
    return (double)k / 255.0;
}

// The constants in the order M (9), w (3), N (9), N⁻¹ (9), M⁻¹ (9).
static void fc_pixel(const uint8_t *s, const double *g, const double *index, const double *c, double *o) {
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

static void false_colour_portable(const uint8_t *rgb, size_t n, const double *g, const double *index,
                                  const double *c, double *out) {
    for (size_t i = 0; i < n; i++) fc_pixel(rgb + 3 * i, g, index, c, out + 3 * i);
}

#if CK_X86
#define BC(x) _mm256_set1_pd(x)
#define ROW(a, b, cc, x, y, z) _mm256_add_pd(_mm256_add_pd(_mm256_mul_pd(BC(a), x), _mm256_mul_pd(BC(b), y)), \
                                             _mm256_mul_pd(BC(cc), z))

// Nearest indices of four values at once: k* = base[key] + (v ≥ threshold[key]), each as k / 255.0. Only for a
// table whose buckets hold at most one threshold each (index[2 · CK_FC_INDEX_COUNT] = 1; the study's table does).
__attribute__((target("avx2")))
static inline __m256d fc_nearest4(__m256d v, const double *index) {
    const __m256i bits = _mm256_castpd_si256(_mm256_andnot_pd(BC(-0.0), v));  // −0.0 belongs to bucket 0
    __m256i key = _mm256_sub_epi64(_mm256_srli_epi64(bits, FC_SHIFT), _mm256_set1_epi64x((long long)FC_BASE));
    key = _mm256_max_epi32(key, _mm256_setzero_si256());  // keys fit in 32 bits; negatives only for v < 2^-18
    key = _mm256_min_epi32(key, _mm256_set1_epi64x(CK_FC_INDEX_COUNT - 1));
    const __m128i key32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(key, _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6)));
    const __m256d threshold = _mm256_i32gather_pd(index, key32, 8);
    const __m256d base = _mm256_i32gather_pd(index + CK_FC_INDEX_COUNT, key32, 8);
    const __m256d up = _mm256_and_pd(_mm256_cmp_pd(v, threshold, _CMP_GE_OQ), BC(1.0));
    return _mm256_div_pd(_mm256_add_pd(base, up), BC(255.0));
}

__attribute__((target("avx2")))
static void false_colour_avx2(const uint8_t *rgb, size_t n, const double *g, const double *index,
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
        const __m256d kr = fc_nearest4(r, index), kg = fc_nearest4(gg, index), kb = fc_nearest4(b, index);
        // Interleave (r0 g0 b0 r1 | g1 b1 r2 g2 | b2 r3 g3 b3).
        const __m256d rg_lo = _mm256_unpacklo_pd(kr, kg);   // r0 g0 r2 g2
        const __m256d br = _mm256_unpacklo_pd(kb, _mm256_permute_pd(kr, 0x5));  // b0 r1 b2 r3
        const __m256d gb = _mm256_unpackhi_pd(kg, kb);      // g1 b1 g3 b3
        double *o = out + 3 * i;
        _mm256_storeu_pd(o, _mm256_permute2f128_pd(rg_lo, br, 0x20));      // r0 g0 b0 r1
        _mm256_storeu_pd(o + 4, _mm256_blend_pd(gb, rg_lo, 0xc));         // g1 b1 r2 g2
        _mm256_storeu_pd(o + 8, _mm256_permute2f128_pd(br, gb, 0x31));    // b2 r3 g3 b3
    }
    for (; i < n; i++) fc_pixel(rgb + 3 * i, g, index, c, out + 3 * i);
}
#undef ROW
#undef BC
#endif

void ck_false_colour(const uint8_t *rgb, size_t n, const double *g, const double *index, const double *constants,
                     double *out) {
#if CK_X86
    if (ck_cpu_has_avx2_fma() && index[2 * CK_FC_INDEX_COUNT] == 1.0) {
        false_colour_avx2(rgb, n, g, index, constants, out);
        return;
    }
#endif
    false_colour_portable(rgb, n, g, index, constants, out);
}

void ck_false_colour_portable(const uint8_t *rgb, size_t n, const double *g, const double *index,
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
#define B(v) _mm256_set1_pd(v)
#define M(a, b) _mm256_mul_pd(a, b)
#define A(a, b) _mm256_add_pd(a, b)
// sincos1 on four lanes, the same operations in the same order (no FMA contraction: separate mul and add).
// j is rounded to the nearest integer (ties to even, as nearbyint) by adding and subtracting 1.5·2^52, which also
// leaves j's low bits in the low bits of the sum: the quadrant q = j mod 4 without a conversion. q's bit 0 moved to
// the sign bit selects (blendv) between the two polynomials; bits 1 of q and of q + 1 moved there are the signs.
__attribute__((target("avx2")))
static inline void sincos4(__m256d xv, __m256d *sines, __m256d *cosines) {
    const __m256d magic = B(0x1.8p52);  // |x·2/π| < 2^51 here: the sum's low mantissa bits are j (two's complement)
    const __m256d shifted = A(M(xv, B(SC_TWO_OVER_PI)), magic);
    const __m256d j = _mm256_sub_pd(shifted, magic);
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
    const __m256i q = _mm256_castpd_si256(shifted);
    const __m256d swap = _mm256_castsi256_pd(_mm256_slli_epi64(q, 63));
    const __m256d s = _mm256_blendv_pd(sin_r, cos_r, swap), c = _mm256_blendv_pd(cos_r, sin_r, swap);
    const __m256d sign = B(-0.0);
    // × ±1 as a sign flip (exact, as the scalar multiplication by ±1.0).
    *sines = _mm256_xor_pd(s, _mm256_and_pd(_mm256_castsi256_pd(_mm256_slli_epi64(q, 62)), sign));
    *cosines = _mm256_xor_pd(c, _mm256_and_pd(
        _mm256_castsi256_pd(_mm256_slli_epi64(_mm256_add_epi64(q, _mm256_set1_epi64x(1)), 62)), sign));
}

// phase_factors for the pairs of blocks at both ends at once: P[j] = P[m−1−j] (the same sum, added in the same
// order), so the shifts j … j+3 and their partners m−4−j … m−1−j are turned into sin and cos together and the four
// factors are written to both places. No sin or cos is stored: one pass reads the shifts and writes the factors
// (the sines and cosines scratch arrays are not touched).
__attribute__((target("avx2")))
static inline __m256d phase_shift4(__m256d x, double width) {
    return M(_mm256_div_pd(M(M(_mm256_sub_pd(x, B(0.5)), B(2.0)), B(width)), B(180.0)), B(3.141592653589793));
}

// The factors of the four values from j and of their partners k … k+3 (k = m − 4 − j, read backwards), both written.
__attribute__((target("avx2"), always_inline))
static inline void phase_store_pair(double *factors, size_t j, size_t k, __m256d s0, __m256d c0, __m256d s1,
                                    __m256d c1, __m256d hs) {
    const __m256d re = M(A(c0, _mm256_permute4x64_pd(c1, 0x1b)), hs);  // P[j … j+3]
    const __m256d im = M(A(s0, _mm256_permute4x64_pd(s1, 0x1b)), hs);
    const __m256d lo = _mm256_unpacklo_pd(re, im), hi = _mm256_unpackhi_pd(re, im);  // (r0 i0 r2 i2), (r1 i1 r3 i3)
    const __m256d p01 = _mm256_permute2f128_pd(lo, hi, 0x20), p23 = _mm256_permute2f128_pd(lo, hi, 0x31);
    _mm256_storeu_pd(factors + 2 * j, p01);
    _mm256_storeu_pd(factors + 2 * j + 4, p23);
    // P[k … k+3] = P[j+3], P[j+2], P[j+1], P[j]: the pairs of complex values swapped and the halves exchanged.
    _mm256_storeu_pd(factors + 2 * k, _mm256_permute4x64_pd(p23, 0x4e));
    _mm256_storeu_pd(factors + 2 * k + 4, _mm256_permute4x64_pd(p01, 0x4e));
}

__attribute__((target("avx2")))
static void phase_factors_avx2(double *u, size_t m, double width, double half_scale, double *factors) {
    const __m256d hs = B(half_scale);
    size_t j = 0;
    // Eight values from each end per step: four independent sin/cos evaluations, whose polynomial chains overlap.
    for (; 2 * j + 16 <= m; j += 8) {
        const size_t k = m - 8 - j;  // the partner values k … k+7 = m−1−j … m−8−j, read backwards
        const __m256d x0 = phase_shift4(_mm256_loadu_pd(u + j), width);
        const __m256d x1 = phase_shift4(_mm256_loadu_pd(u + j + 4), width);
        const __m256d x2 = phase_shift4(_mm256_loadu_pd(u + k), width);
        const __m256d x3 = phase_shift4(_mm256_loadu_pd(u + k + 4), width);
        _mm256_storeu_pd(u + j, x0);
        _mm256_storeu_pd(u + j + 4, x1);
        _mm256_storeu_pd(u + k, x2);
        _mm256_storeu_pd(u + k + 4, x3);
        __m256d s0, c0, s1, c1, s2, c2, s3, c3;
        sincos4(x0, &s0, &c0);
        sincos4(x1, &s1, &c1);
        sincos4(x2, &s2, &c2);
        sincos4(x3, &s3, &c3);
        phase_store_pair(factors, j, k + 4, s0, c0, s3, c3, hs);      // j … j+3 with m−1−j … m−4−j
        phase_store_pair(factors, j + 4, k, s1, c1, s2, c2, hs);      // j+4 … j+7 with m−5−j … m−8−j
    }
    // The middle (fewer than 16 values), one at a time.
    double sn[16], cs[16];
    const size_t end = m - j;
    for (size_t t = j; t < end; t++) {
        u[t] = ((((u[t] - 0.5) * 2) * width) / 180) * 3.141592653589793;
        sincos1(u[t], sn + (t - j), cs + (t - j));
    }
    for (size_t t = j; t < end; t++) {
        factors[2 * t] = (cs[t - j] + cs[m - 1 - t - j]) * half_scale;
        factors[2 * t + 1] = (sn[t - j] + sn[m - 1 - t - j]) * half_scale;
    }
}

#undef A
#undef M
#undef B
#endif

static void phase_factors(double *u, size_t m, double width, double half_scale, double *sines, double *cosines,
                          double *factors, int avx2) {
#if CK_X86
    if (avx2) { phase_factors_avx2(u, m, width, half_scale, factors); return; }
#endif
    (void)avx2;
    for (size_t t = 0; t < m; t++) u[t] = ((((u[t] - 0.5) * 2) * width) / 180) * 3.141592653589793;
    ck_sincos(u, m, sines, cosines);
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

#if CK_X86
// z[0…2·count) (count complex values, count even) times the factors f in the same order, or with `reversed` times
// f[count−1], f[count−2], … conjugated; two complex values per step, each product as the scalar code computes it:
// (re·fr − im·fi, re·fi + im·fr), the sum in the other order being the same sum.
__attribute__((target("avx2")))
static void phase_multiply_avx2(double *z, const double *f, size_t count, int reversed) {
    const __m256d conj = _mm256_setr_pd(0.0, -0.0, 0.0, -0.0);
    for (size_t k = 0; k + 2 <= count; k += 2) {
        __m256d fv;
        if (!reversed) {
            fv = _mm256_loadu_pd(f + 2 * k);
        } else {  // factors count−2−k and count−1−k, exchanged, imaginary parts negated
            fv = _mm256_xor_pd(_mm256_permute4x64_pd(_mm256_loadu_pd(f + 2 * (count - 2 - k)), 0x4e), conj);
        }
        const __m256d zv = _mm256_loadu_pd(z + 2 * k);
        const __m256d a = _mm256_mul_pd(zv, _mm256_movedup_pd(fv));                                  // re·fr, im·fr
        const __m256d b = _mm256_mul_pd(_mm256_permute_pd(zv, 0x5), _mm256_permute_pd(fv, 0xf));  // im·fi, re·fi
        _mm256_storeu_pd(z + 2 * k, _mm256_addsub_pd(a, b));
    }
}
#endif

static inline void phase_multiply_one(double *z, double fr, double fi) {
    const double re = z[0], im = z[1];
    z[0] = re * fr - im * fi;
    z[1] = re * fi + im * fr;
}

static void phase_apply(double *z, int h, int w, const double *factors, double scale, int avx2) {
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
        double *z0 = row;  // z0[2(t − t0)] is the value at q-index t
        long t = t0;
        long below = (m < t_end ? m : t_end) - t;  // values with t < m
        if (below > 0) {
#if CK_X86
            if (avx2 && below >= 2) {
                const long even = below & ~1L;
                phase_multiply_avx2(z0, factors + 2 * t, (size_t)even, 0);
                t += even;
            }
#endif
            for (; t < t0 + below; t++) phase_multiply_one(z0 + 2 * (t - t0), factors[2 * t], factors[2 * t + 1]);
        }
        if (t < t_end && t == m) {
            const double re = z0[2 * (t - t0)], im = z0[2 * (t - t0) + 1];
            z0[2 * (t - t0)] = re * scale - im * 0.0;
            z0[2 * (t - t0) + 1] = re * 0.0 + im * scale;
            t++;
        }
#if CK_X86
        if (avx2 && t_end - t >= 2) {
            // t … t + even − 1 take P[n−1−t] … P[n−t−even] conjugated: the block from n−t−even, reversed
            const long even = (t_end - t) & ~1L;
            phase_multiply_avx2(z0 + 2 * (t - t0), factors + 2 * (n - t - even), (size_t)even, 1);
            t += even;
        }
#endif
        for (; t < t_end; t++) {
            const long j = n - 1 - t;
            phase_multiply_one(z0 + 2 * (t - t0), factors[2 * j], -factors[2 * j + 1]);
        }
        row[2 * (w / 2)] *= scale;
        row[2 * (w / 2) + 1] *= scale;
    }
    (void)avx2;
}

void ck_phase_apply(double *z, int h, int w, const double *factors, double scale) {
    phase_apply(z, h, w, factors, scale, ck_cpu_has_avx2_fma());
}

void ck_phase_apply_portable(double *z, int h, int w, const double *factors, double scale) {
    phase_apply(z, h, w, factors, scale, 0);
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

static inline double clip_one(double v) { return v > 1 ? 1 : (v < 0 ? 0 : v); }

#if CK_X86
// min(1, max(0, v)) with the constant first: x86 max/min return their second operand when either is NaN or both
// are zeros, so NaN and −0 pass through as in clip_one, v < 0 gives +0 and v > 1 gives 1.
__attribute__((target("avx2")))
static void clip_copy_avx2(const double *in, size_t n, double *out) {
    const __m256d zero = _mm256_setzero_pd(), one = _mm256_set1_pd(1.0);
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        _mm256_storeu_pd(out + i, _mm256_min_pd(one, _mm256_max_pd(zero, _mm256_loadu_pd(in + i))));
    }
    for (; i < n; i++) out[i] = clip_one(in[i]);
}
#endif

static void clip_copy(const double *in, size_t n, double *out, int avx2) {
#if CK_X86
    if (avx2) { clip_copy_avx2(in, n, out); return; }
#endif
    (void)avx2;
    for (size_t i = 0; i < n; i++) out[i] = clip_one(in[i]);
}

void ck_clip_copy(const double *in, size_t n, double *out) {
    clip_copy(in, n, out, ck_cpu_has_avx2_fma());
}

void ck_clip_copy_portable(const double *in, size_t n, double *out) {
    clip_copy(in, n, out, 0);
}
