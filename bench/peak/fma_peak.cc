// W5: the machine's fp32 FMA peak — independent FMA chains on the widest SIMD the CPU has, on N threads.
//
// Built by bench/peak.ts at bench time: g++ -O2 -pthread (no -march: AVX-512 and AVX2+FMA kernels are compiled
// through per-function target attributes and picked at run time, as the native addon does).
// Usage: fma_peak <threads> <seconds> [avx512|avx2|scalar]
// Prints one JSON line: {"isa":"avx512","threads":2,"seconds":0.5,"gflops":123.4}
//
// Why 12 chains: an FMA has 4-cycle latency and up to 2 issue per cycle, so at least 8 independent accumulators
// are needed to keep both pipes full; 12 leaves room for a 5-cycle latency and fits in 16 registers with 2 operands.
#include <immintrin.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr int kChains = 12;
constexpr long kInner = 1 << 16;  // FMAs per chain between clock reads

std::atomic<bool> g_stop{false};

__attribute__((target("avx512f"))) double run_avx512(long* iters_out, float seed) {
  __m512 acc[kChains];
  for (int i = 0; i < kChains; i++) acc[i] = _mm512_set1_ps(seed + 0.001f * i);
  const __m512 a = _mm512_set1_ps(0.999999f);
  const __m512 b = _mm512_set1_ps(1e-7f);
  long iters = 0;
  while (!g_stop.load(std::memory_order_relaxed)) {
    for (long k = 0; k < kInner; k++) {
#pragma GCC unroll 12
      for (int i = 0; i < kChains; i++) acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    }
    iters += kInner;
  }
  __m512 s = acc[0];
  for (int i = 1; i < kChains; i++) s = _mm512_add_ps(s, acc[i]);
  *iters_out = iters;
  return _mm512_reduce_add_ps(s);
}

__attribute__((target("avx2,fma"))) double run_avx2(long* iters_out, float seed) {
  __m256 acc[kChains];
  for (int i = 0; i < kChains; i++) acc[i] = _mm256_set1_ps(seed + 0.001f * i);
  const __m256 a = _mm256_set1_ps(0.999999f);
  const __m256 b = _mm256_set1_ps(1e-7f);
  long iters = 0;
  while (!g_stop.load(std::memory_order_relaxed)) {
    for (long k = 0; k < kInner; k++) {
#pragma GCC unroll 12
      for (int i = 0; i < kChains; i++) acc[i] = _mm256_fmadd_ps(acc[i], a, b);
    }
    iters += kInner;
  }
  float out[8];
  __m256 s = acc[0];
  for (int i = 1; i < kChains; i++) s = _mm256_add_ps(s, acc[i]);
  _mm256_storeu_ps(out, s);
  *iters_out = iters;
  return out[0] + out[7];
}

double run_scalar(long* iters_out, float seed) {
  float acc[kChains];
  for (int i = 0; i < kChains; i++) acc[i] = seed + 0.001f * i;
  long iters = 0;
  while (!g_stop.load(std::memory_order_relaxed)) {
    for (long k = 0; k < kInner; k++) {
#pragma GCC unroll 12
      for (int i = 0; i < kChains; i++) acc[i] = __builtin_fmaf(acc[i], 0.999999f, 1e-7f);
    }
    iters += kInner;
  }
  float s = 0;
  for (int i = 0; i < kChains; i++) s += acc[i];
  *iters_out = iters;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const int threads = argc > 1 ? std::atoi(argv[1]) : 1;
  const double seconds = argc > 2 ? std::atof(argv[2]) : 0.5;
  std::string isa = argc > 3 ? argv[3] : "";
  __builtin_cpu_init();
  if (isa.empty()) isa = __builtin_cpu_supports("avx512f") ? "avx512" : (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) ? "avx2" : "scalar";
  const int lanes = isa == "avx512" ? 16 : isa == "avx2" ? 8 : 1;

  std::vector<long> iters(threads, 0);
  std::vector<double> sink(threads, 0);
  std::vector<std::thread> pool;
  const auto t0 = std::chrono::steady_clock::now();
  for (int t = 0; t < threads; t++) {
    pool.emplace_back([&, t] {
      const float seed = 1.0f + t;
      if (isa == "avx512") sink[t] = run_avx512(&iters[t], seed);
      else if (isa == "avx2") sink[t] = run_avx2(&iters[t], seed);
      else sink[t] = run_scalar(&iters[t], seed);
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  g_stop.store(true);
  for (auto& th : pool) th.join();
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double flops = 0, check = 0;
  for (int t = 0; t < threads; t++) {
    flops += 2.0 * lanes * kChains * static_cast<double>(iters[t]);
    check += sink[t];
  }
  std::printf("{\"isa\":\"%s\",\"threads\":%d,\"seconds\":%.4f,\"gflops\":%.2f,\"check\":%.3g}\n", isa.c_str(), threads, elapsed, flops / elapsed / 1e9, check);
  return 0;
}
