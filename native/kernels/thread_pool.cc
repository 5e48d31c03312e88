// Thread pool with dynamic work distribution; see thread_pool.h for the contract.
//
// Hand-off protocol (one job at a time; a second concurrent caller runs its job inline):
//   `next_` holds the job id in its high 32 bits and the next chunk index in the low 31; bit 31 marks the
//   job closed. The caller publishes the job, takes chunks itself, closes the job once no chunk is left,
//   then waits until no worker is inside it (`inside_` == 0). A worker enters (inside_++) before it
//   reads `next_`, so it either sees the open job (whose descriptor stays alive until it leaves) or a
//   closed one, and never runs a chunk of one job with another job's function.
// Waiting on both sides spins briefly and then blocks: a blocked caller lets the kernel migrate a
// preempted worker onto the freed core, which is what keeps throughput up under contention.
#include "thread_pool.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
#define SIMMER_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define SIMMER_PAUSE() asm volatile("yield")
#else
#define SIMMER_PAUSE() ((void)0)
#endif

namespace simmer {
namespace {

constexpr uint64_t kClosed = 1ull << 31;
constexpr int kWorkerSpins = 1000;  // ~20 µs of pause, then sleep: a spinning worker on a shared core loses its CFS share
constexpr int kCallerSpins = 1000;

thread_local bool tInsideTask = false;

struct Job {
  RangeFn fn;
  void* ctx;
  int64_t n, grain, chunks;
};

class ThreadPool {
 public:
  explicit ThreadPool(int threads) : threads_(std::max(1, threads)) {
    for (int t = 1; t < threads_; t++) workers_.emplace_back([this, t] { workerLoop(t); });
  }
  int threads() const { return threads_; }

  void run(int64_t n, int64_t grain, RangeFn fn, void* ctx) {
    grain = std::max<int64_t>(1, grain);
    int64_t chunks = (n + grain - 1) / grain;
    if (threads_ == 1 || chunks <= 1 || tInsideTask || !submit_.try_lock()) {
      fn(ctx, 0, n, 0);
      return;
    }
    if (chunks >= (1 << 30)) {  // keep the index in 30 bits; larger chunks than asked are fine
      grain = (n + (1 << 30) - 2) / ((1 << 30) - 1);
      chunks = (n + grain - 1) / grain;
    }
    Job job{fn, ctx, n, grain, chunks};
    uint64_t id = ++jobId_ & 0xffffffffu;
    current_.store(&job, std::memory_order_relaxed);
    next_.store(id << 32, std::memory_order_seq_cst);
    published_.store(id, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lk(mu_);
      wake_.notify_all();
    }
    tInsideTask = true;
    claimChunks(job, id, 0);
    tInsideTask = false;
    next_.store((id << 32) | kClosed, std::memory_order_seq_cst);
    for (int spin = 0; inside_.load(std::memory_order_seq_cst) != 0; spin++) {
      if (spin < kCallerSpins) {
        SIMMER_PAUSE();
        continue;
      }
      std::unique_lock<std::mutex> lk(mu_);
      callerWaiting_.store(true, std::memory_order_seq_cst);
      done_.wait(lk, [&] { return inside_.load(std::memory_order_seq_cst) == 0; });
      callerWaiting_.store(false, std::memory_order_seq_cst);
      break;
    }
    submit_.unlock();
  }

 private:
  void claimChunks(const Job& job, uint64_t id, int tid) {
    uint64_t cur = next_.load(std::memory_order_acquire);
    for (;;) {
      if ((cur >> 32) != id || (cur & kClosed) != 0) return;
      int64_t idx = static_cast<int64_t>(cur & 0x7fffffffu);
      if (idx >= job.chunks) return;
      if (!next_.compare_exchange_weak(cur, cur + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
      int64_t b = idx * job.grain;
      job.fn(job.ctx, b, std::min(job.n, b + job.grain), tid);
      cur = next_.load(std::memory_order_acquire);
    }
  }

  void enterAndWork(int tid) {
    inside_.fetch_add(1, std::memory_order_seq_cst);
    uint64_t cur = next_.load(std::memory_order_seq_cst);
    if ((cur & kClosed) == 0) {
      const Job* job = current_.load(std::memory_order_acquire);
      claimChunks(*job, cur >> 32, tid);
    }
    if (inside_.fetch_sub(1, std::memory_order_seq_cst) == 1 && callerWaiting_.load(std::memory_order_seq_cst)) {
      std::lock_guard<std::mutex> lk(mu_);
      done_.notify_one();
    }
  }

  void workerLoop(int tid) {
    tInsideTask = true;
    uint64_t seen = 0;
    for (;;) {
      uint64_t id = published_.load(std::memory_order_acquire);
      for (int spin = 0; id == seen && spin < kWorkerSpins; spin++) {
        SIMMER_PAUSE();
        id = published_.load(std::memory_order_acquire);
      }
      if (id == seen) {
        std::unique_lock<std::mutex> lk(mu_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        wake_.wait(lk, [&] { return published_.load(std::memory_order_seq_cst) != seen; });
        sleepers_.fetch_sub(1, std::memory_order_seq_cst);
        id = published_.load(std::memory_order_acquire);
      }
      seen = id;
      enterAndWork(tid);
    }
  }

  int threads_;
  std::vector<std::thread> workers_;
  std::mutex submit_;
  std::mutex mu_;
  std::condition_variable wake_, done_;
  uint64_t jobId_ = 0;
  std::atomic<uint64_t> published_{0};
  std::atomic<uint64_t> next_{kClosed};
  std::atomic<const Job*> current_{nullptr};
  std::atomic<int> sleepers_{0};
  std::atomic<int> inside_{0};
  std::atomic<bool> callerWaiting_{false};
};

int configuredThreads() {
  const char* env = std::getenv("SIMMER_THREADS");
  if (env != nullptr && *env != '\0') {
    int v = std::atoi(env);
    if (v >= 1) return std::min(v, 256);
  }
  unsigned hw = std::thread::hardware_concurrency();
  return hw == 0 ? 1 : static_cast<int>(hw);
}

ThreadPool& pool() {
  // Never destroyed: workers are detached-in-effect and die with the process.
  static ThreadPool* p = new ThreadPool(configuredThreads());
  return *p;
}

}  // namespace

int poolThreads() { return pool().threads(); }

void parallelForRaw(int64_t n, int64_t grain, RangeFn fn, void* ctx) {
  if (n <= 0) return;
  pool().run(n, grain, fn, ctx);
}

}  // namespace simmer
