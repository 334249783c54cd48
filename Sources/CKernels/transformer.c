// Elementwise kernels of the CLIP transformer blocks (Sources/Models/CLIPTransformer.swift and the towers
// through Sources/Inference/Normalization.swift): LayerNorm over rows, bias + QuickGELU/GELU, bias add, row
// softmax. Each has a portable version (the reference, same formulas as the former Swift loops) and an
// AVX2+FMA version (vector exp/erf within a few float ulps); `ck_*` picks one with ck_cpu_has_avx2_fma().
#include "CKernels.h"
#include <math.h>

// ---------------------------------------------------------------------------------------------- portable

void ck_tf_layer_norm_rows_portable(const float *x, size_t rows, size_t width, const float *gamma,
                                 const float *beta, float eps, float *out) {
    for (size_t r = 0; r < rows; r++) {
        const float *src = x + r * width;
        float *dst = out + r * width;
        double sum = 0;
        for (size_t i = 0; i < width; i++) sum += (double)src[i];
        double meanD = sum / (double)width;
        double sq = 0;
        for (size_t i = 0; i < width; i++) { double d = (double)src[i] - meanD; sq += d * d; }
        float mean = (float)meanD;
        float inv = (float)(1.0 / sqrt(sq / (double)width + (double)eps));
        for (size_t i = 0; i < width; i++) dst[i] = (src[i] - mean) * inv * gamma[i] + beta[i];
    }
}

static inline float act_portable(float v, int activation) {
    switch (activation) {
    case CK_ACT_QUICK_GELU: return v / (1.0f + expf(-1.702f * v));
    case CK_ACT_GELU: return 0.5f * v * (1.0f + erff(v * 0.70710678118654752f));
    default: return v;
    }
}

void ck_tf_bias_activation_portable(float *x, size_t rows, size_t width, const float *bias, int activation) {
    for (size_t r = 0; r < rows; r++) {
        float *p = x + r * width;
        for (size_t i = 0; i < width; i++) {
            float v = bias ? p[i] + bias[i] : p[i];
            p[i] = act_portable(v, activation);
        }
    }
}

void ck_tf_softmax_rows_portable(float *x, size_t rows, size_t width) {
    for (size_t r = 0; r < rows; r++) {
        float *p = x + r * width;
        float m = -INFINITY;
        for (size_t i = 0; i < width; i++) if (p[i] > m) m = p[i];
        float sum = 0;
        for (size_t i = 0; i < width; i++) { float e = expf(p[i] - m); p[i] = e; sum += e; }
        float inv = 1.0f / sum;
        for (size_t i = 0; i < width; i++) p[i] *= inv;
    }
}

// ---------------------------------------------------------------------------------------------- AVX2 + FMA

#if defined(__x86_64__)
#include <immintrin.h>
#define AVX2 __attribute__((target("avx2,fma")))

// e^x for x in [-87.3, 88.3] (Cephes expf: Cody–Waite reduction, degree-5 polynomial), ≲ 2 ulp; x below
// -87.3 (including -inf) gives 0, above 88.3 saturates.
static inline AVX2 __m256 exp256(__m256 x) {
    const __m256 lo = _mm256_set1_ps(-87.3f);
    __m256 under = _mm256_cmp_ps(x, lo, _CMP_GE_OQ);
    x = _mm256_min_ps(_mm256_max_ps(x, lo), _mm256_set1_ps(88.3f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    // 2^n in two halves so that n = 128 does not overflow the exponent field
    __m256i ni = _mm256_cvtps_epi32(n);
    __m256i h = _mm256_srai_epi32(ni, 1);
    __m256 s1 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(h, _mm256_set1_epi32(127)), 23));
    __m256 s2 = _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_sub_epi32(ni, h), _mm256_set1_epi32(127)), 23));
    return _mm256_and_ps(_mm256_mul_ps(_mm256_mul_ps(p, s1), s2), under);
}

// erf(x) by Abramowitz & Stegun 7.1.26 (|error| ≤ 1.5e-7 in exact arithmetic), odd-symmetric.
static inline AVX2 __m256 erf256(__m256 x) {
    const __m256 sign = _mm256_set1_ps(-0.0f);
    __m256 s = _mm256_and_ps(x, sign);
    __m256 a = _mm256_andnot_ps(sign, x);
    __m256 t = _mm256_div_ps(_mm256_set1_ps(1.0f), _mm256_fmadd_ps(_mm256_set1_ps(0.3275911f), a, _mm256_set1_ps(1.0f)));
    __m256 p = _mm256_set1_ps(1.061405429f);
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-1.453152027f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(1.421413741f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(-0.284496736f));
    p = _mm256_fmadd_ps(p, t, _mm256_set1_ps(0.254829592f));
    p = _mm256_mul_ps(p, t);
    __m256 e = exp256(_mm256_xor_ps(_mm256_mul_ps(a, a), sign));
    __m256 y = _mm256_fnmadd_ps(p, e, _mm256_set1_ps(1.0f));
    return _mm256_or_ps(y, s);
}

static inline AVX2 __m256 act256(__m256 v, int activation) {
    if (activation == CK_ACT_QUICK_GELU) {
        __m256 e = exp256(_mm256_mul_ps(v, _mm256_set1_ps(-1.702f)));
        return _mm256_div_ps(v, _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    }
    if (activation == CK_ACT_GELU) {
        __m256 e = erf256(_mm256_mul_ps(v, _mm256_set1_ps(0.70710678118654752f)));
        return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), v), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
    }
    return v;
}

static inline AVX2 float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline AVX2 double hsum256d(__m256d v) {
    __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

static inline AVX2 float hmax256(__m256 v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// The mask that keeps the first `n` (< 8) lanes.
static inline AVX2 __m256i tail_mask(size_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

AVX2 void ck_tf_layer_norm_rows_avx2(const float *x, size_t rows, size_t width, const float *gamma,
                                  const float *beta, float eps, float *out) {
    for (size_t r = 0; r < rows; r++) {
        const float *src = x + r * width;
        float *dst = out + r * width;
        // mean and variance accumulated in double (as the portable version), two passes
        __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
        size_t i = 0;
        for (; i + 8 <= width; i += 8) {
            __m256 v = _mm256_loadu_ps(src + i);
            s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
            s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
        }
        double sum = hsum256d(_mm256_add_pd(s0, s1));
        for (; i < width; i++) sum += (double)src[i];
        double meanD = sum / (double)width;
        __m256d m4 = _mm256_set1_pd(meanD);
        __m256d q0 = _mm256_setzero_pd(), q1 = _mm256_setzero_pd();
        for (i = 0; i + 8 <= width; i += 8) {
            __m256 v = _mm256_loadu_ps(src + i);
            __m256d d0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), m4);
            __m256d d1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), m4);
            q0 = _mm256_fmadd_pd(d0, d0, q0);
            q1 = _mm256_fmadd_pd(d1, d1, q1);
        }
        double sq = hsum256d(_mm256_add_pd(q0, q1));
        for (; i < width; i++) { double d = (double)src[i] - meanD; sq += d * d; }
        float mean = (float)meanD;
        float inv = (float)(1.0 / sqrt(sq / (double)width + (double)eps));
        __m256 mv = _mm256_set1_ps(mean), iv = _mm256_set1_ps(inv);
        for (i = 0; i + 8 <= width; i += 8) {
            __m256 t = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(src + i), mv), iv);
            _mm256_storeu_ps(dst + i, _mm256_fmadd_ps(t, _mm256_loadu_ps(gamma + i), _mm256_loadu_ps(beta + i)));
        }
        for (; i < width; i++) dst[i] = (src[i] - mean) * inv * gamma[i] + beta[i];
    }
}

AVX2 void ck_tf_bias_activation_avx2(float *x, size_t rows, size_t width, const float *bias, int activation) {
    for (size_t r = 0; r < rows; r++) {
        float *p = x + r * width;
        size_t i = 0;
        for (; i + 8 <= width; i += 8) {
            __m256 v = _mm256_loadu_ps(p + i);
            if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + i));
            _mm256_storeu_ps(p + i, act256(v, activation));
        }
        if (i < width) {
            __m256i m = tail_mask(width - i);
            __m256 v = _mm256_maskload_ps(p + i, m);
            if (bias) v = _mm256_add_ps(v, _mm256_maskload_ps(bias + i, m));
            _mm256_maskstore_ps(p + i, m, act256(v, activation));
        }
    }
}

AVX2 void ck_tf_softmax_rows_avx2(float *x, size_t rows, size_t width) {
    for (size_t r = 0; r < rows; r++) {
        float *p = x + r * width;
        size_t full = width & ~(size_t)7, rest = width - full;
        __m256i tm = tail_mask(rest);
        const __m256 ninf = _mm256_set1_ps(-INFINITY);
        __m256 mv = ninf;
        for (size_t i = 0; i < full; i += 8) mv = _mm256_max_ps(mv, _mm256_loadu_ps(p + i));
        if (rest) mv = _mm256_max_ps(mv, _mm256_blendv_ps(ninf, _mm256_maskload_ps(p + full, tm), _mm256_castsi256_ps(tm)));
        __m256 m = _mm256_set1_ps(hmax256(mv));
        __m256 sv = _mm256_setzero_ps();
        for (size_t i = 0; i < full; i += 8) {
            __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(p + i), m));
            _mm256_storeu_ps(p + i, e);
            sv = _mm256_add_ps(sv, e);
        }
        if (rest) {
            __m256 e = _mm256_and_ps(exp256(_mm256_sub_ps(_mm256_maskload_ps(p + full, tm), m)), _mm256_castsi256_ps(tm));
            _mm256_maskstore_ps(p + full, tm, e);
            sv = _mm256_add_ps(sv, e);
        }
        __m256 inv = _mm256_set1_ps(1.0f / hsum256(sv));
        for (size_t i = 0; i < full; i += 8) _mm256_storeu_ps(p + i, _mm256_mul_ps(_mm256_loadu_ps(p + i), inv));
        if (rest) _mm256_maskstore_ps(p + full, tm, _mm256_mul_ps(_mm256_maskload_ps(p + full, tm), inv));
    }
}
#else
// Not x86-64: the *_avx2 entry points exist (tests reference them) and run the portable code.
void ck_tf_layer_norm_rows_avx2(const float *x, size_t rows, size_t width, const float *gamma, const float *beta,
                             float eps, float *out) { ck_tf_layer_norm_rows_portable(x, rows, width, gamma, beta, eps, out); }
void ck_tf_bias_activation_avx2(float *x, size_t rows, size_t width, const float *bias, int activation) {
    ck_tf_bias_activation_portable(x, rows, width, bias, activation);
}
void ck_tf_softmax_rows_avx2(float *x, size_t rows, size_t width) { ck_tf_softmax_rows_portable(x, rows, width); }
#endif

// ---------------------------------------------------------------------------------------------- dispatch

void ck_tf_layer_norm_rows(const float *x, size_t rows, size_t width, const float *gamma, const float *beta,
                        float eps, float *out) {
#if defined(__x86_64__)
    if (ck_cpu_has_avx2_fma()) { ck_tf_layer_norm_rows_avx2(x, rows, width, gamma, beta, eps, out); return; }
#endif
    ck_tf_layer_norm_rows_portable(x, rows, width, gamma, beta, eps, out);
}

void ck_tf_bias_activation(float *x, size_t rows, size_t width, const float *bias, int activation) {
#if defined(__x86_64__)
    if (ck_cpu_has_avx2_fma()) { ck_tf_bias_activation_avx2(x, rows, width, bias, activation); return; }
#endif
    ck_tf_bias_activation_portable(x, rows, width, bias, activation);
}

void ck_tf_softmax_rows(float *x, size_t rows, size_t width) {
#if defined(__x86_64__)
    if (ck_cpu_has_avx2_fma()) { ck_tf_softmax_rows_avx2(x, rows, width); return; }
#endif
    ck_tf_softmax_rows_portable(x, rows, width);
}
