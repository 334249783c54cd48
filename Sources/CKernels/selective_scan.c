// The selective scan (S6) of specs/clip-mamba.md §6.1 and the elementwise epilogues of the CLIP-Mamba towers
// (softplus, SiLU, GELU, gate), called from Sources/Inference/SelectiveScan.swift and ChannelsLastKernels.swift.
//
// Every kernel is written once on 8-lane clang vectors (`v8f`) with `always_inline` helpers, and instantiated
// twice: a portable function (SSE2 pairs on x86-64, whatever the target has elsewhere) and an
// `__attribute__((target("avx2,fma")))` one (AVX2 registers, FMA contraction of a·b + c). The two therefore
// compute the same formulas; they differ only by FMA rounding (≲ 1 ulp per operation).
//
// The vector math is in mamba_vec.h. The scan uses its lean forms: exp(Δ·A) = 2^(Δ·A·log₂e) by the magic-number
// rounding and a Horner polynomial, softplus by exp2 and a degree-8 fit of ln(1 + e)/e (both ≲ 2e-7 relative).
// They keep the tiny-tower fixtures within 1e-5.
#include "CKernels.h"
#include "mamba_vec.h"
#include <math.h>

// MARK: - Selective scan

/// Steps ahead whose operand rows are prefetched: the cross-scan's column-major directions jump a whole image
/// row (W·channels floats) per step, which the hardware prefetchers do not follow.
#define PF_AHEAD 4

CK_INLINE void prefetch_read(const float *p, long floats) {
    const char *a = (const char *)((uintptr_t)p & ~(uintptr_t)63), *e = (const char *)(p + floats);
    for (; a < e; a += 64) __builtin_prefetch(a, 0, 3);
}
CK_INLINE void prefetch_write(const float *p, long floats) {
    const char *a = (const char *)((uintptr_t)p & ~(uintptr_t)63), *e = (const char *)(p + floats);
    for (; a < e; a += 64) __builtin_prefetch(a, 1, 3);
}

/// Steps per chunk of the two-phase scan.
#define CHUNK 16

/// Prefetches the rows step `t` will read and write (channels [c0, c0 + width) of u, y, z, δ; B, C, δ_low).
CK_INLINE void prefetch_step(const ck_scan_operands *s, long t, long c0, long width, long n) {
    const long q = s->order[t];
    prefetch_read(s->u + q * s->u_stride + c0, width);
    prefetch_write(s->y + q * s->y_stride + c0, width);
    if (s->z) prefetch_read(s->z + q * s->z_stride + c0, width);
    if (s->dt_weight) prefetch_read(s->dt_low + q * s->dt_low_stride, s->dt_rank);
    else prefetch_read(s->delta_raw + q * s->delta_stride + c0, width);
    prefetch_read(s->b + q * s->bc_stride, n);
    prefetch_read(s->c + q * s->bc_stride, n);
}

/// The fused dt projection for steps [t0, t0 + tn) of channels [c0, c0 + 8·nv): raw[j·nv + v] =
/// Σ_r low[step j][r] · W[r][c0 + 8v …], register-blocked two steps × four vectors (a small GEMM in L1).
CK_INLINE void dt_project(const ck_scan_operands *s, long t0, long tn, long c0, long width, long nv, v8f *raw) {
    const long rank = s->dt_rank, ws = s->dt_weight_stride, full = width / 8;
    const float *w0 = s->dt_weight + c0;
    long j = 0;
    for (; j + 2 <= tn; j += 2) {
        const float *l0 = s->dt_low + s->order[t0 + j] * s->dt_low_stride;
        const float *l1 = s->dt_low + s->order[t0 + j + 1] * s->dt_low_stride;
        long v = 0;
        for (; v + 4 <= full; v += 4) {
            v8f a0 = (v8f)(0.0f), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            const float *w = w0 + 8 * v;
            for (long r = 0; r < rank; r++, w += ws) {
                const v8f x0 = ld8(w), x1 = ld8(w + 8), x2 = ld8(w + 16), x3 = ld8(w + 24);
                const float p = l0[r], q = l1[r];
                a0 = a0 + p * x0; a1 = a1 + p * x1; a2 = a2 + p * x2; a3 = a3 + p * x3;
                b0 = b0 + q * x0; b1 = b1 + q * x1; b2 = b2 + q * x2; b3 = b3 + q * x3;
            }
            v8f *o0 = raw + j * nv + v, *o1 = o0 + nv;
            o0[0] = a0; o0[1] = a1; o0[2] = a2; o0[3] = a3;
            o1[0] = b0; o1[1] = b1; o1[2] = b2; o1[3] = b3;
        }
        for (; v < nv; v++) {
            const long lanes = v < full ? 8 : width - 8 * v;
            v8f a = (v8f)(0.0f), b = a;
            const float *w = w0 + 8 * v;
            for (long r = 0; r < rank; r++, w += ws) {
                const v8f x = lanes == 8 ? ld8(w) : ldn(w, lanes);
                a = a + l0[r] * x; b = b + l1[r] * x;
            }
            raw[j * nv + v] = a; raw[(j + 1) * nv + v] = b;
        }
    }
    for (; j < tn; j++) {
        const float *l0 = s->dt_low + s->order[t0 + j] * s->dt_low_stride;
        for (long v = 0; v < nv; v++) {
            const long lanes = v < full ? 8 : width - 8 * v;
            v8f a = (v8f)(0.0f);
            const float *w = w0 + 8 * v;
            for (long r = 0; r < rank; r++, w += ws) a = a + l0[r] * (lanes == 8 ? ld8(w) : ldn(w, lanes));
            raw[j * nv + v] = a;
        }
    }
}

/// The output epilogue: y = acc (+ D·u already in acc) [· SiLU(z)] [+ y].
CK_INLINE void finish(v8f acc, const float *zrow, float *yrow, long o, long lanes, int accumulate, int fast) {
    const int isfull = lanes == 8;
    if (zrow) acc = acc * silu_8(isfull ? ld8(zrow + o) : ldn(zrow + o, lanes), fast);
    if (accumulate) acc = acc + (isfull ? ld8(yrow + o) : ldn(yrow + o, lanes));
    if (isfull) st8(yrow + o, acc); else stn(yrow + o, acc, lanes);
}

/// δ_raw of channels [c, c + lanes) at one position: read from `drow`, or (when the scan carries the dt
/// projection) the low-rank product Σ_r low[r]·W[r][c] in two partial sums.
CK_INLINE v8f delta_raw_8(const ck_scan_operands *s, const float *drow, const float *lrow, long c, long lanes) {
    const int isfull = lanes == 8;
    if (!s->dt_weight) return isfull ? ld8(drow + c) : ldn(drow + c, lanes);
    const float *w = s->dt_weight + c;
    const long ws = s->dt_weight_stride, rank = s->dt_rank;
    v8f a0 = (v8f)(0.0f), a1 = (v8f)(0.0f);
    long r = 0;
    for (; r + 2 <= rank; r += 2) {
        a0 = a0 + lrow[r] * (isfull ? ld8(w + r * ws) : ldn(w + r * ws, lanes));
        a1 = a1 + lrow[r + 1] * (isfull ? ld8(w + (r + 1) * ws) : ldn(w + (r + 1) * ws, lanes));
    }
    if (r < rank) a0 = a0 + lrow[r] * (isfull ? ld8(w + r * ws) : ldn(w + r * ws, lanes));
    return a0 + a1;
}

/// Per-channel inputs of one step for the channel vector at `o`: Δ = softplus(δ_raw + δ_bias), Δ·u, D·u.
#define STEP_INPUTS(o, lanes, isfull) \
    const v8f uu##o = isfull ? ld8(urow + (o)) : ldn(urow + (o), lanes); \
    const v8f dt##o = softplus_fast_8(delta_raw_8(s, drow, lrow, c0 + (o), lanes) \
                                 + (isfull ? ld8(bias + c0 + (o)) : ldn(bias + c0 + (o), lanes))); \
    const v8f du##o = dt##o * uu##o;

/// Channels [c0, c1) of one scan with N > 1 states through its whole sequence (single phase: the per-state work
/// dominates and overlaps by itself). `a2`, `d`, `bias` point at the scan's channel 0;
/// `h` has room for dState · ⌈(c1 − c0)/8⌉ vectors (state k of vector v at h[k·nv + v]).
///
/// Channel vectors are taken two at a time so that two independent exp chains are in flight; with a large state
/// (SiMBA, N = 64) the states are the inner loop and B_k, C_k are loaded once for both vectors.
CK_INLINE void scan_block_states(const ck_scan_operands *s, long c0, long c1, const float *a2, long a_stride,
                          const float *d, const float *bias, long n, v8f *h, int fast) {
    const long width = c1 - c0, nv = (width + 7) / 8, full = width / 8, pairs = full / 2;
    for (long i = 0; i < n * nv; i++) h[i] = (v8f)(0.0f);
    for (long t = 0; t < PF_AHEAD && t < s->length; t++) prefetch_step(s, t, c0, width, n);
    for (long t = 0; t < s->length; t++) {
        if (t + PF_AHEAD < s->length) prefetch_step(s, t + PF_AHEAD, c0, width, n);
        const long p = s->order[t];
        const float *brow = s->b + p * s->bc_stride, *crow = s->c + p * s->bc_stride;
        const float *urow = s->u + p * s->u_stride + c0;
        const float *drow = s->delta_raw ? s->delta_raw + p * s->delta_stride : NULL;
        const float *lrow = s->dt_low ? s->dt_low + p * s->dt_low_stride : NULL;
        float *yrow = s->y + p * s->y_stride + c0;
        const float *zrow = s->z ? s->z + p * s->z_stride + c0 : NULL;
        for (long pv = 0; pv < pairs; pv++) {
            const long v = 2 * pv, oa = 8 * v, ob = oa + 8;
            STEP_INPUTS(oa, 8, 1)
            STEP_INPUTS(ob, 8, 1)
            v8f acca = ld8(d + c0 + oa) * uuoa, accb = ld8(d + c0 + ob) * uuob;
            v8f acca2 = (v8f)(0.0f), accb2 = (v8f)(0.0f);
            const float *ap = a2 + c0 + oa;
            v8f *hv = h + v;
            long k = 0;
            for (; k + 2 <= n; k += 2) {
                const float b0 = brow[k], b1 = brow[k + 1], cc0 = crow[k], cc1 = crow[k + 1];
                const float *a0 = ap + k * a_stride, *a1 = a0 + a_stride;
                v8f ea0 = exp2_neg_fast_8(dtoa * ld8(a0)), eb0 = exp2_neg_fast_8(dtob * ld8(a0 + 8));
                v8f ea1 = exp2_neg_fast_8(dtoa * ld8(a1)), eb1 = exp2_neg_fast_8(dtob * ld8(a1 + 8));
                v8f *h0 = hv + k * nv, *h1 = h0 + nv;
                v8f ha0 = ea0 * h0[0] + duoa * b0, hb0 = eb0 * h0[1] + duob * b0;
                v8f ha1 = ea1 * h1[0] + duoa * b1, hb1 = eb1 * h1[1] + duob * b1;
                h0[0] = ha0; h0[1] = hb0; h1[0] = ha1; h1[1] = hb1;
                acca = acca + ha0 * cc0; accb = accb + hb0 * cc0;
                acca2 = acca2 + ha1 * cc1; accb2 = accb2 + hb1 * cc1;
            }
            for (; k < n; k++) {
                const float *a0 = ap + k * a_stride;
                v8f *h0 = hv + k * nv;
                v8f ha = exp2_neg_fast_8(dtoa * ld8(a0)) * h0[0] + duoa * brow[k];
                v8f hb = exp2_neg_fast_8(dtob * ld8(a0 + 8)) * h0[1] + duob * brow[k];
                h0[0] = ha; h0[1] = hb;
                acca = acca + ha * crow[k]; accb = accb + hb * crow[k];
            }
            finish(acca + acca2, zrow, yrow, oa, 8, s->accumulate, fast);
            finish(accb + accb2, zrow, yrow, ob, 8, s->accumulate, fast);
        }
        for (long v = 2 * pairs; v < nv; v++) {
            const long o = v * 8;
            const int isfull = v < full;
            const long lanes = isfull ? 8 : width - o;
            STEP_INPUTS(o, lanes, isfull)
            v8f acc = (isfull ? ld8(d + c0 + o) : ldn(d + c0 + o, lanes)) * uuo;
            const float *ap = a2 + c0 + o;
            for (long k = 0; k < n; k++) {
                v8f *hk = h + k * nv + v;
                v8f a = isfull ? ld8(ap + k * a_stride) : ldn(ap + k * a_stride, lanes);
                v8f hn = exp2_neg_fast_8(dto * a) * hk[0] + duo * brow[k];
                hk[0] = hn;
                acc = acc + hn * crow[k];
            }
            finish(acc, zrow, yrow, o, lanes, s->accumulate, fast);
        }
    }
}

/// Channels [c0, c1) of one scan with a single state (N = 1, VMamba) through its whole sequence. `a2`, `d`, `bias`
/// point at the scan's channel 0; `h` has room for nv = ⌈(c1 − c0)/8⌉ vectors, `work` for 3 · CHUNK · nv.
/// (Scans with N > 1 take `scan_block_states`.)
///
/// Two phases per chunk of CHUNK steps. Phase A has no recurrence: δ_raw (read, or the fused dt projection),
/// Δ = softplus(δ_raw + δ_bias), exp(Δ·A), Δ·u and D·u for every step and channel of the chunk — independent work
/// the core overlaps freely. Phase B runs the recurrence over the chunk: h ← e·h + Δu·B, y = C·h + D·u, the gate
/// and the merge.
CK_INLINE void scan_block(const ck_scan_operands *s, long c0, long c1, const float *a2, const float *d,
                          const float *bias, v8f *h, v8f *work, int fast) {
    const long width = c1 - c0, nv = (width + 7) / 8, full = width / 8;
    v8f *wdt = work, *wdu = work + CHUNK * nv, *wdd = work + 2 * CHUNK * nv;
    for (long i = 0; i < nv; i++) h[i] = (v8f)(0.0f);
    for (long t = 0; t < PF_AHEAD && t < s->length; t++) prefetch_step(s, t, c0, width, 1);
    for (long t0 = 0; t0 < s->length; t0 += CHUNK) {
        const long tn = s->length - t0 < CHUNK ? s->length - t0 : CHUNK;
        // Phase A
        if (s->dt_weight) dt_project(s, t0, tn, c0, width, nv, wdt);
        for (long j = 0; j < tn; j++) {
            const long p = s->order[t0 + j];
            const float *urow = s->u + p * s->u_stride + c0;
            const float *drow = s->dt_weight ? NULL : s->delta_raw + p * s->delta_stride + c0;
            v8f *odt = wdt + j * nv, *odu = wdu + j * nv, *odd = wdd + j * nv;
            for (long v = 0; v < full; v++) {
                const v8f uu = ld8(urow + 8 * v);
                const v8f raw = drow ? ld8(drow + 8 * v) : odt[v];
                const v8f dt = softplus_fast_8(raw + ld8(bias + c0 + 8 * v));
                odt[v] = exp2_neg_fast_8(dt * ld8(a2 + c0 + 8 * v));
                odu[v] = dt * uu;
                odd[v] = ld8(d + c0 + 8 * v) * uu;
            }
            if (full < nv) {
                const long v = full, lanes = width - 8 * v;
                const v8f uu = ldn(urow + 8 * v, lanes);
                const v8f raw = drow ? ldn(drow + 8 * v, lanes) : odt[v];
                const v8f dt = softplus_fast_8(raw + ldn(bias + c0 + 8 * v, lanes));
                odt[v] = exp2_neg_fast_8(dt * ldn(a2 + c0 + 8 * v, lanes));
                odu[v] = dt * uu;
                odd[v] = ldn(d + c0 + 8 * v, lanes) * uu;
            }
        }
        // Phase B
        for (long j = 0; j < tn; j++) {
            const long t = t0 + j;
            if (t + PF_AHEAD < s->length) prefetch_step(s, t + PF_AHEAD, c0, width, 1);
            const long p = s->order[t];
            const float b0 = s->b[p * s->bc_stride], cc = s->c[p * s->bc_stride];
            float *yrow = s->y + p * s->y_stride + c0;
            const float *zrow = s->z ? s->z + p * s->z_stride + c0 : NULL;
            const v8f *idt = wdt + j * nv, *idu = wdu + j * nv, *idd = wdd + j * nv;
            for (long v = 0; v < nv; v++) {
                const v8f hn = idt[v] * h[v] + idu[v] * b0;
                h[v] = hn;
                finish(idd[v] + hn * cc, zrow, yrow, 8 * v, v < full ? 8 : width - 8 * v, s->accumulate, fast);
            }
        }
    }
}

CK_INLINE void scan_blocks(const ck_scan_operands *scans, long count, long channels, long c0, long c1,
                           const float *a2, long a_stride, const float *d, const float *bias, long d_state, int fast) {
    const long nv = (c1 - c0 + 7) / 8;
    v8f h[d_state * nv];
    v8f work[d_state == 1 ? 3 * CHUNK * nv : 1];
    for (long i = 0; i < count; i++) {
        const long off = i * channels;
        if (d_state == 1) scan_block(&scans[i], c0, c1, a2 + off, d + off, bias + off, h, work, fast);
        else scan_block_states(&scans[i], c0, c1, a2 + off, a_stride, d + off, bias + off, d_state, h, fast);
    }
}

static void scan_portable(const ck_scan_operands *scans, long count, long channels, long c0, long c1,
                          const float *a2, long a_stride, const float *d, const float *bias, long d_state) {
    scan_blocks(scans, count, channels, c0, c1, a2, a_stride, d, bias, d_state, 0);
}

#if defined(__x86_64__) || defined(__i386__)
AVX2 static void scan_avx2(const ck_scan_operands *scans, long count, long channels, long c0, long c1,
                           const float *a2, long a_stride, const float *d, const float *bias, long d_state) {
    scan_blocks(scans, count, channels, c0, c1, a2, a_stride, d, bias, d_state, 1);
}
#endif

void ck_selective_scan(const ck_scan_operands *scans, long count, long channels, long c0, long c1,
                       const float *a2, long a_stride, const float *d, const float *bias, long d_state, int path) {
#if defined(__x86_64__) || defined(__i386__)
    if (path != 1 && ck_cpu_has_avx2_fma()) { scan_avx2(scans, count, channels, c0, c1, a2, a_stride, d, bias, d_state); return; }
#endif
    scan_portable(scans, count, channels, c0, c1, a2, a_stride, d, bias, d_state);
}

// MARK: - Elementwise rows

enum { OP_SILU = 0, OP_GELU = 1, OP_SOFTPLUS = 2 };

#define MAP_LOOP(F) \
    for (long r = 0; r < rows; r++) { \
        float *p = x + r * stride; \
        long i = 0; \
        for (; i < full; i += 8) st8(p + i, F(ld8(p + i), fast)); \
        if (i < width) stn(p + i, F(ldn(p + i, width - i), fast), width - i); \
    }

CK_INLINE void map_rows(int op, float *x, long rows, long width, long stride, int fast) {
    const long full = width / 8 * 8;
    switch (op) {
    case OP_SILU: MAP_LOOP(silu_8) break;
    case OP_GELU: MAP_LOOP(gelu_8) break;
    default: MAP_LOOP(softplus_8) break;
    }
}

/// y ← y · SiLU(z) on rows.
CK_INLINE void gate_rows(float *y, long y_stride, const float *z, long z_stride, long rows, long width, int fast) {
    const long full = width / 8 * 8;
    for (long r = 0; r < rows; r++) {
        float *yp = y + r * y_stride;
        const float *zp = z + r * z_stride;
        long i = 0;
        for (; i < full; i += 8) st8(yp + i, ld8(yp + i) * silu_8(ld8(zp + i), fast));
        if (i < width) stn(yp + i, ldn(yp + i, width - i) * silu_8(ldn(zp + i, width - i), fast), width - i);
    }
}

static void map_rows_portable(int op, float *x, long rows, long width, long stride) { map_rows(op, x, rows, width, stride, 0); }
static void gate_rows_portable(float *y, long ys, const float *z, long zs, long rows, long width) { gate_rows(y, ys, z, zs, rows, width, 0); }
#if defined(__x86_64__) || defined(__i386__)
AVX2 static void map_rows_avx2(int op, float *x, long rows, long width, long stride) { map_rows(op, x, rows, width, stride, 1); }
AVX2 static void gate_rows_avx2(float *y, long ys, const float *z, long zs, long rows, long width) { gate_rows(y, ys, z, zs, rows, width, 1); }
#endif

void ck_map_rows(int op, float *x, long rows, long width, long stride, int path) {
#if defined(__x86_64__) || defined(__i386__)
    if (path != 1 && ck_cpu_has_avx2_fma()) { map_rows_avx2(op, x, rows, width, stride); return; }
#endif
    map_rows_portable(op, x, rows, width, stride);
}

void ck_gate_rows(float *y, long y_stride, const float *z, long z_stride, long rows, long width, int path) {
#if defined(__x86_64__) || defined(__i386__)
    if (path != 1 && ck_cpu_has_avx2_fma()) { gate_rows_avx2(y, y_stride, z, z_stride, rows, width); return; }
#endif
    gate_rows_portable(y, y_stride, z, z_stride, rows, width);
}

/// x ← act(x + bias) on rows (bias may be NULL): the Linear's bias fused with the activation that follows it.
CK_INLINE void bias_act_rows(float *x, long rows, long width, long stride, const float *bias, int act, int fast) {
    const long full = width / 8 * 8;
    for (long r = 0; r < rows; r++) {
        float *p = x + r * stride;
        long i = 0;
        for (; i < full; i += 8) st8(p + i, act_8(ld8(p + i) + (bias ? ld8(bias + i) : (v8f)(0.0f)), act, fast));
        if (i < width) {
            const long lanes = width - i;
            stn(p + i, act_8(ldn(p + i, lanes) + (bias ? ldn(bias + i, lanes) : (v8f)(0.0f)), act, fast), lanes);
        }
    }
}

static void bias_act_rows_portable(float *x, long rows, long width, long stride, const float *bias, int act) {
    bias_act_rows(x, rows, width, stride, bias, act, 0);
}
#if defined(__x86_64__) || defined(__i386__)
AVX2 static void bias_act_rows_avx2(float *x, long rows, long width, long stride, const float *bias, int act) {
    bias_act_rows(x, rows, width, stride, bias, act, 1);
}
#endif

void ck_bias_act_rows(float *x, long rows, long width, long stride, const float *bias, int act, int path) {
#if defined(__x86_64__) || defined(__i386__)
    if (path != 1 && ck_cpu_has_avx2_fma()) { bias_act_rows_avx2(x, rows, width, stride, bias, act); return; }
#endif
    bias_act_rows_portable(x, rows, width, stride, bias, act);
}
