// Fused optimizer updates, in place, one pass over param / grad / state (PyTorch's update rules,
// as in src/backend/js/optim.ts). Scalars are folded in double, the per-element math is float.
#include <cmath>

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
