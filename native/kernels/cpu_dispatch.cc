#include "cpu_dispatch.h"

#include <cstdlib>
#include <cstring>
#include <string>

namespace simmer {
namespace {

Simd bestSupported() {
#if SIMMER_X86
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512dq"))
    return Simd::Avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Simd::Avx2;
#endif
  return Simd::Portable;
}

struct Choice {
  Simd level;
  std::string note;
};

Choice choose() {
  Simd best = bestSupported();
  const char* env = std::getenv("SIMMER_SIMD");
  if (env == nullptr || *env == '\0') return {best, "best supported by this CPU"};
  Simd want;
  if (std::strcmp(env, "portable") == 0) want = Simd::Portable;
  else if (std::strcmp(env, "avx2") == 0) want = Simd::Avx2;
  else if (std::strcmp(env, "avx512") == 0) want = Simd::Avx512;
  else return {best, std::string("SIMMER_SIMD=") + env + " is not portable|avx2|avx512; using the best supported path"};
  if (static_cast<int>(want) > static_cast<int>(best))
    return {best, std::string("SIMMER_SIMD=") + env + " requested but the CPU cannot run it; using " + simdName(best)};
  return {want, std::string("forced by SIMMER_SIMD=") + env};
}

const Choice& choice() {
  static Choice c = choose();
  return c;
}

}  // namespace

Simd simdLevel() { return choice().level; }
const char* simdNote() { return choice().note.c_str(); }

const char* simdName(Simd s) {
  switch (s) {
    case Simd::Avx512:
      return "avx512";
    case Simd::Avx2:
      return "avx2";
    default:
      return "portable";
  }
}

}  // namespace simmer
