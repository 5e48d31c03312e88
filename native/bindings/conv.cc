// N-API bindings of the 2-D convolution (spec: src/backend/spec/conv.ts; kernels: native/kernels/conv.cc).
#include "binding.h"
#include "simmer.h"

namespace {
using namespace simmer::binding;

void Conv2dForward(const Napi::CallbackInfo& info) {
  DebugTimer t("conv2dForward", len(info, 3));
  simmer_conv2d_forward(f32(info, 0), f32(info, 1), f32OrNull(info, 2), f32(info, 3), i32(info, 4));
}
void Conv2dBackwardInput(const Napi::CallbackInfo& info) {
  DebugTimer t("conv2dBackwardInput", len(info, 2));
  simmer_conv2d_backward_input(f32(info, 0), f32(info, 1), f32(info, 2), i32(info, 3));
}
void Conv2dBackwardWeight(const Napi::CallbackInfo& info) {
  DebugTimer t("conv2dBackwardWeight", len(info, 0));
  simmer_conv2d_backward_weight(f32(info, 0), f32(info, 1), f32(info, 2), i32(info, 3));
}
void Conv2dForwardAct(const Napi::CallbackInfo& info) {
  DebugTimer t("conv2dForwardAct", len(info, 3));
  simmer_conv2d_forward_act(f32(info, 0), f32(info, 1), f32OrNull(info, 2), f32(info, 3), i32(info, 4), flag(info, 5) ? 1 : 0);
}
void Conv2dReluMaxPool2(const Napi::CallbackInfo& info) {
  DebugTimer t("conv2dReluMaxPool2", len(info, 3));
  simmer_conv2d_relu_maxpool2(f32(info, 0), f32(info, 1), f32OrNull(info, 2), f32(info, 3), i32(info, 4));
}
void Conv2dReluMaxPool2Argmax(const Napi::CallbackInfo& info) {
  DebugTimer t("conv2dReluMaxPool2Argmax", len(info, 3));
  simmer_conv2d_relu_maxpool2_argmax(f32(info, 0), f32(info, 1), f32OrNull(info, 2), f32(info, 3), i32(info, 4), i32(info, 5));
}

SIMMER_EXPORT("conv2dForward", "f32 f32 f32? f32 geom16", Conv2dForward);
SIMMER_EXPORT("conv2dBackwardInput", "f32 f32 f32 geom16", Conv2dBackwardInput);
SIMMER_EXPORT("conv2dBackwardWeight", "f32 f32 f32 geom16", Conv2dBackwardWeight);
SIMMER_EXPORT("conv2dForwardAct", "f32 f32 f32? f32 geom16 bool", Conv2dForwardAct);
SIMMER_EXPORT("conv2dReluMaxPool2", "f32 f32 f32? f32 geom16", Conv2dReluMaxPool2);
SIMMER_EXPORT("conv2dReluMaxPool2Argmax", "f32 f32 f32? f32 i32 geom16", Conv2dReluMaxPool2Argmax);

}  // namespace
