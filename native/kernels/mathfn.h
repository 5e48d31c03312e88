// Vectorizable float math (no libm calls, so loops over them auto-vectorize).
// fastExp: Cephes expf polynomial, max relative error ~2e-7 over the float range, exact inf/0/NaN
// behaviour (overflow to inf above ~88.72, underflow through denormals to 0).
#pragma once
#include <cstdint>
#include <cstring>

#include "cpu_dispatch.h"

namespace simmer {

SIMMER_INLINE float bitsToFloat(int32_t i) {
  float f;
  std::memcpy(&f, &i, sizeof f);
  return f;
}

SIMMER_INLINE float fastExp(float x) {
  x = x < -104.f ? -104.f : x;
  x = x > 89.f ? 89.f : x;
  const float fn = (x * 1.44269504088896341f + 12582912.f) - 12582912.f;  // round to nearest
  float r = x - fn * 0.693359375f;
  r = r - fn * -2.12194440e-4f;
  const float r2 = r * r;
  const float p =
      (((((1.9875691500E-4f * r + 1.3981999507E-3f) * r + 8.3334519073E-3f) * r + 4.1665795894E-2f) * r + 1.6666665459E-1f) * r + 5.0000001201E-1f) * r2 + r +
      1.f;
  const int32_t n = static_cast<int32_t>(fn);
  const int32_t n1 = n >> 1, n2 = n - n1;  // two scalings so 2^n stays representable in each
  return p * bitsToFloat((n1 + 127) << 23) * bitsToFloat((n2 + 127) << 23);
}

SIMMER_INLINE float fastExpm1(float x) {
  // Taylor series near 0 avoids the cancellation of exp(x) − 1.
  const float t = x * (1.f + x * (0.5f + x * (1.f / 6 + x * (1.f / 24 + x * (1.f / 120 + x * (1.f / 720 + x * (1.f / 5040)))))));
  const float ax = x < 0 ? -x : x;
  return ax < 0.25f ? t : fastExp(x) - 1.f;
}

SIMMER_INLINE float fastTanh(float x) {
  const float ax = x < 0 ? -x : x;
  const float z = x * x;
  const float small = ((((-5.70498872745E-3f * z + 2.06390887954E-2f) * z - 5.37397155531E-2f) * z + 1.33314422036E-1f) * z - 3.33332819422E-1f) * z * x + x;
  const float big = 1.f - 2.f / (fastExp(2.f * ax) + 1.f);
  const float sbig = x < 0 ? -big : big;
  return ax < 0.625f ? small : sbig;
}

// erf to ~1.2e-7 absolute (the Numerical Recipes erfc fit the JS reference uses).
SIMMER_INLINE float fastErf(float x) {
  const float z = x < 0 ? -x : x;
  const float t = 1.f / (1.f + 0.5f * z);
  const float poly =
      -z * z - 1.26551223f +
      t * (1.00002368f +
           t * (0.37409196f + t * (0.09678418f + t * (-0.18628806f + t * (0.27886807f + t * (-1.13520398f + t * (1.48851587f + t * (-0.82215223f + t * 0.17087277f))))))));
  const float r = t * fastExp(poly);
  return x >= 0 ? 1.f - r : r - 1.f;
}

}  // namespace simmer
