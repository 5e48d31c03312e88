// N-API bindings of the reductions and softmax (spec: src/backend/spec/reduce.ts; kernels: native/kernels/reduce.cc).
#include "binding.h"
#include "simmer.h"

namespace {
using namespace simmer::binding;

void Reduce(const Napi::CallbackInfo& info) {
  DebugTimer t("reduce", len(info, 1));
  simmer_reduce(int32(info, 0), f32(info, 1), int64(info, 2), int64(info, 3), int64(info, 4), f32(info, 5));
}
void Softmax(const Napi::CallbackInfo& info) {
  DebugTimer t("softmax", len(info, 0));
  simmer_softmax(f32(info, 0), int64(info, 1), int64(info, 2), f32(info, 3), flag(info, 4));
}
void SoftmaxBackward(const Napi::CallbackInfo& info) {
  DebugTimer t("softmaxBackward", len(info, 0));
  simmer_softmax_backward(f32(info, 0), f32(info, 1), int64(info, 2), int64(info, 3), f32(info, 4), flag(info, 5));
}

void ArgReduce(const Napi::CallbackInfo& info) {
  DebugTimer t("argReduce", len(info, 1));
  simmer_arg_reduce(int32(info, 0), f32(info, 1), int64(info, 2), int64(info, 3), int64(info, 4), i32(info, 5));
}
void SoftmaxAxis(const Napi::CallbackInfo& info) {
  DebugTimer t("softmaxAxis", len(info, 0));
  simmer_softmax_axis(f32(info, 0), int64(info, 1), int64(info, 2), int64(info, 3), f32(info, 4), flag(info, 5));
}
void SoftmaxAxisBackward(const Napi::CallbackInfo& info) {
  DebugTimer t("softmaxAxisBackward", len(info, 0));
  simmer_softmax_axis_backward(f32(info, 0), f32(info, 1), int64(info, 2), int64(info, 3), int64(info, 4), f32(info, 5), flag(info, 6));
}

SIMMER_OP_TABLE("reduce", simmer_reduce_name);
SIMMER_OP_TABLE("argReduce", simmer_arg_reduce_name);
SIMMER_EXPORT("reduce", "enum f32 int int int f32", Reduce);
SIMMER_EXPORT("softmax", "f32 int int f32 bool", Softmax);
SIMMER_EXPORT("softmaxBackward", "f32 f32 int int f32 bool", SoftmaxBackward);
SIMMER_EXPORT("argReduce", "enum f32 int int int i32", ArgReduce);
SIMMER_EXPORT("softmaxAxis", "f32 int int int f32 bool", SoftmaxAxis);
SIMMER_EXPORT("softmaxAxisBackward", "f32 f32 int int int f32 bool", SoftmaxAxisBackward);

}  // namespace
