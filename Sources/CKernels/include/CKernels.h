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

#ifdef __cplusplus
}
#endif

#endif
