// Elementwise kernels: unary functions and their derivatives, broadcast binary ops, affine, clamp.
// Op codes follow UNARY_OPS / BINARY_OPS in src/backend/backend.ts. Each op is instantiated as its own
// loop (so it vectorizes) for each SIMD path, and large arrays are split over the thread pool.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "mathfn.h"
#include "simd_run.h"
#include "simmer.h"
#include "thread_pool.h"

namespace simmer {
namespace {

enum Unary { kNeg, kExp, kLog, kSqrt, kRsqrt, kAbs, kRelu, kLeakyRelu, kElu, kGelu, kSilu, kSigmoid, kTanh, kSoftplus };
enum Binary { kAdd, kSub, kMul, kDiv, kPow, kMaximum, kMinimum };

constexpr int64_t kGrain = 1 << 14;  // elements per task: below this, threads cost more than they save
constexpr float kSqrt1_2 = 0.70710678118654752f;
constexpr float kInvSqrt2Pi = 0.39894228040143268f;

template <int OP>
SIMMER_INLINE float unaryFn(float x, float alpha) {
  if constexpr (OP == kNeg) return -x;
  if constexpr (OP == kExp) return fastExp(x);
  if constexpr (OP == kLog) return std::log(x);
  if constexpr (OP == kSqrt) return std::sqrt(x);
  if constexpr (OP == kRsqrt) return 1.f / std::sqrt(x);
  if constexpr (OP == kAbs) return std::fabs(x);
  if constexpr (OP == kRelu) return x < 0.f ? 0.f : x + 0.f;  // + 0 turns −0 into 0 like Math.max(x, 0); NaN stays
  if constexpr (OP == kLeakyRelu) return x > 0.f ? x : alpha * x;
  if constexpr (OP == kElu) return x > 0.f ? x : alpha * fastExpm1(x);
  if constexpr (OP == kGelu) return 0.5f * x * (1.f + fastErf(x * kSqrt1_2));
  if constexpr (OP == kSilu) return x / (1.f + fastExp(-x));
  if constexpr (OP == kSigmoid) return 1.f / (1.f + fastExp(-x));
  if constexpr (OP == kTanh) return fastTanh(x);
  if constexpr (OP == kSoftplus) {
    const float bx = alpha * x;
    return bx > 20.f ? x : std::log1p(std::exp(bx)) / alpha;
  }
  return 0.f;
}

// f'(x) given x and y = f(x).
template <int OP>
SIMMER_INLINE float unaryDerivative(float x, float y, float alpha) {
  if constexpr (OP == kNeg) return -1.f;
  if constexpr (OP == kExp) return y;
  if constexpr (OP == kLog) return 1.f / x;
  if constexpr (OP == kSqrt) return 0.5f / y;
  if constexpr (OP == kRsqrt) return -0.5f * y * y * y;
  if constexpr (OP == kAbs) return x > 0.f ? 1.f : (x < 0.f ? -1.f : 0.f);
  if constexpr (OP == kRelu) return x > 0.f ? 1.f : 0.f;
  if constexpr (OP == kLeakyRelu) return x > 0.f ? 1.f : alpha;
  if constexpr (OP == kElu) return x > 0.f ? 1.f : y + alpha;
  if constexpr (OP == kGelu) return 0.5f * (1.f + fastErf(x * kSqrt1_2)) + x * kInvSqrt2Pi * fastExp(-0.5f * x * x);
  if constexpr (OP == kSilu) {
    const float s = 1.f / (1.f + fastExp(-x));
    return s * (1.f + x * (1.f - s));
  }
  if constexpr (OP == kSigmoid) return y * (1.f - y);
  if constexpr (OP == kTanh) return 1.f - y * y;
  if constexpr (OP == kSoftplus) {
    const float bx = alpha * x;
    return bx > 20.f ? 1.f : 1.f / (1.f + fastExp(-bx));
  }
  return 0.f;
}

template <int OP>
void unaryOp(const float* x, float* out, int64_t n, float alpha) {
  parallelFor(n, kGrain, [&](int64_t b, int64_t e, int) {
    simdRun([&] {
      for (int64_t i = b; i < e; i++) out[i] = unaryFn<OP>(x[i], alpha);
    });
  });
}

template <int OP>
void unaryBackwardOp(const float* x, const float* y, const float* gy, float* gx, int64_t n, float alpha) {
  parallelFor(n, kGrain, [&](int64_t b, int64_t e, int) {
    simdRun([&] {
      if constexpr (OP == kRelu) {
        for (int64_t i = b; i < e; i++) gx[i] = x[i] > 0.f ? gy[i] : 0.f;
      } else {
        for (int64_t i = b; i < e; i++) gx[i] = gy[i] * unaryDerivative<OP>(x[i], y[i], alpha);
      }
    });
  });
}

template <int OP>
SIMMER_INLINE float binaryFn(float a, float b) {
  if constexpr (OP == kAdd) return a + b;
  if constexpr (OP == kSub) return a - b;
  if constexpr (OP == kMul) return a * b;
  if constexpr (OP == kDiv) return a / b;
  if constexpr (OP == kPow) return std::pow(a, b);
  if constexpr (OP == kMaximum) return (a >= b || a != a) ? a : b;
  if constexpr (OP == kMinimum) return (a <= b || a != a) ? a : b;
  return 0.f;
}

// out[i] = a[i·la] ∘ b[i·lb] for i < n, strides 0 or 1: the innermost loop of every broadcast.
template <int OP>
SIMMER_INLINE void binaryRow(const float* a, int64_t la, const float* b, int64_t lb, float* out, int64_t n) {
  if (la == 1 && lb == 1)
    for (int64_t i = 0; i < n; i++) out[i] = binaryFn<OP>(a[i], b[i]);
  else if (la == 1) {
    const float bv = b[0];
    for (int64_t i = 0; i < n; i++) out[i] = binaryFn<OP>(a[i], bv);
  } else if (lb == 1) {
    const float av = a[0];
    for (int64_t i = 0; i < n; i++) out[i] = binaryFn<OP>(av, b[i]);
  } else {
    const float v = binaryFn<OP>(a[0], b[0]);
    for (int64_t i = 0; i < n; i++) out[i] = v;
  }
}

constexpr int kMaxRank = 8;

// Broadcast layout with adjacent dimensions merged where both inputs allow it: NCHW ∘ (C,1,1) becomes
// [N, C, H·W] with b's strides [0, 1, 0], so the inner loop runs over H·W with b constant.
struct Broadcast {
  int rank = 0;
  int64_t dims[kMaxRank], sa[kMaxRank], sb[kMaxRank];
};

Broadcast makeBroadcast(const int32_t* aShape, int aRank, const int32_t* bShape, int bRank, const int32_t* outShape, int outRank) {
  int64_t sa[kMaxRank] = {}, sb[kMaxRank] = {};
  int64_t s = 1;
  for (int i = aRank - 1; i >= 0; i--) {
    sa[outRank - aRank + i] = aShape[i] == 1 ? 0 : s;
    s *= aShape[i];
  }
  s = 1;
  for (int i = bRank - 1; i >= 0; i--) {
    sb[outRank - bRank + i] = bShape[i] == 1 ? 0 : s;
    s *= bShape[i];
  }
  Broadcast bc;
  for (int d = 0; d < outRank; d++) {
    if (outShape[d] == 1) continue;  // size-1 dims contribute nothing
    if (bc.rank > 0) {
      int q = bc.rank - 1;
      if (bc.sa[q] == sa[d] * outShape[d] && bc.sb[q] == sb[d] * outShape[d]) {
        bc.dims[q] *= outShape[d];
        bc.sa[q] = sa[d];
        bc.sb[q] = sb[d];
        continue;
      }
    }
    bc.dims[bc.rank] = outShape[d];
    bc.sa[bc.rank] = sa[d];
    bc.sb[bc.rank] = sb[d];
    bc.rank++;
  }
  if (bc.rank == 0) {
    bc.rank = 1;
    bc.dims[0] = 1;
    bc.sa[0] = bc.sb[0] = 0;
  }
  return bc;
}

template <int OP>
void binaryOp(const float* a, const float* b, float* out, const Broadcast& bc) {
  const int last = bc.rank - 1;
  const int64_t inner = bc.dims[last];
  int64_t rows = 1;
  for (int d = 0; d < last; d++) rows *= bc.dims[d];
  const int64_t la = bc.sa[last], lb = bc.sb[last];
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, inner));
  parallelFor(rows, grain, [&](int64_t r0, int64_t r1, int) {
    // odometer position of row r0
    int64_t idx[kMaxRank] = {};
    int64_t ia = 0, ib = 0, rem = r0;
    for (int d = last - 1; d >= 0; d--) {
      idx[d] = rem % bc.dims[d];
      rem /= bc.dims[d];
      ia += idx[d] * bc.sa[d];
      ib += idx[d] * bc.sb[d];
    }
    simdRun([&] {
      for (int64_t r = r0; r < r1; r++) {
        binaryRow<OP>(a + ia, la, b + ib, lb, out + r * inner, inner);
        for (int d = last - 1; d >= 0; d--) {
          ia += bc.sa[d];
          ib += bc.sb[d];
          if (++idx[d] < bc.dims[d]) break;
          ia -= bc.sa[d] * bc.dims[d];
          ib -= bc.sb[d] * bc.dims[d];
          idx[d] = 0;
        }
      }
    });
  });
}

}  // namespace
}  // namespace simmer

using namespace simmer;

#define SIMMER_UNARY_CASES(CALL)  \
  case kNeg:                      \
    CALL(kNeg);                   \
    break;                        \
  case kExp:                      \
    CALL(kExp);                   \
    break;                        \
  case kLog:                      \
    CALL(kLog);                   \
    break;                        \
  case kSqrt:                     \
    CALL(kSqrt);                  \
    break;                        \
  case kRsqrt:                    \
    CALL(kRsqrt);                 \
    break;                        \
  case kAbs:                      \
    CALL(kAbs);                   \
    break;                        \
  case kRelu:                     \
    CALL(kRelu);                  \
    break;                        \
  case kLeakyRelu:                \
    CALL(kLeakyRelu);             \
    break;                        \
  case kElu:                      \
    CALL(kElu);                   \
    break;                        \
  case kGelu:                     \
    CALL(kGelu);                  \
    break;                        \
  case kSilu:                     \
    CALL(kSilu);                  \
    break;                        \
  case kSigmoid:                  \
    CALL(kSigmoid);               \
    break;                        \
  case kTanh:                     \
    CALL(kTanh);                  \
    break;                        \
  case kSoftplus:                 \
    CALL(kSoftplus);              \
    break;

// Names by enum constant (not by position): reordering the enum cannot silently remap an op.
extern "C" const char* simmer_unary_name(int op) {
  switch (op) {
    case kNeg: return "neg";
    case kExp: return "exp";
    case kLog: return "log";
    case kSqrt: return "sqrt";
    case kRsqrt: return "rsqrt";
    case kAbs: return "abs";
    case kRelu: return "relu";
    case kLeakyRelu: return "leakyRelu";
    case kElu: return "elu";
    case kGelu: return "gelu";
    case kSilu: return "silu";
    case kSigmoid: return "sigmoid";
    case kTanh: return "tanh";
    case kSoftplus: return "softplus";
    default: return nullptr;
  }
}

extern "C" const char* simmer_binary_name(int op) {
  switch (op) {
    case kAdd: return "add";
    case kSub: return "sub";
    case kMul: return "mul";
    case kDiv: return "div";
    case kPow: return "pow";
    case kMaximum: return "maximum";
    case kMinimum: return "minimum";
    default: return nullptr;
  }
}

extern "C" void simmer_unary(int op, const float* x, float* out, int64_t n, float alpha) {
#define CALL(OP) unaryOp<OP>(x, out, n, alpha)
  switch (op) { SIMMER_UNARY_CASES(CALL) }
#undef CALL
}

extern "C" void simmer_unary_backward(int op, const float* x, const float* y, const float* gy, float* gx, int64_t n, float alpha) {
#define CALL(OP) unaryBackwardOp<OP>(x, y, gy, gx, n, alpha)
  switch (op) { SIMMER_UNARY_CASES(CALL) }
#undef CALL
}

extern "C" void simmer_binary(int op, const float* a, const int32_t* aShape, int aRank, const float* b, const int32_t* bShape, int bRank, float* out,
                              const int32_t* outShape, int outRank) {
  int64_t total = 1;
  for (int d = 0; d < outRank; d++) total *= outShape[d];
  if (total == 0) return;
  const Broadcast bc = makeBroadcast(aShape, aRank, bShape, bRank, outShape, outRank);
  switch (op) {
    case kAdd:
      binaryOp<kAdd>(a, b, out, bc);
      break;
    case kSub:
      binaryOp<kSub>(a, b, out, bc);
      break;
    case kMul:
      binaryOp<kMul>(a, b, out, bc);
      break;
    case kDiv:
      binaryOp<kDiv>(a, b, out, bc);
      break;
    case kPow:
      binaryOp<kPow>(a, b, out, bc);
      break;
    case kMaximum:
      binaryOp<kMaximum>(a, b, out, bc);
      break;
    case kMinimum:
      binaryOp<kMinimum>(a, b, out, bc);
      break;
  }
}

extern "C" void simmer_affine(const float* x, float scale, float shift, float* out, int64_t n) {
  parallelFor(n, kGrain, [&](int64_t b, int64_t e, int) {
    simdRun([&] {
      for (int64_t i = b; i < e; i++) out[i] = x[i] * scale + shift;
    });
  });
}

extern "C" void simmer_clamp(const float* x, float lo, float hi, float* out, int64_t n) {
  parallelFor(n, kGrain, [&](int64_t b, int64_t e, int) {
    simdRun([&] {
      for (int64_t i = b; i < e; i++) {
        const float v = x[i];
        out[i] = v < lo ? lo : (v > hi ? hi : v);
      }
    });
  });
}

// ── where, exact comparison of any dtypes, clamp backward ──────────────────────────────────────────────────────────
namespace simmer {
namespace {

enum Compare { kEq, kNe, kLt, kLe, kGt, kGe };

// Strides of a shape right-aligned to out's rank, 0 along broadcast axes.
void alignedStrides(const int32_t* shape, int rank, int outRank, int64_t* strides) {
  for (int d = 0; d < outRank; d++) strides[d] = 0;
  int64_t s = 1;
  for (int i = rank - 1; i >= 0; i--) {
    strides[outRank - rank + i] = shape[i] == 1 ? 0 : s;
    s *= shape[i];
  }
}

// Calls row(offset0, offset1, offset2, outOffset, n, step0, step1, step2) for every row of out's last axis, on the
// thread pool: the odometer walk every broadcast kernel shares.
template <class F>
void forEachRow3(const int64_t* t0, const int64_t* t1, const int64_t* t2, const int32_t* fullShape, int fullRank, const F& row) {
  // Size-1 axes dropped and neighbours merged where all three inputs are contiguous across them (as makeBroadcast),
  // so a same-shape or scalar-broadcast call walks one long row instead of many short ones.
  int64_t s0[kMaxRank], s1[kMaxRank], s2[kMaxRank];
  int32_t outShape[kMaxRank];
  int outRank = 0;
  for (int d = 0; d < fullRank; d++) {
    if (fullShape[d] == 1) continue;
    if (outRank > 0) {
      const int q = outRank - 1;
      const int64_t n = fullShape[d];
      if (s0[q] == t0[d] * n && s1[q] == t1[d] * n && s2[q] == t2[d] * n && int64_t{outShape[q]} * n < (int64_t{1} << 31)) {
        outShape[q] = static_cast<int32_t>(outShape[q] * n);
        s0[q] = t0[d];
        s1[q] = t1[d];
        s2[q] = t2[d];
        continue;
      }
    }
    outShape[outRank] = fullShape[d];
    s0[outRank] = t0[d];
    s1[outRank] = t1[d];
    s2[outRank] = t2[d];
    outRank++;
  }
  if (outRank == 0) {
    row(0, 0, 0, 0, 1, 0, 0, 0);
    return;
  }
  const int last = outRank - 1;
  const int64_t n = outShape[last];
  int64_t rows = 1;
  for (int d = 0; d < last; d++) rows *= outShape[d];
  parallelFor(rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, n)), [&](int64_t r0, int64_t r1, int) {
    int64_t idx[kMaxRank] = {};
    int64_t i0 = 0, i1 = 0, i2 = 0, rem = r0;
    for (int d = last - 1; d >= 0; d--) {
      idx[d] = rem % outShape[d];
      rem /= outShape[d];
      i0 += idx[d] * s0[d];
      i1 += idx[d] * s1[d];
      i2 += idx[d] * s2[d];
    }
    for (int64_t r = r0; r < r1; r++) {
      row(i0, i1, i2, r * n, n, s0[last], s1[last], s2[last]);
      for (int d = last - 1; d >= 0; d--) {
        i0 += s0[d];
        i1 += s1[d];
        i2 += s2[d];
        if (++idx[d] < outShape[d]) break;
        i0 -= s0[d] * outShape[d];
        i1 -= s1[d] * outShape[d];
        i2 -= s2[d] * outShape[d];
        idx[d] = 0;
      }
    }
  });
}

template <int OP>
SIMMER_INLINE bool compareFn(double a, double b) {
  if constexpr (OP == kEq) return a == b;
  if constexpr (OP == kNe) return a != b;
  if constexpr (OP == kLt) return a < b;
  if constexpr (OP == kLe) return a <= b;
  if constexpr (OP == kGt) return a > b;
  return a >= b;
}

// Values compared as doubles: exact for float32, int32 and uint8 alike.
template <int OP, class A, class B>
void compareOp(const A* a, const int64_t* sa, const B* b, const int64_t* sb, uint8_t* out, const int32_t* outShape, int outRank) {
  const int64_t zero[kMaxRank] = {};
  forEachRow3(sa, sb, zero, outShape, outRank, [&](int64_t ia, int64_t ib, int64_t, int64_t o, int64_t n, int64_t la, int64_t lb, int64_t) {
    simdRun([&] {
      for (int64_t j = 0; j < n; j++) out[o + j] = compareFn<OP>(static_cast<double>(a[ia + j * la]), static_cast<double>(b[ib + j * lb])) ? 1 : 0;
    });
  });
}

template <class A, class B>
void compareTyped(int op, const A* a, const int64_t* sa, const B* b, const int64_t* sb, uint8_t* out, const int32_t* outShape, int outRank) {
  switch (op) {
    case kEq: return compareOp<kEq>(a, sa, b, sb, out, outShape, outRank);
    case kNe: return compareOp<kNe>(a, sa, b, sb, out, outShape, outRank);
    case kLt: return compareOp<kLt>(a, sa, b, sb, out, outShape, outRank);
    case kLe: return compareOp<kLe>(a, sa, b, sb, out, outShape, outRank);
    case kGt: return compareOp<kGt>(a, sa, b, sb, out, outShape, outRank);
    case kGe: return compareOp<kGe>(a, sa, b, sb, out, outShape, outRank);
    default: return;
  }
}

template <class A>
void compareB(int op, const A* a, const int64_t* sa, const void* b, int bType, const int64_t* sb, uint8_t* out, const int32_t* outShape, int outRank) {
  if (bType == SIMMER_DTYPE_I32) compareTyped(op, a, sa, static_cast<const int32_t*>(b), sb, out, outShape, outRank);
  else if (bType == SIMMER_DTYPE_U8) compareTyped(op, a, sa, static_cast<const uint8_t*>(b), sb, out, outShape, outRank);
  else compareTyped(op, a, sa, static_cast<const float*>(b), sb, out, outShape, outRank);
}

}  // namespace
}  // namespace simmer

extern "C" const char* simmer_compare_name(int op) {
  switch (op) {
    case kEq: return "eq";
    case kNe: return "ne";
    case kLt: return "lt";
    case kLe: return "le";
    case kGt: return "gt";
    case kGe: return "ge";
    default: return nullptr;
  }
}

extern "C" void simmer_compare(int op, const void* a, int a_type, const int32_t* a_shape, int a_rank, const void* b, int b_type, const int32_t* b_shape,
                               int b_rank, uint8_t* out, const int32_t* out_shape, int out_rank) {
  int64_t sa[kMaxRank], sb[kMaxRank];
  alignedStrides(a_shape, a_rank, out_rank, sa);
  alignedStrides(b_shape, b_rank, out_rank, sb);
  for (int d = 0; d < out_rank; d++)
    if (out_shape[d] == 0) return;
  if (a_type == SIMMER_DTYPE_I32) compareB(op, static_cast<const int32_t*>(a), sa, b, b_type, sb, out, out_shape, out_rank);
  else if (a_type == SIMMER_DTYPE_U8) compareB(op, static_cast<const uint8_t*>(a), sa, b, b_type, sb, out, out_shape, out_rank);
  else compareB(op, static_cast<const float*>(a), sa, b, b_type, sb, out, out_shape, out_rank);
}

extern "C" void simmer_where(const uint8_t* cond, const int32_t* c_shape, int c_rank, const float* a, const int32_t* a_shape, int a_rank, const float* b,
                             const int32_t* b_shape, int b_rank, float* out, const int32_t* out_shape, int out_rank) {
  int64_t sc[kMaxRank], sa[kMaxRank], sb[kMaxRank];
  alignedStrides(c_shape, c_rank, out_rank, sc);
  alignedStrides(a_shape, a_rank, out_rank, sa);
  alignedStrides(b_shape, b_rank, out_rank, sb);
  for (int d = 0; d < out_rank; d++)
    if (out_shape[d] == 0) return;
  forEachRow3(sc, sa, sb, out_shape, out_rank, [&](int64_t ic, int64_t ia, int64_t ib, int64_t o, int64_t n, int64_t lc, int64_t la, int64_t lb) {
    simdRun([&] {
      for (int64_t j = 0; j < n; j++) out[o + j] = cond[ic + j * lc] != 0 ? a[ia + j * la] : b[ib + j * lb];
    });
  });
}

extern "C" void simmer_clamp_backward(const float* x, float lo, float hi, const float* gy, float* gx, int64_t n) {
  parallelFor(n, kGrain, [&](int64_t b, int64_t e, int) {
    simdRun([&] {
      for (int64_t i = b; i < e; i++) gx[i] = x[i] >= lo && x[i] <= hi ? gy[i] : 0.f;
    });
  });
}
