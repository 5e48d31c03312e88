// N-API binding of the batched matmul (spec: src/backend/spec/matmul.ts; kernel: native/kernels/matmul.cc).
#include "binding.h"
#include "simmer.h"

namespace {
using namespace simmer::binding;

void Matmul(const Napi::CallbackInfo& info) {
  // (a, b, c, batch, m, n, k, transA, transB, strideA, strideB, strideC, accumulate)
  DebugTimer t("matmul", int64(info, 3) * int64(info, 4) * int64(info, 5) * int64(info, 6));
  simmer_matmul(f32(info, 0), f32(info, 1), f32(info, 2), int64(info, 3), int64(info, 4), int64(info, 5), int64(info, 6), flag(info, 7), flag(info, 8),
                int64(info, 9), int64(info, 10), int64(info, 11), flag(info, 12));
}

SIMMER_EXPORT("matmul", "f32 f32 f32 spread10", Matmul);

}  // namespace
