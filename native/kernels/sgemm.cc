// SGEMM: micro-kernels per ISA, packing, and the blocked, threaded driver. See sgemm.h.
#include "sgemm.h"

#include <algorithm>
#include <cstring>

#include "cpu_dispatch.h"
#include "scratch.h"
#include "thread_pool.h"

#if SIMMER_X86
#include <immintrin.h>
#endif

namespace simmer {
namespace {

// ── micro-kernels ─────────────────────────────────────────────────────────────────────────────────

template <int MR, int NR>
void kernelPortable(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
  float acc[MR][NR] = {};
  for (int64_t p = 0; p < kc; p++) {
    for (int r = 0; r < MR; r++) {
      float av = a[r];
      for (int j = 0; j < NR; j++) acc[r][j] += av * b[j];
    }
    a += MR;
    b += NR;
  }
  for (int r = 0; r < MR; r++)
    for (int j = 0; j < NR; j++) c[r * ldc + j] = accumulate ? c[r * ldc + j] + acc[r][j] : acc[r][j];
}

#if SIMMER_X86
// MR rows × NV·16 columns; the whole tile of C lives in zmm registers.
template <int MR, int NV>
SIMMER_TARGET_AVX512 void kernelAvx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
  __m512 acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = _mm512_setzero_ps();
  for (int64_t p = 0; p < kc; p++) {
    __m512 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = _mm512_loadu_ps(b + 16 * v);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      __m512 av = _mm512_set1_ps(a[r]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] = _mm512_fmadd_ps(av, bv[v], acc[r][v]);
    }
    a += MR;
    b += 16 * NV;
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      float* cp = c + r * ldc + 16 * v;
      _mm512_storeu_ps(cp, accumulate ? _mm512_add_ps(_mm512_loadu_ps(cp), acc[r][v]) : acc[r][v]);
    }
}

template <int MR, int NV>
SIMMER_TARGET_AVX2 void kernelAvx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate) {
  __m256 acc[MR][NV];
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[r][v] = _mm256_setzero_ps();
  for (int64_t p = 0; p < kc; p++) {
    __m256 bv[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) bv[v] = _mm256_loadu_ps(b + 8 * v);
#pragma GCC unroll 16
    for (int r = 0; r < MR; r++) {
      __m256 av = _mm256_broadcast_ss(a + r);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[r][v] = _mm256_fmadd_ps(av, bv[v], acc[r][v]);
    }
    a += MR;
    b += 8 * NV;
  }
#pragma GCC unroll 16
  for (int r = 0; r < MR; r++)
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      float* cp = c + r * ldc + 8 * v;
      _mm256_storeu_ps(cp, accumulate ? _mm256_add_ps(_mm256_loadu_ps(cp), acc[r][v]) : acc[r][v]);
    }
}
#endif

GemmArch chooseArch() {
#if SIMMER_X86
  switch (simdLevel()) {
    case Simd::Avx512:
      return {8, 32, 384, kernelAvx512<8, 2>, "avx512 8x32"};
    case Simd::Avx2:
      return {6, 16, 384, kernelAvx2<6, 2>, "avx2 6x16"};
    default:
      break;
  }
#endif
  return {4, 8, 256, kernelPortable<4, 8>, "portable 4x8"};
}

}  // namespace

const GemmArch& gemmArch() {
  static GemmArch g = chooseArch();
  return g;
}

// ── packing ─────────────────────────────────────────────────────────────────────────────────────────

namespace {
#if SIMMER_X86
// dst[i·dstride + r] = src[r·stride + i] for r, i < 8: an 8×8 block transposed in registers (unpack, shuffle, lane
// permute). The transposing packs (a row-major A into 8-row panels; a Bᵀ stored row-major, e.g. linear's weight, into
// NR-column panels) run on it: the scalar loop stored with a stride of MR or NR floats at ~6 cycles per element, and
// the packing of x·Wᵀ (W2's 128×784 · 784×256) cost 40% of the product. (AVX-512 gathers were tried: ~1.5 ns per
// element on this Zen 5 guest, no better.)
SIMMER_TARGET_AVX2 SIMMER_INLINE void transpose8(const float* src, int64_t stride, float* dst, int64_t dstride) {
  __m256 r[8], t[8], u[8];
  for (int i = 0; i < 8; i++) r[i] = _mm256_loadu_ps(src + i * stride);
  for (int i = 0; i < 4; i++) {
    t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
    t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
  }
  for (int h = 0; h < 2; h++) {  // rows 0-3, then 4-7: columns (c, c + 4) of four rows in one register
    const __m256 *lo = t + 4 * h, *hi = t + 4 * h + 2;
    u[4 * h + 0] = _mm256_shuffle_ps(lo[0], hi[0], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * h + 1] = _mm256_shuffle_ps(lo[0], hi[0], _MM_SHUFFLE(3, 2, 3, 2));
    u[4 * h + 2] = _mm256_shuffle_ps(lo[1], hi[1], _MM_SHUFFLE(1, 0, 1, 0));
    u[4 * h + 3] = _mm256_shuffle_ps(lo[1], hi[1], _MM_SHUFFLE(3, 2, 3, 2));
  }
  for (int c = 0; c < 4; c++) {
    _mm256_storeu_ps(dst + c * dstride, _mm256_permute2f128_ps(u[c], u[4 + c], 0x20));
    _mm256_storeu_ps(dst + (c + 4) * dstride, _mm256_permute2f128_ps(u[c], u[4 + c], 0x31));
  }
}

// Packs kc steps of `rows` (a multiple of 8) rows `stride` apart, each contiguous along p, into dst[p·width + r].
SIMMER_TARGET_AVX2 void packTransposed(const float* src, int64_t stride, int64_t rows, int64_t kc, float* dst, int64_t width) {
  const int64_t k8 = kc / 8 * 8;
  for (int64_t r0 = 0; r0 < rows; r0 += 8) {
    for (int64_t p = 0; p < k8; p += 8) transpose8(src + r0 * stride + p, stride, dst + p * width + r0, width);
    for (int64_t p = k8; p < kc; p++)
      for (int64_t r = r0; r < r0 + 8; r++) dst[p * width + r] = src[r * stride + p];
  }
}
#endif

// Whether a full panel of `width` rows (a multiple of 8) can go through packTransposed.
bool transposedPack(int64_t width) {
#if SIMMER_X86
  return simdLevel() != Simd::Portable && width % 8 == 0;
#else
  (void)width;
  return false;
#endif
}
}  // namespace

void packAPanels(const GemmArch& g, int64_t m, int64_t k, const float* a, int64_t rsa, int64_t csa, float* out, int64_t q0, int64_t q1) {
  const int64_t mr = g.mr;
  const int64_t total = ceilDiv(m, mr) * mr;
  for (int64_t p0 = 0; p0 < k; p0 += g.kc) {
    const int64_t kc = std::min<int64_t>(g.kc, k - p0);
    for (int64_t q = q0; q < q1; q++) {
      float* dst = out + p0 * total + q * mr * kc;
      const int64_t i0 = q * mr;
      const int64_t mv = std::min(mr, m - i0);
      if (csa == 1 && mv == mr && transposedPack(mr)) {
#if SIMMER_X86
        packTransposed(a + i0 * rsa + p0, rsa, mr, kc, dst, mr);
#endif
      } else if (csa == 1) {  // rows contiguous along p
        for (int64_t r = 0; r < mv; r++) {
          const float* src = a + (i0 + r) * rsa + p0;
          for (int64_t p = 0; p < kc; p++) dst[p * mr + r] = src[p];
        }
        for (int64_t r = mv; r < mr; r++)
          for (int64_t p = 0; p < kc; p++) dst[p * mr + r] = 0.f;
      } else {
        for (int64_t p = 0; p < kc; p++) {
          const float* src = a + i0 * rsa + (p0 + p) * csa;
          float* d = dst + p * mr;
          int64_t r = 0;
          if (rsa == 1)
            for (; r < mv; r++) d[r] = src[r];
          else
            for (; r < mv; r++) d[r] = src[r * rsa];
          for (; r < mr; r++) d[r] = 0.f;
        }
      }
    }
  }
}

void packBPanels(const GemmArch& g, int64_t n, int64_t k, const float* b, int64_t rsb, int64_t csb, float* out, int64_t q0, int64_t q1) {
  const int64_t nr = g.nr;
  const int64_t total = ceilDiv(n, nr) * nr;
  for (int64_t p0 = 0; p0 < k; p0 += g.kc) {
    const int64_t kc = std::min<int64_t>(g.kc, k - p0);
    for (int64_t q = q0; q < q1; q++) {
      float* dst = out + p0 * total + q * nr * kc;
      const int64_t j0 = q * nr;
      const int64_t nv = std::min(nr, n - j0);
      if (csb == 1) {
        for (int64_t p = 0; p < kc; p++) {
          const float* src = b + (p0 + p) * rsb + j0;
          float* d = dst + p * nr;
          std::memcpy(d, src, nv * sizeof(float));
          for (int64_t j = nv; j < nr; j++) d[j] = 0.f;
        }
      } else if (rsb == 1 && nv == nr && transposedPack(nr)) {
#if SIMMER_X86
        packTransposed(b + j0 * csb + p0, csb, nr, kc, dst, nr);
#endif
      } else {
        for (int64_t j = 0; j < nv; j++) {
          const float* src = b + (j0 + j) * csb + p0 * rsb;
          if (rsb == 1)
            for (int64_t p = 0; p < kc; p++) dst[p * nr + j] = src[p];
          else
            for (int64_t p = 0; p < kc; p++) dst[p * nr + j] = src[p * rsb];
        }
        for (int64_t j = nv; j < nr; j++)
          for (int64_t p = 0; p < kc; p++) dst[p * nr + j] = 0.f;
      }
    }
  }
}

// ── compute ─────────────────────────────────────────────────────────────────────────────────────────

void gemmPacked(const GemmArch& g, int64_t m, int64_t n, int64_t k, const float* ap, int64_t aPanels, const float* bp, int64_t bPanels, float* c,
                int64_t rsc, int64_t csc, bool accumulate, int64_t ia0, int64_t ia1, int64_t jb0, int64_t jb1) {
  const int64_t mr = g.mr, nr = g.nr;
  const int64_t aTotal = aPanels * mr, bTotal = bPanels * nr;
  alignas(64) float tile[16 * 64];
  for (int64_t p0 = 0; p0 < k; p0 += g.kc) {
    const int64_t kc = std::min<int64_t>(g.kc, k - p0);
    const bool acc = accumulate || p0 > 0;
    for (int64_t jb = jb0; jb < jb1; jb++) {
      const float* bpan = bp + p0 * bTotal + jb * nr * kc;
      const int64_t j0 = jb * nr;
      const int64_t nv = std::min(nr, n - j0);
      for (int64_t ia = ia0; ia < ia1; ia++) {
        const float* apan = ap + p0 * aTotal + ia * mr * kc;
        const int64_t i0 = ia * mr;
        const int64_t mv = std::min(mr, m - i0);
        float* ct = c + i0 * rsc + j0 * csc;
        if (mv == mr && nv == nr && csc == 1) {
          g.kernel(kc, apan, bpan, ct, rsc, acc);
          continue;
        }
        g.kernel(kc, apan, bpan, tile, nr, false);
        for (int64_t r = 0; r < mv; r++)
          for (int64_t j = 0; j < nv; j++) {
            float* d = ct + r * rsc + j * csc;
            *d = acc ? *d + tile[r * nr + j] : tile[r * nr + j];
          }
      }
    }
  }
}

void sgemmNaive(int64_t m, int64_t n, int64_t k, const float* a, int64_t rsa, int64_t csa, const float* b, int64_t rsb, int64_t csb, float* c,
                int64_t rsc, int64_t csc, bool accumulate) {
  for (int64_t i = 0; i < m; i++)
    for (int64_t j = 0; j < n; j++) {
      float s = 0.f;
      for (int64_t p = 0; p < k; p++) s += a[i * rsa + p * csa] * b[p * rsb + j * csb];
      float* d = c + i * rsc + j * csc;
      *d = accumulate ? *d + s : s;
    }
}

void sgemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t rsa, int64_t csa, const float* b, int64_t rsb, int64_t csb, float* c, int64_t rsc,
           int64_t csc, bool accumulate, bool threads) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    if (!accumulate)
      for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < n; j++) c[i * rsc + j * csc] = 0.f;
    return;
  }
  if (m * n * k <= 512) {
    sgemmNaive(m, n, k, a, rsa, csa, b, rsb, csb, c, rsc, csc, accumulate);
    return;
  }
  const GemmArch& g = gemmArch();
  const int64_t aPanels = ceilDiv(m, g.mr), bPanels = ceilDiv(n, g.nr);
  thread_local Scratch aBuf, bBuf;
  float* ap = aBuf.floats(aPanels * g.mr * k);
  float* bp = bBuf.floats(bPanels * g.nr * k);
  const double flops = 2.0 * m * n * k;
  const int nt = threads && flops >= 1.5e6 ? poolThreads() : 1;
  if (nt == 1) {
    packAPanels(g, m, k, a, rsa, csa, ap, 0, aPanels);
    packBPanels(g, n, k, b, rsb, csb, bp, 0, bPanels);
    gemmPacked(g, m, n, k, ap, aPanels, bp, bPanels, c, rsc, csc, accumulate, 0, aPanels, 0, bPanels);
    return;
  }
  // Pack both operands in one parallel pass (A panels first, then B panels).
  const int64_t packGrain = std::max<int64_t>(1, (aPanels + bPanels) / (4 * nt));
  parallelFor(aPanels + bPanels, packGrain, [&](int64_t q0, int64_t q1, int) {
    if (q0 < aPanels) packAPanels(g, m, k, a, rsa, csa, ap, q0, std::min(q1, aPanels));
    if (q1 > aPanels) packBPanels(g, n, k, b, rsb, csb, bp, std::max<int64_t>(q0 - aPanels, 0), q1 - aPanels);
  });
  // Tiles of C: start from L2-sized blocks, split until every thread has several tiles to take
  // (8 per thread: if a worker is preempted holding a tile, the others wait for at most that tile).
  int64_t tm = std::min<int64_t>(aPanels, std::max<int64_t>(1, 192 / g.mr));
  int64_t tn = std::min<int64_t>(bPanels, std::max<int64_t>(1, 1536 / g.nr));
  auto tiles = [&] { return ceilDiv(aPanels, tm) * ceilDiv(bPanels, tn); };
  while (tiles() < 8 * nt && (tm > 1 || tn > 1)) {
    if (tn * g.nr >= tm * g.mr && tn > 1) tn = ceilDiv(tn, 2);
    else if (tm > 1) tm = ceilDiv(tm, 2);
    else tn = ceilDiv(tn, 2);
  }
  const int64_t tilesM = ceilDiv(aPanels, tm);
  parallelFor(tiles(), 1, [&](int64_t t0, int64_t t1, int) {
    for (int64_t t = t0; t < t1; t++) {
      const int64_t ti = t % tilesM, tj = t / tilesM;
      gemmPacked(g, m, n, k, ap, aPanels, bp, bPanels, c, rsc, csc, accumulate, ti * tm, std::min(aPanels, (ti + 1) * tm), tj * tn,
                 std::min(bPanels, (tj + 1) * tn));
    }
  });
}

}  // namespace simmer
