// Embedding lookup (the reference is src/backend/js/embedding.ts): out[i] = weight[idx[i]] (rows of dim floats), and its
// backward, gw[r] = Σ_{i: idx[i] = r} gout[i], a scatter-add of rows. The backward is threaded over blocks of columns,
// each block adding the rows in index order, so every element sums in the same order whatever the thread count.
#include <algorithm>
#include <cstring>

#include "simmer.h"
#include "thread_pool.h"

using namespace simmer;

extern "C" void simmer_embedding_forward(const float* weight, int64_t num, int64_t dim, const int32_t* idx, int64_t count, float* out,
                                         int32_t* firstInvalid) {
  firstInvalid[0] = -1;
  for (int64_t i = 0; i < count; i++)
    if (idx[i] < 0 || idx[i] >= num) {
      firstInvalid[0] = static_cast<int32_t>(i);
      return;
    }
  if (dim <= 0) return;
  parallelFor(count, std::max<int64_t>(1, 16384 / dim), [&](int64_t i0, int64_t i1, int) {
    for (int64_t i = i0; i < i1; i++) std::memcpy(out + i * dim, weight + static_cast<int64_t>(idx[i]) * dim, sizeof(float) * dim);
  });
}

extern "C" void simmer_embedding_backward(const float* gout, const int32_t* idx, int64_t count, int64_t num, int64_t dim, float* gw) {
  std::memset(gw, 0, sizeof(float) * num * dim);
  if (dim <= 0) return;
  constexpr int64_t kBlock = 64;  // columns per task: a cache line of floats ×4
  const int64_t blocks = (dim + kBlock - 1) / kBlock;
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, count * kBlock));
  parallelFor(blocks, grain, [&](int64_t b0, int64_t b1, int) {
    const int64_t j0 = b0 * kBlock, j1 = std::min(dim, b1 * kBlock);
    for (int64_t i = 0; i < count; i++) {
      const float* src = gout + i * dim;
      float* dst = gw + static_cast<int64_t>(idx[i]) * dim;
      for (int64_t j = j0; j < j1; j++) dst[j] += src[j];
    }
  });
}
