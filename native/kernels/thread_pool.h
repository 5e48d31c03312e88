// One process-wide thread pool: `parallelFor` splits [0, n) into chunks handed out through an atomic counter.
//
// The calling thread takes chunks too, so a call makes progress even when every worker is descheduled
// (another process busy on a core): throughput degrades gracefully instead of collapsing as spinning
// OpenMP teams do. Idle workers spin only briefly, then block on a condition variable.
// Size = hardware cores, SIMMER_THREADS overrides. Nested calls (from inside a task) run inline.
#pragma once
#include <cstdint>

namespace simmer {

// fn(ctx, begin, end, tid): tid is 0 for the caller, 1..threads-1 for workers.
using RangeFn = void (*)(void* ctx, int64_t begin, int64_t end, int tid);

int poolThreads();
void parallelForRaw(int64_t n, int64_t grain, RangeFn fn, void* ctx);

// Runs f(begin, end, tid) over chunks of at least `grain` items.
template <class F>
inline void parallelFor(int64_t n, int64_t grain, F&& f) {
  if (n <= 0) return;
  auto thunk = [](void* ctx, int64_t b, int64_t e, int tid) { (*static_cast<F*>(ctx))(b, e, tid); };
  parallelForRaw(n, grain, thunk, const_cast<void*>(static_cast<const void*>(&f)));
}

}  // namespace simmer
