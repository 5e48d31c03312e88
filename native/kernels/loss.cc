// Fused softmax cross-entropy (and negative log-likelihood) over rows × c scores with int32 class targets (the
// reference is src/backend/js/loss.ts):
//   logp = log_softmax(row) (or the row itself when logSoftmax is 0: nllLoss of given log-probabilities),
//   loss[i] = −(1−ε)·w_y·logp[i][y] − (ε/C)·Σ_j w_j·logp[i][j],  rowWeight[i] = w_y
// (w = 1 without class weights; rows whose target is ignoreIndex give 0 and weight 0). The backward, with s_i the
// gradient of loss[i], W = Σ_j w_j and p = exp(logp), is
//   through the log-softmax:  gx[i][j] = s_i·((1−ε)·w_y·(p_j − δ_jy) + (ε/C)·(W·p_j − w_j))
//   of the log-probabilities: gx[i][j] = −s_i·((1−ε)·w_y·δ_jy + (ε/C)·w_j)
// Rows are independent: one task chunk per block of rows.
#include <algorithm>
#include <cmath>
#include <limits>

#include "mathfn.h"
#include "simd_run.h"
#include "simmer.h"
#include "thread_pool.h"

namespace simmer {
namespace {

constexpr int kLanes = 16;

SIMMER_INLINE void logSoftmaxRow(const float* x, int64_t c, float* out) {
  float mx = -std::numeric_limits<float>::infinity();
  for (int64_t j = 0; j < c; j++) mx = x[j] > mx ? x[j] : mx;
  float lanes[kLanes] = {};
  int64_t j = 0;
  for (; j + kLanes <= c; j += kLanes)
    for (int l = 0; l < kLanes; l++) lanes[l] += fastExp(x[j + l] - mx);
  double sum = 0;
  for (int l = 0; l < kLanes; l++) sum += lanes[l];
  for (; j < c; j++) sum += fastExp(x[j] - mx);
  const float lse = static_cast<float>(mx + std::log(sum));
  for (int64_t i = 0; i < c; i++) out[i] = x[i] - lse;
}

int64_t grainFor(int64_t c) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(1, c)); }

}  // namespace
}  // namespace simmer

using namespace simmer;

extern "C" void simmer_cross_entropy_forward(const float* logits, const int32_t* target, const float* weight, int64_t rows, int64_t c, int64_t ignoreIndex,
                                             double labelSmoothing, int logSoftmax, float* logp, float* loss, float* rowWeight, int32_t* firstInvalid) {
  // Validate first (cheap, sequential): the caller reports the first bad row and nothing is computed.
  firstInvalid[0] = -1;
  for (int64_t i = 0; i < rows; i++) {
    const int64_t y = target[i];
    if (y != ignoreIndex && (y < 0 || y >= c)) {
      firstInvalid[0] = static_cast<int32_t>(i);
      return;
    }
  }
  if (c <= 0) return;
  const float eps = static_cast<float>(labelSmoothing);
  const float keep = 1.f - eps, spread = eps / static_cast<float>(c);
  parallelFor(rows, grainFor(c), [&](int64_t r0, int64_t r1, int) {
    simdRun([&] {
      for (int64_t i = r0; i < r1; i++) {
        const float* xr = logits + i * c;
        float* lr = logp + i * c;
        if (logSoftmax) logSoftmaxRow(xr, c, lr);
        else
          for (int64_t j = 0; j < c; j++) lr[j] = xr[j];
        const int64_t y = target[i];
        if (y == ignoreIndex) {
          loss[i] = 0.f;
          rowWeight[i] = 0.f;
          continue;
        }
        const float wy = weight != nullptr ? weight[y] : 1.f;
        rowWeight[i] = wy;
        float smooth = 0.f;
        if (eps > 0) {
          if (weight != nullptr)
            for (int64_t j = 0; j < c; j++) smooth += weight[j] * lr[j];
          else
            for (int64_t j = 0; j < c; j++) smooth += lr[j];
        }
        loss[i] = -keep * wy * lr[y] - spread * smooth;
      }
    });
  });
}

extern "C" void simmer_cross_entropy_backward(const float* logp, const int32_t* target, const float* weight, int64_t rows, int64_t c, int64_t ignoreIndex,
                                              double labelSmoothing, int logSoftmax, const float* gLoss, int perRow, double gScale, float* gx) {
  if (c <= 0) return;
  const float eps = static_cast<float>(labelSmoothing);
  const float keep = 1.f - eps, spread = eps / static_cast<float>(c);
  double wSumD = static_cast<double>(c);
  if (weight != nullptr) {
    wSumD = 0;
    for (int64_t j = 0; j < c; j++) wSumD += weight[j];
  }
  const float wSum = static_cast<float>(wSumD);
  parallelFor(rows, grainFor(c), [&](int64_t r0, int64_t r1, int) {
    simdRun([&] {
      for (int64_t i = r0; i < r1; i++) {
        float* gr = gx + i * c;
        const float* lr = logp + i * c;
        const int64_t y = target[i];
        if (y == ignoreIndex) {
          for (int64_t j = 0; j < c; j++) gr[j] = 0.f;
          continue;
        }
        const float s = static_cast<float>(gScale * gLoss[perRow ? i : 0]);
        const float wy = weight != nullptr ? weight[y] : 1.f;
        const float a = s * keep * wy;
        if (!logSoftmax) {
          const float b = s * spread;
          if (weight != nullptr)
            for (int64_t j = 0; j < c; j++) gr[j] = -b * weight[j];
          else
            for (int64_t j = 0; j < c; j++) gr[j] = -b;
          gr[y] -= a;
          continue;
        }
        for (int64_t j = 0; j < c; j++) gr[j] = a * fastExp(lr[j]);
        gr[y] -= a;
        if (eps > 0) {
          const float b = s * spread;
          if (weight != nullptr)
            for (int64_t j = 0; j < c; j++) gr[j] += b * (wSum * fastExp(lr[j]) - weight[j]);
          else
            for (int64_t j = 0; j < c; j++) gr[j] += b * (wSum * fastExp(lr[j]) - 1.f);
        }
      }
    });
  });
}
