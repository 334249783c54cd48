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

#if defined(__x86_64__) || defined(__i386__)
#define AVX2_ATTR __attribute__((target("avx2")))
DEFINE_TWIST(twist_avx2, AVX2_ATTR)
DEFINE_NORMALS(normals_avx2, twist_avx2, AVX2_ATTR)
#endif

void ck_mt_normals(uint32_t *mt, int *pos, double *out, size_t count) {
#if defined(__x86_64__) || defined(__i386__)
    if (ck_cpu_has_avx2_fma()) {
        normals_avx2(mt, pos, out, count);
        return;
    }
#endif
    normals_portable(mt, pos, out, count);
}

void ck_mt_normals_portable(uint32_t *mt, int *pos, double *out, size_t count) {
    normals_portable(mt, pos, out, count);
}
