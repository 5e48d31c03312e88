// Fused optimizer updates, in place, one pass over param / grad / state (PyTorch's update rules,
// as in src/backend/js/optim.ts). Scalars are folded in double, the per-element math is float. Also the sum of
// squares behind gradient-norm clipping.
#include <algorithm>
#include <cmath>
#include <vector>

#include "simd_run.h"
#include "simmer.h"
#include "thread_pool.h"

using namespace simmer;

namespace {
constexpr int64_t kGrain = 1 << 14;
}

extern "C" void simmer_sgd_step(float* param, const float* grad, float* buf, int64_t len, double lr, double momentum, double dampening,
                                double weightDecay, int nesterov, int firstStep) {
  const float flr = static_cast<float>(lr), fmom = static_cast<float>(momentum), fdamp = static_cast<float>(1.0 - dampening);
  const float fwd = static_cast<float>(weightDecay);
  const bool useBuf = buf != nullptr && momentum != 0;
  parallelFor(len, kGrain, [&](int64_t b, int64_t e, int) {
    simdRun([&] {
      if (!useBuf) {
        for (int64_t i = b; i < e; i++) param[i] -= flr * (grad[i] + fwd * param[i]);
      } else if (firstStep) {
        for (int64_t i = b; i < e; i++) {
          const float g = grad[i] + fwd * param[i];
          buf[i] = g;
          param[i] -= flr * (nesterov ? g + fmom * g : g);
        }
      } else {
        for (int64_t i = b; i < e; i++) {
          const float g = grad[i] + fwd * param[i];
          const float m = fmom * buf[i] + fdamp * g;
          buf[i] = m;
          param[i] -= flr * (nesterov ? g + fmom * m : m);
        }
      }
    });
  });
}

extern "C" void simmer_adam_step(float* param, const float* grad, float* m, float* v, int64_t len, double lr, double beta1, double beta2, double eps,
                                 double weightDecay, int decoupled, double step) {
  const double bc1 = 1 - std::pow(beta1, step), bc2 = 1 - std::pow(beta2, step);
  const float stepSize = static_cast<float>(lr / bc1), invSqrtBc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  const float b1 = static_cast<float>(beta1), b2 = static_cast<float>(beta2), c1 = static_cast<float>(1 - beta1), c2 = static_cast<float>(1 - beta2);
  const float feps = static_cast<float>(eps), decay = static_cast<float>(lr * weightDecay), fwd = static_cast<float>(weightDecay);
  parallelFor(len, kGrain, [&](int64_t b, int64_t e, int) {
    simdRun([&] {
      for (int64_t i = b; i < e; i++) {
        float g = grad[i];
        float p = param[i];
        if (decoupled) p -= decay * p;
        else g += fwd * p;
        const float mi = b1 * m[i] + c1 * g;
        const float vi = b2 * v[i] + c2 * g * g;
        m[i] = mi;
        v[i] = vi;
        param[i] = p - stepSize * mi / (std::sqrt(vi) * invSqrtBc2 + feps);
      }
    });
  });
}

// RMSprop as torch.optim.RMSprop: g += wd·p; sq = α·sq + (1−α)·g²; avg = sq (centered: gAvg = α·gAvg + (1−α)·g,
// avg = sq − gAvg²); with momentum buf = μ·buf + g/(√avg + eps), p −= lr·buf, otherwise p −= lr·g/(√avg + eps).
extern "C" void simmer_rmsprop_step(float* param, const float* grad, float* squareAvg, float* gradAvg, float* momentumBuffer, int64_t len, double lr,
                                    double alpha, double eps, double weightDecay, double momentum) {
  const float flr = static_cast<float>(lr), fa = static_cast<float>(alpha), fa1 = static_cast<float>(1 - alpha);
  const float feps = static_cast<float>(eps), fwd = static_cast<float>(weightDecay), fmom = static_cast<float>(momentum);
  parallelFor(len, kGrain, [&](int64_t b, int64_t e, int) {
    simdRun([&] {
      for (int64_t i = b; i < e; i++) {
        const float g = grad[i] + fwd * param[i];
        const float sq = fa * squareAvg[i] + fa1 * g * g;
        squareAvg[i] = sq;
        float avg = sq;
        if (gradAvg != nullptr) {
          const float ga = fa * gradAvg[i] + fa1 * g;
          gradAvg[i] = ga;
          avg -= ga * ga;
        }
        const float denom = std::sqrt(avg) + feps;
        if (momentumBuffer != nullptr) {
          const float m = fmom * momentumBuffer[i] + g / denom;
          momentumBuffer[i] = m;
          param[i] -= flr * m;
        } else {
          param[i] -= flr * g / denom;
        }
      }
    });
  });
}

// out[0] = Σ x[i]² (for gradient-norm clipping). Fixed chunks of 2^14 elements, each summed in 16 float lanes and
// combined in double in chunk order: the result does not depend on the thread count or on timing.
extern "C" void simmer_sum_of_squares(const float* x, int64_t len, float* out) {
  constexpr int64_t kChunk = 1 << 14;
  constexpr int kLanes = 16;
  const int64_t chunks = (len + kChunk - 1) / kChunk;
  thread_local std::vector<double> partial;
  partial.assign(static_cast<size_t>(chunks), 0.0);
  double* parts = partial.data();
  parallelFor(chunks, 1, [&](int64_t c0, int64_t c1, int) {
    simdRun([&] {
      for (int64_t c = c0; c < c1; c++) {
        const float* xs = x + c * kChunk;
        const int64_t n = std::min(kChunk, len - c * kChunk);
        float lanes[kLanes] = {};
        int64_t i = 0;
        for (; i + kLanes <= n; i += kLanes)
          for (int l = 0; l < kLanes; l++) lanes[l] += xs[i + l] * xs[i + l];
        double s = 0;
        for (int l = 0; l < kLanes; l++) s += lanes[l];
        for (; i < n; i++) s += static_cast<double>(xs[i]) * xs[i];
        parts[c] = s;
      }
    });
  });
  double total = 0;
  for (int64_t c = 0; c < chunks; c++) total += parts[c];
  out[0] = static_cast<float>(total);
}
