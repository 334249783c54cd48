// Makes the FFTW wisdom `FFTWisdom.linesText` in Sources/Distortions/FFTWisdom.swift: the batched complex line
// plans of SpectralGaussian on 224 × 224 planes (chunks of 16 lines; transform lengths 256, 288 and 384 for
// low-pass σ 7, 10 and 15, 40), with the strides and buffer sizes FFTPlan uses, found with FFTW_PATIENT. Plans
// made from this wisdom are the same on every run; where it does not apply (another FFTW build or CPU, another
// image size), FFTPlan falls back to FFTW_ESTIMATE.
//   cc -O2 Tests/Fixtures/distortions/make_spectral_gaussian_wisdom.c -lfftw3 -o /tmp/make_sg_wisdom && /tmp/make_sg_wisdom
#include <fftw3.h>
#include <stdio.h>
#include <stdlib.h>

// As FFTPlan.init for `.complexLines`: two fftw_malloc buffers of the largest complex index either side touches + 1.
static void plan(int count, int n, int sign, int in_stride, int out_stride, int in_dist, int out_dist) {
    long a = (long)(count - 1) * in_dist + (long)(n - 1) * in_stride;
    long b = (long)(count - 1) * out_dist + (long)(n - 1) * out_stride;
    long extent = (a > b ? a : b) + 1;
    double *in = fftw_malloc(sizeof(double) * 2 * extent), *out = fftw_malloc(sizeof(double) * 2 * extent);
    for (long i = 0; i < 2 * extent; i++) in[i] = out[i] = 0;
    fftw_plan p = fftw_plan_many_dft(1, &n, count, (fftw_complex *)in, NULL, in_stride, in_dist,
                                     (fftw_complex *)out, NULL, out_stride, out_dist, sign, FFTW_PATIENT);
    if (!p) { fprintf(stderr, "FFTW could not plan n = %d\n", n); exit(1); }
    fftw_destroy_plan(p);
    fftw_free(in);
    fftw_free(out);
}

int main(void) {
    enum { chunk = 16 };
    const int lengths[] = {256, 288, 384};
    for (int i = 0; i < 3; i++) {
        const int n = lengths[i];
        plan(chunk, n, FFTW_FORWARD, 1, 1, n, n);  // both passes: zipped column or row pairs, contiguous lines
        plan(chunk, n, FFTW_BACKWARD, 1, 1, n, n);
    }
    char *wisdom = fftw_export_wisdom_to_string();
    fputs(wisdom, stdout);
    return 0;
}
