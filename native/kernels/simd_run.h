// Compiles a loop once per SIMD path: the lambda is inlined (flatten) into a function built for
// AVX-512, AVX2+FMA or the baseline ISA, so plain C++ loops auto-vectorize at each width, and the
// path chosen at load time (cpu_dispatch.h) runs. Helpers called from the loop must be SIMMER_INLINE.
#pragma once
#include "cpu_dispatch.h"

namespace simmer {

#if SIMMER_X86
template <class F>
SIMMER_TARGET_AVX512 __attribute__((flatten)) void simdRunAvx512(const F& f) {
  f();
}
template <class F>
SIMMER_TARGET_AVX2 __attribute__((flatten)) void simdRunAvx2(const F& f) {
  f();
}
#endif
template <class F>
__attribute__((flatten)) void simdRunPortable(const F& f) {
  f();
}

template <class F>
inline void simdRun(const F& f) {
#if SIMMER_X86
  switch (simdLevel()) {
    case Simd::Avx512:
      simdRunAvx512(f);
      return;
    case Simd::Avx2:
      simdRunAvx2(f);
      return;
    default:
      break;
  }
#endif
  simdRunPortable(f);
}

}  // namespace simmer
