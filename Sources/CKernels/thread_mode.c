// Thread-local serial mode for Inference's parallel helpers (`parallelChunks`, `SelectiveScan.run`): the
// CLIP-Mamba towers run one image per core and set it on each worker so that nothing inside an image forks
// again (no oversubscription, no synchronisation per layer).
#include "CKernels.h"

static _Thread_local int serial_depth;

void ck_serial_enter(void) { serial_depth++; }
void ck_serial_leave(void) { if (serial_depth > 0) serial_depth--; }
int ck_serial_active(void) { return serial_depth > 0; }
