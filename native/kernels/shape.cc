// Data movement for any dtype (elements of 1, 4 or 8 bytes, moved as unsigned integers so every dtype copies exactly):
// strided copy (permute, expand, narrow, slice, pad, cat), indexed copy and add along an axis, gather and scatter-add.
//
//   stridedCopy:  out[oo + Σ i_d·os_d] = x[xo + Σ i_d·xs_d]      for i in shape (adjacent axes merged first)
//   indexSelect:  out[o, i, :] = x[o, idx[i], :]                 x: outer × n × inner
//   indexAdd:     gx[o, idx[i], :] += g[o, i, :]                  repeated indices add up in index order
//   gather:       out[p] = x[p with axis coordinate idx[p]]       (torch.gather)
//   scatterAdd:   out[p with axis coordinate idx[p]] += src[p]    (torch.scatter_add; serial, so deterministic)
// The index kernels return the position of the first index out of range, or -1 (nothing is written past a buffer).
#include <algorithm>
#include <cstring>

#include "simmer.h"
#include "thread_pool.h"

namespace simmer {
namespace {

constexpr int kMaxRank = 8;
constexpr int64_t kGrain = 1 << 14;  // elements per task

struct Walk {
  int rank = 0;
  int64_t dims[kMaxRank], xs[kMaxRank], os[kMaxRank];
};

// Drops size-1 axes and merges neighbours that are contiguous in both x and out (permute of NCHW to NHWC stays 3-D,
// a narrow becomes 2-D, a plain copy 1-D).
Walk makeWalk(const int32_t* xs, const int32_t* os, const int32_t* shape, int rank) {
  Walk w;
  for (int d = 0; d < rank; d++) {
    if (shape[d] == 1) continue;
    if (w.rank > 0) {
      const int q = w.rank - 1;
      if (w.xs[q] == int64_t{xs[d]} * shape[d] && w.os[q] == int64_t{os[d]} * shape[d]) {
        w.dims[q] *= shape[d];
        w.xs[q] = xs[d];
        w.os[q] = os[d];
        continue;
      }
    }
    w.dims[w.rank] = shape[d];
    w.xs[w.rank] = xs[d];
    w.os[w.rank] = os[d];
    w.rank++;
  }
  if (w.rank == 0) {
    w.rank = 1;
    w.dims[0] = 1;
    w.xs[0] = w.os[0] = 0;
  }
  return w;
}

template <class T>
void stridedCopyT(const T* x, T* out, const Walk& w) {
  const int last = w.rank - 1;
  const int64_t n = w.dims[last], sx = w.xs[last], so = w.os[last];
  int64_t rows = 1;
  for (int d = 0; d < last; d++) rows *= w.dims[d];
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, n));
  parallelFor(rows, grain, [&](int64_t r0, int64_t r1, int) {
    int64_t idx[kMaxRank] = {};
    int64_t ix = 0, io = 0, rem = r0;
    for (int d = last - 1; d >= 0; d--) {
      idx[d] = rem % w.dims[d];
      rem /= w.dims[d];
      ix += idx[d] * w.xs[d];
      io += idx[d] * w.os[d];
    }
    for (int64_t r = r0; r < r1; r++) {
      const T* src = x + ix;
      T* dst = out + io;
      if (sx == 1 && so == 1) std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(T));
      else if (sx == 0 && so == 1) std::fill(dst, dst + n, *src);
      else
        for (int64_t j = 0; j < n; j++) dst[j * so] = src[j * sx];
      for (int d = last - 1; d >= 0; d--) {
        ix += w.xs[d];
        io += w.os[d];
        if (++idx[d] < w.dims[d]) break;
        ix -= w.xs[d] * w.dims[d];
        io -= w.os[d] * w.dims[d];
        idx[d] = 0;
      }
    }
  });
}

template <class T>
void indexSelectT(const T* x, int64_t outer, int64_t n, int64_t inner, const int32_t* idx, int64_t count, T* out) {
  const int64_t grain = std::max<int64_t>(1, kGrain / std::max<int64_t>(1, inner));
  parallelFor(outer * count, grain, [&](int64_t b, int64_t e, int) {
    for (int64_t r = b; r < e; r++) {
      const int64_t o = r / count, i = r % count;
      std::memcpy(out + r * inner, x + (o * n + idx[i]) * inner, static_cast<size_t>(inner) * sizeof(T));
    }
  });
}

template <class T>
void gatherT(const T* x, const int32_t* xShape, const int32_t* idx, const int32_t* idxShape, int rank, int axis, T* out, int64_t total) {
  int64_t xStride[kMaxRank];
  int64_t s = 1;
  for (int d = rank - 1; d >= 0; d--) {
    xStride[d] = s;
    s *= xShape[d];
  }
  parallelFor(total, kGrain, [&](int64_t b, int64_t e, int) {
    int64_t c[kMaxRank] = {};
    int64_t rem = b, base = 0;
    for (int d = rank - 1; d >= 0; d--) {
      c[d] = rem % idxShape[d];
      rem /= idxShape[d];
      if (d != axis) base += c[d] * xStride[d];
    }
    for (int64_t p = b; p < e; p++) {
      out[p] = x[base + int64_t{idx[p]} * xStride[axis]];
      for (int d = rank - 1; d >= 0; d--) {
        if (d != axis) base += xStride[d];
        if (++c[d] < idxShape[d]) break;
        if (d != axis) base -= xStride[d] * idxShape[d];
        c[d] = 0;
      }
    }
  });
}

int64_t firstBad(const int32_t* idx, int64_t count, int64_t n) {
  for (int64_t i = 0; i < count; i++)
    if (idx[i] < 0 || idx[i] >= n) return i;
  return -1;
}

}  // namespace
}  // namespace simmer

using namespace simmer;

extern "C" void simmer_strided_copy(const void* x, int64_t x_offset, const int32_t* x_strides, void* out, int64_t out_offset, const int32_t* out_strides,
                                    const int32_t* shape, int rank, int elem_size) {
  for (int d = 0; d < rank; d++)
    if (shape[d] == 0) return;
  const Walk w = makeWalk(x_strides, out_strides, shape, rank);
  if (elem_size == 1) stridedCopyT(static_cast<const uint8_t*>(x) + x_offset, static_cast<uint8_t*>(out) + out_offset, w);
  else if (elem_size == 8) stridedCopyT(static_cast<const uint64_t*>(x) + x_offset, static_cast<uint64_t*>(out) + out_offset, w);
  else stridedCopyT(static_cast<const uint32_t*>(x) + x_offset, static_cast<uint32_t*>(out) + out_offset, w);
}

extern "C" int64_t simmer_index_select(const void* x, int64_t outer, int64_t n, int64_t inner, const int32_t* idx, int64_t count, void* out,
                                       int elem_size) {
  const int64_t bad = firstBad(idx, count, n);
  if (bad >= 0 || inner == 0) return bad;
  if (elem_size == 1) indexSelectT(static_cast<const uint8_t*>(x), outer, n, inner, idx, count, static_cast<uint8_t*>(out));
  else if (elem_size == 8) indexSelectT(static_cast<const uint64_t*>(x), outer, n, inner, idx, count, static_cast<uint64_t*>(out));
  else indexSelectT(static_cast<const uint32_t*>(x), outer, n, inner, idx, count, static_cast<uint32_t*>(out));
  return -1;
}

extern "C" int64_t simmer_index_add(const float* g, int64_t outer, int64_t n, int64_t inner, const int32_t* idx, int64_t count, float* gx) {
  const int64_t bad = firstBad(idx, count, n);
  if (bad >= 0 || inner == 0) return bad;
  // Each (o, column range) belongs to one task, which adds the rows in index order: the result does not depend on
  // the thread count. Many outer rows: split them; one (an embedding table): split the columns.
  if (outer >= poolThreads()) {
    parallelFor(outer, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, count * inner)), [&](int64_t b, int64_t e, int) {
      for (int64_t o = b; o < e; o++)
        for (int64_t i = 0; i < count; i++) {
          const float* src = g + (o * count + i) * inner;
          float* dst = gx + (o * n + idx[i]) * inner;
          for (int64_t j = 0; j < inner; j++) dst[j] += src[j];
        }
    });
  } else {
    for (int64_t o = 0; o < outer; o++)
      parallelFor(inner, std::max<int64_t>(16, kGrain / std::max<int64_t>(1, count)), [&](int64_t j0, int64_t j1, int) {
        for (int64_t i = 0; i < count; i++) {
          const float* src = g + (o * count + i) * inner;
          float* dst = gx + (o * n + idx[i]) * inner;
          for (int64_t j = j0; j < j1; j++) dst[j] += src[j];
        }
      });
  }
  return -1;
}

extern "C" int64_t simmer_gather(const void* x, const int32_t* x_shape, const int32_t* idx, const int32_t* idx_shape, int rank, int axis, void* out,
                                 int elem_size) {
  int64_t total = 1;
  for (int d = 0; d < rank; d++) total *= idx_shape[d];
  const int64_t bad = firstBad(idx, total, rank == 0 ? 1 : x_shape[axis]);
  if (bad >= 0 || total == 0) return bad;
  if (rank == 0) {
    std::memcpy(out, x, static_cast<size_t>(elem_size));
    return -1;
  }
  if (elem_size == 1) gatherT(static_cast<const uint8_t*>(x), x_shape, idx, idx_shape, rank, axis, static_cast<uint8_t*>(out), total);
  else if (elem_size == 8) gatherT(static_cast<const uint64_t*>(x), x_shape, idx, idx_shape, rank, axis, static_cast<uint64_t*>(out), total);
  else gatherT(static_cast<const uint32_t*>(x), x_shape, idx, idx_shape, rank, axis, static_cast<uint32_t*>(out), total);
  return -1;
}

extern "C" int64_t simmer_scatter_add(const float* src, const int32_t* idx, const int32_t* idx_shape, int rank, int axis, float* out,
                                      const int32_t* out_shape) {
  int64_t total = 1;
  for (int d = 0; d < rank; d++) total *= idx_shape[d];
  if (rank == 0) {
    if (total > 0 && idx[0] != 0) return 0;
    out[0] += src[0];
    return -1;
  }
  int64_t stride[kMaxRank];
  int64_t s = 1;
  for (int d = rank - 1; d >= 0; d--) {
    stride[d] = s;
    s *= out_shape[d];
  }
  const int64_t n = out_shape[axis];
  int64_t c[kMaxRank] = {};
  int64_t base = 0;
  for (int64_t p = 0; p < total; p++) {
    if (idx[p] < 0 || idx[p] >= n) return p;
    out[base + int64_t{idx[p]} * stride[axis]] += src[p];
    for (int d = rank - 1; d >= 0; d--) {
      if (d != axis) base += stride[d];
      if (++c[d] < idx_shape[d]) break;
      if (d != axis) base -= stride[d] * idx_shape[d];
      c[d] = 0;
    }
  }
  return -1;
}
