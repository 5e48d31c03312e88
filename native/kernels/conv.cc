// 2-D convolution as GEMM, with im2col fused into the packing of the GEMM operand.
//
// Shapes (per group g; cg = C/groups input channels, kg = K/groups filters, P = cg·R·S, Q = OH·OW):
//   forward          y[n]  (kg×Q)  = W (kg×P) · col(x[n]) (P×Q)                 (+ bias)
//   backward input   gcol  (P×Q)   = Wᵀ (P×kg) · gy[n] (kg×Q),   gx[n] = col2im(gcol)
//   backward weight  gW    (kg×P)  = Σ_n gy[n] (kg×Q) · col(x[n])ᵀ (Q×P)
// With a batch of at least 2·threads every image is one task of the thread pool (the filters are packed
// once and shared; each task packs its own image into thread-local scratch, so nothing is allocated
// per call once warm). Smaller batches run image by image with the GEMM itself threaded.
// Every threaded sum has a fixed order: the weight gradient sums fixed chunks of images in chunk order, so
// results never depend on which thread ran what (seeded runs are bit-reproducible at a given thread count).
#include <algorithm>
#include <cstring>
#include <vector>

#include "maxpool2.h"
#include "scratch.h"
#include "sgemm.h"
#include "simd_run.h"
#include "simmer.h"
#include "thread_pool.h"

// Row segments here are short (a few to a few dozen floats): keep GCC from turning the copy and fill
// loops into memcpy/memset library calls, which cost more than the copy itself at these sizes.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-tree-loop-distribute-patterns")
#endif

namespace simmer {
namespace {

struct Geom {
  int64_t n, c, h, w, k, r, s, oh, ow, sh, sw, ph, pw, dh, dw, groups;
  int64_t cg, kg, P, Q;
  explicit Geom(const int32_t* g)
      : n(g[0]), c(g[1]), h(g[2]), w(g[3]), k(g[4]), r(g[5]), s(g[6]), oh(g[7]), ow(g[8]), sh(g[9]), sw(g[10]), ph(g[11]), pw(g[12]), dh(g[13]),
        dw(g[14]), groups(g[15]) {
    cg = c / groups;
    kg = k / groups;
    P = cg * r * s;
    Q = oh * ow;
  }
  bool pointwise() const { return r == 1 && s == 1 && sh == 1 && sw == 1 && ph == 0 && pw == 0; }
};

// Writes col(x)[p][start .. start+count) (p = (ci, rr, ss)) to dst with stride `stride`.
// xc is the plane of input channel ci.
void gatherRow(const Geom& g, const float* xc, int64_t rr, int64_t ss, int64_t start, int64_t count, float* dst, int64_t stride) {
  int64_t oy = start / g.ow, ox = start % g.ow;
  const int64_t iyOff = rr * g.dh - g.ph, ixOff = ss * g.dw - g.pw;
  while (count > 0) {
    const int64_t seg = std::min(count, g.ow - ox);
    const int64_t iy = oy * g.sh + iyOff;
    if (iy < 0 || iy >= g.h) {
      for (int64_t t = 0; t < seg; t++) dst[t * stride] = 0.f;
    } else {
      const float* row = xc + iy * g.w;
      const int64_t ix0 = ox * g.sw + ixOff;
      // valid t: 0 <= ix0 + t·sw < W
      int64_t lo = ix0 >= 0 ? 0 : (-ix0 + g.sw - 1) / g.sw;
      int64_t hi = ix0 > g.w - 1 ? 0 : (g.w - 1 - ix0) / g.sw + 1;
      lo = std::min(lo, seg);
      hi = std::max(lo, std::min(hi, seg));
      int64_t t = 0;
      for (; t < lo; t++) dst[t * stride] = 0.f;
      if (stride == 1 && g.sw == 1) {
        const float* src = row + ix0;
        for (; t < hi; t++) dst[t] = src[t];
      } else {
        for (; t < hi; t++) dst[t * stride] = row[ix0 + t * g.sw];
      }
      for (; t < seg; t++) dst[t * stride] = 0.f;
    }
    dst += seg * stride;
    count -= seg;
    oy++;
    ox = 0;
  }
}

// col(x) (P×Q) packed as the B operand, panels [q0, q1) of NR output positions. x points at the group's first channel.
// Each row of col is gathered once into `row` (Q floats of scratch), then cut into panels.
void packColAsB(const GemmArch& ga, const Geom& g, const float* x, float* out, int64_t q0, int64_t q1, float* row) {
  const int64_t nr = ga.nr, nq = q1 - q0, rs = g.r * g.s;
  const int64_t j0 = q0 * nr, j1 = std::min(g.Q, q1 * nr);
  for (int64_t p = 0; p < g.P; p++) {
    const int64_t ci = p / rs, rr = (p / g.s) % g.r, ss = p % g.s;
    const int64_t p0 = p / ga.kc * ga.kc, kc = std::min<int64_t>(ga.kc, g.P - p0);
    gatherRow(g, x + ci * g.h * g.w, rr, ss, j0, j1 - j0, row, 1);
    for (int64_t j = j1 - j0; j < nq * nr; j++) row[j] = 0.f;
    float* dst = out + p0 * nq * nr + (p - p0) * nr;
    for (int64_t q = 0; q < nq; q++) {
      const float* src = row + q * nr;
      float* d = dst + q * nr * kc;
      for (int64_t j = 0; j < nr; j++) d[j] = src[j];
    }
  }
}

// col(x) packed with K running over output positions, in panels of `nr` rows of col: this is both
// col(x)ᵀ (Q×P) as the B operand (nr = NR) and col(x) (P×Q) as the A operand (nr = MR).
void packColTAsB(const GemmArch& ga, const Geom& g, const float* x, float* out, int64_t nr) {
  const int64_t nq = ceilDiv(g.P, nr), rs = g.r * g.s;
  for (int64_t q = 0; q < nq; q++)
    for (int64_t jj = 0; jj < nr; jj++) {
      const int64_t p = q * nr + jj;
      for (int64_t p0 = 0; p0 < g.Q; p0 += ga.kc) {
        const int64_t kc = std::min<int64_t>(ga.kc, g.Q - p0);
        float* dst = out + p0 * nq * nr + q * nr * kc + jj;
        if (p >= g.P) {
          for (int64_t t = 0; t < kc; t++) dst[t * nr] = 0.f;
          continue;
        }
        const int64_t ci = p / rs, rr = (p / g.s) % g.r, ss = p % g.s;
        gatherRow(g, x + ci * g.h * g.w, rr, ss, p0, kc, dst, nr);
      }
    }
}

// Plain im2col (P×Q, row-major) for channels [c0, c1) of one group.
void im2col(const Geom& g, const float* x, float* col, int64_t c0, int64_t c1) {
  const int64_t rs = g.r * g.s;
  for (int64_t p = c0 * rs; p < c1 * rs; p++) gatherRow(g, x + (p / rs) * g.h * g.w, (p / g.s) % g.r, p % g.s, 0, g.Q, col + p * g.Q, 1);
}

// gx += col2im(gcol) for channels [c0, c1) of one group (gx points at the group's first channel).
void col2imAdd(const Geom& g, const float* col, float* gx, int64_t c0, int64_t c1) {
  for (int64_t ci = c0; ci < c1; ci++) {
    float* gxc = gx + ci * g.h * g.w;
    for (int64_t rr = 0; rr < g.r; rr++)
      for (int64_t ss = 0; ss < g.s; ss++) {
        const float* src = col + ((ci * g.r + rr) * g.s + ss) * g.Q;
        const int64_t ixOff = ss * g.dw - g.pw;
        for (int64_t oy = 0; oy < g.oh; oy++) {
          const int64_t iy = oy * g.sh + rr * g.dh - g.ph;
          if (iy < 0 || iy >= g.h) continue;
          float* row = gxc + iy * g.w;
          const float* s = src + oy * g.ow;
          const int64_t ix0 = ixOff;
          int64_t lo = ix0 >= 0 ? 0 : (-ix0 + g.sw - 1) / g.sw;
          int64_t hi = ix0 > g.w - 1 ? 0 : (g.w - 1 - ix0) / g.sw + 1;
          hi = std::min(hi, g.ow);
          if (g.sw == 1)
            for (int64_t t = lo; t < hi; t++) row[ix0 + t] += s[t];
          else
            for (int64_t t = lo; t < hi; t++) row[ix0 + t * g.sw] += s[t];
        }
      }
  }
}

bool batchParallel(const Geom& g) { return g.n >= 2 * poolThreads(); }

// Filters with few taps (P = cg·R·S, e.g. 9 for a 3×3 conv of one channel) make the weight gradient a thin GEMM whose
// packing (a transpose of all of gy) costs far more than its FLOPs; as P·kg dot products of length Q over a plane
// gathered once per image (all in L1/L2) it runs several times faster.
constexpr int64_t kFewTaps = 16;
bool fewTaps(const Geom& g) { return g.P <= kFewTaps && !g.pointwise(); }

// Σ a[i]·b[i] with 16 independent partial sums (so it vectorizes without reassociation), summed in a fixed order.
SIMMER_INLINE float dot16(const float* a, const float* b, int64_t n) {
  float acc[16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; l++) acc[l] += a[i + l] * b[i + l];
  for (int l = 0; i < n; i++, l++) acc[l] += a[i] * b[i];
  float s = 0.f;
  for (int l = 0; l < 16; l++) s += acc[l];
  return s;
}

// gW (kg×P) += gy[img] (kg×Q) · col(x[img])ᵀ for one image and group, col gathered into `col` (P×Q scratch).
void weightGradFewTaps(const Geom& g, const float* xg, const float* gyg, float* gw, float* col, bool accumulate) {
  im2col(g, xg, col, 0, g.cg);
  simdRun([&] {
    for (int64_t k = 0; k < g.kg; k++)
      for (int64_t p = 0; p < g.P; p++) {
        const float d = dot16(gyg + k * g.Q, col + p * g.Q, g.Q);
        gw[k * g.P + p] = accumulate ? gw[k * g.P + p] + d : d;
      }
  });
}

// Filters of every group packed as the A operand; `transpose` packs Wᵀ (P×kg) instead of W (kg×P).
float* packFilters(const GemmArch& ga, const Geom& g, const float* w, bool transpose, int64_t* panels) {
  thread_local Scratch buf;
  const int64_t m = transpose ? g.P : g.kg, kk = transpose ? g.kg : g.P;
  *panels = ceilDiv(m, ga.mr);
  const int64_t per = *panels * ga.mr * kk;
  float* out = buf.floats(per * g.groups);
  for (int64_t gi = 0; gi < g.groups; gi++) {
    const float* wg = w + gi * g.kg * g.P;
    if (transpose) packAPanels(ga, m, kk, wg, 1, g.P, out + gi * per, 0, *panels);
    else packAPanels(ga, m, kk, wg, g.P, 1, out + gi * per, 0, *panels);
  }
  return out;
}

}  // namespace
}  // namespace simmer

using namespace simmer;

// Plain convolution + bias: the fused forward without the activation (one image-by-image path, convImages).
extern "C" void simmer_conv2d_forward(const float* x, const float* w, const float* bias, float* y, const int32_t* geom) {
  simmer_conv2d_forward_act(x, w, bias, y, geom, 0);
}

extern "C" void simmer_conv2d_backward_input(const float* gy, const float* w, float* gx, const int32_t* geom) {
  const Geom g(geom);
  const int64_t plane = g.h * g.w;
  if (g.n == 0) return;
  if (g.Q == 0) {
    std::memset(gx, 0, sizeof(float) * g.n * g.c * plane);
    return;
  }
  const GemmArch& ga = gemmArch();
  if (!batchParallel(g)) {
    thread_local Scratch colBuf;
    for (int64_t img = 0; img < g.n; img++)
      for (int64_t gi = 0; gi < g.groups; gi++) {
        float* gxg = gx + (img * g.c + gi * g.cg) * plane;
        const float* gyg = gy + (img * g.k + gi * g.kg) * g.Q;
        const float* wg = w + gi * g.kg * g.P;
        if (g.pointwise()) {
          sgemm(g.P, g.Q, g.kg, wg, 1, g.P, gyg, g.Q, 1, gxg, g.Q, 1, false, true);
          continue;
        }
        float* col = colBuf.floats(g.P * g.Q);
        sgemm(g.P, g.Q, g.kg, wg, 1, g.P, gyg, g.Q, 1, col, g.Q, 1, false, true);
        std::memset(gxg, 0, sizeof(float) * g.cg * plane);
        parallelFor(g.cg, 1, [&](int64_t c0, int64_t c1, int) { col2imAdd(g, col, gxg, c0, c1); });
      }
    return;
  }
  int64_t aPanels;
  const float* wp = packFilters(ga, g, w, true, &aPanels);
  const int64_t perGroup = aPanels * ga.mr * g.kg;
  const int64_t bPanels = ceilDiv(g.Q, ga.nr);
  parallelFor(g.n, 1, [&](int64_t i0, int64_t i1, int) {
    thread_local Scratch bBuf, colBuf;
    float* bp = bBuf.floats(bPanels * ga.nr * g.kg);
    for (int64_t img = i0; img < i1; img++)
      for (int64_t gi = 0; gi < g.groups; gi++) {
        float* gxg = gx + (img * g.c + gi * g.cg) * plane;
        packBPanels(ga, g.Q, g.kg, gy + (img * g.k + gi * g.kg) * g.Q, g.Q, 1, bp, 0, bPanels);
        float* col = g.pointwise() ? gxg : colBuf.floats(g.P * g.Q);
        gemmPacked(ga, g.P, g.Q, g.kg, wp + gi * perGroup, aPanels, bp, bPanels, col, g.Q, 1, false, 0, aPanels, 0, bPanels);
        if (!g.pointwise()) {
          std::memset(gxg, 0, sizeof(float) * g.cg * plane);
          col2imAdd(g, col, gxg, 0, g.cg);
        }
      }
  });
}

extern "C" void simmer_conv2d_backward_weight(const float* x, const float* gy, float* gw, const int32_t* geom) {
  const Geom g(geom);
  const int64_t plane = g.h * g.w;
  const int64_t wSize = g.k * g.P;
  if (g.n == 0 || g.Q == 0) {
    std::memset(gw, 0, sizeof(float) * wSize);
    return;
  }
  const GemmArch& ga = gemmArch();
  if (!batchParallel(g)) {
    thread_local Scratch colBuf;
    for (int64_t img = 0; img < g.n; img++)
      for (int64_t gi = 0; gi < g.groups; gi++) {
        const float* xg = x + (img * g.c + gi * g.cg) * plane;
        const float* col = xg;
        if (!g.pointwise()) {
          float* cb = colBuf.floats(g.P * g.Q);
          parallelFor(g.cg, 1, [&](int64_t c0, int64_t c1, int) { im2col(g, xg, cb, c0, c1); });
          col = cb;
        }
        // gW (kg×P) (+)= gy[n] (kg×Q) · colᵀ (Q×P)
        sgemm(g.kg, g.P, g.Q, gy + (img * g.k + gi * g.kg) * g.Q, g.Q, 1, col, 1, g.Q, gw + gi * g.kg * g.P, g.P, 1, img > 0, true);
      }
    return;
  }
  // The batch is cut into a fixed number of contiguous image ranges (chunks), each accumulated into its own copy
  // of gW, and the copies are summed in chunk order at the end. Which thread runs a chunk does not matter: the
  // partition and the order of the sums depend only on the batch size and the pool size, so a seeded run gives
  // bit-identical weights every time (issue 12: the copies used to be per thread, filled in timing order).
  // The product is computed as gW (kg×P) or as gWᵀ (P×kg), whichever pads less to whole micro-tiles
  // (conv1 of a small CNN has P = 9 and kg = 32: gWᵀ wastes 11% where gW would waste 72%).
  const int64_t padW = ceilDiv(g.kg, ga.mr) * ga.mr * ceilDiv(g.P, ga.nr) * ga.nr;
  const int64_t padWT = ceilDiv(g.P, ga.mr) * ga.mr * ceilDiv(g.kg, ga.nr) * ga.nr;
  const bool few = fewTaps(g);
  const bool transposed = !few && padWT < padW;
  // Four chunks per thread keep the load balanced when a worker is preempted (another process on its core), at the
  // cost of one more gW-sized partial each.
  const int64_t chunks = std::min<int64_t>(g.n, 4 * poolThreads());
  thread_local std::vector<Scratch> partialBufs;
  if (static_cast<int64_t>(partialBufs.size()) < chunks) partialBufs = std::vector<Scratch>(chunks);
  thread_local std::vector<float*> partial;
  partial.resize(chunks);
  for (int64_t t = 0; t < chunks; t++) partial[t] = partialBufs[t].floats(wSize);
  const int64_t m = transposed ? g.P : g.kg, n = transposed ? g.kg : g.P;
  const int64_t aPanels = ceilDiv(m, ga.mr), bPanels = ceilDiv(n, ga.nr);
  float* const* partials = partial.data();
  parallelFor(chunks, 1, [&](int64_t c0, int64_t c1, int) {
    thread_local Scratch aBuf, bBuf;
    float* ap = aBuf.floats(few ? g.P * g.Q : aPanels * ga.mr * g.Q);
    float* bp = bBuf.floats(bPanels * ga.nr * g.Q);
    for (int64_t chunk = c0; chunk < c1; chunk++) {
      // Images [i0, i1) of this chunk: an even split by index, the first n % chunks chunks one image longer.
      const int64_t i0 = chunk * g.n / chunks, i1 = (chunk + 1) * g.n / chunks;
      for (int64_t img = i0; img < i1; img++)
        for (int64_t gi = 0; gi < g.groups; gi++) {
          const float* gyg = gy + (img * g.k + gi * g.kg) * g.Q;
          const float* xg = x + (img * g.c + gi * g.cg) * plane;
          if (few) {
            weightGradFewTaps(g, xg, gyg, partials[chunk] + gi * g.kg * g.P, ap, img > i0);
            continue;
          }
          if (!transposed) {
            packAPanels(ga, g.kg, g.Q, gyg, g.Q, 1, ap, 0, aPanels);
            if (g.pointwise()) packBPanels(ga, g.P, g.Q, xg, 1, g.Q, bp, 0, bPanels);
            else packColTAsB(ga, g, xg, bp, ga.nr);
          } else {
            if (g.pointwise()) packAPanels(ga, g.P, g.Q, xg, g.Q, 1, ap, 0, aPanels);
            else packColTAsB(ga, g, xg, ap, ga.mr);
            packBPanels(ga, g.kg, g.Q, gyg, 1, g.Q, bp, 0, bPanels);
          }
          gemmPacked(ga, m, n, g.Q, ap, aPanels, bp, bPanels, partials[chunk] + gi * g.kg * g.P, n, 1, img > i0, 0, aPanels, 0, bPanels);
        }
    }
  });
  // Sum the chunks in index order (every chunk holds at least one image, since chunks <= n). Threads split the
  // elements of gW, never the chunks, so each element is still summed in the same order.
  if (!transposed) {
    parallelFor(wSize, 4096, [&](int64_t i0, int64_t i1, int) {
      std::memcpy(gw + i0, partials[0] + i0, sizeof(float) * (i1 - i0));
      for (int64_t t = 1; t < chunks; t++) {
        const float* src = partials[t];
        for (int64_t i = i0; i < i1; i++) gw[i] += src[i];
      }
    });
  } else {
    // Each partial holds gWᵀ (P×kg) per group; gW rows (gi, k) are the tasks.
    parallelFor(g.groups * g.kg, std::max<int64_t>(1, 4096 / std::max<int64_t>(1, g.P)), [&](int64_t r0, int64_t r1, int) {
      for (int64_t r = r0; r < r1; r++) {
        const int64_t gi = r / g.kg, k = r % g.kg;
        float* dst = gw + gi * g.kg * g.P + k * g.P;
        for (int64_t t = 0; t < chunks; t++) {
          const float* sg = partials[t] + gi * g.kg * g.P;  // P×kg
          for (int64_t p = 0; p < g.P; p++) dst[p] = (t == 0 ? 0.f : dst[p]) + sg[p * g.kg + k];
        }
      }
    });
  }
}

// ── fused forward paths (issue 18) ──────────────────────────────────────────────────────────────────────────────
// The same im2col-in-packing GEMM as simmer_conv2d_forward, with the epilogue applied to each image while its
// output is still in cache: bias and ReLU (training and inference), and for inference a 2×2 stride-2 max pool that
// writes only the pooled planes (the full-size activation never reaches memory). References: src/backend/js/conv.ts.
namespace simmer {
namespace {

// Bias, then ReLU when asked, over the K planes of one image (one pass).
void biasRelu(const Geom& g, const float* bias, float* yImg, bool relu) {
  for (int64_t k = 0; k < g.k; k++) {
    float* row = yImg + k * g.Q;
    const float b = bias != nullptr ? bias[k] : 0.f;
    if (relu)
      for (int64_t j = 0; j < g.Q; j++) row[j] = std::max(row[j] + b, 0.f);
    else if (bias != nullptr)
      for (int64_t j = 0; j < g.Q; j++) row[j] += b;
  }
}

// 2×2 stride-2 max pool (floor) of one image's K planes, oh×ow → (oh/2)×(ow/2). With `argmax` it also writes each
// window's argmax as simmer_max_pool2d_forward does (flat index into the oh×ow plane, first maximum wins, NaN wins),
// or -1 where the max is not > 0 (ReLU passed no gradient there).
void maxPool2(const Geom& g, const float* yImg, float* out, int32_t* argmax) {
  const int64_t ph = g.oh / 2, pw = g.ow / 2;
  for (int64_t k = 0; k < g.k; k++)
    for (int64_t i = 0; i < ph; i++) {
      const float* r0 = yImg + k * g.Q + 2 * i * g.ow;
      const float* r1 = r0 + g.ow;
      float* o = out + (k * ph + i) * pw;
      if (argmax == nullptr) {
        for (int64_t j = 0; j < pw; j++) o[j] = std::max(std::max(r0[2 * j], r0[2 * j + 1]), std::max(r1[2 * j], r1[2 * j + 1]));
        continue;
      }
      maxPool2Row(r0, r1, o, argmax + (k * ph + i) * pw, pw, static_cast<int32_t>(2 * i * g.ow), static_cast<int32_t>(g.ow), true);
    }
}

// Runs the convolution image by image: target(img) gives where image img's K×Q output goes, post(img, yImg) runs
// right after it is written (on the thread that wrote it).
template <class Target, class Post>
void convImages(const float* x, const float* w, const Geom& g, Target target, Post post) {
  const GemmArch& ga = gemmArch();
  if (!batchParallel(g)) {
    thread_local Scratch colBuf;
    for (int64_t img = 0; img < g.n; img++) {
      float* yImg = target(img);
      for (int64_t gi = 0; gi < g.groups; gi++) {
        const float* xg = x + (img * g.c + gi * g.cg) * g.h * g.w;
        const float* b = xg;
        if (!g.pointwise()) {
          float* col = colBuf.floats(g.P * g.Q);
          parallelFor(g.cg, 1, [&](int64_t c0, int64_t c1, int) { im2col(g, xg, col, c0, c1); });
          b = col;
        }
        sgemm(g.kg, g.Q, g.P, w + gi * g.kg * g.P, g.P, 1, b, g.Q, 1, yImg + gi * g.kg * g.Q, g.Q, 1, false, true);
      }
      post(img, yImg);
    }
    return;
  }
  int64_t aPanels;
  const float* wp = packFilters(ga, g, w, false, &aPanels);
  const int64_t perGroup = aPanels * ga.mr * g.P;
  const int64_t bPanels = ceilDiv(g.Q, ga.nr);
  parallelFor(g.n, 1, [&](int64_t i0, int64_t i1, int) {
    thread_local Scratch bBuf, rowBuf;
    float* bp = bBuf.floats(bPanels * ga.nr * g.P);
    float* row = rowBuf.floats(bPanels * ga.nr);
    for (int64_t img = i0; img < i1; img++) {
      float* yImg = target(img);
      for (int64_t gi = 0; gi < g.groups; gi++) {
        packColAsB(ga, g, x + (img * g.c + gi * g.cg) * g.h * g.w, bp, 0, bPanels, row);
        gemmPacked(ga, g.kg, g.Q, g.P, wp + gi * perGroup, aPanels, bp, bPanels, yImg + gi * g.kg * g.Q, g.Q, 1, false, 0, aPanels, 0, bPanels);
      }
      post(img, yImg);
    }
  });
}

}  // namespace
}  // namespace simmer

extern "C" void simmer_conv2d_forward_act(const float* x, const float* w, const float* bias, float* y, const int32_t* geom, int relu) {
  const Geom g(geom);
  if (g.n == 0 || g.Q == 0) return;
  convImages(
      x, w, g, [&](int64_t img) { return y + img * g.k * g.Q; }, [&](int64_t, float* yImg) { biasRelu(g, bias, yImg, relu != 0); });
}

extern "C" void simmer_conv2d_relu_maxpool2_argmax(const float* x, const float* w, const float* bias, float* out, int32_t* argmax, const int32_t* geom) {
  const Geom g(geom);
  if (g.n == 0 || g.Q == 0) return;
  const int64_t pooled = g.k * (g.oh / 2) * (g.ow / 2);
  convImages(
      x, w, g,
      [&](int64_t) {
        thread_local Scratch yBuf;
        return yBuf.floats(g.k * g.Q);
      },
      [&](int64_t img, float* yImg) {
        biasRelu(g, bias, yImg, true);
        maxPool2(g, yImg, out + img * pooled, argmax != nullptr ? argmax + img * pooled : nullptr);
      });
}

extern "C" void simmer_conv2d_relu_maxpool2(const float* x, const float* w, const float* bias, float* out, const int32_t* geom) {
  simmer_conv2d_relu_maxpool2_argmax(x, w, bias, out, nullptr, geom);
}
