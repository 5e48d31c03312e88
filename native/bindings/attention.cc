// N-API bindings of scaled dot-product attention (spec: src/backend/spec/attention.ts; kernels: native/kernels/attention.cc).
#include "binding.h"
#include "simmer.h"

namespace {
using namespace simmer::binding;

void AttentionForward(const Napi::CallbackInfo& info) {
  // (q, k, v, mask|null, out, lse, geom f64)
  DebugTimer t("attentionForward", len(info, 0));
  simmer_attention_forward(f32(info, 0), f32(info, 1), f32(info, 2), f32OrNull(info, 3), f32(info, 4), f32(info, 5), f64(info, 6));
}
void AttentionBackward(const Napi::CallbackInfo& info) {
  // (q, k, v, mask|null, out, lse, gOut, gq, gk, gv, geom f64)
  DebugTimer t("attentionBackward", len(info, 0));
  simmer_attention_backward(f32(info, 0), f32(info, 1), f32(info, 2), f32OrNull(info, 3), f32(info, 4), f32(info, 5), f32(info, 6), f32(info, 7),
                            f32(info, 8), f32(info, 9), f64(info, 10));
}

SIMMER_EXPORT("attentionForward", "f32 f32 f32 f32? f32 f32 geomf6410", AttentionForward);
SIMMER_EXPORT("attentionBackward", "f32 f32 f32 f32? f32 f32 f32 f32 f32 f32 geomf6410", AttentionBackward);

}  // namespace
