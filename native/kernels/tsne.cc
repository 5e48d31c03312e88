// Exact t-SNE kernels (the reference is src/backend/js/tsne.ts): per-row bisection for the perplexity, and the
// gradient of KL(P || Q) under the Student-t kernel. Rows are independent; every per-row sum is float64 and the
// per-row totals are added in row order after the parallel pass, so the thread count never changes a result.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <vector>

#include "simd_run.h"
#include "simmer.h"
#include "thread_pool.h"

using namespace simmer;

namespace {

constexpr int kMaxSteps = 100;
constexpr double kTolerance = 1e-5;
constexpr double kTiny = 1e-12;

SIMMER_INLINE double studentT(const float* yi, const float* yj, int64_t dims) {
  double s = 0;
  for (int64_t c = 0; c < dims; c++) {
    const double v = static_cast<double>(yi[c]) - static_cast<double>(yj[c]);
    s += v * v;
  }
  return 1.0 / (1.0 + s);
}

}  // namespace

extern "C" void simmer_tsne_affinities(const float* d2, int64_t n, double perplexity, float* p) {
  const double target = std::log(perplexity);
  parallelFor(n, 1, [&](int64_t i0, int64_t i1, int) {
    std::vector<double> row(static_cast<size_t>(n));
    for (int64_t i = i0; i < i1; i++) {
      const float* di = d2 + i * n;
      double beta = 1, lo = -std::numeric_limits<double>::infinity(), hi = std::numeric_limits<double>::infinity();
      double sum = 0;
      for (int step = 0; step < kMaxSteps; step++) {
        sum = 0;
        double weighted = 0;
        for (int64_t j = 0; j < n; j++) {
          if (j == i) {
            row[j] = 0;
            continue;
          }
          const double e = std::exp(-static_cast<double>(di[j]) * beta);
          row[j] = e;
          sum += e;
          weighted += static_cast<double>(di[j]) * e;
        }
        if (sum == 0) sum = 1e-8;
        const double diff = std::log(sum) + beta * weighted / sum - target;
        if (std::fabs(diff) <= kTolerance) break;
        if (diff > 0) {
          lo = beta;
          beta = std::isinf(hi) ? beta * 2 : (beta + hi) / 2;
        } else {
          hi = beta;
          beta = std::isinf(lo) ? beta / 2 : (beta + lo) / 2;
        }
      }
      for (int64_t j = 0; j < n; j++) p[i * n + j] = static_cast<float>(row[j] / sum);
    }
  });
}

extern "C" void simmer_tsne_gradient(const float* p, const float* y, int64_t n, int64_t dims, float* grad, int with_loss, float* loss) {
  if (n <= 0) return;
  std::vector<double> rowSums(static_cast<size_t>(n));
  parallelFor(n, 16, [&](int64_t i0, int64_t i1, int) {
    for (int64_t i = i0; i < i1; i++) {
      double s = 0;
      for (int64_t j = 0; j < n; j++)
        if (j != i) s += studentT(y + i * dims, y + j * dims, dims);
      rowSums[i] = s;
    }
  });
  double z = 0;
  for (int64_t i = 0; i < n; i++) z += rowSums[i];
  std::vector<double> rowKl(static_cast<size_t>(n));
  parallelFor(n, 16, [&](int64_t i0, int64_t i1, int) {
    std::vector<double> g(static_cast<size_t>(dims));
    for (int64_t i = i0; i < i1; i++) {
      std::fill(g.begin(), g.end(), 0.0);
      const float* yi = y + i * dims;
      double kl = 0;
      for (int64_t j = 0; j < n; j++) {
        if (j == i) continue;
        const float* yj = y + j * dims;
        const double w = studentT(yi, yj, dims);
        const double pij = p[i * n + j];
        const double f = (pij - w / z) * w;
        for (int64_t c = 0; c < dims; c++) g[c] += f * (static_cast<double>(yi[c]) - static_cast<double>(yj[c]));
        if (with_loss) kl += pij * std::log(std::max(pij, kTiny) / std::max(w / z, kTiny));
      }
      for (int64_t c = 0; c < dims; c++) grad[i * dims + c] = static_cast<float>(4 * g[c]);
      rowKl[i] = kl;
    }
  });
  if (with_loss) {
    double kl = 0;
    for (int64_t i = 0; i < n; i++) kl += rowKl[i];
    loss[0] = static_cast<float>(kl);
  }
}
