// The 2×2 stride-2 max pool of one pair of input rows with its argmax, shared by the pooling kernel (pool.cc) and the
// fused conv + ReLU + pool (conv.cc). Semantics of simmer_max_pool2d_forward: the argmax is the flat index into the
// input plane, the first maximum wins (in the order top-left, top-right, bottom-left, bottom-right) and NaN wins.
// Written with selects and no early exits, so it compiles branch-free and vectorizes under simdRun: which of four
// values wins is data-dependent, and as branches it mispredicted about half the time (17 ns per output).
#pragma once
#include <cstdint>

#include "cpu_dispatch.h"

namespace simmer {

// r0, r1: the two input rows (each 2·pw floats used); out, argmax: pw outputs; top: flat index of r0[0] in the plane,
// w: the plane's row length (r1 = r0 + w).
SIMMER_INLINE void maxPool2Row(const float* r0, const float* r1, float* out, int32_t* argmax, int64_t pw, int32_t top, int32_t w) {
  for (int64_t j = 0; j < pw; j++) {
    const float a = r0[2 * j], b = r0[2 * j + 1], c = r1[2 * j], d = r1[2 * j + 1];
    const int32_t at = top + static_cast<int32_t>(2 * j);
    float best = a;
    int32_t bi = at;
    const bool tb = (b > best) | (b != b);
    best = tb ? b : best;
    bi = tb ? at + 1 : bi;
    const bool tc = (c > best) | (c != c);
    best = tc ? c : best;
    bi = tc ? at + w : bi;
    const bool td = (d > best) | (d != d);
    best = td ? d : best;
    bi = td ? at + w + 1 : bi;
    out[j] = best;
    argmax[j] = bi;
  }
}

}  // namespace simmer
