// N-API bindings of the elementwise kernels (spec: src/backend/spec/elementwise.ts; kernels: native/kernels/elementwise.cc).
#include "binding.h"
#include "simmer.h"

namespace {
using namespace simmer::binding;

void Unary(const Napi::CallbackInfo& info) {
  DebugTimer t("unary", len(info, 1));
  simmer_unary(int32(info, 0), f32(info, 1), f32(info, 2), len(info, 1), static_cast<float>(num(info, 3)));
}
void UnaryBackward(const Napi::CallbackInfo& info) {
  DebugTimer t("unaryBackward", len(info, 1));
  simmer_unary_backward(int32(info, 0), f32(info, 1), f32(info, 2), f32(info, 3), f32(info, 4), len(info, 1), static_cast<float>(num(info, 5)));
}
void Binary(const Napi::CallbackInfo& info) {
  // (op, a, aShape, aRank, b, bShape, bRank, out, outShape, outRank)
  DebugTimer t("binary", len(info, 7));
  simmer_binary(int32(info, 0), f32(info, 1), i32(info, 2), int32(info, 3), f32(info, 4), i32(info, 5), int32(info, 6), f32(info, 7), i32(info, 8),
                int32(info, 9));
}
void Affine(const Napi::CallbackInfo& info) {
  DebugTimer t("affine", len(info, 0));
  simmer_affine(f32(info, 0), static_cast<float>(num(info, 1)), static_cast<float>(num(info, 2)), f32(info, 3), len(info, 0));
}
void Clamp(const Napi::CallbackInfo& info) {
  DebugTimer t("clamp", len(info, 0));
  simmer_clamp(f32(info, 0), static_cast<float>(num(info, 1)), static_cast<float>(num(info, 2)), f32(info, 3), len(info, 0));
}

void Compare(const Napi::CallbackInfo& info) {
  // (op, a, aShape, aRank, b, bShape, bRank, out, outShape, outRank); a and b of any dtype
  DebugTimer t("compare", len(info, 7));
  simmer_compare(int32(info, 0), bytes(info, 1), dtypeOf(info, 1), i32(info, 2), int32(info, 3), bytes(info, 4), dtypeOf(info, 4), i32(info, 5),
                 int32(info, 6), u8(info, 7), i32(info, 8), int32(info, 9));
}
void Where(const Napi::CallbackInfo& info) {
  // (cond, condShape, condRank, a, aShape, aRank, b, bShape, bRank, out, outShape, outRank)
  DebugTimer t("where", len(info, 9));
  simmer_where(u8(info, 0), i32(info, 1), int32(info, 2), f32(info, 3), i32(info, 4), int32(info, 5), f32(info, 6), i32(info, 7), int32(info, 8),
               f32(info, 9), i32(info, 10), int32(info, 11));
}
void ClampBackward(const Napi::CallbackInfo& info) {
  DebugTimer t("clampBackward", len(info, 0));
  simmer_clamp_backward(f32(info, 0), static_cast<float>(num(info, 1)), static_cast<float>(num(info, 2)), f32(info, 3), f32(info, 4), len(info, 0));
}

SIMMER_OP_TABLE("unary", simmer_unary_name);
SIMMER_OP_TABLE("compare", simmer_compare_name);
SIMMER_OP_TABLE("binary", simmer_binary_name);
SIMMER_EXPORT("unary", "enum f32 f32 float", Unary);
SIMMER_EXPORT("unaryBackward", "enum f32 f32 f32 f32 float", UnaryBackward);
SIMMER_EXPORT("binary", "enum f32 shape f32 shape f32 shape", Binary);
SIMMER_EXPORT("affine", "f32 float float f32", Affine);
SIMMER_EXPORT("clamp", "f32 float float f32", Clamp);
SIMMER_EXPORT("compare", "enum any shape any shape u8 shape", Compare);
SIMMER_EXPORT("where", "u8 shape f32 shape f32 shape f32 shape", Where);
SIMMER_EXPORT("clampBackward", "f32 float float f32 f32", ClampBackward);

}  // namespace
