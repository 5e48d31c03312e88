// N-API bindings of the normalisation statistics (spec: src/backend/spec/norm.ts; kernels: native/kernels/norm.cc).
// Row norm is batch norm with n = 1 and a channel per row.
#include "binding.h"
#include "simmer.h"

namespace {
using namespace simmer::binding;

void BatchNormForward(const Napi::CallbackInfo& info) {
  DebugTimer t("batchNormForward", len(info, 0));
  simmer_batch_norm_forward(f32(info, 0), int64(info, 1), int64(info, 2), int64(info, 3), static_cast<float>(num(info, 4)), f32(info, 5), f32(info, 6),
                            f32(info, 7));
}
void BatchNormBackward(const Napi::CallbackInfo& info) {
  DebugTimer t("batchNormBackward", len(info, 0));
  simmer_batch_norm_backward(f32(info, 0), f32(info, 1), f32(info, 2), int64(info, 3), int64(info, 4), int64(info, 5), f32(info, 6));
}
void RowNormForward(const Napi::CallbackInfo& info) {
  // (x, rows, cols, eps, xHat, mean, invStd)
  DebugTimer t("rowNormForward", len(info, 0));
  simmer_batch_norm_forward(f32(info, 0), 1, int64(info, 1), int64(info, 2), static_cast<float>(num(info, 3)), f32(info, 4), f32(info, 5), f32(info, 6));
}
void RowNormBackward(const Napi::CallbackInfo& info) {
  // (xHat, gxHat, invStd, rows, cols, gx)
  DebugTimer t("rowNormBackward", len(info, 0));
  simmer_batch_norm_backward(f32(info, 0), f32(info, 1), f32(info, 2), 1, int64(info, 3), int64(info, 4), f32(info, 5));
}

void BatchNormUpdateStats(const Napi::CallbackInfo& info) {
  // (mean, invStd, c, eps, momentum, unbias, runningMean, runningVar)
  DebugTimer t("batchNormUpdateStats", len(info, 0));
  simmer_batch_norm_update_stats(f32(info, 0), f32(info, 1), int64(info, 2), num(info, 3), num(info, 4), num(info, 5), f32(info, 6), f32(info, 7));
}

SIMMER_EXPORT("batchNormForward", "f32 int int int float f32 f32 f32", BatchNormForward);
SIMMER_EXPORT("batchNormBackward", "f32 f32 f32 int int int f32", BatchNormBackward);
SIMMER_EXPORT("rowNormForward", "f32 int int float f32 f32 f32", RowNormForward);
SIMMER_EXPORT("rowNormBackward", "f32 f32 f32 int int f32", RowNormBackward);
SIMMER_EXPORT("batchNormUpdateStats", "f32 f32 int float float float f32 f32", BatchNormUpdateStats);

}  // namespace
