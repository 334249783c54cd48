// Spectral (FFT) Gaussian filter with constant padding: the zip, scale, scatter and unzip passes around FFTW's
// batched complex transforms. Two real lines ride in one complex line (real and imaginary part): the kernel's
// spectrum is real, so filtering the complex line filters both. Pass 1 (along columns) pairs neighbouring columns;
// its filtered lines are scattered straight into the lines of pass 2 (along rows), which pair neighbouring rows, so
// no intermediate plane is written or read. The zips and the scatter write only the samples of a line: the padding
// of the line buffers is zero from their allocation and no transform writes into them. The grey zip of pass 1 is
// ck_lps_zip_grey_columns (distortions.c, next to the vector grey). Called by Distortions/SpectralGaussian.swift.
#include "CKernels.h"

#include <stdint.h>

#if defined(__x86_64__) || defined(__i386__)
#define CK_X86 1
#else
#define CK_X86 0
#endif

void ck_lps_zip_plane_columns(const double *plane, int height, int width, double cval, int first_pair, int count,
                              int n, double *lines) {
    for (int l = 0; l < count; l++) {
        const int x = 2 * (first_pair + l);
        double *d = lines + (size_t)2 * n * l;
        const int pair = x + 1 < width;
        for (int y = 0; y < height; y++) {
            const double *s = plane + (size_t)width * y + x;
            d[2 * y] = s[0] - cval;
            d[2 * y + 1] = pair ? s[1] - cval : 0;
        }
    }
}

// The multiplication by the kernel's spectrum: a plain product of two arrays (the kernel's values given twice, for
// the real and the imaginary part), vectorised by the compiler; the AVX2 build of it halves the time.
static inline void scale_lines(double *lines, int count, int n, const double *kernel) {
    for (int l = 0; l < count; l++) {
        double *s = lines + (size_t)2 * n * l;
        for (int i = 0; i < 2 * n; i++) s[i] *= kernel[i];
    }
}

#if CK_X86
__attribute__((target("avx2")))
static void scale_lines_avx2(double *lines, int count, int n, const double *kernel) {
    scale_lines(lines, count, n, kernel);
}
#endif

void ck_lps_scale_lines(double *lines, int count, int n, const double *kernel) {
#if CK_X86
    if (ck_cpu_has_avx2_fma()) { scale_lines_avx2(lines, count, n, kernel); return; }
#endif
    scale_lines(lines, count, n, kernel);
}

void ck_lps_scatter_rows(const double *columns, int height, int width, int first_pair, int count, int n_columns,
                         int n_rows, double *rows) {
    // Column line l holds (Y[y][x], Y[y][x + 1]) at y, x = 2(first_pair + l); row line p holds (Y[2p][x],
    // Y[2p + 1][x]) at x: a 2 × 2 transpose of each pair of neighbouring values.
    for (int p = 0; 2 * p < height; p++) {
        double *r = rows + (size_t)2 * n_rows * p;
        const int second = 2 * p + 1 < height;
        for (int l = 0; l < count; l++) {
            const int x = 2 * (first_pair + l);
            const double *a = columns + (size_t)2 * n_columns * l + 4 * (size_t)p;  // values at rows 2p, 2p + 1
            r[2 * x] = a[0];
            r[2 * x + 1] = second ? a[2] : 0;
            if (x + 1 < width) {
                r[2 * x + 2] = a[1];
                r[2 * x + 3] = second ? a[3] : 0;
            }
        }
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
