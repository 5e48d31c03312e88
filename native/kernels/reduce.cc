// Reductions over the middle axis of an outer × size × inner view, and row softmax / log-softmax.
// Contiguous sums use 16 independent float lanes (vectorizable, and more accurate than one running
// sum) combined in double; softmax exponentials use fastExp (relative error ~2e-7).
#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "mathfn.h"
#include "simd_run.h"
#include "simmer.h"
#include "thread_pool.h"

namespace simmer {
namespace {

enum ReduceOp { kSum = 0, kMax = 1, kMin = 2 };
constexpr int kLanes = 16;

SIMMER_INLINE float pickMax(float acc, float v) { return (v > acc || v != v) ? v : acc; }
SIMMER_INLINE float pickMin(float acc, float v) { return (v < acc || v != v) ? v : acc; }

SIMMER_INLINE double sumRow(const float* x, int64_t n) {
  float lanes[kLanes] = {};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; j++) lanes[j] += x[i + j];
  double s = 0;
  for (int j = 0; j < kLanes; j++) s += lanes[j];
  for (; i < n; i++) s += x[i];
  return s;
}

template <int OP>
SIMMER_INLINE float extremeRow(const float* x, int64_t n) {
  float acc = x[0];
  int64_t i = 1;
  if (n >= kLanes + 1) {
    float lanes[kLanes];
    for (int j = 0; j < kLanes; j++) lanes[j] = x[1 + j];
    for (i = 1 + kLanes; i + kLanes <= n; i += kLanes)
      for (int j = 0; j < kLanes; j++) lanes[j] = OP == kMax ? pickMax(lanes[j], x[i + j]) : pickMin(lanes[j], x[i + j]);
    for (int j = 0; j < kLanes; j++) acc = OP == kMax ? pickMax(acc, lanes[j]) : pickMin(acc, lanes[j]);
  }
  for (; i < n; i++) acc = OP == kMax ? pickMax(acc, x[i]) : pickMin(acc, x[i]);
  return acc;
}

template <int OP>
void reduceOp(const float* x, int64_t outer, int64_t size, int64_t inner, float* out) {
  if (size == 0) {  // the reference gives 0 for a sum and reads past the row for max/min; keep 0 / NaN
    for (int64_t i = 0; i < outer * inner; i++) out[i] = OP == kSum ? 0.f : std::numeric_limits<float>::quiet_NaN();
    return;
  }
  if (inner == 1) {
    const int threads = poolThreads();
    if (OP == kSum && outer < threads && size >= (1 << 16)) {
      // One long row: partial sums over chunks, combined in double.
      for (int64_t o = 0; o < outer; o++) {
        const float* row = x + o * size;
        const int64_t chunk = 1 << 14, chunks = (size + chunk - 1) / chunk;
        std::vector<double> partial(chunks);
        parallelFor(chunks, 1, [&](int64_t c0, int64_t c1, int) {
          simdRun([&] {
            for (int64_t c = c0; c < c1; c++) partial[c] = sumRow(row + c * chunk, std::min(chunk, size - c * chunk));
          });
        });
        double s = 0;
        for (double p : partial) s += p;
        out[o] = static_cast<float>(s);
      }
      return;
    }
    parallelFor(outer, std::max<int64_t>(1, 8192 / size), [&](int64_t o0, int64_t o1, int) {
      simdRun([&] {
        for (int64_t o = o0; o < o1; o++) {
          const float* row = x + o * size;
          out[o] = OP == kSum ? static_cast<float>(sumRow(row, size)) : extremeRow<OP>(row, size);
        }
      });
    });
    return;
  }
  // inner > 1: accumulate whole rows of `inner` into the output, in blocks of columns.
  const int64_t block = 1024;
  const int64_t blocks = (inner + block - 1) / block;
  parallelFor(outer * blocks, std::max<int64_t>(1, 8192 / (size * std::min(inner, block))), [&](int64_t t0, int64_t t1, int) {
    simdRun([&] {
      for (int64_t t = t0; t < t1; t++) {
        const int64_t o = t / blocks, i0 = (t % blocks) * block, len = std::min(block, inner - i0);
        const float* base = x + o * size * inner + i0;
        float* dst = out + o * inner + i0;
        for (int64_t i = 0; i < len; i++) dst[i] = base[i];
        for (int64_t r = 1; r < size; r++) {
          const float* row = base + r * inner;
          if (OP == kSum)
            for (int64_t i = 0; i < len; i++) dst[i] += row[i];
          else if (OP == kMax)
            for (int64_t i = 0; i < len; i++) dst[i] = pickMax(dst[i], row[i]);
          else
            for (int64_t i = 0; i < len; i++) dst[i] = pickMin(dst[i], row[i]);
        }
      }
    });
  });
}

}  // namespace
}  // namespace simmer

using namespace simmer;

extern "C" const char* simmer_reduce_name(int op) {
  switch (op) {
    case kSum: return "sum";
    case kMax: return "max";
    case kMin: return "min";
    default: return nullptr;
  }
}

extern "C" void simmer_reduce(int op, const float* x, int64_t outer, int64_t size, int64_t inner, float* out) {
  if (outer <= 0 || inner <= 0) return;
  if (op == kSum) reduceOp<kSum>(x, outer, size, inner, out);
  else if (op == kMax) reduceOp<kMax>(x, outer, size, inner, out);
  else reduceOp<kMin>(x, outer, size, inner, out);
}

extern "C" void simmer_softmax(const float* x, int64_t rows, int64_t cols, float* out, int log) {
  if (cols <= 0) return;
  parallelFor(rows, std::max<int64_t>(1, 4096 / cols), [&](int64_t r0, int64_t r1, int) {
    simdRun([&] {
      for (int64_t r = r0; r < r1; r++) {
        const float* xr = x + r * cols;
        float* yr = out + r * cols;
        float mx = -std::numeric_limits<float>::infinity();
        for (int64_t j = 0; j < cols; j++) mx = xr[j] > mx ? xr[j] : mx;
        float lanes[kLanes] = {};
        int64_t j = 0;
        for (; j + kLanes <= cols; j += kLanes)
          for (int l = 0; l < kLanes; l++) {
            const float e = fastExp(xr[j + l] - mx);
            yr[j + l] = e;
            lanes[l] += e;
          }
        double sum = 0;
        for (int l = 0; l < kLanes; l++) sum += lanes[l];
        for (; j < cols; j++) {
          const float e = fastExp(xr[j] - mx);
          yr[j] = e;
          sum += e;
        }
        if (log) {
          const float lse = static_cast<float>(mx + std::log(sum));
          for (int64_t i = 0; i < cols; i++) yr[i] = xr[i] - lse;
        } else {
          const float inv = static_cast<float>(1.0 / sum);
          for (int64_t i = 0; i < cols; i++) yr[i] *= inv;
        }
      }
    });
  });
}

extern "C" void simmer_softmax_backward(const float* y, const float* gy, int64_t rows, int64_t cols, float* gx, int log) {
  if (cols <= 0) return;
  parallelFor(rows, std::max<int64_t>(1, 4096 / cols), [&](int64_t r0, int64_t r1, int) {
    simdRun([&] {
      for (int64_t r = r0; r < r1; r++) {
        const float* yr = y + r * cols;
        const float* gr = gy + r * cols;
        float* out = gx + r * cols;
        float lanes[kLanes] = {};
        int64_t j = 0;
        for (; j + kLanes <= cols; j += kLanes)
          for (int l = 0; l < kLanes; l++) lanes[l] += log ? gr[j + l] : gr[j + l] * yr[j + l];
        double s = 0;
        for (int l = 0; l < kLanes; l++) s += lanes[l];
        for (; j < cols; j++) s += log ? gr[j] : gr[j] * yr[j];
        const float sf = static_cast<float>(s);
        if (log)
          for (int64_t i = 0; i < cols; i++) out[i] = gr[i] - fastExp(yr[i]) * sf;
        else
          for (int64_t i = 0; i < cols; i++) out[i] = yr[i] * (gr[i] - sf);
      }
    });
  });
}

// ── argmax / argmin and softmax along the middle axis of outer × size × inner ──────────────────────────────────────
namespace simmer {
namespace {

enum ArgReduce { kArgmax = 0, kArgmin = 1 };
constexpr int64_t kColumns = 256;  // columns (of inner) per task: the running max and sum stay on the stack

// The first index of the extreme value; a NaN wins only in first place (as the JS reference: NaN compares false).
template <int OP>
void argReduceOp(const float* x, int64_t outer, int64_t size, int64_t inner, int32_t* out) {
  if (inner == 1) {
    parallelFor(outer, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, size)), [&](int64_t o0, int64_t o1, int) {
      for (int64_t o = o0; o < o1; o++) {
        const float* row = x + o * size;
        int32_t best = 0;
        float bestVal = row[0];
        for (int64_t r = 1; r < size; r++)
          if (OP == kArgmax ? row[r] > bestVal : row[r] < bestVal) {
            best = static_cast<int32_t>(r);
            bestVal = row[r];
          }
        out[o] = best;
      }
    });
    return;
  }
  const int64_t chunks = (inner + kColumns - 1) / kColumns;
  parallelFor(outer * chunks, 1, [&](int64_t t0, int64_t t1, int) {
    float bestVal[kColumns];
    for (int64_t t = t0; t < t1; t++) {
      const int64_t o = t / chunks, i0 = (t % chunks) * kColumns, w = std::min(kColumns, inner - i0);
      const float* base = x + o * size * inner + i0;
      int32_t* best = out + o * inner + i0;
      for (int64_t i = 0; i < w; i++) {
        best[i] = 0;
        bestVal[i] = base[i];
      }
      for (int64_t r = 1; r < size; r++) {
        const float* row = base + r * inner;
        for (int64_t i = 0; i < w; i++)
          if (OP == kArgmax ? row[i] > bestVal[i] : row[i] < bestVal[i]) {
            best[i] = static_cast<int32_t>(r);
            bestVal[i] = row[i];
          }
      }
    }
  });
}

}  // namespace
}  // namespace simmer

extern "C" const char* simmer_arg_reduce_name(int op) {
  switch (op) {
    case kArgmax: return "argmax";
    case kArgmin: return "argmin";
    default: return nullptr;
  }
}

extern "C" void simmer_arg_reduce(int op, const float* x, int64_t outer, int64_t size, int64_t inner, int32_t* out) {
  if (outer <= 0 || inner <= 0 || size <= 0) return;
  if (op == kArgmax) argReduceOp<kArgmax>(x, outer, size, inner, out);
  else argReduceOp<kArgmin>(x, outer, size, inner, out);
}

extern "C" void simmer_softmax_axis(const float* x, int64_t outer, int64_t size, int64_t inner, float* out, int log) {
  if (outer <= 0 || inner <= 0 || size <= 0) return;
  if (inner == 1) return simmer_softmax(x, outer, size, out, log);
  const int64_t chunks = (inner + kColumns - 1) / kColumns;
  parallelFor(outer * chunks, std::max<int64_t>(1, 4096 / (size * kColumns)), [&](int64_t t0, int64_t t1, int) {
    float mx[kColumns];
    float sum[kColumns];
    for (int64_t t = t0; t < t1; t++) {
      const int64_t o = t / chunks, i0 = (t % chunks) * kColumns, w = std::min(kColumns, inner - i0);
      const float* xb = x + o * size * inner + i0;
      float* yb = out + o * size * inner + i0;
      simdRun([&] {
        for (int64_t i = 0; i < w; i++) {
          mx[i] = -std::numeric_limits<float>::infinity();
          sum[i] = 0.f;
        }
        for (int64_t r = 0; r < size; r++)
          for (int64_t i = 0; i < w; i++) mx[i] = xb[r * inner + i] > mx[i] ? xb[r * inner + i] : mx[i];
        for (int64_t r = 0; r < size; r++)
          for (int64_t i = 0; i < w; i++) {
            const float e = fastExp(xb[r * inner + i] - mx[i]);
            yb[r * inner + i] = e;
            sum[i] += e;
          }
        if (log) {
          for (int64_t i = 0; i < w; i++) sum[i] = mx[i] + std::log(sum[i]);
          for (int64_t r = 0; r < size; r++)
            for (int64_t i = 0; i < w; i++) yb[r * inner + i] = xb[r * inner + i] - sum[i];
        } else {
          for (int64_t i = 0; i < w; i++) sum[i] = 1.f / sum[i];
          for (int64_t r = 0; r < size; r++)
            for (int64_t i = 0; i < w; i++) yb[r * inner + i] *= sum[i];
        }
      });
    }
  });
}

extern "C" void simmer_softmax_axis_backward(const float* y, const float* gy, int64_t outer, int64_t size, int64_t inner, float* gx, int log) {
  if (outer <= 0 || inner <= 0 || size <= 0) return;
  if (inner == 1) return simmer_softmax_backward(y, gy, outer, size, gx, log);
  const int64_t chunks = (inner + kColumns - 1) / kColumns;
  parallelFor(outer * chunks, std::max<int64_t>(1, 4096 / (size * kColumns)), [&](int64_t t0, int64_t t1, int) {
    float acc[kColumns];
    for (int64_t t = t0; t < t1; t++) {
      const int64_t o = t / chunks, i0 = (t % chunks) * kColumns, w = std::min(kColumns, inner - i0);
      const int64_t off = o * size * inner + i0;
      const float* yb = y + off;
      const float* gb = gy + off;
      float* ob = gx + off;
      simdRun([&] {
        for (int64_t i = 0; i < w; i++) acc[i] = 0.f;
        for (int64_t r = 0; r < size; r++)
          for (int64_t i = 0; i < w; i++) acc[i] += log ? gb[r * inner + i] : gb[r * inner + i] * yb[r * inner + i];
        for (int64_t r = 0; r < size; r++)
          for (int64_t i = 0; i < w; i++) {
            const int64_t at = r * inner + i;
            ob[at] = log ? gb[at] - fastExp(yb[at]) * acc[i] : yb[at] * (gb[at] - acc[i]);
          }
      });
    }
  });
}
