// k-means assignment (the reference is src/backend/js/cluster.ts): for each listed row, Σ (x − c)² to every centre in
// 16 interleaved float32 partial sums (fused multiply-add), combined pairwise, and the nearest and second-nearest
// centre. Rows are independent, so threading over them changes nothing in the results.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "simd_run.h"
#include "simmer.h"
#include "thread_pool.h"

using namespace simmer;

namespace {

constexpr int kLanes = 16;

// Squared distances from one row to J consecutive centres, with J independent accumulators so the fused
// multiply-adds do not wait on each other (one accumulator chain is latency-bound). Each distance is summed exactly
// as the spec says, whatever J is.
template <int J>
SIMMER_INLINE void distances(const float* xi, const float* c, int64_t d, float* out) {
  const int64_t full = d / kLanes * kLanes;
  float acc[J][kLanes] = {};
  for (int64_t p = 0; p < full; p += kLanes)
    for (int j = 0; j < J; j++)
      for (int l = 0; l < kLanes; l++) {
        const float v = xi[p + l] - c[j * d + p + l];
        acc[j][l] = std::fma(v, v, acc[j][l]);
      }
  for (int j = 0; j < J; j++) {
    for (int64_t p = full; p < d; p++) {
      const float v = xi[p] - c[j * d + p];
      acc[j][p - full] = std::fma(v, v, acc[j][p - full]);
    }
    for (int w = kLanes / 2; w >= 1; w /= 2)
      for (int l = 0; l < w; l++) acc[j][l] += acc[j][l + w];
    out[j] = acc[j][0];
  }
}

}  // namespace

extern "C" void simmer_kmeans_assign(const float* x, int64_t n, int64_t d, const float* centres, int64_t k, const int32_t* rows, int64_t m,
                                     int32_t* labels, float* nearest, float* second) {
  (void)n;
  if (m <= 0) return;
  const int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, k * d));
  parallelFor(m, grain, [&](int64_t t0, int64_t t1, int) {
    simdRun([&] {
      float dist[4];
      for (int64_t t = t0; t < t1; t++) {
        const float* xi = x + static_cast<int64_t>(rows[t]) * d;
        float best = std::numeric_limits<float>::infinity();
        float next = best;
        int32_t arg = 0;
        for (int64_t j0 = 0; j0 < k; j0 += 4) {
          const int64_t count = std::min<int64_t>(4, k - j0);
          const float* c = centres + j0 * d;
          if (count == 4)
            distances<4>(xi, c, d, dist);
          else if (count == 3)
            distances<3>(xi, c, d, dist);
          else if (count == 2)
            distances<2>(xi, c, d, dist);
          else
            distances<1>(xi, c, d, dist);
          for (int64_t jj = 0; jj < count; jj++) {
            const float s = dist[jj];
            if (s < best) {
              next = best;
              best = s;
              arg = static_cast<int32_t>(j0 + jj);
            } else if (s < next) {
              next = s;
            }
          }
        }
        labels[t] = arg;
        nearest[t] = best;
        second[t] = next;
      }
    });
  });
}
