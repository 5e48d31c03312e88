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

void AdaptiveAvgPool2dForward(const Napi::CallbackInfo& info) {
  DebugTimer t("adaptiveAvgPool2dForward", len(info, 0));
  simmer_adaptive_avg_pool2d_forward(f32(info, 0), f32(info, 1), f64(info, 2));
}
void AdaptiveAvgPool2dBackward(const Napi::CallbackInfo& info) {
  DebugTimer t("adaptiveAvgPool2dBackward", len(info, 1));
  simmer_adaptive_avg_pool2d_backward(f32(info, 0), f32(info, 1), f64(info, 2));
}
void Upsample2dForward(const Napi::CallbackInfo& info) {
  DebugTimer t("upsample2dForward", len(info, 1));
  simmer_upsample2d_forward(f32(info, 0), f32(info, 1), f64(info, 2), int32(info, 3), flag(info, 4));
}
void Upsample2dBackward(const Napi::CallbackInfo& info) {
  DebugTimer t("upsample2dBackward", len(info, 0));
  simmer_upsample2d_backward(f32(info, 0), f32(info, 1), f64(info, 2), int32(info, 3), flag(info, 4));
}

SIMMER_EXPORT("maxPool2dForward", "f32 f32 i32 geom14", MaxPool2dForward);
SIMMER_EXPORT("maxPool2dBackward", "f32 i32 f32 geom14", MaxPool2dBackward);
SIMMER_EXPORT("avgPool2dForward", "f32 f32 geom14 bool", AvgPool2dForward);
SIMMER_EXPORT("avgPool2dBackward", "f32 f32 geom14 bool", AvgPool2dBackward);
SIMMER_EXPORT("adaptiveAvgPool2dForward", "f32 f32 geomf648", AdaptiveAvgPool2dForward);
SIMMER_EXPORT("adaptiveAvgPool2dBackward", "f32 f32 geomf648", AdaptiveAvgPool2dBackward);
SIMMER_EXPORT("upsample2dForward", "f32 f32 geomf648 enum bool", Upsample2dForward);
SIMMER_EXPORT("upsample2dBackward", "f32 f32 geomf648 enum bool", Upsample2dBackward);
SIMMER_OP_TABLE("upsample", simmer_upsample_name);

}  // namespace
