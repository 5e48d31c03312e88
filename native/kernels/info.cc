// The C ABI's info entry points.
#include "cpu_dispatch.h"
#include "sgemm.h"
#include "simmer.h"
#include "thread_pool.h"

extern "C" const char* simmer_simd_path(void) { return simmer::simdName(simmer::simdLevel()); }
extern "C" const char* simmer_simd_note(void) { return simmer::simdNote(); }
extern "C" const char* simmer_gemm_kernel(void) { return simmer::gemmArch().name; }
extern "C" int simmer_threads(void) { return simmer::poolThreads(); }
