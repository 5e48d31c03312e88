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

#include "cpu_dispatch.h"
#include "maxpool2.h"
#include "scratch.h"
#include "sgemm.h"
#include "simd_run.h"
#include "simmer.h"
#include "thread_pool.h"

#if SIMMER_X86
#include <immintrin.h>
#endif

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

// Walks the positions [start, start+count) of one image's output plane for the tap (rr, ss): per output row, seg(row,
// ix0, lo, hi, n, done) with row the input row it reads (nullptr when it falls in the padding), ix0 the input column of
// the row's first position and [lo, hi) the positions (of the n in this row) whose input column is inside the image;
// `done` counts the positions walked before this row. Shared by im2col's gather and col2im's scatter.
template <class Seg>
SIMMER_INLINE void forTapSegments(const Geom& g, int64_t rr, int64_t ss, int64_t start, int64_t count, Seg seg) {
  int64_t oy = start / g.ow, ox = start % g.ow, done = 0;
  const int64_t iyOff = rr * g.dh - g.ph, ixOff = ss * g.dw - g.pw;
  while (count > 0) {
    const int64_t n = std::min(count, g.ow - ox);
    const int64_t iy = oy * g.sh + iyOff;
    const int64_t ix0 = ox * g.sw + ixOff;
    // valid t: 0 <= ix0 + t·sw < W
    int64_t lo = ix0 >= 0 ? 0 : (-ix0 + g.sw - 1) / g.sw;
    int64_t hi = ix0 > g.w - 1 ? 0 : (g.w - 1 - ix0) / g.sw + 1;
    lo = std::min(lo, n);
    hi = std::max(lo, std::min(hi, n));
    seg(iy < 0 || iy >= g.h ? -1 : iy, ix0, lo, hi, n, done);
    done += n;
    count -= n;
    oy++;
    ox = 0;
  }
}

// Writes col(x)[p][start .. start+count) (p = (ci, rr, ss)) to dst with stride `stride`.
// xc is the plane of input channel ci.
void gatherRow(const Geom& g, const float* xc, int64_t rr, int64_t ss, int64_t start, int64_t count, float* dst, int64_t stride) {
  forTapSegments(g, rr, ss, start, count, [&](int64_t iy, int64_t ix0, int64_t lo, int64_t hi, int64_t n, int64_t done) {
    float* d = dst + done * stride;
    if (iy < 0) {
      for (int64_t t = 0; t < n; t++) d[t * stride] = 0.f;
      return;
    }
    const float* row = xc + iy * g.w;
    int64_t t = 0;
    for (; t < lo; t++) d[t * stride] = 0.f;
    if (stride == 1 && g.sw == 1) {
      const float* src = row + ix0;
      for (; t < hi; t++) d[t] = src[t];
    } else {
      for (; t < hi; t++) d[t * stride] = row[ix0 + t * g.sw];
    }
    for (; t < n; t++) d[t * stride] = 0.f;
  });
}

// gxc (the plane of input channel ci) += col2im of src, the values of col row p = (ci, rr, ss) at positions
// [start, start+count) of one image: the transpose of gatherRow.
void scatterRowAdd(const Geom& g, float* gxc, int64_t rr, int64_t ss, int64_t start, int64_t count, const float* src) {
  forTapSegments(g, rr, ss, start, count, [&](int64_t iy, int64_t ix0, int64_t lo, int64_t hi, int64_t, int64_t done) {
    if (iy < 0) return;
    float* row = gxc + iy * g.w + ix0;
    const float* s = src + done;
    if (g.sw == 1)
      for (int64_t t = lo; t < hi; t++) row[t] += s[t];
    else
      for (int64_t t = lo; t < hi; t++) row[t * g.sw] += s[t];
  });
}

// ── positions of several images laid end to end ──────────────────────────────────────────────────────────────────
// At 14x14 and 7x7 one image's plane (Q = 196 or 49 positions) is too thin a GEMM operand for the MR×NR micro-tile,
// and the weight gradient's GEMM over one image is only Q deep. The batched paths treat the positions of a run of
// images i0, i0+1, … (a task) as one axis, j = (img − i0)·Q + q, and cut it into micro-panels and K blocks that cross
// image boundaries.
//
// Every operand element is then base[rowOff[row] + posOff[j]]: for col(x), the task's images are first copied with
// their zero padding (so no tap of any position reads out of bounds), rowOff is the tap's offset (channel, rr·dh
// rows, ss·dw columns) and posOff the position's top-left corner; for gy, rowOff is the channel's plane and posOff the
// image and position. The gathers are then plain indexed loads (no bounds tests or divisions per row segment, which
// cost more than the GEMM's own work per element at 7x7).
struct TaskPad {
  int64_t hp, wp, image;  // padded plane height and width, floats per padded image (all C channels)
  bool copied;            // false: no padding, the images are read in place
  explicit TaskPad(const Geom& g) : hp(g.h + 2 * g.ph), wp(g.w + 2 * g.pw), image(g.c * hp * wp), copied(g.ph > 0 || g.pw > 0) {}
};

// The task's images [i0, i1) with their zero padding (or x itself when there is none).
const float* padImages(const Geom& g, const TaskPad& pd, const float* x, int64_t i0, int64_t i1, Scratch& buf) {
  if (!pd.copied) return x + i0 * g.c * g.h * g.w;
  float* out = buf.floats((i1 - i0) * pd.image);
  for (int64_t ch = 0; ch < (i1 - i0) * g.c; ch++) {
    const float* src = x + (i0 * g.c + ch) * g.h * g.w;
    float* dst = out + ch * pd.hp * pd.wp;
    std::memset(dst, 0, sizeof(float) * g.ph * pd.wp);
    for (int64_t y = 0; y < g.h; y++) {
      float* d = dst + (g.ph + y) * pd.wp;
      for (int64_t t = 0; t < g.pw; t++) d[t] = d[pd.wp - 1 - t] = 0.f;
      std::memcpy(d + g.pw, src + y * g.w, sizeof(float) * g.w);
    }
    std::memset(dst + (g.ph + g.h) * pd.wp, 0, sizeof(float) * (pd.hp - g.ph - g.h) * pd.wp);
  }
  return out;
}

// gx of the task's images from their padded gradient (the interior of each padded plane).
void unpadImages(const Geom& g, const TaskPad& pd, const float* padded, int64_t i0, int64_t i1, float* gx) {
  for (int64_t ch = 0; ch < (i1 - i0) * g.c; ch++)
    for (int64_t y = 0; y < g.h; y++)
      std::memcpy(gx + (i0 * g.c + ch) * g.h * g.w + y * g.w, padded + ch * pd.hp * pd.wp + (g.ph + y) * pd.wp + g.pw, sizeof(float) * g.w);
}

// Tap offsets of group gi's col(x) rows p = (ci, rr, ss) in the padded images.
void tapOffsets(const Geom& g, const TaskPad& pd, int64_t gi, int64_t* off) {
  const int64_t rs = g.r * g.s;
  for (int64_t p = 0; p < g.P; p++) off[p] = (gi * g.cg + p / rs) * pd.hp * pd.wp + ((p / g.s) % g.r) * g.dh * pd.wp + (p % g.s) * g.dw;
}

// Offsets of the task's positions [j0, j0+count): into the padded images (tap (0, 0)) and into a K-channel tensor of
// planes such as gy (channel 0).
void positionOffsets(const Geom& g, const TaskPad& pd, int64_t j0, int64_t count, int64_t* padOff, int64_t* planeOff) {
  int64_t img = j0 / g.Q, q = j0 % g.Q, oy = q / g.ow, ox = q % g.ow;
  for (int64_t t = 0; t < count; t++) {
    padOff[t] = img * pd.image + oy * g.sh * pd.wp + ox * g.sw;
    planeOff[t] = img * g.k * g.Q + q;
    q++;
    if (++ox == g.ow) {
      ox = 0;
      if (++oy == g.oh) oy = 0, q = 0, img++;
    }
  }
}

// The positions of a panel or K block as runs of consecutive source offsets (a run ends at a row or image boundary, or
// never for a pointwise conv inside one image): the gathers below copy whole runs instead of loading an offset per
// element. runs[2i] is a run's first position, runs[2i+1] its length; returns the number of runs.
struct Runs {
  const int64_t* off;  // source offset of each position
  const int64_t* runs;
  int64_t count;
};
Runs offsetRuns(const int64_t* off, int64_t count, int64_t* runs) {
  int64_t n = 0;
  for (int64_t t = 0; t < count;) {
    int64_t u = t + 1;
    while (u < count && off[u] == off[u - 1] + 1) u++;
    runs[2 * n] = t;
    runs[2 * n + 1] = u - t;
    n++;
    t = u;
  }
  return {off, runs, n};
}

constexpr int64_t kZeroOffset = 0;

#if SIMMER_X86
// AVX-512 forms of the two packers for 32-wide panels (the avx512 8x32 GEMM's NR): 16 elements per gather instead of
// a loop per run of consecutive offsets, which at 7x7 (runs of 7) cost a third of the forward's time. `idx` holds the
// 32 offsets the gathers read at (int32: the caller checks they fit); lanes past `valid` read nothing and store 0.
SIMMER_TARGET_AVX512 void gather32Rows(int64_t rows, int64_t valid, const float* base, const int64_t* rowOff, const int32_t* idx, float* out) {
  const __mmask16 m0 = valid >= 16 ? 0xFFFF : static_cast<__mmask16>((1u << valid) - 1);
  const __mmask16 m1 = valid >= 32 ? 0xFFFF : valid > 16 ? static_cast<__mmask16>((1u << (valid - 16)) - 1) : 0;
  const __m512i i0 = _mm512_maskz_loadu_epi32(m0, idx), i1 = _mm512_maskz_loadu_epi32(m1, idx + 16);
  for (int64_t ri = 0; ri < rows; ri++) {
    const float* src = base + rowOff[ri];
    _mm512_storeu_ps(out + ri * 32, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m0, i0, src, 4));
    _mm512_storeu_ps(out + ri * 32 + 16, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), m1, i1, src, 4));
  }
}
#endif

// Whether the 32-lane gathers can run: the AVX-512 path, 32-wide panels, and every offset (at most `span`) in int32.
bool gather32(int64_t width, int64_t span) {
#if SIMMER_X86
  return width == 32 && simdLevel() == Simd::Avx512 && span < (int64_t{1} << 31);
#else
  (void)width;
  (void)span;
  return false;
#endif
}

// One B micro-panel (rows × width, row-major: gemmPacked's layout of a single panel at any K blocking) of nv positions:
// out[ri·width + t] = base[rowOff[ri] + pos.off[t]], columns nv .. width zero. `span` bounds every offset.
void packPanel(int64_t rows, int64_t width, int64_t nv, const float* base, const int64_t* rowOff, const Runs& pos, int64_t span, float* out) {
#if SIMMER_X86
  // Short runs (a 7x7 or 14x14 plane, or a stride) gather; long ones (a pointwise conv inside one image) copy.
  if (gather32(width, span) && pos.count * 16 > nv) {
    int32_t idx[32];
    for (int64_t t = 0; t < nv; t++) idx[t] = static_cast<int32_t>(pos.off[t]);
    gather32Rows(rows, nv, base, rowOff, idx, out);
    return;
  }
#endif
  for (int64_t ri = 0; ri < rows; ri++) {
    const float* src = base + rowOff[ri];
    float* d = out + ri * width;
    for (int64_t i = 0; i < pos.count; i++) {
      const int64_t t0 = pos.runs[2 * i], len = pos.runs[2 * i + 1];
      const float* sr = src + pos.off[t0];
      for (int64_t u = 0; u < len; u++) d[t0 + u] = sr[u];
    }
    for (int64_t t = nv; t < width; t++) d[t] = 0.f;
  }
}

// The same elements packed as one K block with K running over the len positions, in panels of `width` rows (the A
// operand with width MR, the B operand with width NR); rows past `rows` are zero.
void packAlongK(int64_t rows, int64_t width, int64_t len, const float* base, const int64_t* rowOff, const Runs& pos, int64_t span, float* out) {
  for (int64_t q = 0; q < ceilDiv(rows, width); q++) {
#if SIMMER_X86
    if (gather32(width, span)) {
      // Per position, the panel's 32 rows are one gather (the row offsets are the indices).
      const int64_t valid = std::min<int64_t>(32, rows - q * 32);
      int32_t idx[32];
      for (int64_t jj = 0; jj < valid; jj++) idx[jj] = static_cast<int32_t>(rowOff[q * 32 + jj]);
      for (int64_t t = 0; t < len; t++) {
        const int64_t off = pos.off[t];
        gather32Rows(1, valid, base + off, &kZeroOffset, idx, out + q * 32 * len + t * 32);
      }
      continue;
    }
#endif
    for (int64_t jj = 0; jj < width; jj++) {
      const int64_t ri = q * width + jj;
      float* dst = out + q * width * len + jj;
      if (ri >= rows) {
        for (int64_t t = 0; t < len; t++) dst[t * width] = 0.f;
        continue;
      }
      const float* src = base + rowOff[ri];
      for (int64_t i = 0; i < pos.count; i++) {
        const int64_t t0 = pos.runs[2 * i], rl = pos.runs[2 * i + 1];
        const float* sr = src + pos.off[t0];
        float* d = dst + t0 * width;
        for (int64_t u = 0; u < rl; u++) d[u * width] = sr[u];
      }
    }
  }
}

// Channel offsets of group gi's rows of a K-channel tensor of planes (gy): row k is channel gi·kg + k.
void planeRows(const Geom& g, int64_t gi, int64_t* off) {
  for (int64_t k = 0; k < g.kg; k++) off[k] = (gi * g.kg + k) * g.Q;
}

// Images per task of the batched forward and backward-input paths: enough that a task's positions fill several
// micro-panels (at 7x7, 6 images = 294 positions = 10 panels of 32 with 8% padding, where one image alone pads 23%),
// but at least 4 tasks per thread so a preempted worker holds up little.
int64_t imagesPerTask(const Geom& g, int64_t nr) {
  const int64_t want = ceilDiv(8 * nr, g.Q);
  const int64_t most = std::max<int64_t>(1, g.n / (4 * poolThreads()));
  return std::max<int64_t>(1, std::min(want, most));
}

// Plain im2col (P×Q, row-major) for channels [c0, c1) of one group.
void im2col(const Geom& g, const float* x, float* col, int64_t c0, int64_t c1) {
  const int64_t rs = g.r * g.s;
  for (int64_t p = c0 * rs; p < c1 * rs; p++) gatherRow(g, x + (p / rs) * g.h * g.w, (p / g.s) % g.r, p % g.s, 0, g.Q, col + p * g.Q, 1);
}

// gx += col2im(gcol) for channels [c0, c1) of one group (gx points at the group's first channel).
void col2imAdd(const Geom& g, const float* col, float* gx, int64_t c0, int64_t c1) {
  for (int64_t ci = c0; ci < c1; ci++)
    for (int64_t rr = 0; rr < g.r; rr++)
      for (int64_t ss = 0; ss < g.s; ss++) scatterRowAdd(g, gx + ci * g.h * g.w, rr, ss, 0, g.Q, col + ((ci * g.r + rr) * g.s + ss) * g.Q);
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
  // Tasks are runs of images; within one, gcol is computed one micro-panel of positions at a time (P × NR, in L2)
  // from a panel of gy and the packed Wᵀ, and scattered straight into gx (col2im), so no P×Q buffer is written.
  int64_t aPanels;
  const float* wp = packFilters(ga, g, w, true, &aPanels);
  const int64_t perGroup = aPanels * ga.mr * g.kg;
  const int64_t per = imagesPerTask(g, ga.nr), tasks = ceilDiv(g.n, per);
  const TaskPad pd(g);
  parallelFor(tasks, 1, [&](int64_t t0, int64_t t1, int) {
    thread_local Scratch bBuf, cBuf, padBuf, wideBuf, colBuf;
    thread_local std::vector<int64_t> offs;
    offs.resize(g.P + g.kg + 6 * ga.nr);
    int64_t *taps = offs.data(), *rows = taps + g.P, *padPos = rows + g.kg, *planePos = padPos + ga.nr, *padRuns = planePos + ga.nr,
            *planeRuns = padRuns + 2 * ga.nr;
    float* bp = bBuf.floats(ga.nr * g.kg);
    float* ct = cBuf.floats(aPanels * ga.mr * ga.nr);
    for (int64_t task = t0; task < t1; task++) {
      const int64_t i0 = task * per, i1 = std::min(g.n, i0 + per), len = (i1 - i0) * g.Q;
      if (per == 1) {
        // A plane wide enough for whole panels (28x28): gcol of the image in one GEMM, then col2im by row segments
        // (contiguous adds along output rows, faster there than the per-panel scatter).
        const int64_t bPanels = ceilDiv(g.Q, ga.nr);
        float* bw = wideBuf.floats(bPanels * ga.nr * g.kg);
        for (int64_t gi = 0; gi < g.groups; gi++) {
          float* gxg = gx + (i0 * g.c + gi * g.cg) * plane;
          packBPanels(ga, g.Q, g.kg, gy + (i0 * g.k + gi * g.kg) * g.Q, g.Q, 1, bw, 0, bPanels);
          float* col = g.pointwise() ? gxg : colBuf.floats(g.P * g.Q);
          gemmPacked(ga, g.P, g.Q, g.kg, wp + gi * perGroup, aPanels, bw, bPanels, col, g.Q, 1, false, 0, aPanels, 0, bPanels);
          if (!g.pointwise()) {
            std::memset(gxg, 0, sizeof(float) * g.cg * plane);
            col2imAdd(g, col, gxg, 0, g.cg);
          }
        }
        continue;
      }
      // The padded gradient of the task's images (gx itself when there is no padding), accumulated tap by tap.
      float* gp = pd.copied ? padBuf.floats((i1 - i0) * pd.image) : gx + i0 * g.c * plane;
      std::memset(gp, 0, sizeof(float) * (i1 - i0) * (pd.copied ? pd.image : g.c * plane));
      const float* gyTask = gy + i0 * g.k * g.Q;
      for (int64_t gi = 0; gi < g.groups; gi++) {
        tapOffsets(g, pd, gi, taps);
        planeRows(g, gi, rows);
        for (int64_t j0 = 0; j0 < len; j0 += ga.nr) {
          const int64_t nv = std::min<int64_t>(ga.nr, len - j0);
          positionOffsets(g, pd, j0, nv, padPos, planePos);
          const Runs pad = offsetRuns(padPos, nv, padRuns);
          packPanel(g.kg, ga.nr, nv, gyTask, rows, offsetRuns(planePos, nv, planeRuns), (i1 - i0) * g.k * g.Q, bp);
          const int64_t img0 = i0 + j0 / g.Q, q0 = j0 % g.Q;
          if (g.pointwise() && q0 + nv <= g.Q) {  // gcol is gx itself: write it in place
            float* c = gx + (img0 * g.c + gi * g.cg) * plane + q0;
            gemmPacked(ga, g.P, nv, g.kg, wp + gi * perGroup, aPanels, bp, 1, c, plane, 1, false, 0, aPanels, 0, 1);
            continue;
          }
          gemmPacked(ga, g.P, nv, g.kg, wp + gi * perGroup, aPanels, bp, 1, ct, ga.nr, 1, false, 0, aPanels, 0, 1);
          // For one tap, distinct positions read distinct input pixels, so each row's adds never collide.
          if (pad.count * 4 > nv) {  // short runs (a stride): one indexed add per element
            for (int64_t p = 0; p < g.P; p++) {
              float* dst = gp + taps[p];
              const float* src = ct + p * ga.nr;
              for (int64_t t = 0; t < nv; t++) dst[padPos[t]] += src[t];
            }
            continue;
          }
          for (int64_t p = 0; p < g.P; p++)
            for (int64_t i = 0; i < pad.count; i++) {
              const int64_t t0 = pad.runs[2 * i], len = pad.runs[2 * i + 1];
              float* dst = gp + taps[p] + padPos[t0];
              const float* src = ct + p * ga.nr + t0;
              for (int64_t u = 0; u < len; u++) dst[u] += src[u];
            }
        }
      }
      if (pd.copied) unpadImages(g, pd, gp, i0, i1, gx);
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
  // Within a chunk the positions of its images are one K axis (so a 7x7 plane no longer makes a GEMM only 49 deep),
  // cut into equal K blocks of at most KC; each block packs gy and col(x) for its positions and accumulates.
  const TaskPad pd(g);
  parallelFor(chunks, 1, [&](int64_t c0, int64_t c1, int) {
    thread_local Scratch aBuf, bBuf, padBuf;
    thread_local std::vector<int64_t> offs;
    for (int64_t chunk = c0; chunk < c1; chunk++) {
      // Images [i0, i1) of this chunk: an even split by index, the first n % chunks chunks one image longer.
      const int64_t i0 = chunk * g.n / chunks, i1 = (chunk + 1) * g.n / chunks;
      if (few) {
        float* col = aBuf.floats(g.P * g.Q);
        for (int64_t img = i0; img < i1; img++)
          for (int64_t gi = 0; gi < g.groups; gi++)
            weightGradFewTaps(g, x + (img * g.c + gi * g.cg) * plane, gy + (img * g.k + gi * g.kg) * g.Q, partials[chunk] + gi * g.kg * g.P, col,
                              img > i0);
        continue;
      }
      const int64_t total = (i1 - i0) * g.Q, blocks = ceilDiv(total, ga.kc), blockLen = ceilDiv(total, blocks);
      float* ap = aBuf.floats(aPanels * ga.mr * blockLen);
      float* bp = bBuf.floats(bPanels * ga.nr * blockLen);
      offs.resize(g.P + g.kg + 6 * blockLen);
      int64_t *taps = offs.data(), *rows = taps + g.P, *padPos = rows + g.kg, *planePos = padPos + blockLen, *padRuns = planePos + blockLen,
              *planeRuns = padRuns + 2 * blockLen;
      const float* xp = padImages(g, pd, x, i0, i1, padBuf);
      const float* gyChunk = gy + i0 * g.k * g.Q;
      const int64_t gySpan = (i1 - i0) * g.k * g.Q, xSpan = (i1 - i0) * pd.image;
      for (int64_t gi = 0; gi < g.groups; gi++) {
        tapOffsets(g, pd, gi, taps);
        planeRows(g, gi, rows);
        for (int64_t j0 = 0; j0 < total; j0 += blockLen) {
          const int64_t len = std::min(blockLen, total - j0);
          positionOffsets(g, pd, j0, len, padPos, planePos);
          const Runs pad = offsetRuns(padPos, len, padRuns), plane = offsetRuns(planePos, len, planeRuns);
          if (!transposed) {
            packAlongK(g.kg, ga.mr, len, gyChunk, rows, plane, gySpan, ap);
            packAlongK(g.P, ga.nr, len, xp, taps, pad, xSpan, bp);
          } else {
            packAlongK(g.P, ga.mr, len, xp, taps, pad, xSpan, ap);
            packAlongK(g.kg, ga.nr, len, gyChunk, rows, plane, gySpan, bp);
          }
          gemmPacked(ga, m, n, len, ap, aPanels, bp, bPanels, partials[chunk] + gi * g.kg * g.P, n, 1, j0 > 0, 0, aPanels, 0, bPanels);
        }
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

// Runs the convolution over runs of images: target(img, slot, slots) gives where image img's K×Q output goes (slot is
// its index among the `slots` images of its task, so a task's outputs can share one scratch buffer), post(img, yImg)
// runs after the task wrote it (on the thread that wrote it).
template <class Target, class Post>
void convImages(const float* x, const float* w, const Geom& g, Target target, Post post) {
  const GemmArch& ga = gemmArch();
  if (!batchParallel(g)) {
    thread_local Scratch colBuf;
    for (int64_t img = 0; img < g.n; img++) {
      float* yImg = target(img, 0, 1);
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
  // Within a task, one micro-panel of positions at a time: col(x) for NR positions (P × NR, in L1/L2) is gathered
  // straight into its packed form and multiplied by every filter panel. A panel inside one image is written to its
  // output directly; one that straddles two images goes through a K × NR tile.
  int64_t aPanels;
  const float* wp = packFilters(ga, g, w, false, &aPanels);
  const int64_t perGroup = aPanels * ga.mr * g.P;
  // A pointwise conv on a wide plane (14x14 and up) is a plain GEMM per image, x[img] itself the K×Q operand: packed
  // whole (contiguous rows) it beats the per-panel path, whose fixed cost per panel is large against P = C taps.
  const bool wholeImage = g.pointwise() && g.Q >= 4 * ga.nr;
  const int64_t per = wholeImage ? 1 : imagesPerTask(g, ga.nr), tasks = ceilDiv(g.n, per);
  const TaskPad pd(g);
  parallelFor(tasks, 1, [&](int64_t t0, int64_t t1, int) {
    thread_local Scratch bBuf, cBuf, padBuf;
    thread_local std::vector<int64_t> offs;
    if (wholeImage) {
      const int64_t bPanels = ceilDiv(g.Q, ga.nr);
      float* bw = bBuf.floats(bPanels * ga.nr * g.P);
      for (int64_t img = t0; img < t1; img++) {
        float* yImg = target(img, 0, 1);
        for (int64_t gi = 0; gi < g.groups; gi++) {
          packBPanels(ga, g.Q, g.P, x + (img * g.c + gi * g.cg) * g.Q, g.Q, 1, bw, 0, bPanels);
          gemmPacked(ga, g.kg, g.Q, g.P, wp + gi * perGroup, aPanels, bw, bPanels, yImg + gi * g.kg * g.Q, g.Q, 1, false, 0, aPanels, 0, bPanels);
        }
        post(img, yImg);
      }
      return;
    }
    offs.resize(g.P + 4 * ga.nr);
    int64_t *taps = offs.data(), *padPos = taps + g.P, *planePos = padPos + ga.nr, *padRuns = planePos + ga.nr;
    float* bp = bBuf.floats(ga.nr * g.P);
    float* ct = cBuf.floats(aPanels * ga.mr * ga.nr);
    for (int64_t task = t0; task < t1; task++) {
      const int64_t i0 = task * per, i1 = std::min(g.n, i0 + per), len = (i1 - i0) * g.Q;
      const float* xp = padImages(g, pd, x, i0, i1, padBuf);
      for (int64_t gi = 0; gi < g.groups; gi++) {
        tapOffsets(g, pd, gi, taps);
        for (int64_t j0 = 0; j0 < len; j0 += ga.nr) {
          const int64_t nv = std::min<int64_t>(ga.nr, len - j0);
          positionOffsets(g, pd, j0, nv, padPos, planePos);
          packPanel(g.P, ga.nr, nv, xp, taps, offsetRuns(padPos, nv, padRuns), (i1 - i0) * pd.image, bp);
          const int64_t img0 = i0 + j0 / g.Q, q0 = j0 % g.Q;
          if (q0 + nv <= g.Q) {
            float* c = target(img0, img0 - i0, i1 - i0) + gi * g.kg * g.Q + q0;
            gemmPacked(ga, g.kg, nv, g.P, wp + gi * perGroup, aPanels, bp, 1, c, g.Q, 1, false, 0, aPanels, 0, 1);
            continue;
          }
          gemmPacked(ga, g.kg, nv, g.P, wp + gi * perGroup, aPanels, bp, 1, ct, ga.nr, 1, false, 0, aPanels, 0, 1);
          for (int64_t t = 0; t < nv; t++) {
            const int64_t img = i0 + (j0 + t) / g.Q, q = (j0 + t) % g.Q;
            float* yg = target(img, img - i0, i1 - i0) + gi * g.kg * g.Q + q;
            for (int64_t k = 0; k < g.kg; k++) yg[k * g.Q] = ct[k * ga.nr + t];
          }
        }
      }
      for (int64_t img = i0; img < i1; img++) post(img, target(img, img - i0, i1 - i0));
    }
  });
}

}  // namespace
}  // namespace simmer

extern "C" void simmer_conv2d_forward_act(const float* x, const float* w, const float* bias, float* y, const int32_t* geom, int relu) {
  const Geom g(geom);
  if (g.n == 0 || g.Q == 0) return;
  convImages(
      x, w, g, [&](int64_t img, int64_t, int64_t) { return y + img * g.k * g.Q; }, [&](int64_t, float* yImg) { biasRelu(g, bias, yImg, relu != 0); });
}

extern "C" void simmer_conv2d_relu_maxpool2_argmax(const float* x, const float* w, const float* bias, float* out, int32_t* argmax, const int32_t* geom) {
  const Geom g(geom);
  if (g.n == 0 || g.Q == 0) return;
  const int64_t pooled = g.k * (g.oh / 2) * (g.ow / 2);
  convImages(
      x, w, g,
      [&](int64_t, int64_t slot, int64_t slots) {
        thread_local Scratch yBuf;
        return yBuf.floats(slots * g.k * g.Q) + slot * g.k * g.Q;
      },
      [&](int64_t img, float* yImg) {
        biasRelu(g, bias, yImg, true);
        maxPool2(g, yImg, out + img * pooled, argmax != nullptr ? argmax + img * pooled : nullptr);
      });
}

extern "C" void simmer_conv2d_relu_maxpool2(const float* x, const float* w, const float* bias, float* out, const int32_t* geom) {
  simmer_conv2d_relu_maxpool2_argmax(x, w, bias, out, nullptr, geom);
}
