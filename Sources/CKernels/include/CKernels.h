// Hot numeric kernels in C, compiled twice where it pays: a portable version and an AVX2+FMA version chosen
// at run time (`ck_cpu_has_avx2_fma`), so the binary still runs on any x86-64 (or non-x86) machine.
// Swift callers see plain C functions; each kernel's file says which Swift code calls it.
#ifndef CKERNELS_H
#define CKERNELS_H

#include <stddef.h>
#include <stdint.h>

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
/// δ_raw comes from `delta_raw` (`[p * delta_stride + c]`), or, when `dt_weight` is not NULL, from the fused dt
/// projection δ_raw[p, c] = Σ_{r < dt_rank} dt_low[p * dt_low_stride + r] · dt_weight[r * dt_weight_stride + c]
/// (then `delta_raw` may be NULL).
typedef struct ck_scan_operands {
    long length;
    const int *order;
    const float *u; long u_stride;
    const float *delta_raw; long delta_stride;
    const float *b; const float *c; long bc_stride;
    const float *z; long z_stride;
    float *y; long y_stride;
    int accumulate;
    const float *dt_low; long dt_low_stride; long dt_rank;
    const float *dt_weight; long dt_weight_stride;
} ck_scan_operands;

/// Channels [c0, c1) of `count` scans run one after the other (scan i reads its parameters at channel offset
/// i·channels of `a2` (A·log₂e, state-major with row stride a_stride), `d` and `bias`). The state lives on the
/// stack; nothing is allocated. path: 0 = best available, 1 = portable.
void ck_selective_scan(const ck_scan_operands *scans, long count, long channels, long c0, long c1,
                       const float *a2, long a_stride, const float *d, const float *bias, long d_state, int path);

/// In place on rows of `[rows, width]` with row stride `stride`: op 0 = SiLU, 1 = GELU (erf), 2 = softplus.
void ck_map_rows(int op, float *x, long rows, long width, long stride, int path);

/// Activation codes of ck_bias_act_rows, ck_depthwise3x3_act, ck_causal_conv1d_act.
enum { CK_MAMBA_ACT_NONE = 0, CK_MAMBA_ACT_SILU = 1, CK_MAMBA_ACT_GELU = 2, CK_MAMBA_ACT_RELU = 3 };

/// x ← act(x + bias) on rows of `[rows, width]` with row stride `stride`; `bias` `[width]` may be NULL.
void ck_bias_act_rows(float *x, long rows, long width, long stride, const float *bias, int act, int path);

/// y ← y · SiLU(z) on `[rows, width]` rows.
void ck_gate_rows(float *y, long y_stride, const float *z, long z_stride, long rows, long width, int path);

/// Depthwise 3×3 convolution, stride 1, zero padding 1, output rows [row0, row1) (channels_last.c): x is
/// `[height, width, ·]` with `x_stride` floats per position, weight9 `[9, channels]` tap-major, bias `[channels]` or
/// NULL, out `[height, width, channels]`.
void ck_depthwise3x3(const float *x, long x_stride, long height, long width, long channels, const float *weight9,
                     const float *bias, float *out, long row0, long row1, int path);
/// ck_depthwise3x3 followed by an activation (CK_MAMBA_ACT_*) in the same pass.
void ck_depthwise3x3_act(const float *x, long x_stride, long height, long width, long channels, const float *weight9,
                         const float *bias, int act, float *out, long row0, long row1, int path);
/// Mamba's causal depthwise 1-d convolution then an activation, output rows [t0, t1): out[t, c] =
/// act(bias[c] + Σ_k w[k, c] · x[t − taps + 1 + k, c]) with x rows `x_stride` apart (zero before t = 0),
/// `weight_t` `[taps, channels]`, out `[length, channels]`.
void ck_causal_conv1d_act(const float *x, long x_stride, long length, long channels, long taps, const float *weight_t,
                          const float *bias, int act, float *out, long t0, long t1, int path);

/// LayerNorm over each row of `[rows, width]` (biased variance, float sums); out may equal x.
void ck_layer_norm_rows(const float *x, long rows, long width, const float *gamma, const float *beta, float eps,
                        float *out, int path);
/// LayerNorm of each row then, when z is not NULL, the gate out ← out · SiLU(z) (VMamba v2's out_norm + z), one
/// pass; `z` rows are `z_stride` apart; out may equal x.
void ck_layer_norm_gate_rows(const float *x, long rows, long width, const float *gamma, const float *beta, float eps,
                             const float *z, long z_stride, float *out, int path);

/// Thread-local serial mode (thread_mode.c): while a thread's depth is above 0, Inference's parallel helpers run
/// their work inline on that thread (the CLIP-Mamba towers run one image per core this way).
void ck_serial_enter(void);
void ck_serial_leave(void);
int ck_serial_active(void);
// MARK: eidolon-speed (mt_normals.c, eidolon_blur.c)
#include <stdint.h>

/// numpy legacy `standard_normal` values in bulk from an MT19937 state (`mt`: 624 words, `*pos`: read position
/// 0…624, updated). `count` must be even and no cached Gaussian may be pending (the caller handles those cases).
/// The stream is consumed bit-identically to numpy; values may differ from numpy's in the last bit (own log).
/// `out == NULL` advances the state as the draw would, without computing the values. Returns max |value| (0 without
/// `out`).
double ck_mt_normals(uint32_t *mt, int *pos, double *out, size_t count);
/// The portable path of `ck_mt_normals` (for tests: must give identical results).
double ck_mt_normals_portable(uint32_t *mt, int *pos, double *out, size_t count);

/// Row stride (complex values) of the eidolon blur's row-major spectra, twiddles and kernel spectra.
#define CK_EIDOLON_ROW_STRIDE 520
/// Eidolon four-step blur loops (eidolon_blur.c; layouts there): noise plane → clamp(127.5·z/maxAbs, ±127)
/// transposed; 8-bit plane → doubles transposed; twiddle + transpose forward (rows q < `rows`) and backward
/// (columns j0 ≤ j < j1, rows ≥ `rows` zeroed); spectrum product returning its weighted Parseval sum.
void ck_eidolon_scale_transpose(const double *z, double *out, double maxAbs);
void ck_eidolon_bytes_transpose(const unsigned char *plane, double *out);
void ck_eidolon_twiddle_forward(const double *yT, const double *w, double *y, int rows);
void ck_eidolon_twiddle_backward(const double *p, const double *w, double *vT, int rows, int j0, int j1);
double ck_eidolon_product(const double *y, const double *k, double *out, int rows);
/// Spectral field work (row layout): out = factor·(y·k) returning the unscaled product's Parseval sum; out = a·x + b·y
/// over max(rx, ry) rows (missing rows are 0; out may be x); dst += src over `rows` rows.
double ck_eidolon_product_scaled(const double *y, const double *k, double *out, int rows, double factor);
void ck_eidolon_blend_rows(double *out, double a, const double *x, int rx, double b, const double *y, int ry);
void ck_eidolon_add_rows(double *dst, const double *src, int rows);
/// Eidolon synthesis on the centre 256 × 256 (transposed fields and sum, transposed 512 × 512 level): sum +=
/// level at (trunc(clamp(fy·reach + j)), trunc(clamp(fx·reach + i))); the portable path for tests.
void ck_eidolon_warp_accumulate(const double *level, const double *fx, const double *fy, double reach, double *sum);
void ck_eidolon_warp_accumulate_portable(const double *level, const double *fx, const double *fy, double reach,
                                         double *sum);
/// The portable paths of the three loops above (tests: the dispatching ones must give the same bits).
void ck_eidolon_scale_transpose_portable(const double *z, double *out, double maxAbs);
void ck_eidolon_twiddle_forward_portable(const double *yT, const double *w, double *y, int rows);
void ck_eidolon_twiddle_backward_portable(const double *p, const double *w, double *vT, int rows, int j0, int j1);
// ---- transformer.c: CLIP transformer elementwise kernels (callers: Inference/Normalization.swift,
// Models/CLIPTransformer.swift). `ck_x` dispatches; `ck_x_portable` / `ck_x_avx2` are the two paths (the
// `_avx2` ones only when ck_cpu_has_avx2_fma() is 1), exposed for tests.
#define CK_ACT_NONE 0
#define CK_ACT_QUICK_GELU 1
#define CK_ACT_GELU 2
/// LayerNorm over each of `rows` rows of `width` floats (mean/variance in double, biased variance);
/// `out` may equal `x`.
void ck_tf_layer_norm_rows(const float *x, size_t rows, size_t width, const float *gamma, const float *beta,
                        float eps, float *out);
void ck_tf_layer_norm_rows_portable(const float *x, size_t rows, size_t width, const float *gamma,
                                 const float *beta, float eps, float *out);
void ck_tf_layer_norm_rows_avx2(const float *x, size_t rows, size_t width, const float *gamma, const float *beta,
                             float eps, float *out);
/// In place: `x[r, i] = act(x[r, i] + bias[i])` (`bias` may be NULL; activation a CK_ACT_* value).
void ck_tf_bias_activation(float *x, size_t rows, size_t width, const float *bias, int activation);
void ck_tf_bias_activation_portable(float *x, size_t rows, size_t width, const float *bias, int activation);
void ck_tf_bias_activation_avx2(float *x, size_t rows, size_t width, const float *bias, int activation);
/// Softmax over each row in place (max-subtracted; -inf entries get 0).
void ck_tf_softmax_rows(float *x, size_t rows, size_t width);
void ck_tf_softmax_rows_portable(float *x, size_t rows, size_t width);
void ck_tf_softmax_rows_avx2(float *x, size_t rows, size_t width);

// --- Distortions (distortions.c): bit-exact float64 kernels, no FMA; `*_portable` are the non-AVX2 paths.

/// Doubles of scratch `ck_gauss_filter` needs for a height × width plane and kernel radius r.
size_t ck_gauss_scratch_count(int height, int width, int radius);
/// scipy `gaussian_filter(y, σ, mode='constant', cval)` of a row-major height × width plane with the symmetric
/// kernel half[0…radius] (axis 0 first, then axis 1; scipy's order of operations per output sample).
void ck_gauss_filter(const double *y, int height, int width, const double *half, int radius, double cval,
                     double *scratch, double *out);
void ck_gauss_filter_portable(const double *y, int height, int width, const double *half, int radius, double cval,
                              double *scratch, double *out);
/// numpy `random_sample` × count from the MT19937 state (624 words) at `position` (624 = refill first);
/// returns the new position.
int ck_mt19937_fill_random(uint32_t *state, int position, double *out, size_t count);
int ck_mt19937_fill_random_portable(uint32_t *state, int position, double *out, size_t count);
/// out[i] = (lut[R] + lut[256 + G]) + lut[512 + B] for n interleaved RGB pixels.
void ck_grey_lut(const uint8_t *rgb, size_t n, const double *lut, double *out);
/// Uniform noise: u from the MT19937 state (as `ck_mt19937_fill_random`, a refill at a time), then
/// out[i] = clip((a + Y·c) + (low + range·u[i])) with Y from the grey table; returns the new position. With AVX2
/// and the canonical grey table: Y of every pixel first, then the noise straight from the state words.
int ck_uniform_noise(uint32_t *state, int position, const uint8_t *rgb, size_t n, const double *lut, double a,
                     double c, double low, double range, double *out);
int ck_uniform_noise_portable(uint32_t *state, int position, const uint8_t *rgb, size_t n, const double *lut,
                              double a, double c, double low, double range, double *out);
/// numpy rot90 of a height × width plane by 90, 180 or 270 degrees (counter-clockwise) into out.
void ck_rotate(const double *y, int height, int width, int degrees, double *out);
// MARK: pixelfast: exact vector grey, fused grey + rotation, 8-bit quantisation (distortions.c)
/// The table path of `ck_grey_lut` (the AVX2 path computes the canonical Rec. 709 table's values by formula).
void ck_grey_lut_portable(const uint8_t *rgb, size_t n, const double *lut, double *out);
/// 1 when `lut` is the canonical Rec. 709 table (0.2125, 0.7154, 0.0721 times k / 255.0) that the AVX2 formula of
/// `ck_grey_lut` reproduces, else 0 (then the table path runs).
int ck_grey_formula_matches(const double *lut);
/// numpy rot90 of the greyscale image (`ck_grey_lut`) of a height × width RGB image, 90, 180 or 270 degrees; scratch
/// holds height · width doubles (used by the non-fused paths).
void ck_grey_rotate(const uint8_t *rgb, int height, int width, const double *lut, int degrees, double *scratch,
                    double *out);
void ck_grey_rotate_portable(const uint8_t *rgb, int height, int width, const double *lut, int degrees,
                             double *scratch, double *out);
/// 8-bit samples of n values as QuantisationRule.quantise: round half up when round_half_up ≠ 0, else truncation;
/// with expand ≠ 0 every value is written three times (3n bytes).
void ck_quantise_u8(const double *values, size_t n, int round_half_up, int expand, uint8_t *out);
void ck_quantise_u8_portable(const double *values, size_t n, int round_half_up, int expand, uint8_t *out);

/// Buckets of false-colour's nearest-index table (`ck_false_colour_index`); the table holds 2 · this + 1 doubles.
#define CK_FC_INDEX_COUNT 4609
/// The nearest-index table of false-colour for the gamma table g (256 strictly increasing entries): per bucket of
/// values, the one decision threshold inside it and the index below it. Returns 1 when every bucket holds at most
/// one threshold (the fast path then never falls back to the search), 0 otherwise (still correct, slower).
int ck_false_colour_index(const double *g, double *index);
/// `false_colour` (specs §3.7) of n interleaved RGB pixels into 3n doubles; `constants` = M (9), white point (3),
/// N (9), N⁻¹ (9), M⁻¹ (9), row-major.
void ck_false_colour(const uint8_t *rgb, size_t n, const double *g, const double *index, const double *constants,
                     double *out);
void ck_false_colour_portable(const uint8_t *rgb, size_t n, const double *g, const double *index,
                              const double *constants, double *out);

/// sin and cos of count values as Sources/Distortions/FastSinCos.swift computes them (same bits).
void ck_sincos(const double *x, size_t count, double *sines, double *cosines);
/// Phase scrambling's factors (specs §3.5): values u[0…m) become the shifts s = ((((u − 0.5)·2)·width)/180)·π;
/// then factors[2j], factors[2j+1] = (e^{i s[j]} + e^{i s[m−1−j]})·half_scale (re, im). sines, cosines: m each,
/// scratch (the AVX2 path does not use them).
void ck_phase_factors(double *values, size_t m, double width, double half_scale, double *sines, double *cosines,
                      double *factors);
void ck_phase_factors_portable(double *values, size_t m, double width, double half_scale, double *sines,
                               double *cosines, double *factors);
/// Multiplies FFTW's half spectrum (h rows of w/2 + 1 complex values) by the phase factors; `scale` elsewhere.
void ck_phase_apply(double *z, int h, int w, const double *factors, double scale);
void ck_phase_apply_portable(double *z, int h, int w, const double *factors, double scale);
/// z[k] = t[k]·z[k]/|z[k]| for count complex values (interleaved), e^{i·atan2} where |z[k]| = 0.
void ck_power_equalise(double *z, size_t count, const double *t);
void ck_power_equalise_portable(double *z, size_t count, const double *t);
/// out[i] = in[i] clipped to [0, 1] (NaN and −0 kept, as `v > 1 ? 1 : (v < 0 ? 0 : v)`); out may be in.
void ck_clip_copy(const double *in, size_t n, double *out);
void ck_clip_copy_portable(const double *in, size_t n, double *out);

// MARK: distfast: spectral Gaussian filter (lowpass_spectral.c; called by Distortions/SpectralGaussian.swift)
/// Pass 1 of the spectral Gaussian: column line l (n complex values apart) = (Y[y][x] − cval, Y[y][x + 1] − cval)
/// at y < height for x = 2(first_pair + l), the second 0 past the width; Y = grey of the RGB image by the luma LUT
/// (as ck_grey_lut), or the plane's values. Only the first `height` values of each line are written.
void ck_lps_zip_grey_columns(const uint8_t *rgb, int height, int width, const double *lut, double cval,
                             int first_pair, int count, int n, double *lines);
void ck_lps_zip_plane_columns(const double *plane, int height, int width, double cval, int first_pair, int count,
                              int n, double *lines);
/// Multiplies `count` complex lines of n values each (interleaved, contiguous) by the real kernel's spectrum given
/// as 2n values (each value twice: for the real and the imaginary part).
void ck_lps_scale_lines(double *lines, int count, int n, const double *kernel);
/// Pass 1 to pass 2: the `count` filtered column lines (n_columns complex values apart) of column pairs first_pair …
/// into the row lines (n_rows apart): row line p = (row 2p, row 2p + 1 or 0 past the height) at x < width.
void ck_lps_scatter_rows(const double *columns, int height, int width, int first_pair, int count, int n_columns,
                         int n_rows, double *rows);
/// Pass 2's end: row lines l < pairs of row pairs first_pair … into a height × width plane (rows width apart),
/// adding cval and clipping to [0, 1] when clip ≠ 0.
void ck_lps_unzip(const double *lines, int height, int width, int first_pair, int pairs, int n, double cval,
                  int clip, double *out);

#ifdef __cplusplus
}
#endif

#endif
