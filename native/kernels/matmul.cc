// Batched matmul entry point over sgemm: big products are threaded inside, many small ones across the batch.
#include <algorithm>

#include "simmer.h"
#include "sgemm.h"
#include "thread_pool.h"

using namespace simmer;

extern "C" void simmer_matmul(const float* a, const float* b, float* c, int64_t batch, int64_t m, int64_t n, int64_t k, int transA, int transB,
                              int64_t strideA, int64_t strideB, int64_t strideC, int accumulate) {
  // op(A)(i, p) and op(B)(p, j) as strides.
  const int64_t rsa = transA ? 1 : k, csa = transA ? m : 1;
  const int64_t rsb = transB ? 1 : n, csb = transB ? k : 1;
  auto one = [&](int64_t bt, bool threads) {
    sgemm(m, n, k, a + bt * strideA, rsa, csa, b + bt * strideB, rsb, csb, c + bt * strideC, n, 1, accumulate != 0, threads);
  };
  const double flops = 2.0 * m * n * k;
  // Products that share C (stride 0 or overlapping) must run in order.
  if (batch == 1 || flops >= 4e6 || strideC < m * n) {
    for (int64_t bt = 0; bt < batch; bt++) one(bt, true);
    return;
  }
  const int64_t grain = std::max<int64_t>(1, static_cast<int64_t>(2e5 / (flops + 1)));
  parallelFor(batch, grain, [&](int64_t b0, int64_t b1, int) {
    for (int64_t bt = b0; bt < b1; bt++) one(bt, false);
  });
}
