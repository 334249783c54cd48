// Spectral (FFT) Gaussian filter with constant padding: the load, scale, zip and unzip passes around FFTW's batched
// complex transforms. Two real lines ride in one complex line (real and imaginary part): the kernel's spectrum is
// real, so filtering the complex line filters both. Pass 1 (along columns) pairs neighbouring columns, which is
// just the row-major plane read as complex numbers, copied into contiguous lines; pass 2 (along rows) zips two rows
// into one line. Both zips write the lines' zero padding, since each pass filters its lines in place. Called by
// Distortions/SpectralGaussian.swift. Memory-bound loops: plain C, one version (the compiler's SSE2 vectorisation
// suffices), no AVX2 twin.
#include "CKernels.h"

#include <stdint.h>

void ck_lps_load_grey(const uint8_t *rgb, int height, int width, const double *lut, double cval, int stride,
                      double *dst) {
    if (stride == width) {  // contiguous rows: the vector grey of ck_grey_lut (same values), then − cval
        const size_t n = (size_t)height * width;
        ck_grey_lut(rgb, n, lut, dst);
        for (size_t i = 0; i < n; i++) dst[i] -= cval;
        return;
    }
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

void ck_lps_scale_lines(double *lines, int count, int n, const double *kernel) {
    for (int l = 0; l < count; l++) {
        double *s = lines + (size_t)2 * n * l;
        for (int u = 0; u < n; u++) {
            const double k = kernel[u];
            s[2 * u] *= k;
            s[2 * u + 1] *= k;
        }
    }
}

void ck_lps_zip(const double *plane, int stride, int height, int width, int first_pair, int pairs, int n,
                double *lines) {
    for (int l = 0; l < pairs; l++) {
        const int y = 2 * (first_pair + l);
        const double *a = plane + (size_t)stride * y;
        double *d = lines + (size_t)2 * n * l;
        if (y + 1 < height) {
            const double *b = a + stride;
            for (int x = 0; x < width; x++) { d[2 * x] = a[x]; d[2 * x + 1] = b[x]; }
        } else {
            for (int x = 0; x < width; x++) { d[2 * x] = a[x]; d[2 * x + 1] = 0; }
        }
        for (int x = width; x < n; x++) { d[2 * x] = 0; d[2 * x + 1] = 0; }
    }
}

void ck_lps_unzip(const double *lines, int height, int width, int first_pair, int pairs, int n, double cval,
                  int clip, double *out) {
    for (int l = 0; l < pairs; l++) {
        const int y = 2 * (first_pair + l);
        const double *s = lines + (size_t)2 * n * l;
        double *a = out + (size_t)width * y;
        if (clip) {
            for (int x = 0; x < width; x++) {
                const double v = s[2 * x] + cval;
                a[x] = v > 1 ? 1 : (v < 0 ? 0 : v);
            }
        } else {
            for (int x = 0; x < width; x++) a[x] = s[2 * x] + cval;
        }
        if (y + 1 >= height) continue;
        double *b = a + width;
        if (clip) {
            for (int x = 0; x < width; x++) {
                const double v = s[2 * x + 1] + cval;
                b[x] = v > 1 ? 1 : (v < 0 ? 0 : v);
            }
        } else {
            for (int x = 0; x < width; x++) b[x] = s[2 * x + 1] + cval;
        }
    }
}

void ck_lps_zip_columns(const double *plane, int pairs_per_row, int height, int first_pair, int count, int n,
                        double *lines) {
    for (int l = 0; l < count; l++) {
        const double *s = plane + (size_t)2 * (first_pair + l);
        double *d = lines + (size_t)2 * n * l;
        for (int y = 0; y < height; y++) {
            d[2 * y] = s[(size_t)2 * pairs_per_row * y];
            d[2 * y + 1] = s[(size_t)2 * pairs_per_row * y + 1];
        }
        for (int y = height; y < n; y++) { d[2 * y] = 0; d[2 * y + 1] = 0; }
    }
}

void ck_lps_unzip_columns(const double *lines, int pairs_per_row, int height, int first_pair, int count, int n,
                          double *plane) {
    for (int l = 0; l < count; l++) {
        const double *s = lines + (size_t)2 * n * l;
        double *d = plane + (size_t)2 * (first_pair + l);
        for (int y = 0; y < height; y++) {
            d[(size_t)2 * pairs_per_row * y] = s[2 * y];
            d[(size_t)2 * pairs_per_row * y + 1] = s[2 * y + 1];
        }
    }
}
