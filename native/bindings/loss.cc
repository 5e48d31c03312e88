// N-API bindings of the fused cross-entropy (spec: src/backend/spec/loss.ts; kernels: native/kernels/loss.cc).
#include "binding.h"
#include "simmer.h"

namespace {
using namespace simmer::binding;

void CrossEntropyForward(const Napi::CallbackInfo& info) {
  // (logits, target, weight|null, rows, c, ignoreIndex, labelSmoothing, logSoftmax, logp, loss, rowWeight, status)
  DebugTimer t("crossEntropyForward", len(info, 0));
  simmer_cross_entropy_forward(f32(info, 0), i32(info, 1), f32OrNull(info, 2), int64(info, 3), int64(info, 4), int64(info, 5), num(info, 6), flag(info, 7),
                               f32(info, 8), f32(info, 9), f32(info, 10), i32(info, 11));
}
void CrossEntropyBackward(const Napi::CallbackInfo& info) {
  // (logp, target, weight|null, rows, c, ignoreIndex, labelSmoothing, logSoftmax, gLoss, perRow, gScale, gx)
  DebugTimer t("crossEntropyBackward", len(info, 0));
  simmer_cross_entropy_backward(f32(info, 0), i32(info, 1), f32OrNull(info, 2), int64(info, 3), int64(info, 4), int64(info, 5), num(info, 6), flag(info, 7),
                                f32(info, 8), flag(info, 9), num(info, 10), f32(info, 11));
}

SIMMER_EXPORT("crossEntropyForward", "f32 i32 f32? int int int float bool f32 f32 f32 i32", CrossEntropyForward);
SIMMER_EXPORT("crossEntropyBackward", "f32 i32 f32? int int int float bool f32 bool float f32", CrossEntropyBackward);

}  // namespace
