// numpy's legacy standard normals (polar Box–Muller on MT19937) in bulk, for the eidolon noise planes
// (Sources/Distortions/MT19937.swift, `fillStandardNormalsFast` / `skipStandardNormalsFast`).
//
// The generator state is consumed exactly as numpy's legacy `standard_normal` consumes it: every attempt takes four
// 32-bit words (two doubles of 53 bits), attempts with r2 = x1² + x2² outside (0, 1) are rejected, an accepted attempt
// yields f·x2 then f·x1 with f = sqrt(−2·ln(r2)/r2). Uniforms, x1, x2 and r2 are exact IEEE operations in numpy's
// order (no FMA: this file is compiled with contraction off), so the accept/reject decisions and the stream position
// are bit-identical to numpy. Only ln differs: numpy calls the C library's log, this file uses an fdlibm-style log
// (< 1 ulp) that vectorises; a value may therefore differ from numpy's in the last bit (relative 2.2e-16).
// Both paths (portable and AVX2) run the same operations in the same order: their results are identical.
#include "CKernels.h"
#include <math.h>
#include <stdint.h>
#include <string.h>

#pragma clang fp contract(off)

#define MT_N 624
#define MT_M 397

// MT19937 refill in place (the reference's order; vectorisable: reads ahead are old values, reads behind new).
#define DEFINE_TWIST(NAME, ATTR)                                                                                       \
    ATTR static void NAME(uint32_t *restrict mt) {                                                                     \
        for (int i = 0; i < MT_N - MT_M; i++) {                                                                        \
            uint32_t y = (mt[i] & 0x80000000u) | (mt[i + 1] & 0x7fffffffu);                                            \
            mt[i] = mt[i + MT_M] ^ (y >> 1) ^ ((0u - (y & 1u)) & 0x9908b0dfu);                                         \
        }                                                                                                              \
        for (int i = MT_N - MT_M; i < MT_N - 1; i++) {                                                                 \
            uint32_t y = (mt[i] & 0x80000000u) | (mt[i + 1] & 0x7fffffffu);                                            \
            mt[i] = mt[i - (MT_N - MT_M)] ^ (y >> 1) ^ ((0u - (y & 1u)) & 0x9908b0dfu);                                \
        }                                                                                                              \
        uint32_t y = (mt[MT_N - 1] & 0x80000000u) | (mt[0] & 0x7fffffffu);                                             \
        mt[MT_N - 1] = mt[MT_M - 1] ^ (y >> 1) ^ ((0u - (y & 1u)) & 0x9908b0dfu);                                      \
    }

static inline uint32_t temper(uint32_t y) {
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
}

// ln(x) for positive normal x (fdlibm's e_log.c reduction and polynomial, branch-free: x = 2^k·(1+f) with
// 1+f in [√2/2, √2), s = f/(2+f), ln x = k·ln2_hi − ((hfsq − (s·(hfsq+R) + k·ln2_lo)) − f)).
static inline double fd_log(double x) {
    const double ln2_hi = 6.93147180369123816490e-01, ln2_lo = 1.90821492927058770002e-10;
    const double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01, Lg3 = 2.857142874366239149e-01,
                 Lg4 = 2.222219843214978396e-01, Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
                 Lg7 = 1.479819860511658591e-01;
    uint64_t bits;
    memcpy(&bits, &x, 8);
    // Bias the mantissa so that the split falls at √2/2: hx + (0x3ff00000 − 0x3fe6a09e) as in fdlibm's log2/log1p.
    uint64_t biased = bits + ((uint64_t)(0x3ff00000u - 0x3fe6a09eu) << 32);
    int32_t k = (int32_t)(biased >> 52) - 1023;
    uint64_t mbits = (biased & 0x000fffffffffffffull) + ((uint64_t)0x3fe6a09eu << 32);
    double m;
    memcpy(&m, &mbits, 8);
    double f = m - 1.0;
    double hfsq = 0.5 * f * f;
    double s = f / (2.0 + f);
    double dk = (double)k;
    double z = s * s;
    double w = z * z;
    double t1 = w * (Lg2 + w * (Lg4 + w * Lg6));
    double t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
    double R = t2 + t1;
    return dk * ln2_hi - ((hfsq - (s * (hfsq + R) + dk * ln2_lo)) - f);
}

// One refill block's worth of attempts: `words` holds the tempered words; every complete attempt (4 words) gets
// x1, x2, r2 (vectorised, into the `all` arrays), then the accepted ones are copied to the front of the output
// arrays with their end word index; returns how many were accepted.
static inline int decide(const uint32_t *restrict words, int attempts, double *restrict all1, double *restrict all2,
                         double *restrict allr, double *restrict x1s, double *restrict x2s, double *restrict r2s,
                         int *restrict ends) {
    for (int t = 0; t < attempts; t++) {
        const uint32_t *w = words + 4 * t;
        double u1 = ((double)(int32_t)(w[0] >> 5) * 67108864.0 + (double)(int32_t)(w[1] >> 6)) * 0x1p-53;
        double u2 = ((double)(int32_t)(w[2] >> 5) * 67108864.0 + (double)(int32_t)(w[3] >> 6)) * 0x1p-53;
        double x1 = 2.0 * u1 - 1.0;
        double x2 = 2.0 * u2 - 1.0;
        all1[t] = x1;
        all2[t] = x2;
        allr[t] = x1 * x1 + x2 * x2;
    }
    int accepted = 0;
    for (int t = 0; t < attempts; t++) {
        double r2 = allr[t];
        x1s[accepted] = all1[t];
        x2s[accepted] = all2[t];
        r2s[accepted] = r2;
        ends[accepted] = 4 * t + 4;
        accepted += (r2 < 1.0) & (r2 != 0.0);
    }
    return accepted;
}

#define BLOCK_WORDS (MT_N + 3)
#define BLOCK_ATTEMPTS (BLOCK_WORDS / 4)

// The driver: walks the stream a refill block at a time; `out` may be NULL (skip: no logarithms).
#define DEFINE_NORMALS(NAME, TWIST, ATTR)                                                                              \
    ATTR static void NAME(uint32_t *restrict mt, int *pos_io, double *restrict out, size_t count) {                    \
        uint32_t words[BLOCK_WORDS];                                                                                   \
        double x1s[BLOCK_ATTEMPTS + 1], x2s[BLOCK_ATTEMPTS + 1], r2s[BLOCK_ATTEMPTS + 1];                              \
        double all1[BLOCK_ATTEMPTS + 1], all2[BLOCK_ATTEMPTS + 1], allr[BLOCK_ATTEMPTS + 1];                           \
        int ends[BLOCK_ATTEMPTS + 1];                                                                                  \
        int pos = *pos_io;                                                                                             \
        size_t pairs = count / 2, done = 0;                                                                            \
        int carried = 0; /* tempered words of the previous block not yet used (< 4) */                                 \
        while (done < pairs) {                                                                                         \
            if (pos == MT_N) {                                                                                         \
                TWIST(mt);                                                                                             \
                pos = 0;                                                                                               \
            }                                                                                                          \
            int fresh = MT_N - pos;                                                                                    \
            for (int i = 0; i < fresh; i++) words[carried + i] = temper(mt[pos + i]);                                  \
            int available = carried + fresh;                                                                           \
            int attempts = available / 4;                                                                              \
            int accepted = decide(words, attempts, all1, all2, allr, x1s, x2s, r2s, ends);                             \
            size_t take = (size_t)accepted < pairs - done ? (size_t)accepted : pairs - done;                           \
            int used;                                                                                                  \
            if (take < (size_t)accepted || (take > 0 && done + take == pairs)) {                                       \
                used = ends[take - 1]; /* stop right after the last attempt needed */                                  \
            } else {                                                                                                   \
                used = 4 * attempts;                                                                                   \
            }                                                                                                          \
            if (out != NULL) {                                                                                         \
                double *o = out + 2 * done;                                                                            \
                for (size_t a = 0; a < take; a++) {                                                                    \
                    double r2 = r2s[a];                                                                                \
                    double f = __builtin_elementwise_sqrt(-2.0 * fd_log(r2) / r2);                                     \
                    o[2 * a] = f * x2s[a];                                                                             \
                    o[2 * a + 1] = f * x1s[a];                                                                         \
                }                                                                                                      \
            }                                                                                                          \
            done += take;                                                                                              \
            if (used <= carried) {                                                                                     \
                /* cannot happen: an attempt needing only carried words would have completed earlier */                \
                carried = carried - used;                                                                              \
                memmove(words, words + used, (size_t)carried * sizeof(uint32_t));                                      \
                continue;                                                                                              \
            }                                                                                                          \
            int consumedFresh = used - carried;                                                                        \
            if (done == pairs) {                                                                                       \
                pos += consumedFresh;                                                                                  \
                break;                                                                                                 \
            }                                                                                                          \
            carried = available - used;                                                                                \
            memmove(words, words + used, (size_t)carried * sizeof(uint32_t));                                          \
            pos = MT_N;                                                                                                \
        }                                                                                                              \
        *pos_io = pos;                                                                                                 \
    }

DEFINE_TWIST(twist_portable, )
DEFINE_NORMALS(normals_portable, twist_portable, )

static double max_abs_portable(const double *x, size_t n) {
    double m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double v = fabs(x[i]);
        m = v > m ? v : m;
    }
    return m;
}

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define AVX2_ATTR __attribute__((target("avx2")))

// The refill eight words at a time (same words as the portable refill: reads ahead are old values, reads behind new).
AVX2_ATTR static void twist_avx2(uint32_t *restrict mt) {
    const __m256i upper = _mm256_set1_epi32((int)0x80000000u), lower = _mm256_set1_epi32(0x7fffffff);
    const __m256i one = _mm256_set1_epi32(1), matrix = _mm256_set1_epi32((int)0x9908b0dfu);
#define TWIST8(I, K)                                                                                                   \
    do {                                                                                                               \
        __m256i a = _mm256_loadu_si256((const __m256i *)(mt + (I)));                                                   \
        __m256i b = _mm256_loadu_si256((const __m256i *)(mt + (I) + 1));                                               \
        __m256i c = _mm256_loadu_si256((const __m256i *)(mt + (K)));                                                   \
        __m256i y = _mm256_or_si256(_mm256_and_si256(a, upper), _mm256_and_si256(b, lower));                           \
        __m256i odd = _mm256_cmpeq_epi32(_mm256_and_si256(y, one), one);                                               \
        __m256i r = _mm256_xor_si256(_mm256_xor_si256(c, _mm256_srli_epi32(y, 1)), _mm256_and_si256(odd, matrix));    \
        _mm256_storeu_si256((__m256i *)(mt + (I)), r);                                                                 \
    } while (0)
    int i = 0;
    for (; i + 8 + MT_M <= MT_N; i += 8) TWIST8(i, i + MT_M);  // i ≤ 219: reads mt[i+397 … i+404] < 624
    for (; i < MT_N - MT_M; i++) {
        uint32_t y = (mt[i] & 0x80000000u) | (mt[i + 1] & 0x7fffffffu);
        mt[i] = mt[i + MT_M] ^ (y >> 1) ^ ((0u - (y & 1u)) & 0x9908b0dfu);
    }
    for (; i + 8 < MT_N; i += 8) TWIST8(i, i - (MT_N - MT_M));  // reads mt[i+1 … i+8] ≤ 623 (old), mt[i−227 …] (new)
    for (; i < MT_N - 1; i++) {
        uint32_t y = (mt[i] & 0x80000000u) | (mt[i + 1] & 0x7fffffffu);
        mt[i] = mt[i - (MT_N - MT_M)] ^ (y >> 1) ^ ((0u - (y & 1u)) & 0x9908b0dfu);
    }
    uint32_t y = (mt[MT_N - 1] & 0x80000000u) | (mt[0] & 0x7fffffffu);
    mt[MT_N - 1] = mt[MT_M - 1] ^ (y >> 1) ^ ((0u - (y & 1u)) & 0x9908b0dfu);
#undef TWIST8
}

AVX2_ATTR static inline __m256i temper8(__m256i y) {
    y = _mm256_xor_si256(y, _mm256_srli_epi32(y, 11));
    y = _mm256_xor_si256(y, _mm256_and_si256(_mm256_slli_epi32(y, 7), _mm256_set1_epi32((int)0x9d2c5680u)));
    y = _mm256_xor_si256(y, _mm256_and_si256(_mm256_slli_epi32(y, 15), _mm256_set1_epi32((int)0xefc60000u)));
    return _mm256_xor_si256(y, _mm256_srli_epi32(y, 18));
}

// Left-pack permutations (32-bit lane indices) of four doubles by a 4-bit keep mask.
static int32_t pack_index[16][8];
static int pack_ready = 0;
static void make_pack_index(void) {
    for (int m = 0; m < 16; m++) {
        int n = 0;
        for (int l = 0; l < 4; l++)
            if (m & (1 << l)) {
                pack_index[m][2 * n] = 2 * l;
                pack_index[m][2 * n + 1] = 2 * l + 1;
                n++;
            }
        for (; n < 4; n++) pack_index[m][2 * n] = pack_index[m][2 * n + 1] = 0;
    }
    pack_ready = 1;
}

// One attempt's x1, x2 (and r2) from four tempered words, exactly as numpy (all steps exact but the last two).
static inline void attempt_scalar(const uint32_t *w, double *x1, double *x2, double *r2) {
    double u1 = ((double)(int32_t)(w[0] >> 5) * 67108864.0 + (double)(int32_t)(w[1] >> 6)) * 0x1p-53;
    double u2 = ((double)(int32_t)(w[2] >> 5) * 67108864.0 + (double)(int32_t)(w[3] >> 6)) * 0x1p-53;
    *x1 = 2.0 * u1 - 1.0;
    *x2 = 2.0 * u2 - 1.0;
    *r2 = *x1 * *x1 + *x2 * *x2;
}

#define VGROUPS_MAX 40 /* ⌈156 / 4⌉ groups of four attempts in one refill block */
#define PACKED_MAX (4 * VGROUPS_MAX + 8)

// The accepted pairs (f·x2, f·x1), f = sqrt(−2·fd_log(r2)/r2), of n packed attempts (n a multiple of 4,
// ≤ PACKED_MAX), four lanes at a time: the scalar fd_log's operations in its order (no FMA), so identical bits.
// Three passes over the block, one per long-latency operation (fd_log's reduction and s = f/(2+f); its polynomial
// and −2·ln/r2; the square root): short dependency chains keep the divider busy (≈ 35 % faster than one pass).
// r2 is recomputed from x1, x2 exactly as in the accept test. Returns vmax updated with the |values|.
AVX2_ATTR static __m256d finish_block(const double *x1s, const double *x2s, double *o, int n, __m256d vmax) {
    double fs[PACKED_MAX] __attribute__((aligned(32))), ss[PACKED_MAX] __attribute__((aligned(32))), ks[PACKED_MAX] __attribute__((aligned(32))), ts[PACKED_MAX] __attribute__((aligned(32)));
    for (int a = 0; a < n; a += 4) {
        __m256d x1 = _mm256_loadu_pd(x1s + a), x2 = _mm256_loadu_pd(x2s + a);
        __m256d x = _mm256_add_pd(_mm256_mul_pd(x1, x1), _mm256_mul_pd(x2, x2));
        __m256i bits = _mm256_castpd_si256(x);
        __m256i biased = _mm256_add_epi64(bits, _mm256_set1_epi64x((long long)((uint64_t)(0x3ff00000u - 0x3fe6a09eu) << 32)));
        __m256i e = _mm256_srli_epi64(biased, 52);
        __m128i e32 = _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(e, _mm256_setr_epi32(0, 2, 4, 6, 0, 2, 4, 6)));
        __m256d dk = _mm256_sub_pd(_mm256_cvtepi32_pd(e32), _mm256_set1_pd(1023.0));
        __m256i mbits = _mm256_add_epi64(_mm256_and_si256(biased, _mm256_set1_epi64x(0x000fffffffffffffll)),
                                         _mm256_set1_epi64x((long long)((uint64_t)0x3fe6a09eu << 32)));
        __m256d f = _mm256_sub_pd(_mm256_castsi256_pd(mbits), _mm256_set1_pd(1.0));
        _mm256_store_pd(fs + a, f);
        _mm256_store_pd(ks + a, dk);
        _mm256_store_pd(ss + a, _mm256_div_pd(f, _mm256_add_pd(_mm256_set1_pd(2.0), f)));
    }
    const __m256d ln2_hi = _mm256_set1_pd(6.93147180369123816490e-01), ln2_lo = _mm256_set1_pd(1.90821492927058770002e-10);
    const __m256d Lg1 = _mm256_set1_pd(6.666666666666735130e-01), Lg2 = _mm256_set1_pd(3.999999999940941908e-01),
                  Lg3 = _mm256_set1_pd(2.857142874366239149e-01), Lg4 = _mm256_set1_pd(2.222219843214978396e-01),
                  Lg5 = _mm256_set1_pd(1.818357216161805012e-01), Lg6 = _mm256_set1_pd(1.531383769920937332e-01),
                  Lg7 = _mm256_set1_pd(1.479819860511658591e-01);
    for (int a = 0; a < n; a += 4) {
        __m256d x1 = _mm256_loadu_pd(x1s + a), x2 = _mm256_loadu_pd(x2s + a);
        __m256d r2 = _mm256_add_pd(_mm256_mul_pd(x1, x1), _mm256_mul_pd(x2, x2));
        __m256d f = _mm256_load_pd(fs + a), s = _mm256_load_pd(ss + a), dk = _mm256_load_pd(ks + a);
        __m256d hfsq = _mm256_mul_pd(_mm256_mul_pd(_mm256_set1_pd(0.5), f), f);
        __m256d z = _mm256_mul_pd(s, s);
        __m256d w = _mm256_mul_pd(z, z);
        __m256d t1 = _mm256_mul_pd(w, _mm256_add_pd(Lg2, _mm256_mul_pd(w, _mm256_add_pd(Lg4, _mm256_mul_pd(w, Lg6)))));
        __m256d t2 = _mm256_mul_pd(z, _mm256_add_pd(Lg1, _mm256_mul_pd(w, _mm256_add_pd(Lg3, _mm256_mul_pd(w, _mm256_add_pd(Lg5, _mm256_mul_pd(w, Lg7)))))));
        __m256d R = _mm256_add_pd(t2, t1);
        __m256d inner = _mm256_add_pd(_mm256_mul_pd(s, _mm256_add_pd(hfsq, R)), _mm256_mul_pd(dk, ln2_lo));
        __m256d lg = _mm256_sub_pd(_mm256_mul_pd(dk, ln2_hi), _mm256_sub_pd(_mm256_sub_pd(hfsq, inner), f));
        _mm256_store_pd(ts + a, _mm256_div_pd(_mm256_mul_pd(_mm256_set1_pd(-2.0), lg), r2));
    }
    const __m256d signless = _mm256_castsi256_pd(_mm256_set1_epi64x(0x7fffffffffffffffll));
    for (int a = 0; a < n; a += 4) {
        __m256d x1 = _mm256_loadu_pd(x1s + a), x2 = _mm256_loadu_pd(x2s + a);
        __m256d f = _mm256_sqrt_pd(_mm256_load_pd(ts + a));
        __m256d p = _mm256_mul_pd(f, x2), q = _mm256_mul_pd(f, x1);
        vmax = _mm256_max_pd(vmax, _mm256_max_pd(_mm256_and_pd(p, signless), _mm256_and_pd(q, signless)));
        __m256d l = _mm256_unpacklo_pd(p, q), h = _mm256_unpackhi_pd(p, q);
        _mm256_storeu_pd(o + 2 * a, _mm256_permute2f128_pd(l, h, 0x20));
        _mm256_storeu_pd(o + 2 * a + 4, _mm256_permute2f128_pd(l, h, 0x31));
    }
    return vmax;
}
// The AVX2 driver. The state is copied into a padded local array (vector loads may read past word 623; those
// lanes are masked off). Attempts lie at a fixed phase modulo 4 (624 is a multiple of 4): inside a refill block
// they are decided sixteen words (four attempts) at a time straight from the state, tempering fused; the one
// attempt that may straddle two blocks is done on its own. Per block: (1) accept masks and x1, x2 of every
// attempt (no data-dependent addresses), (2) the cut where the last needed pair is reached, (3) left-packing of
// the accepted x1, x2 by the masks' prefix counts, (4) logarithms four pairs at a time (a remainder of < 4 pairs
// waits for the next block). Skipping (out == NULL) does (1) and (2) only.
AVX2_ATTR static double normals_avx2(uint32_t *restrict mt_io, int *pos_io, double *restrict out, size_t count) {
    if (!pack_ready) make_pack_index();
    uint32_t mt[MT_N + 16] __attribute__((aligned(32)));
    memcpy(mt, mt_io, sizeof(uint32_t) * MT_N);
    memset(mt + MT_N, 0, sizeof(uint32_t) * 16);
    double all1[4 * VGROUPS_MAX] __attribute__((aligned(32))), all2[4 * VGROUPS_MAX] __attribute__((aligned(32)));
    double x1s[PACKED_MAX], x2s[PACKED_MAX];
    unsigned char masks[VGROUPS_MAX];
    int pos = *pos_io;
    size_t pairs = count / 2, done = 0, written = 0;
    int pending = 0; /* packed pairs in x1s/x2s not yet finished */
    int twisted = 0;
    __m256d vmax = _mm256_setzero_pd();
    const __m256i gather = _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7);
    const __m256d two26 = _mm256_set1_pd(67108864.0), two53 = _mm256_set1_pd(0x1p-53);
    const __m256d two = _mm256_set1_pd(2.0), onev = _mm256_set1_pd(1.0), zero = _mm256_setzero_pd();
    while (done < pairs) {
        if (pos == MT_N) {
            twist_avx2(mt);
            twisted = 1;
            pos = 0;
        }
        int left = MT_N - pos;
        if (left < 4) {
            // The attempt straddling the refill: its first words end this block, the rest start the next.
            uint32_t w[4];
            for (int i = 0; i < left; i++) w[i] = temper(mt[pos + i]);
            twist_avx2(mt);
            twisted = 1;
            for (int i = left; i < 4; i++) w[i] = temper(mt[i - left]);
            pos = 4 - left;
            double x1, x2, r2;
            attempt_scalar(w, &x1, &x2, &r2);
            if ((r2 < 1.0) & (r2 != 0.0)) {
                x1s[pending] = x1;
                x2s[pending] = x2;
                pending += out != NULL;
                done++;
            }
            continue;
        }
        int attempts = left / 4;
        int groups = (attempts + 3) / 4;
        int total = 0;
        const uint32_t *base = mt + pos;
        for (int g = 0; g < groups; g++) {
            __m256i w0 = temper8(_mm256_loadu_si256((const __m256i *)(base + 16 * g)));
            __m256i w1 = temper8(_mm256_loadu_si256((const __m256i *)(base + 16 * g + 8)));
            __m256i v0 = _mm256_permutevar8x32_epi32(w0, gather), v1 = _mm256_permutevar8x32_epi32(w1, gather);
            __m256i lo = _mm256_unpacklo_epi64(v0, v1);  // [a1 ×4 | a2 ×4]
            __m256i hi = _mm256_unpackhi_epi64(v0, v1);  // [b1 ×4 | b2 ×4]
            __m256i as = _mm256_srli_epi32(lo, 5), bs = _mm256_srli_epi32(hi, 6);
            __m256d a1 = _mm256_cvtepi32_pd(_mm256_castsi256_si128(as));
            __m256d a2 = _mm256_cvtepi32_pd(_mm256_extracti128_si256(as, 1));
            __m256d b1 = _mm256_cvtepi32_pd(_mm256_castsi256_si128(bs));
            __m256d b2 = _mm256_cvtepi32_pd(_mm256_extracti128_si256(bs, 1));
            __m256d u1 = _mm256_mul_pd(_mm256_add_pd(_mm256_mul_pd(a1, two26), b1), two53);
            __m256d u2 = _mm256_mul_pd(_mm256_add_pd(_mm256_mul_pd(a2, two26), b2), two53);
            __m256d x1 = _mm256_sub_pd(_mm256_mul_pd(two, u1), onev);
            __m256d x2 = _mm256_sub_pd(_mm256_mul_pd(two, u2), onev);
            __m256d r2 = _mm256_add_pd(_mm256_mul_pd(x1, x1), _mm256_mul_pd(x2, x2));
            __m256d ok = _mm256_and_pd(_mm256_cmp_pd(r2, onev, _CMP_LT_OQ), _mm256_cmp_pd(r2, zero, _CMP_NEQ_OQ));
            int m = _mm256_movemask_pd(ok);
            masks[g] = (unsigned char)m;
            total += __builtin_popcount((unsigned)m);
            _mm256_store_pd(all1 + 4 * g, x1);
            _mm256_store_pd(all2 + 4 * g, x2);
        }
        int tail = attempts - 4 * (groups - 1); /* valid attempts of the last group, 1…4 */
        if (tail < 4) {
            unsigned extra = masks[groups - 1] & ~((1u << tail) - 1);
            total -= __builtin_popcount(extra);
            masks[groups - 1] &= (unsigned char)((1u << tail) - 1);
        }
        size_t need = pairs - done;
        int usedGroups = groups, usedAttempts = attempts;
        if ((size_t)total >= need) {
            // Stop right after the attempt that gives the need-th accepted pair.
            size_t seen = 0;
            int g = 0;
            while (seen + (size_t)__builtin_popcount(masks[g]) < need) seen += (size_t)__builtin_popcount(masks[g++]);
            unsigned m = masks[g], keep = 0;
            int t = 0;
            for (;; t++)
                if (m & (1u << t)) {
                    keep |= 1u << t;
                    if (++seen == need) break;
                }
            masks[g] = (unsigned char)keep;
            usedGroups = g + 1;
            usedAttempts = 4 * g + t + 1;
            total = (int)need;
        }
        if (out != NULL) {
            for (int g = 0; g < usedGroups; g++) {
                unsigned m = masks[g];
                __m256i idx = _mm256_loadu_si256((const __m256i *)pack_index[m]);
                __m256 x1 = _mm256_castpd_ps(_mm256_load_pd(all1 + 4 * g)), x2 = _mm256_castpd_ps(_mm256_load_pd(all2 + 4 * g));
                _mm256_storeu_pd(x1s + pending, _mm256_castps_pd(_mm256_permutevar8x32_ps(x1, idx)));
                _mm256_storeu_pd(x2s + pending, _mm256_castps_pd(_mm256_permutevar8x32_ps(x2, idx)));
                pending += __builtin_popcount(m);
            }
            int a = pending & ~3;
            vmax = finish_block(x1s, x2s, out + 2 * written, a, vmax);
            written += (size_t)a;
            for (int r = 0; a + r < pending; r++) {
                x1s[r] = x1s[a + r];
                x2s[r] = x2s[a + r];
            }
            pending -= a;
        }
        done += (size_t)total;
        pos += 4 * usedAttempts;
    }
    if (out != NULL) {
        for (int a = 0; a < pending; a++) {
            double x1 = x1s[a], x2 = x2s[a];
            double r2 = x1 * x1 + x2 * x2;
            double f = __builtin_elementwise_sqrt(-2.0 * fd_log(r2) / r2);
            double *o = out + 2 * (written + (size_t)a);
            o[0] = f * x2;
            o[1] = f * x1;
            vmax = _mm256_max_pd(vmax, _mm256_setr_pd(fabs(o[0]), fabs(o[1]), 0.0, 0.0));
        }
    }
    if (twisted) memcpy(mt_io, mt, sizeof(uint32_t) * MT_N);
    *pos_io = pos;
    double lanes[4];
    _mm256_storeu_pd(lanes, vmax);
    double m = lanes[0];
    for (int l = 1; l < 4; l++) m = lanes[l] > m ? lanes[l] : m;
    return m;
}
#endif

double ck_mt_normals(uint32_t *mt, int *pos, double *out, size_t count) {
#if defined(__x86_64__) || defined(__i386__)
    if (ck_cpu_has_avx2_fma()) return normals_avx2(mt, pos, out, count);
#endif
    normals_portable(mt, pos, out, count);
    return out != NULL ? max_abs_portable(out, count) : 0.0;
}

double ck_mt_normals_portable(uint32_t *mt, int *pos, double *out, size_t count) {
    normals_portable(mt, pos, out, count);
    return out != NULL ? max_abs_portable(out, count) : 0.0;
}
