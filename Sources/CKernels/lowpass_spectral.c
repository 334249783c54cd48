// Spectral (FFT) Gaussian filter with constant padding: the copy, scale and transpose passes around FFTW's
// batched 1-D real transforms. Called by Distortions/SpectralGaussian.swift. Memory-bound loops: plain C,
// one version (the compiler's SSE2 vectorisation suffices), no AVX2 twin.
#include "CKernels.h"

#include <stdint.h>

// Tile edge of the blocked transposes (doubles): 16 × 16 × 8 bytes = 2 KiB per tile, both tiles in L1.
#define LPS_TILE 16

void ck_lps_load_grey(const uint8_t *rgb, int height, int width, const double *lut, double cval, int stride,
                      double *dst) {
    const double *lr = lut, *lg = lut + 256, *lb = lut + 512;
    for (int y = 0; y < height; y++) {
        const uint8_t *s = rgb + (size_t)3 * width * y;
        double *d = dst + (size_t)stride * y;
        for (int x = 0; x < width; x++) {
            const double g = (lr[s[3 * x]] + lg[s[3 * x + 1]]) + lb[s[3 * x + 2]];
            d[x] = g - cval;
        }
    }
}

void ck_lps_load_plane(const double *plane, int height, int width, double cval, int stride, double *dst) {
    for (int y = 0; y < height; y++) {
        const double *s = plane + (size_t)width * y;
        double *d = dst + (size_t)stride * y;
        for (int x = 0; x < width; x++) d[x] = s[x] - cval;
    }
}

void ck_lps_scale(double *spectrum, int lines, int bins, const double *kernel) {
    for (int l = 0; l < lines; l++) {
        double *s = spectrum + (size_t)2 * bins * l;
        for (int u = 0; u < bins; u++) {
            const double k = kernel[u];
            s[2 * u] *= k;
            s[2 * u + 1] *= k;
        }
    }
}

void ck_lps_transpose(const double *src, int lines, int count, int src_stride, int dst_stride, double *dst) {
    for (int l0 = 0; l0 < lines; l0 += LPS_TILE) {
        const int l1 = l0 + LPS_TILE < lines ? l0 + LPS_TILE : lines;
        for (int j0 = 0; j0 < count; j0 += LPS_TILE) {
            const int j1 = j0 + LPS_TILE < count ? j0 + LPS_TILE : count;
            for (int j = j0; j < j1; j++) {
                double *d = dst + (size_t)dst_stride * j;
                for (int l = l0; l < l1; l++) d[l] = src[(size_t)src_stride * l + j];
            }
        }
    }
}

void ck_lps_finish(const double *src, int lines, int count, int src_stride, double cval, int clip, int out_stride,
                   double *out) {
    // out[j·out_stride + l] = src[l·src_stride + j] + cval, clipped to [0, 1] when `clip`.
    for (int l0 = 0; l0 < lines; l0 += LPS_TILE) {
        const int l1 = l0 + LPS_TILE < lines ? l0 + LPS_TILE : lines;
        for (int j0 = 0; j0 < count; j0 += LPS_TILE) {
            const int j1 = j0 + LPS_TILE < count ? j0 + LPS_TILE : count;
            for (int j = j0; j < j1; j++) {
                double *d = out + (size_t)out_stride * j;
                for (int l = l0; l < l1; l++) {
                    double v = src[(size_t)src_stride * l + j] + cval;
                    if (clip) v = v > 1 ? 1 : (v < 0 ? 0 : v);
                    d[l] = v;
                }
            }
        }
    }
}
