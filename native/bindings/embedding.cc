// N-API bindings of the embedding lookup (spec: src/backend/spec/embedding.ts; kernels: native/kernels/embedding.cc).
#include "binding.h"
#include "simmer.h"

namespace {
using namespace simmer::binding;

void EmbeddingForward(const Napi::CallbackInfo& info) {
  // (weight, num, dim, indices, out, status)
  DebugTimer t("embeddingForward", len(info, 4));
  simmer_embedding_forward(f32(info, 0), int64(info, 1), int64(info, 2), i32(info, 3), len(info, 3), f32(info, 4), i32(info, 5));
}
void EmbeddingBackward(const Napi::CallbackInfo& info) {
  // (gOut, indices, num, dim, gw)
  DebugTimer t("embeddingBackward", len(info, 0));
  simmer_embedding_backward(f32(info, 0), i32(info, 1), len(info, 1), int64(info, 2), int64(info, 3), f32(info, 4));
}

SIMMER_EXPORT("embeddingForward", "f32 int int i32 f32 i32", EmbeddingForward);
SIMMER_EXPORT("embeddingBackward", "f32 i32 int int f32", EmbeddingBackward);

}  // namespace
