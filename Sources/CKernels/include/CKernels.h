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

// --- Selective scan and CLIP-Mamba epilogues (selective_scan.c; called from Inference) ---

/// One scan's operands, channel-last (see Inference's `ScanOperands`): element (position p, channel c) of u is
/// `u[p * u_stride + c]`; positions are visited in `order[0..<length]`; B and C hold d_state values per position;
/// `z` (gate, y ← y·SiLU(z)) may be NULL; `accumulate` adds into y instead of overwriting it.
typedef struct ck_scan_operands {
    long length;
    const int *order;
    const float *u; long u_stride;
    const float *delta_raw; long delta_stride;
    const float *b; const float *c; long bc_stride;
    const float *z; long z_stride;
    float *y; long y_stride;
    int accumulate;
} ck_scan_operands;

/// Channels [c0, c1) of `count` scans run one after the other (scan i reads its parameters at channel offset
/// i·channels of `a2` (A·log₂e, state-major with row stride a_stride), `d` and `bias`). The state lives on the
/// stack; nothing is allocated. path: 0 = best available, 1 = portable.
void ck_selective_scan(const ck_scan_operands *scans, long count, long channels, long c0, long c1,
                       const float *a2, long a_stride, const float *d, const float *bias, long d_state, int path);

/// In place on rows of `[rows, width]` with row stride `stride`: op 0 = SiLU, 1 = GELU (erf), 2 = softplus.
void ck_map_rows(int op, float *x, long rows, long width, long stride, int path);

/// y ← y · SiLU(z) on `[rows, width]` rows.
void ck_gate_rows(float *y, long y_stride, const float *z, long z_stride, long rows, long width, int path);

/// Depthwise 3×3 convolution, stride 1, zero padding 1, output rows [row0, row1) (channels_last.c): x is
/// `[height, width, ·]` with `x_stride` floats per position, weight9 `[9, channels]` tap-major, bias `[channels]` or
/// NULL, out `[height, width, channels]`.
void ck_depthwise3x3(const float *x, long x_stride, long height, long width, long channels, const float *weight9,
                     const float *bias, float *out, long row0, long row1, int path);

/// LayerNorm over each row of `[rows, width]` (biased variance, float sums); out may equal x.
void ck_layer_norm_rows(const float *x, long rows, long width, const float *gamma, const float *beta, float eps,
                        float *out, int path);

#ifdef __cplusplus
}
#endif

#endif
