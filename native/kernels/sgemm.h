// Single-precision GEMM: C = op(A)·op(B) (or C += with accumulate), every operand given by a base pointer
// and a row and a column stride, so transposes cost nothing: op(A)(i, p) = a[i·rsa + p·csa].
//
// Blocked BLIS-style: both operands are packed (zero-padded) into micro-panels, MR rows of A by NR columns
// of B, and a register-blocked micro-kernel (AVX-512 8×32, AVX2 6×16, portable 4×8) computes each MR×NR
// tile of C over K in blocks of KC. Work is split over the thread pool as tiles of C.
// The pieces are exposed so conv can pack straight from images (im2col fused with packing).
#pragma once
#include <cstdint>

namespace simmer {

// Computes a full MR×NR tile over kc steps: c[r·ldc + j] (+)= Σ_p a[p·MR + r]·b[p·NR + j].
using MicroKernel = void (*)(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, bool accumulate);

struct GemmArch {
  int mr, nr, kc;
  MicroKernel kernel;
  const char* name;
};

const GemmArch& gemmArch();

inline int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// Packed layout for one operand of K rows: the K block starting at p0 (length kc) begins at p0·total
// (total = panel count × panel width) and panel q of that block at q·width·kc.
void packAPanels(const GemmArch& g, int64_t m, int64_t k, const float* a, int64_t rsa, int64_t csa, float* out, int64_t q0, int64_t q1);
void packBPanels(const GemmArch& g, int64_t n, int64_t k, const float* b, int64_t rsb, int64_t csb, float* out, int64_t q0, int64_t q1);

// Computes C tiles for A panels [ia0, ia1) × B panels [jb0, jb1) from packed operands that hold
// `aPanels` and `bPanels` panels. m and n bound the valid part of C (padding is never written).
void gemmPacked(const GemmArch& g, int64_t m, int64_t n, int64_t k, const float* ap, int64_t aPanels, const float* bp, int64_t bPanels, float* c,
                int64_t rsc, int64_t csc, bool accumulate, int64_t ia0, int64_t ia1, int64_t jb0, int64_t jb1);

// The whole product; `threads` false keeps it on the calling thread (for use inside parallel tasks).
void sgemm(int64_t m, int64_t n, int64_t k, const float* a, int64_t rsa, int64_t csa, const float* b, int64_t rsb, int64_t csb, float* c, int64_t rsc,
           int64_t csc, bool accumulate, bool threads);

// Plain triple loop, the in-tree reference (tests compare against the JS one too).
void sgemmNaive(int64_t m, int64_t n, int64_t k, const float* a, int64_t rsa, int64_t csa, const float* b, int64_t rsb, int64_t csb, float* c,
                int64_t rsc, int64_t csc, bool accumulate);

}  // namespace simmer
