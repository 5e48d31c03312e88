// N-API bindings of pooling and resampling (spec: src/backend/spec/pool.ts; kernels: native/kernels/pool.cc).
#include "binding.h"
#include "simmer.h"

namespace {
using namespace simmer::binding;

void MaxPool2dForward(const Napi::CallbackInfo& info) {
  DebugTimer t("maxPool2dForward", len(info, 0));
  simmer_max_pool2d_forward(f32(info, 0), f32(info, 1), i32(info, 2), i32(info, 3));
}
void MaxPool2dBackward(const Napi::CallbackInfo& info) {
  DebugTimer t("maxPool2dBackward", len(info, 2));
  simmer_max_pool2d_backward(f32(info, 0), i32(info, 1), f32(info, 2), i32(info, 3));
}
void AvgPool2dForward(const Napi::CallbackInfo& info) {
  DebugTimer t("avgPool2dForward", len(info, 0));
  simmer_avg_pool2d_forward(f32(info, 0), f32(info, 1), i32(info, 2), flag(info, 3));
}
void AvgPool2dBackward(const Napi::CallbackInfo& info) {
  DebugTimer t("avgPool2dBackward", len(info, 1));
  simmer_avg_pool2d_backward(f32(info, 0), f32(info, 1), i32(info, 2), flag(info, 3));
}

SIMMER_EXPORT("maxPool2dForward", "f32 f32 i32 geom14", MaxPool2dForward);
SIMMER_EXPORT("maxPool2dBackward", "f32 i32 f32 geom14", MaxPool2dBackward);
SIMMER_EXPORT("avgPool2dForward", "f32 f32 geom14 bool", AvgPool2dForward);
SIMMER_EXPORT("avgPool2dBackward", "f32 f32 geom14 bool", AvgPool2dBackward);

}  // namespace
