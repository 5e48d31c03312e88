// N-API bindings of the data-movement kernels (spec: src/backend/spec/shape.ts; kernels: native/kernels/shape.cc).
// A `shape` argument is two JS arguments (Int32Array slots, rank); the index kernels return a number.
#include "binding.h"
#include "simmer.h"

namespace {
using namespace simmer::binding;

void StridedCopy(const Napi::CallbackInfo& info) {
  // (x, xOffset, xStrides, xRank, out, outOffset, outStrides, outRank, shape, rank)
  DebugTimer t("stridedCopy", len(info, 4));
  simmer_strided_copy(bytes(info, 0), int64(info, 1), i32(info, 2), bytes(info, 4), int64(info, 5), i32(info, 6), i32(info, 8), int32(info, 9),
                      elementSize(info, 0));
}
Napi::Value IndexSelect(const Napi::CallbackInfo& info) {
  // (x, outer, n, inner, index, out)
  DebugTimer t("indexSelect", len(info, 5));
  const int64_t bad = simmer_index_select(bytes(info, 0), int64(info, 1), int64(info, 2), int64(info, 3), i32(info, 4), len(info, 4), bytes(info, 5),
                                          elementSize(info, 0));
  return Napi::Number::New(info.Env(), static_cast<double>(bad));
}
Napi::Value IndexAdd(const Napi::CallbackInfo& info) {
  // (g, outer, n, inner, index, gx)
  DebugTimer t("indexAdd", len(info, 0));
  const int64_t bad = simmer_index_add(f32(info, 0), int64(info, 1), int64(info, 2), int64(info, 3), i32(info, 4), len(info, 4), f32(info, 5));
  return Napi::Number::New(info.Env(), static_cast<double>(bad));
}
Napi::Value Gather(const Napi::CallbackInfo& info) {
  // (x, xShape, xRank, index, indexShape, indexRank, axis, out)
  DebugTimer t("gather", len(info, 3));
  const int64_t bad = simmer_gather(bytes(info, 0), i32(info, 1), i32(info, 3), i32(info, 4), int32(info, 5), int32(info, 6), bytes(info, 7), elementSize(info, 0));
  return Napi::Number::New(info.Env(), static_cast<double>(bad));
}
Napi::Value ScatterAdd(const Napi::CallbackInfo& info) {
  // (src, index, indexShape, indexRank, axis, out, outShape, outRank)
  DebugTimer t("scatterAdd", len(info, 1));
  const int64_t bad = simmer_scatter_add(f32(info, 0), i32(info, 1), i32(info, 2), int32(info, 3), int32(info, 4), f32(info, 5), i32(info, 6));
  return Napi::Number::New(info.Env(), static_cast<double>(bad));
}

SIMMER_EXPORT("stridedCopy", "any int shape any int shape shape", StridedCopy);
SIMMER_EXPORT("indexSelect", "any int int int i32 any", IndexSelect);
SIMMER_EXPORT("indexAdd", "f32 int int int i32 f32", IndexAdd);
SIMMER_EXPORT("gather", "any shape i32 shape int any", Gather);
SIMMER_EXPORT("scatterAdd", "f32 i32 shape int f32 shape", ScatterAdd);

}  // namespace
