// Scaled dot-product attention over (B, H, T, d) tensors, forward and backward (the naive reference is
// src/backend/js/attention.ts). Per (b, h) pair, with q Tq×d, k Tk×d, v Tk×dv:
//   S = scale·Q·Kᵀ + mask (causal: S[i][j] = −∞ for j > i),  P = softmax over each row of S,  O = P·V
// The forward keeps O and each row's log-sum-exp L[i] = log Σ_j exp(S[i][j]); the backward recomputes P = exp(S − L)
// instead of storing the Tq×Tk probabilities, then
//   dV = Pᵀ·dO,  dP = dO·Vᵀ,  D[i] = dO[i]·O[i] (= Σ_j P∘dP),  dS = P∘(dP − D),  dQ = scale·dS·K,  dK = scale·dSᵀ·Q
// A row that the masks leave empty gives O = 0 and no gradient (PyTorch gives NaN there).
//
// The GEMMs go through sgemm; S lives in thread-local scratch (Tq×Tk per task, a tiled kernel that never holds a whole
// row block is a later step). With at least as many (b, h) pairs as threads every pair is one task of the pool with
// single-threaded GEMMs; otherwise pairs run in turn with threaded GEMMs. Every output element is written by exactly
// one task in a fixed order, so the results never depend on timing.
#include <algorithm>
#include <cmath>
#include <limits>

#include "mathfn.h"
#include "scratch.h"
#include "sgemm.h"
#include "simd_run.h"
#include "simmer.h"
#include "thread_pool.h"

namespace simmer {
namespace {

constexpr float kNegInf = -std::numeric_limits<float>::infinity();
constexpr int kLanes = 16;

// geometry (float64): {batch, heads, tq, tk, d, dv, causal, maskStrideB, maskStrideH, scale}
struct AttnGeom {
  int64_t batch, heads, tq, tk, d, dv, maskStrideB, maskStrideH;
  bool causal;
  float scale;
  explicit AttnGeom(const double* g)
      : batch(static_cast<int64_t>(g[0])), heads(static_cast<int64_t>(g[1])), tq(static_cast<int64_t>(g[2])), tk(static_cast<int64_t>(g[3])),
        d(static_cast<int64_t>(g[4])), dv(static_cast<int64_t>(g[5])), maskStrideB(static_cast<int64_t>(g[7])), maskStrideH(static_cast<int64_t>(g[8])),
        causal(g[6] != 0), scale(static_cast<float>(g[9])) {}
  int64_t pairs() const { return batch * heads; }
};

// The operands of one (b, h) pair.
struct Pair {
  const float *q, *k, *v, *mask;
};

Pair pairOf(const AttnGeom& g, int64_t p, const float* q, const float* k, const float* v, const float* mask) {
  const int64_t b = p / g.heads, h = p % g.heads;
  return {q + p * g.tq * g.d, k + p * g.tk * g.d, v + p * g.tk * g.dv, mask != nullptr ? mask + b * g.maskStrideB + h * g.maskStrideH : nullptr};
}

// Turns row i of S = Q·Kᵀ (unscaled) into scale·S + mask with the causal cut; returns the number of columns that can
// be non-masked by the causal rule (the rest are −∞ and left out of every later loop).
SIMMER_INLINE int64_t scoreRow(const AttnGeom& g, float* s, const float* maskRow, int64_t i) {
  const int64_t cols = g.causal ? std::min(g.tk, i + 1) : g.tk;
  const float scale = g.scale;
  if (maskRow != nullptr)
    for (int64_t j = 0; j < cols; j++) s[j] = s[j] * scale + maskRow[j];
  else
    for (int64_t j = 0; j < cols; j++) s[j] *= scale;
  return cols;
}

// Row i of P from the scores and stores its log-sum-exp; masked columns become 0.
SIMMER_INLINE void softmaxRow(float* s, int64_t cols, int64_t tk, float* lse) {
  float mx = kNegInf;
  for (int64_t j = 0; j < cols; j++) mx = s[j] > mx ? s[j] : mx;
  if (mx == kNegInf) {  // every column masked: an empty row
    for (int64_t j = 0; j < tk; j++) s[j] = 0.f;
    *lse = kNegInf;
    return;
  }
  float lanes[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= cols; j += kLanes)
    for (int l = 0; l < kLanes; l++) {
      const float e = fastExp(s[j + l] - mx);
      s[j + l] = e;
      lanes[l] += e;
    }
  double sum = 0;
  for (int l = 0; l < kLanes; l++) sum += lanes[l];
  for (; j < cols; j++) {
    const float e = fastExp(s[j] - mx);
    s[j] = e;
    sum += e;
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (int64_t c = 0; c < cols; c++) s[c] *= inv;
  for (int64_t c = cols; c < tk; c++) s[c] = 0.f;
  *lse = static_cast<float>(mx + std::log(sum));
}

// Row i of P recomputed from the scores and the stored log-sum-exp.
SIMMER_INLINE void probabilityRow(float* s, int64_t cols, int64_t tk, float lse) {
  if (lse == kNegInf) {
    for (int64_t j = 0; j < tk; j++) s[j] = 0.f;
    return;
  }
  for (int64_t j = 0; j < cols; j++) s[j] = fastExp(s[j] - lse);
  for (int64_t j = cols; j < tk; j++) s[j] = 0.f;
}

// Rows [r0, r1) of S → P for one pair (forward).
void forwardRows(const AttnGeom& g, const Pair& pr, float* s, float* lse, int64_t r0, int64_t r1) {
  simdRun([&] {
    for (int64_t i = r0; i < r1; i++) {
      float* row = s + i * g.tk;
      const int64_t cols = scoreRow(g, row, pr.mask != nullptr ? pr.mask + i * g.tk : nullptr, i);
      softmaxRow(row, cols, g.tk, lse + i);
    }
  });
}

// Rows [r0, r1): S → P (from lse), then dP → dS = scale·P∘(dP − D) in place of dP.
void backwardRows(const AttnGeom& g, const Pair& pr, float* s, float* dp, const float* lse, const float* o, const float* go, int64_t r0, int64_t r1) {
  simdRun([&] {
    for (int64_t i = r0; i < r1; i++) {
      float* row = s + i * g.tk;
      const int64_t cols = scoreRow(g, row, pr.mask != nullptr ? pr.mask + i * g.tk : nullptr, i);
      probabilityRow(row, cols, g.tk, lse[i]);
      const float* oi = o + i * g.dv;
      const float* gi = go + i * g.dv;
      float dot = 0.f;
      for (int64_t c = 0; c < g.dv; c++) dot += oi[c] * gi[c];
      float* dpr = dp + i * g.tk;
      const float scale = g.scale;
      for (int64_t j = 0; j < g.tk; j++) dpr[j] = scale * row[j] * (dpr[j] - dot);
    }
  });
}

void forwardPair(const AttnGeom& g, const Pair& pr, float* out, float* lse, bool threads) {
  thread_local Scratch sBuf;
  float* s = sBuf.floats(g.tq * g.tk);
  // S = Q·Kᵀ: op(B)(p, j) = K[j][p].
  sgemm(g.tq, g.tk, g.d, pr.q, g.d, 1, pr.k, 1, g.d, s, g.tk, 1, false, threads);
  if (threads) parallelFor(g.tq, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, g.tk)), [&](int64_t r0, int64_t r1, int) {
      forwardRows(g, pr, s, lse, r0, r1);
    });
  else forwardRows(g, pr, s, lse, 0, g.tq);
  sgemm(g.tq, g.dv, g.tk, s, g.tk, 1, pr.v, g.dv, 1, out, g.dv, 1, false, threads);
}

void backwardPair(const AttnGeom& g, const Pair& pr, const float* o, const float* lse, const float* go, float* gq, float* gk, float* gv, bool threads) {
  thread_local Scratch sBuf, dpBuf;
  float* s = sBuf.floats(g.tq * g.tk);
  float* dp = dpBuf.floats(g.tq * g.tk);
  sgemm(g.tq, g.tk, g.d, pr.q, g.d, 1, pr.k, 1, g.d, s, g.tk, 1, false, threads);
  // dP = dO·Vᵀ
  sgemm(g.tq, g.tk, g.dv, go, g.dv, 1, pr.v, 1, g.dv, dp, g.tk, 1, false, threads);
  if (threads) parallelFor(g.tq, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, g.tk)), [&](int64_t r0, int64_t r1, int) {
      backwardRows(g, pr, s, dp, lse, o, go, r0, r1);
    });
  else backwardRows(g, pr, s, dp, lse, o, go, 0, g.tq);
  // dV = Pᵀ·dO, dQ = dS·K, dK = dSᵀ·Q (dS already carries the scale).
  sgemm(g.tk, g.dv, g.tq, s, 1, g.tk, go, g.dv, 1, gv, g.dv, 1, false, threads);
  sgemm(g.tq, g.d, g.tk, dp, g.tk, 1, pr.k, g.d, 1, gq, g.d, 1, false, threads);
  sgemm(g.tk, g.d, g.tq, dp, 1, g.tk, pr.q, g.d, 1, gk, g.d, 1, false, threads);
}

bool pairParallel(const AttnGeom& g) { return g.pairs() >= poolThreads(); }

}  // namespace
}  // namespace simmer

using namespace simmer;

extern "C" void simmer_attention_forward(const float* q, const float* k, const float* v, const float* mask, float* out, float* lse, const double* geom) {
  const AttnGeom g(geom);
  if (g.pairs() == 0 || g.tq == 0) return;
  if (g.tk == 0) {  // nothing to attend to: empty rows
    std::fill(out, out + g.pairs() * g.tq * g.dv, 0.f);
    std::fill(lse, lse + g.pairs() * g.tq, kNegInf);
    return;
  }
  auto one = [&](int64_t p, bool threads) { forwardPair(g, pairOf(g, p, q, k, v, mask), out + p * g.tq * g.dv, lse + p * g.tq, threads); };
  if (pairParallel(g)) {
    parallelFor(g.pairs(), 1, [&](int64_t p0, int64_t p1, int) {
      for (int64_t p = p0; p < p1; p++) one(p, false);
    });
  } else {
    for (int64_t p = 0; p < g.pairs(); p++) one(p, true);
  }
}

extern "C" void simmer_attention_backward(const float* q, const float* k, const float* v, const float* mask, const float* out, const float* lse,
                                          const float* gout, float* gq, float* gk, float* gv, const double* geom) {
  const AttnGeom g(geom);
  if (g.pairs() == 0) return;
  if (g.tq == 0 || g.tk == 0) {
    std::fill(gq, gq + g.pairs() * g.tq * g.d, 0.f);
    std::fill(gk, gk + g.pairs() * g.tk * g.d, 0.f);
    std::fill(gv, gv + g.pairs() * g.tk * g.dv, 0.f);
    return;
  }
  auto one = [&](int64_t p, bool threads) {
    backwardPair(g, pairOf(g, p, q, k, v, mask), out + p * g.tq * g.dv, lse + p * g.tq, gout + p * g.tq * g.dv, gq + p * g.tq * g.d, gk + p * g.tk * g.d,
                 gv + p * g.tk * g.dv, threads);
  };
  if (pairParallel(g)) {
    parallelFor(g.pairs(), 1, [&](int64_t p0, int64_t p1, int) {
      for (int64_t p = p0; p < p1; p++) one(p, false);
    });
  } else {
    for (int64_t p = 0; p < g.pairs(); p++) one(p, true);
  }
}
