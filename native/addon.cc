// The addon's entry point: info(), releaseMemory() and every kernel export that native/bindings/<family>.cc registered
// (SIMMER_EXPORT), each unwrapping typed arrays (pointer + byte offset, no copy) and numbers for the flat C ABI of
// native/include/simmer.h. Argument checking is the TypeScript wrapper's job (src/backend/native/, derived from the
// kernel specs); info() reports each export's signature and each op table's names so the loader can verify both.
#include <napi.h>

#include <cstdlib>
#include <string>

#include "bindings/binding.h"
#include "simmer.h"

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace simmer {
namespace binding {

std::vector<Export>& exports() {
  static std::vector<Export> list;
  return list;
}
std::vector<OpTable>& opTables() {
  static std::vector<OpTable> list;
  return list;
}

bool debugEnabled() {
  static const bool on = [] {
    const char* e = std::getenv("SIMMER_DEBUG");
    return e != nullptr && *e != '\0' && std::string(e) != "0";
  }();
  return on;
}

}  // namespace binding
}  // namespace simmer

namespace {

using simmer::binding::exports;
using simmer::binding::opTables;

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
  Napi::Object kernels = Napi::Object::New(env);
  for (const auto& e : exports()) kernels.Set(e.name, e.signature);
  o.Set("kernels", kernels);
  // Op codes by name: ops[table][code] is the name the C enum value `code` stands for ("" for an unused code).
  Napi::Object ops = Napi::Object::New(env);
  for (const auto& t : opTables()) {
    Napi::Array names = Napi::Array::New(env);
    int last = -1;
    for (int code = 0; code < 256; code++)
      if (t.name(code) != nullptr) last = code;
    for (int code = 0; code <= last; code++) {
      const char* n = t.name(code);
      names.Set(static_cast<uint32_t>(code), n != nullptr ? n : "");
    }
    ops.Set(t.table, names);
  }
  o.Set("ops", ops);
  return o;
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
  for (const auto& e : simmer::binding::exports())
    exports.Set(e.name, e.fn != nullptr ? Napi::Function::New(env, e.fn, e.name) : Napi::Function::New(env, e.valueFn, e.name));
  return exports;
}

}  // namespace

NODE_API_MODULE(simmer_native, Init)
