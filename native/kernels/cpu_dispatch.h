// Run-time choice of the SIMD path: the best the CPU supports, or SIMMER_SIMD=portable|avx2|avx512
// (read once, at addon load). A request the CPU cannot run falls back to the best supported path.
#pragma once

namespace simmer {

enum class Simd { Portable = 0, Avx2 = 1, Avx512 = 2 };

Simd simdLevel();
const char* simdName(Simd s);
// Why the level was chosen (e.g. "SIMMER_SIMD=avx512 requested but the CPU lacks AVX-512; using avx2").
const char* simdNote();

}  // namespace simmer

// Per-function target attributes for the x86 paths; the portable path is compiled for the baseline ISA.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define SIMMER_X86 1
#define SIMMER_TARGET_AVX2 __attribute__((target("avx2,fma")))
#define SIMMER_TARGET_AVX512 __attribute__((target("avx512f,avx512vl,avx512bw,avx512dq,avx2,fma")))
#else
#define SIMMER_X86 0
#endif

#define SIMMER_INLINE inline __attribute__((always_inline))
