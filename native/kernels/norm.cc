// Normalisation statistics and their backward pass (the affine part is done by ops).
// x is viewed as n × c × hw; statistics are per channel over n·hw values (row norm: n = 1).
// Means and variances are accumulated in double (two passes, like the reference).
#include <cmath>

#include "simd_run.h"
#include "simmer.h"
#include "thread_pool.h"

namespace simmer {
namespace {

constexpr int kLanes = 16;

SIMMER_INLINE double sumRow(const float* x, int64_t n) {
  float lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; j++) lanes[j] += x[i + j];
  double s = 0;
  for (int j = 0; j < kLanes; j++) s += lanes[j];
  for (; i < n; i++) s += x[i];
  return s;
}

SIMMER_INLINE double sumSquaredDev(const float* x, int64_t n, float mu) {
  float lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; j++) {
      const float d = x[i + j] - mu;
      lanes[j] += d * d;
    }
  double s = 0;
  for (int j = 0; j < kLanes; j++) s += lanes[j];
  for (; i < n; i++) s += static_cast<double>(x[i] - mu) * (x[i] - mu);
  return s;
}

SIMMER_INLINE void sumsForBackward(const float* g, const float* xh, int64_t n, double* sg, double* sgx) {
  float l1[kLanes] = {}, l2[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; j++) {
      l1[j] += g[i + j];
      l2[j] += g[i + j] * xh[i + j];
    }
  double a = 0, b = 0;
  for (int j = 0; j < kLanes; j++) {
    a += l1[j];
    b += l2[j];
  }
  for (; i < n; i++) {
    a += g[i];
    b += static_cast<double>(g[i]) * xh[i];
  }
  *sg += a;
  *sgx += b;
}

}  // namespace
}  // namespace simmer

using namespace simmer;

extern "C" void simmer_batch_norm_forward(const float* x, int64_t n, int64_t c, int64_t hw, float eps, float* xHat, float* mean, float* invStd) {
  const double count = static_cast<double>(n) * hw;
  parallelFor(c, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n * hw)), [&](int64_t c0, int64_t c1, int) {
    simdRun([&] {
      for (int64_t ch = c0; ch < c1; ch++) {
        double sum = 0;
        for (int64_t b = 0; b < n; b++) sum += sumRow(x + (b * c + ch) * hw, hw);
        const float mu = static_cast<float>(sum / count);
        double sq = 0;
        for (int64_t b = 0; b < n; b++) sq += sumSquaredDev(x + (b * c + ch) * hw, hw, mu);
        const float is = static_cast<float>(1.0 / std::sqrt(sq / count + eps));
        mean[ch] = mu;
        invStd[ch] = is;
        for (int64_t b = 0; b < n; b++) {
          const float* xr = x + (b * c + ch) * hw;
          float* yr = xHat + (b * c + ch) * hw;
          for (int64_t i = 0; i < hw; i++) yr[i] = (xr[i] - mu) * is;
        }
      }
    });
  });
}

extern "C" void simmer_batch_norm_backward(const float* xHat, const float* gxHat, const float* invStd, int64_t n, int64_t c, int64_t hw, float* gx) {
  const double count = static_cast<double>(n) * hw;
  parallelFor(c, std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n * hw)), [&](int64_t c0, int64_t c1, int) {
    simdRun([&] {
      for (int64_t ch = c0; ch < c1; ch++) {
        double sg = 0, sgx = 0;
        for (int64_t b = 0; b < n; b++) sumsForBackward(gxHat + (b * c + ch) * hw, xHat + (b * c + ch) * hw, hw, &sg, &sgx);
        const float mg = static_cast<float>(sg / count), mgx = static_cast<float>(sgx / count), is = invStd[ch];
        for (int64_t b = 0; b < n; b++) {
          const int64_t o = (b * c + ch) * hw;
          for (int64_t i = 0; i < hw; i++) gx[o + i] = is * (gxHat[o + i] - mg - xHat[o + i] * mgx);
        }
      }
    });
  });
}

// Running statistics of batch norm after a training step (PyTorch's rule, per channel, in double):
//   runningMean = (1 − momentum)·runningMean + momentum·mean
//   runningVar  = (1 − momentum)·runningVar + momentum·biasedVar·unbias,  biasedVar = 1/invStd² − eps,
// where unbias = count/(count − 1) turns the batch's biased variance into the unbiased one.
extern "C" void simmer_batch_norm_update_stats(const float* mean, const float* invStd, int64_t c, double eps, double momentum, double unbias,
                                               float* runningMean, float* runningVar) {
  for (int64_t ch = 0; ch < c; ch++) {
    const double is = invStd[ch];
    const double biasedVar = 1 / (is * is) - eps;
    runningMean[ch] = static_cast<float>((1 - momentum) * runningMean[ch] + momentum * mean[ch]);
    runningVar[ch] = static_cast<float>((1 - momentum) * runningVar[ch] + momentum * biasedVar * unbias);
  }
}
