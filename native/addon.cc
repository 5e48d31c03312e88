// N-API bindings: each export unwraps typed arrays (pointer + byte offset, no copy) and numbers and
// calls the flat C ABI of native/include/simmer.h. Argument checking is the TypeScript wrapper's job
// (src/backend/native/); here a wrong type throws instead of crashing only where it is cheap to check.
#include <napi.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "simmer.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace {

template <class T>
T* ptr(const Napi::Value& v) {
  return v.As<Napi::TypedArrayOf<T>>().Data();
}
float* f32(const Napi::CallbackInfo& info, size_t i) { return ptr<float>(info[i]); }
float* f32OrNull(const Napi::CallbackInfo& info, size_t i) { return info[i].IsNull() || info[i].IsUndefined() ? nullptr : ptr<float>(info[i]); }
int32_t* i32(const Napi::CallbackInfo& info, size_t i) { return ptr<int32_t>(info[i]); }
int64_t len(const Napi::CallbackInfo& info, size_t i) { return static_cast<int64_t>(info[i].As<Napi::TypedArray>().ElementLength()); }
int64_t int64(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int64Value(); }
int int32(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().Int32Value(); }
double num(const Napi::CallbackInfo& info, size_t i) { return info[i].As<Napi::Number>().DoubleValue(); }
bool flag(const Napi::CallbackInfo& info, size_t i) { return info[i].ToBoolean().Value(); }

// SIMMER_DEBUG=1 prints each kernel call with its size and time.
const bool kDebug = [] {
  const char* e = std::getenv("SIMMER_DEBUG");
  return e != nullptr && *e != '\0' && std::string(e) != "0";
}();

struct DebugTimer {
  const char* name;
  int64_t size;
  std::chrono::steady_clock::time_point t0;
  DebugTimer(const char* n, int64_t s) : name(n), size(s) {
    if (kDebug) t0 = std::chrono::steady_clock::now();
  }
  ~DebugTimer() {
    if (!kDebug) return;
    double us = std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count();
    std::fprintf(stderr, "simmer native %-24s size %-10lld %9.1f us\n", name, static_cast<long long>(size), us);
  }
};

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("backend", "native");
  o.Set("simd", simmer_simd_path());
  o.Set("simdNote", simmer_simd_note());
  o.Set("gemmKernel", simmer_gemm_kernel());
  o.Set("threads", simmer_threads());
#if defined(__clang__)
  std::string compiler = std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  std::string compiler = std::string("g++ ") + __VERSION__;
#else
  std::string compiler = "unknown";
#endif
  o.Set("compiler", compiler);
  o.Set("buildFlags", "-O3 -std=c++17 -fno-math-errno (no -march; AVX2/AVX-512 via per-function target attributes)");
#if defined(__x86_64__)
  o.Set("arch", "x86_64");
#elif defined(__aarch64__)
  o.Set("arch", "arm64");
#else
  o.Set("arch", "other");
#endif
  return o;
}

void Matmul(const Napi::CallbackInfo& info) {
  // (a, b, c, batch, m, n, k, transA, transB, strideA, strideB, strideC, accumulate)
  DebugTimer t("matmul", int64(info, 3) * int64(info, 4) * int64(info, 5) * int64(info, 6));
  simmer_matmul(f32(info, 0), f32(info, 1), f32(info, 2), int64(info, 3), int64(info, 4), int64(info, 5), int64(info, 6), flag(info, 7), flag(info, 8),
                int64(info, 9), int64(info, 10), int64(info, 11), flag(info, 12));
}

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

void Unary(const Napi::CallbackInfo& info) {
  DebugTimer t("unary", len(info, 1));
  simmer_unary(int32(info, 0), f32(info, 1), f32(info, 2), len(info, 1), static_cast<float>(num(info, 3)));
}
void UnaryBackward(const Napi::CallbackInfo& info) {
  DebugTimer t("unaryBackward", len(info, 1));
  simmer_unary_backward(int32(info, 0), f32(info, 1), f32(info, 2), f32(info, 3), f32(info, 4), len(info, 1), static_cast<float>(num(info, 5)));
}
void Binary(const Napi::CallbackInfo& info) {
  // (op, a, b, out, shapes: Int32Array [aShape | bShape | outShape, 8 slots each], aRank, bRank, outRank)
  DebugTimer t("binary", len(info, 3));
  const int32_t* shapes = i32(info, 4);
  simmer_binary(int32(info, 0), f32(info, 1), shapes, int32(info, 5), f32(info, 2), shapes + 8, int32(info, 6), f32(info, 3), shapes + 16, int32(info, 7));
}
void Affine(const Napi::CallbackInfo& info) {
  DebugTimer t("affine", len(info, 0));
  simmer_affine(f32(info, 0), static_cast<float>(num(info, 1)), static_cast<float>(num(info, 2)), f32(info, 3), len(info, 0));
}
void Clamp(const Napi::CallbackInfo& info) {
  DebugTimer t("clamp", len(info, 0));
  simmer_clamp(f32(info, 0), static_cast<float>(num(info, 1)), static_cast<float>(num(info, 2)), f32(info, 3), len(info, 0));
}

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

void BatchNormForward(const Napi::CallbackInfo& info) {
  DebugTimer t("batchNormForward", len(info, 0));
  simmer_batch_norm_forward(f32(info, 0), int64(info, 1), int64(info, 2), int64(info, 3), static_cast<float>(num(info, 4)), f32(info, 5), f32(info, 6),
                            f32(info, 7));
}
void BatchNormBackward(const Napi::CallbackInfo& info) {
  DebugTimer t("batchNormBackward", len(info, 0));
  simmer_batch_norm_backward(f32(info, 0), f32(info, 1), f32(info, 2), int64(info, 3), int64(info, 4), int64(info, 5), f32(info, 6));
}

void SgdStep(const Napi::CallbackInfo& info) {
  // (param, grad, buf|null, lr, momentum, dampening, weightDecay, nesterov, firstStep)
  DebugTimer t("sgdStep", len(info, 0));
  simmer_sgd_step(f32(info, 0), f32(info, 1), f32OrNull(info, 2), len(info, 0), num(info, 3), num(info, 4), num(info, 5), num(info, 6), flag(info, 7),
                  flag(info, 8));
}
void AdamStep(const Napi::CallbackInfo& info) {
  // (param, grad, m, v, lr, beta1, beta2, eps, weightDecay, decoupled, step)
  DebugTimer t("adamStep", len(info, 0));
  simmer_adam_step(f32(info, 0), f32(info, 1), f32(info, 2), f32(info, 3), len(info, 0), num(info, 4), num(info, 5), num(info, 6), num(info, 7),
                   num(info, 8), flag(info, 9), num(info, 10));
}

// Tensor buffers of a few MiB are allocated and freed every training step. glibc's default raises and lowers its mmap
// threshold as such blocks are freed, so the same buffers alternate between mmap (fresh page faults on every step) and
// the heap (holes that are never returned), and RSS drifts by tens of MiB between epochs. A fixed threshold above any
// activation keeps them in the heap, where they are reused: flat RSS and no per-step mmap. SIMMER_MALLOC_TUNING=0 opts out.
void tuneAllocator() {
#if defined(__GLIBC__)
  const char* e = std::getenv("SIMMER_MALLOC_TUNING");
  if (e == nullptr || std::string(e) != "0") mallopt(M_MMAP_THRESHOLD, 32 << 20);
#endif
}

// Returns heap pages freed since the last call to the OS (glibc's malloc_trim also releases free pages in the middle
// of the heap). The trainer calls it between epochs, after V8 has collected the tensors of the epoch.
void ReleaseMemory(const Napi::CallbackInfo&) {
#if defined(__GLIBC__)
  malloc_trim(0);
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  tuneAllocator();
  exports.Set("releaseMemory", Napi::Function::New(env, ReleaseMemory));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("matmul", Napi::Function::New(env, Matmul));
  exports.Set("conv2dForward", Napi::Function::New(env, Conv2dForward));
  exports.Set("conv2dBackwardInput", Napi::Function::New(env, Conv2dBackwardInput));
  exports.Set("conv2dBackwardWeight", Napi::Function::New(env, Conv2dBackwardWeight));
  exports.Set("maxPool2dForward", Napi::Function::New(env, MaxPool2dForward));
  exports.Set("maxPool2dBackward", Napi::Function::New(env, MaxPool2dBackward));
  exports.Set("avgPool2dForward", Napi::Function::New(env, AvgPool2dForward));
  exports.Set("avgPool2dBackward", Napi::Function::New(env, AvgPool2dBackward));
  exports.Set("unary", Napi::Function::New(env, Unary));
  exports.Set("unaryBackward", Napi::Function::New(env, UnaryBackward));
  exports.Set("binary", Napi::Function::New(env, Binary));
  exports.Set("affine", Napi::Function::New(env, Affine));
  exports.Set("clamp", Napi::Function::New(env, Clamp));
  exports.Set("reduce", Napi::Function::New(env, Reduce));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("softmaxBackward", Napi::Function::New(env, SoftmaxBackward));
  exports.Set("batchNormForward", Napi::Function::New(env, BatchNormForward));
  exports.Set("batchNormBackward", Napi::Function::New(env, BatchNormBackward));
  exports.Set("sgdStep", Napi::Function::New(env, SgdStep));
  exports.Set("adamStep", Napi::Function::New(env, AdamStep));
  return exports;
}

}  // namespace

NODE_API_MODULE(simmer_native, Init)
