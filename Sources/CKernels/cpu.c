#include "CKernels.h"
#include <stdlib.h>
#include <string.h>

static int detect(void) {
    const char *off = getenv("OODBENCH_NO_AVX2");
    if (off != NULL && off[0] != '\0' && strcmp(off, "0") != 0) return 0;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

int ck_cpu_has_avx2_fma(void) {
    // Detected once; a benign race (every thread computes the same value).
    static int cached = -1;
    if (cached < 0) cached = detect();
    return cached;
}
