// Makes the FFTW wisdom embedded in Sources/Distortions/EidolonWisdom.swift: the plans of EidolonBlur.Plans
// (same sizes, strides and fftw_malloc alignment), found with FFTW_PATIENT. Plans made from this wisdom are the
// same on every run (FFTW_MEASURE would time candidates on each run and could pick another algorithm, changing
// the last bits of the blurs); where the wisdom does not apply (another FFTW build or CPU), EidolonBlur falls back
// to FFTW_ESTIMATE.
//   cc -O2 Tests/Fixtures/eidolon/make_fftw_wisdom.c -lfftw3 -o /tmp/make_fftw_wisdom && /tmp/make_fftw_wisdom
#include <fftw3.h>
#include <stdio.h>

int main(void) {
    enum { side = 512, half = 257, offset = 128, centre = 256 };
    double *real = fftw_malloc(sizeof(double) * side * side);
    fftw_complex *c = fftw_malloc(sizeof(fftw_complex) * half * side);
    int n = side;
    unsigned flags = FFTW_PATIENT;
    fftw_plan plans[5] = {
        fftw_plan_many_dft_r2c(1, &n, side, real, NULL, 1, side, c, NULL, 1, half, flags),
        fftw_plan_dft_1d(n, c, c, FFTW_FORWARD, flags),
        fftw_plan_dft_1d(n, c, c, FFTW_BACKWARD, flags),
        fftw_plan_many_dft_c2r(1, &n, centre, c + half * offset, NULL, 1, half, real + side * offset, NULL, 1, side,
                               flags),
        fftw_plan_many_dft_c2r(1, &n, side, c, NULL, 1, half, real, NULL, 1, side, flags),
    };
    for (int i = 0; i < 5; i++)
        if (!plans[i]) return 1;
    char *wisdom = fftw_export_wisdom_to_string();
    fputs(wisdom, stdout);
    return 0;
}
