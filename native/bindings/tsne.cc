// N-API binding of the exact t-SNE kernels (spec: src/backend/spec/tsne.ts; kernels: native/kernels/tsne.cc).
#include "binding.h"
#include "simmer.h"

namespace {
using namespace simmer::binding;

void TsneAffinities(const Napi::CallbackInfo& info) {
  // (d2, n, perplexity, p)
  DebugTimer t("tsneAffinities", int64(info, 1));
  simmer_tsne_affinities(f32(info, 0), int64(info, 1), num(info, 2), f32(info, 3));
}

void TsneGradient(const Napi::CallbackInfo& info) {
  // (p, y, n, dims, grad, withLoss, loss)
  DebugTimer t("tsneGradient", int64(info, 2));
  simmer_tsne_gradient(f32(info, 0), f32(info, 1), int64(info, 2), int64(info, 3), f32(info, 4), flag(info, 5) ? 1 : 0, f32(info, 6));
}

SIMMER_EXPORT("tsneAffinities", "f32 int float f32", TsneAffinities);
SIMMER_EXPORT("tsneGradient", "f32 f32 int int f32 bool f32", TsneGradient);

}  // namespace
