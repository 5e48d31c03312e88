// Shared by the per-family N-API binding files (native/bindings/<family>.cc): argument unwrapping (typed arrays by
// pointer, no copy), the SIMMER_DEBUG timer, and the registry each file adds its exports to with SIMMER_EXPORT.
// native/addon.cc's Init exports everything registered, and info() reports each export's signature and each op
// table's names, which src/backend/native/ checks against the kernel specs (src/backend/spec/) at load.
#pragma once
#include <napi.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <vector>

namespace simmer {
namespace binding {

using Fn = void (*)(const Napi::CallbackInfo&);
using ValueFn = Napi::Value (*)(const Napi::CallbackInfo&);  // for kernels that return a number
using OpName = const char* (*)(int code);

struct Export {
  const char* name;
  // One token per spec argument, exactly signatureOf(spec) in src/backend/spec/kernel.ts: f32 f32? i32 u8 any int
  // float bool enum geom<N> geomf64<N> spread<N> shape (a shape is two JS arguments: Int32Array slots, rank).
  const char* signature;
  Fn fn;
  ValueFn valueFn;
};
struct OpTable {
  const char* table;
  OpName name;  // C enum value -> the op's name in the spec, nullptr past the last code
};

std::vector<Export>& exports();
std::vector<OpTable>& opTables();

struct Register {
  Register(const char* name, const char* signature, Fn fn) { exports().push_back({name, signature, fn, nullptr}); }
  Register(const char* name, const char* signature, ValueFn fn) { exports().push_back({name, signature, nullptr, fn}); }
  Register(const char* table, OpName name) { opTables().push_back({table, name}); }
};

template <class T>
T* ptr(const Napi::Value& v) {
  return v.As<Napi::TypedArrayOf<T>>().Data();
}
inline float* f32(const Napi::CallbackInfo& info, size_t i) { return ptr<float>(info[i]); }
inline float* f32OrNull(const Napi::CallbackInfo& info, size_t i) {
  return info[i].IsNull() || info[i].IsUndefined() ? nullptr : ptr<float>(info[i]);
}
inline int32_t* i32(const Napi::CallbackInfo& info, size_t i) { return ptr<int32_t>(info[i]); }
inline uint8_t* u8(const Napi::CallbackInfo& info, size_t i) { return ptr<uint8_t>(info[i]); }
inline double* f64(const Napi::CallbackInfo& info, size_t i) { return ptr<double>(info[i]); }
// Any typed array (f32, i32 or u8): its bytes and the size of one element.
inline void* bytes(const Napi::CallbackInfo& info, size_t i) {
  Napi::TypedArray t = info[i].As<Napi::TypedArray>();
  return static_cast<uint8_t*>(t.ArrayBuffer().Data()) + t.ByteOffset();
}
inline int elementSize(const Napi::CallbackInfo& info, size_t i) {
  switch (info[i].As<Napi::TypedArray>().TypedArrayType()) {
    case napi_int8_array:
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      return 1;
    case napi_int16_array:
    case napi_uint16_array:
      return 2;
    case napi_float64_array:
    case napi_bigint64_array:
    case napi_biguint64_array:
      return 8;
    default:
      return 4;
  }
}
// The SIMMER_DTYPE_* code of a typed array (float32, int32 or uint8), for kernels that read mixed dtypes.
inline int dtypeOf(const Napi::CallbackInfo& info, size_t i) {
  switch (info[i].As<Napi::TypedArray>().TypedArrayType()) {
    case napi_int32_array:
      return 1;
    case napi_uint8_array:
    case napi_uint8_clamped_array:
      return 2;
    default:
      return 0;
  }
}
inline int64_t len(const Napi::CallbackInfo& info, size_t i) { return static_cast<int64_t>(info[i].As<Napi::TypedArray>().ElementLength()); }
inline int64_t int64(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int64Value(); }
inline int int32(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }
inline double num(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().DoubleValue(); }
inline bool flag(const Napi::CallbackInfo& info, size_t i) { return info[i].ToBoolean().Value(); }

bool debugEnabled();

// SIMMER_DEBUG=1 prints each kernel call with its size and time.
struct DebugTimer {
  const char* name;
  int64_t size;
  std::chrono::steady_clock::time_point t0;
  DebugTimer(const char* n, int64_t s) : name(n), size(s) {
    if (debugEnabled()) t0 = std::chrono::steady_clock::now();
  }
  ~DebugTimer() {
    if (!debugEnabled()) return;
    double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "simmer native %-24s size %-10lld %9.1f us\n", name, static_cast<long long>(size), us);
  }
};

}  // namespace binding
}  // namespace simmer

#define SIMMER_CAT2(a, b) a##b
#define SIMMER_CAT(a, b) SIMMER_CAT2(a, b)
// Registers an N-API export: SIMMER_EXPORT("softmax", "f32 int int f32 bool", Softmax);
#define SIMMER_EXPORT(name, signature, fn) static ::simmer::binding::Register SIMMER_CAT(simmerExport_, __LINE__)(name, signature, fn)
// Registers an op-code table reported by info().ops: SIMMER_OP_TABLE("unary", simmer_unary_name);
#define SIMMER_OP_TABLE(table, nameFn) static ::simmer::binding::Register SIMMER_CAT(simmerOps_, __LINE__)(table, nameFn)
