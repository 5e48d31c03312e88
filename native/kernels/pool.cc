// Max and average pooling over N·C independent planes (one plane per task chunk), with the
// reference's semantics: argmax is the flat index into the input plane (first maximum wins, NaN
// propagates), average pooling ignores dilation and counts padded cells like PyTorch. Adaptive average pooling and
// nearest / bilinear resampling follow at the end.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "maxpool2.h"
#include "simd_run.h"
#include "simmer.h"
#include "thread_pool.h"

namespace simmer {
namespace {

struct PoolGeom {
  int64_t n, c, h, w, oh, ow, kh, kw, sh, sw, ph, pw, dh, dw;
  explicit PoolGeom(const int32_t* g)
      : n(g[0]), c(g[1]), h(g[2]), w(g[3]), oh(g[4]), ow(g[5]), kh(g[6]), kw(g[7]), sh(g[8]), sw(g[9]), ph(g[10]), pw(g[11]), dh(g[12]), dw(g[13]) {}
  int64_t planes() const { return n * c; }
  int64_t grain() const { return std::max<int64_t>(1, 8192 / std::max<int64_t>(1, h * w)); }
};

float windowCount(const PoolGeom& g, int64_t oy, int64_t ox, bool includePad) {
  const int64_t y0 = oy * g.sh - g.ph, x0 = ox * g.sw - g.pw;
  if (includePad) {
    const int64_t y1 = std::min(y0 + g.kh, g.h + g.ph), x1 = std::min(x0 + g.kw, g.w + g.pw);
    return static_cast<float>((y1 - y0) * (x1 - x0));
  }
  const int64_t ya = std::max<int64_t>(y0, 0), yb = std::min(y0 + g.kh, g.h);
  const int64_t xa = std::max<int64_t>(x0, 0), xb = std::min(x0 + g.kw, g.w);
  return static_cast<float>(std::max<int64_t>(0, yb - ya) * std::max<int64_t>(0, xb - xa));
}

}  // namespace
}  // namespace simmer

using namespace simmer;

extern "C" void simmer_max_pool2d_forward(const float* x, float* y, int32_t* argmax, const int32_t* geom) {
  const PoolGeom g(geom);
  const int64_t plane = g.h * g.w, outPlane = g.oh * g.ow;
  const bool plain2x2 = g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.ph == 0 && g.pw == 0 && g.dh == 1 && g.dw == 1;
  parallelFor(g.planes(), g.grain(), [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; p++) {
      const float* xp = x + p * plane;
      float* yp = y + p * outPlane;
      int32_t* ap = argmax + p * outPlane;
      if (plain2x2 && 2 * g.oh <= g.h && 2 * g.ow <= g.w) {
        for (int64_t oy = 0; oy < g.oh; oy++) {
          const float* r0 = xp + 2 * oy * g.w;
          maxPool2Row(r0, r0 + g.w, yp + oy * g.ow, ap + oy * g.ow, g.ow, static_cast<int32_t>(2 * oy * g.w), static_cast<int32_t>(g.w));
        }
        continue;
      }
      for (int64_t oy = 0; oy < g.oh; oy++)
        for (int64_t ox = 0; ox < g.ow; ox++) {
          float best = -std::numeric_limits<float>::infinity();
          int64_t bi = -1;
          for (int64_t r = 0; r < g.kh; r++) {
            const int64_t iy = oy * g.sh - g.ph + r * g.dh;
            if (iy < 0 || iy >= g.h) continue;
            for (int64_t s = 0; s < g.kw; s++) {
              const int64_t ix = ox * g.sw - g.pw + s * g.dw;
              if (ix < 0 || ix >= g.w) continue;
              const float v = xp[iy * g.w + ix];
              if (v > best || bi < 0 || v != v) {
                best = v;
                bi = iy * g.w + ix;
              }
            }
          }
          yp[oy * g.ow + ox] = best;
          ap[oy * g.ow + ox] = static_cast<int32_t>(bi);
        }
    }
  });
}

extern "C" void simmer_max_pool2d_backward(const float* gy, const int32_t* argmax, float* gx, const int32_t* geom) {
  const PoolGeom g(geom);
  const int64_t plane = g.h * g.w, outPlane = g.oh * g.ow;
  parallelFor(g.planes(), g.grain(), [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; p++) {
      float* gxp = gx + p * plane;
      std::memset(gxp, 0, sizeof(float) * plane);
      const float* gyp = gy + p * outPlane;
      const int32_t* ap = argmax + p * outPlane;
      for (int64_t i = 0; i < outPlane; i++)
        if (ap[i] >= 0) gxp[ap[i]] += gyp[i];
    }
  });
}

extern "C" void simmer_avg_pool2d_forward(const float* x, float* y, const int32_t* geom, int countIncludePad) {
  const PoolGeom g(geom);
  const int64_t plane = g.h * g.w, outPlane = g.oh * g.ow;
  parallelFor(g.planes(), g.grain(), [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; p++) {
      const float* xp = x + p * plane;
      float* yp = y + p * outPlane;
      for (int64_t oy = 0; oy < g.oh; oy++) {
        const int64_t y0 = oy * g.sh - g.ph;
        const int64_t ya = std::max<int64_t>(y0, 0), yb = std::min(y0 + g.kh, g.h);
        for (int64_t ox = 0; ox < g.ow; ox++) {
          const int64_t x0 = ox * g.sw - g.pw;
          const int64_t xa = std::max<int64_t>(x0, 0), xb = std::min(x0 + g.kw, g.w);
          float sum = 0.f;
          for (int64_t iy = ya; iy < yb; iy++)
            for (int64_t ix = xa; ix < xb; ix++) sum += xp[iy * g.w + ix];
          yp[oy * g.ow + ox] = sum / windowCount(g, oy, ox, countIncludePad != 0);
        }
      }
    }
  });
}

extern "C" void simmer_avg_pool2d_backward(const float* gy, float* gx, const int32_t* geom, int countIncludePad) {
  const PoolGeom g(geom);
  const int64_t plane = g.h * g.w, outPlane = g.oh * g.ow;
  parallelFor(g.planes(), g.grain(), [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; p++) {
      float* gxp = gx + p * plane;
      std::memset(gxp, 0, sizeof(float) * plane);
      const float* gyp = gy + p * outPlane;
      for (int64_t oy = 0; oy < g.oh; oy++) {
        const int64_t y0 = oy * g.sh - g.ph;
        const int64_t ya = std::max<int64_t>(y0, 0), yb = std::min(y0 + g.kh, g.h);
        for (int64_t ox = 0; ox < g.ow; ox++) {
          const int64_t x0 = ox * g.sw - g.pw;
          const int64_t xa = std::max<int64_t>(x0, 0), xb = std::min(x0 + g.kw, g.w);
          const float v = gyp[oy * g.ow + ox] / windowCount(g, oy, ox, countIncludePad != 0);
          for (int64_t iy = ya; iy < yb; iy++)
            for (int64_t ix = xa; ix < xb; ix++) gxp[iy * g.w + ix] += v;
        }
      }
    }
  });
}

// ── adaptive average pooling and resampling ──────────────────────────────────────────────────────────────────────
// Geometry (float64): {n, c, h, w, oh, ow, ratioH, ratioW}. Coordinates are computed in double exactly as the
// reference (src/backend/js/pool.ts) does, and every sum accumulates in the same order with the same rounding, so the
// two agree to the bit. Planes are independent: one task chunk per block of planes, each plane summed in order.

namespace simmer {
namespace {

struct ResampleGeom {
  int64_t n, c, h, w, oh, ow;
  double ratioH, ratioW;
  explicit ResampleGeom(const double* g)
      : n(static_cast<int64_t>(g[0])), c(static_cast<int64_t>(g[1])), h(static_cast<int64_t>(g[2])), w(static_cast<int64_t>(g[3])),
        oh(static_cast<int64_t>(g[4])), ow(static_cast<int64_t>(g[5])), ratioH(g[6]), ratioW(g[7]) {}
  int64_t planes() const { return n * c; }
  int64_t grain() const { return std::max<int64_t>(1, 8192 / std::max<int64_t>(1, std::max(h * w, oh * ow))); }
};

enum UpsampleMode { kNearest = 0, kBilinear = 1 };

// One axis of a resampling: output index i reads input indices i0 and i1 with weights 1 − l and l (nearest: i1 = i0, l = 0).
struct Tap {
  int64_t i0, i1;
  double l;
};

void axisTaps(int64_t in, int64_t out, double ratio, int mode, bool alignCorners, std::vector<Tap>& taps) {
  taps.resize(static_cast<size_t>(out));
  for (int64_t i = 0; i < out; i++) {
    if (mode == kNearest) {
      const int64_t s = std::min(static_cast<int64_t>(std::floor(static_cast<double>(i) * ratio)), in - 1);
      taps[i] = {s, s, 0.0};
      continue;
    }
    double src;
    if (alignCorners) src = out > 1 ? static_cast<double>(i * (in - 1)) / static_cast<double>(out - 1) : 0.0;
    else src = std::max(0.0, (static_cast<double>(i) + 0.5) * ratio - 0.5);
    const int64_t i0 = std::min(static_cast<int64_t>(std::floor(src)), in - 1);
    taps[i] = {i0, std::min(i0 + 1, in - 1), src - static_cast<double>(i0)};
  }
}

SIMMER_INLINE float addRounded(float acc, double v) { return static_cast<float>(static_cast<double>(acc) + v); }

}  // namespace
}  // namespace simmer

extern "C" const char* simmer_upsample_name(int mode) {
  switch (mode) {
    case kNearest:
      return "nearest";
    case kBilinear:
      return "bilinear";
    default:
      return nullptr;
  }
}

extern "C" void simmer_adaptive_avg_pool2d_forward(const float* x, float* y, const double* geom) {
  const ResampleGeom g(geom);
  const int64_t plane = g.h * g.w, outPlane = g.oh * g.ow;
  parallelFor(g.planes(), g.grain(), [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; p++) {
      const float* xp = x + p * plane;
      float* yp = y + p * outPlane;
      for (int64_t oy = 0; oy < g.oh; oy++) {
        const int64_t y0 = oy * g.h / g.oh, y1 = ((oy + 1) * g.h + g.oh - 1) / g.oh;
        for (int64_t ox = 0; ox < g.ow; ox++) {
          const int64_t x0 = ox * g.w / g.ow, x1 = ((ox + 1) * g.w + g.ow - 1) / g.ow;
          double sum = 0;
          for (int64_t iy = y0; iy < y1; iy++)
            for (int64_t ix = x0; ix < x1; ix++) sum += xp[iy * g.w + ix];
          yp[oy * g.ow + ox] = static_cast<float>(sum / static_cast<double>((y1 - y0) * (x1 - x0)));
        }
      }
    }
  });
}

extern "C" void simmer_adaptive_avg_pool2d_backward(const float* gy, float* gx, const double* geom) {
  const ResampleGeom g(geom);
  const int64_t plane = g.h * g.w, outPlane = g.oh * g.ow;
  parallelFor(g.planes(), g.grain(), [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; p++) {
      float* gxp = gx + p * plane;
      std::memset(gxp, 0, sizeof(float) * plane);
      const float* gyp = gy + p * outPlane;
      for (int64_t oy = 0; oy < g.oh; oy++) {
        const int64_t y0 = oy * g.h / g.oh, y1 = ((oy + 1) * g.h + g.oh - 1) / g.oh;
        for (int64_t ox = 0; ox < g.ow; ox++) {
          const int64_t x0 = ox * g.w / g.ow, x1 = ((ox + 1) * g.w + g.ow - 1) / g.ow;
          const double v = static_cast<double>(gyp[oy * g.ow + ox]) / static_cast<double>((y1 - y0) * (x1 - x0));
          for (int64_t iy = y0; iy < y1; iy++)
            for (int64_t ix = x0; ix < x1; ix++) gxp[iy * g.w + ix] = addRounded(gxp[iy * g.w + ix], v);
        }
      }
    }
  });
}

extern "C" void simmer_upsample2d_forward(const float* x, float* y, const double* geom, int mode, int alignCorners) {
  const ResampleGeom g(geom);
  thread_local std::vector<Tap> rows, cols;
  axisTaps(g.h, g.oh, g.ratioH, mode, alignCorners != 0, rows);
  axisTaps(g.w, g.ow, g.ratioW, mode, alignCorners != 0, cols);
  const Tap* ty = rows.data();
  const Tap* tx = cols.data();
  const int64_t plane = g.h * g.w, outPlane = g.oh * g.ow;
  parallelFor(g.planes(), g.grain(), [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; p++) {
      const float* xp = x + p * plane;
      float* yp = y + p * outPlane;
      for (int64_t oy = 0; oy < g.oh; oy++) {
        const Tap a = ty[oy];
        const float* r0 = xp + a.i0 * g.w;
        const float* r1 = xp + a.i1 * g.w;
        float* out = yp + oy * g.ow;
        if (mode == kNearest) {
          for (int64_t ox = 0; ox < g.ow; ox++) out[ox] = r0[tx[ox].i0];
          continue;
        }
        for (int64_t ox = 0; ox < g.ow; ox++) {
          const Tap b = tx[ox];
          // The reference adds the four taps into a float32 output one by one; so does this.
          float acc = 0.f;
          acc = addRounded(acc, (1 - a.l) * (1 - b.l) * r0[b.i0]);
          acc = addRounded(acc, (1 - a.l) * b.l * r0[b.i1]);
          acc = addRounded(acc, a.l * (1 - b.l) * r1[b.i0]);
          acc = addRounded(acc, a.l * b.l * r1[b.i1]);
          out[ox] = acc;
        }
      }
    }
  });
}

extern "C" void simmer_upsample2d_backward(const float* gy, float* gx, const double* geom, int mode, int alignCorners) {
  const ResampleGeom g(geom);
  thread_local std::vector<Tap> rows, cols;
  axisTaps(g.h, g.oh, g.ratioH, mode, alignCorners != 0, rows);
  axisTaps(g.w, g.ow, g.ratioW, mode, alignCorners != 0, cols);
  const Tap* ty = rows.data();
  const Tap* tx = cols.data();
  const int64_t plane = g.h * g.w, outPlane = g.oh * g.ow;
  parallelFor(g.planes(), g.grain(), [&](int64_t p0, int64_t p1, int) {
    for (int64_t p = p0; p < p1; p++) {
      float* gxp = gx + p * plane;
      std::memset(gxp, 0, sizeof(float) * plane);
      const float* gyp = gy + p * outPlane;
      for (int64_t oy = 0; oy < g.oh; oy++) {
        const Tap a = ty[oy];
        float* r0 = gxp + a.i0 * g.w;
        float* r1 = gxp + a.i1 * g.w;
        const float* in = gyp + oy * g.ow;
        if (mode == kNearest) {
          for (int64_t ox = 0; ox < g.ow; ox++) r0[tx[ox].i0] += in[ox];
          continue;
        }
        for (int64_t ox = 0; ox < g.ow; ox++) {
          const Tap b = tx[ox];
          const double v = in[ox];
          r0[b.i0] = addRounded(r0[b.i0], (1 - a.l) * (1 - b.l) * v);
          r0[b.i1] = addRounded(r0[b.i1], (1 - a.l) * b.l * v);
          r1[b.i0] = addRounded(r1[b.i0], a.l * (1 - b.l) * v);
          r1[b.i1] = addRounded(r1[b.i1], a.l * b.l * v);
        }
      }
    }
  });
}
