// Hot numeric kernels in C, compiled twice where it pays: a portable version and an AVX2+FMA version chosen
// at run time (`ck_cpu_has_avx2_fma`), so the binary still runs on any x86-64 (or non-x86) machine.
// Swift callers see plain C functions; each kernel's file says which Swift code calls it.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// 1 when the CPU (and OS) support AVX2 and FMA, so the `*_avx2` paths may run; 0 otherwise.
/// `OODBENCH_NO_AVX2=1` in the environment forces 0 (to test the portable paths).
int ck_cpu_has_avx2_fma(void);

// MARK: EfficientNet-Lite0 (efficientnet.c; called by Models/EfficientNetLite0.swift)
// One image, channels-last (`[positions][channels]`, channels fastest). `use_avx2` = 1 takes the AVX2+FMA path
// where the CPU has it (else the portable one), 0 the portable path. Output buffers never alias inputs, except
// `out == residual` in ck_en_pointwise (element-wise in place).

/// Packs a 1×1 convolution weight `w [cout][cin]` (cout a multiple of 8) into `packed` (cin·cout floats).
void ck_en_pack_pointwise(const float *w, int cin, int cout, float *packed);
/// `out[p][co] = act(bias[co] + Σ_ci in[p][ci]·w[co][ci] (+ residual[p][co]))`, act = ReLU6 when `relu6`;
/// `in [positions][cin]`, `packed` from ck_en_pack_pointwise, `residual` may be NULL or equal `out`.
void ck_en_pointwise(const float *in, int positions, int cin, const float *packed, const float *bias, int cout,
                     const float *residual, int relu6, float *out, int use_avx2);
/// Depthwise k×k convolution, zero padding `pad_top`/`pad_left` before (the rest after), bias, ReLU6:
/// `in [h][w][c]`, `wt [k][k][c]`, `bias [c]` → `out [oh][ow][c]`; c a multiple of 8.
void ck_en_depthwise(const float *in, int h, int w, int c, int k, int stride, int pad_top, int pad_left, int oh,
                     int ow, const float *wt, const float *bias, float *out, int use_avx2);
/// One MBConv block fused in bands of output rows: expand (1×1, bias, ReLU6; skipped when `expand_packed` is
/// NULL, then e = cin) → depthwise (as ck_en_depthwise) → project (1×1, bias, + x when `residual`):
/// `x [h][w][cin]` → `out [oh][ow][cout]`; `out` may equal `x` when `residual`. `band` and `dband` are
/// scratch of `band_floats` floats each (≥ k·w·e and ≥ ow·e).
void ck_en_mbconv(const float *x, int h, int w, int cin, const float *expand_packed, const float *expand_bias,
                  int e, const float *dw_wt, const float *dw_bias, int k, int stride, int pad_top, int pad_left,
                  int oh, int ow, const float *project_packed, const float *project_bias, int cout, int residual,
                  float *band, float *dband, int band_floats, float *out, int use_avx2);
/// Dense k×k convolution with zero padding, bias, ReLU6: `in [h][w][cin]`, `wt [k][k][cin][cout]` (cout a
/// multiple of 32), `bias [cout]` → `out [oh][ow][cout]`.
void ck_en_conv(const float *in, int h, int w, int cin, int k, int stride, int pad_top, int pad_left, int oh,
                int ow, const float *wt, const float *bias, int cout, float *out, int use_avx2);
/// `out[j] = mean over p of in[p][j]` for `in [positions][c]`.
void ck_en_mean_positions(const float *in, int positions, int c, float *out);

#ifdef __cplusplus
}
#endif

#endif
