// Elementwise kernels: unary functions and their derivatives, broadcast binary ops, affine, clamp.
// Op codes follow UNARY_OPS / BINARY_OPS in src/backend/backend.ts. Each op is instantiated as its own
// loop (so it vectorizes) for each SIMD path, and large arrays are split over the thread pool.
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
