// N-API binding of the k-means assignment (spec: src/backend/spec/cluster.ts; kernel: native/kernels/cluster.cc).
#include "binding.h"
#include "simmer.h"

namespace {
using namespace simmer::binding;

void KmeansAssign(const Napi::CallbackInfo& info) {
  // (x, n, d, centres, k, rows, labels, nearest, second)
  DebugTimer t("kmeansAssign", len(info, 5));
  simmer_kmeans_assign(f32(info, 0), int64(info, 1), int64(info, 2), f32(info, 3), int64(info, 4), i32(info, 5), len(info, 5), i32(info, 6),
                       f32(info, 7), f32(info, 8));
}

SIMMER_EXPORT("kmeansAssign", "f32 int int f32 int i32 i32 f32 f32", KmeansAssign);

}  // namespace
