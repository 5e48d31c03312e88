// The 2×2 stride-2 max pool of one pair of input rows with its argmax, shared by the pooling kernel (pool.cc) and the
// fused conv + ReLU + pool (conv.cc). Semantics of simmer_max_pool2d_forward: the argmax is the flat index into the
// input plane, the first maximum wins (in the order top-left, top-right, bottom-left, bottom-right) and NaN wins.
// Branch-free (masks with AVX-512, selects otherwise): which of four values wins is data-dependent, and as branches
// it mispredicted about half the time (17 ns per output).
#pragma once
#include <algorithm>
#include <cstdint>

#include "cpu_dispatch.h"
#if SIMMER_X86
#include <immintrin.h>
#endif

namespace simmer {

// r0, r1: the two input rows (each 2·pw floats used); out, argmax: pw outputs; top: flat index of r0[0] in the plane,
// w: the plane's row length (r1 = r0 + w). With reluRoute the argmax is -1 where the max is not > 0: after a ReLU no
// gradient flows there, and maxPool2dBackward skips -1 (the fused conv + ReLU + pool's backward needs no mask pass).
SIMMER_INLINE void maxPool2RowScalar(const float* r0, const float* r1, float* out, int32_t* argmax, int64_t pw, int32_t top, int32_t w, bool reluRoute) {
  for (int64_t j = 0; j < pw; j++) {
    const float a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
    const int32_t at = top + static_cast<int32_t>(2 * j);
    float best = a;
    int32_t bi = at;
    const bool tb = (b > best) | (b != b);
    best = tb ? b : best;
    bi = tb ? at + 1 : bi;
    const bool tc = (c > best) | (c != c);
    best = tc ? c : best;
    bi = tc ? at + w : bi;
    const bool td = (d > best) | (d != d);
    best = td ? d : best;
    bi = td ? at + w + 1 : bi;
    out[j] = best;
    argmax[j] = reluRoute && !(best > 0.f) ? -1 : bi;
  }
}

#if SIMMER_X86
// 16 windows at a time (masked loads and stores at the end of a row): the even and odd columns of each row are split by a two-source permute, and each of the three
// "does it win" tests is a mask (greater than, or NaN), exactly the scalar rule.
SIMMER_TARGET_AVX512 inline void maxPool2RowAvx512(const float* r0, const float* r1, float* out, int32_t* argmax, int64_t pw, int32_t top, int32_t w,
                                                   bool reluRoute) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i lane2 = _mm512_slli_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15), 1);
  for (int64_t j = 0; j < pw; j += 16) {
    // The last block of a row is masked (W3's rows are 14 and 7 windows wide, so most rows are one masked block).
    const int64_t n = std::min<int64_t>(16, pw - j);
    const __mmask16 lo = static_cast<__mmask16>(n >= 8 ? 0xFFFF : (1u << (2 * n)) - 1);
    const __mmask16 hi = static_cast<__mmask16>(n <= 8 ? 0 : (1u << (2 * n - 16)) - 1);
    const __mmask16 keep = static_cast<__mmask16>((1u << n) - 1);
    const __m512 t0 = _mm512_maskz_loadu_ps(lo, r0 + 2 * j), t1 = _mm512_maskz_loadu_ps(hi, r0 + 2 * j + 16);
    const __m512 u0 = _mm512_maskz_loadu_ps(lo, r1 + 2 * j), u1 = _mm512_maskz_loadu_ps(hi, r1 + 2 * j + 16);
    const __m512 b = _mm512_permutex2var_ps(t0, odd, t1), c = _mm512_permutex2var_ps(u0, even, u1), d = _mm512_permutex2var_ps(u0, odd, u1);
    __m512 best = _mm512_permutex2var_ps(t0, even, t1);
    const __m512i at = _mm512_add_epi32(_mm512_set1_epi32(top + static_cast<int32_t>(2 * j)), lane2);
    __m512i bi = at;
    __mmask16 m = _mm512_cmp_ps_mask(b, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(b, b, _CMP_UNORD_Q);
    best = _mm512_mask_mov_ps(best, m, b);
    bi = _mm512_mask_add_epi32(bi, m, at, _mm512_set1_epi32(1));
    m = _mm512_cmp_ps_mask(c, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(c, c, _CMP_UNORD_Q);
    best = _mm512_mask_mov_ps(best, m, c);
    bi = _mm512_mask_add_epi32(bi, m, at, _mm512_set1_epi32(w));
    m = _mm512_cmp_ps_mask(d, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(d, d, _CMP_UNORD_Q);
    best = _mm512_mask_mov_ps(best, m, d);
    bi = _mm512_mask_add_epi32(bi, m, at, _mm512_set1_epi32(w + 1));
    if (reluRoute) bi = _mm512_mask_mov_epi32(_mm512_set1_epi32(-1), _mm512_cmp_ps_mask(best, _mm512_setzero_ps(), _CMP_GT_OQ), bi);
    _mm512_mask_storeu_ps(out + j, keep, best);
    _mm512_mask_storeu_epi32(argmax + j, keep, bi);
  }
}
#endif

inline void maxPool2Row(const float* r0, const float* r1, float* out, int32_t* argmax, int64_t pw, int32_t top, int32_t w, bool reluRoute = false) {
#if SIMMER_X86
  if (simdLevel() == Simd::Avx512) return maxPool2RowAvx512(r0, r1, out, argmax, pw, top, w, reluRoute);
#endif
  maxPool2RowScalar(r0, r1, out, argmax, pw, top, w, reluRoute);
}

}  // namespace simmer
