/*
 * Simmer native kernels: a flat C ABI over raw float32 buffers and integers.
 *
 * Nothing here knows about tensors, graphs or JavaScript: native/addon.cc adapts these to N-API, and the
 * same functions could be built for WebAssembly. Conventions follow src/backend/backend.ts:
 *   - inputs are read-only, outputs are caller-allocated and overwritten unless a flag says accumulate;
 *   - layout is contiguous row-major (NCHW for images);
 *   - geometry arrays are int32: conv = {n,c,h,w,k,r,s,oh,ow,strideH,strideW,padH,padW,dilationH,dilationW,groups},
 *     pool = {n,c,h,w,oh,ow,kernelH,kernelW,strideH,strideW,padH,padW,dilationH,dilationW}.
 * Kernels run on the shared thread pool (SIMMER_THREADS) with the SIMD path picked at load (SIMMER_SIMD).
 */
#ifndef SIMMER_H
#define SIMMER_H
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ── info ── */
const char* simmer_simd_path(void);   /* "avx512" | "avx2" | "portable" */
const char* simmer_simd_note(void);   /* why that path was chosen */
const char* simmer_gemm_kernel(void); /* micro-kernel shape, e.g. "avx512 8x32" */
int simmer_threads(void);

/* ── linear algebra ── */
/* C[b] (+)= op(A[b])·op(B[b]); A is m×k (k×m when transA), B is k×n (n×k when transB). */
void simmer_matmul(const float* a, const float* b, float* c, int64_t batch, int64_t m, int64_t n, int64_t k, int trans_a, int trans_b,
                   int64_t stride_a, int64_t stride_b, int64_t stride_c, int accumulate);

/* ── convolution ── */
void simmer_conv2d_forward(const float* x, const float* w, const float* bias /* nullable */, float* y, const int32_t* geom);
void simmer_conv2d_backward_input(const float* gy, const float* w, float* gx, const int32_t* geom);
void simmer_conv2d_backward_weight(const float* x, const float* gy, float* gw, const int32_t* geom);
/* y = conv(x, w) + bias, then ReLU when relu != 0, per image while in cache (bias nullable). */
void simmer_conv2d_forward_act(const float* x, const float* w, const float* bias /* nullable */, float* y, const int32_t* geom, int relu);
/* out = 2x2 stride-2 max pool (floor) of relu(conv(x, w) + bias): inference, no full-size activation written. */
void simmer_conv2d_relu_maxpool2(const float* x, const float* w, const float* bias /* nullable */, float* out, const int32_t* geom);
void simmer_conv2d_relu_maxpool2_argmax(const float* x, const float* w, const float* bias /* nullable */, float* out, int32_t* argmax,
                                         const int32_t* geom);

/* ── pooling ── */
void simmer_max_pool2d_forward(const float* x, float* y, int32_t* argmax, const int32_t* geom);
void simmer_max_pool2d_backward(const float* gy, const int32_t* argmax, float* gx, const int32_t* geom);
void simmer_avg_pool2d_forward(const float* x, float* y, const int32_t* geom, int count_include_pad);
void simmer_avg_pool2d_backward(const float* gy, float* gx, const int32_t* geom, int count_include_pad);
/* Resampling geometry (float64): {n, c, h, w, oh, ow, ratioH, ratioW}; mode codes: simmer_upsample_name. */
const char* simmer_upsample_name(int mode);
void simmer_adaptive_avg_pool2d_forward(const float* x, float* y, const double* geom);
void simmer_adaptive_avg_pool2d_backward(const float* gy, float* gx, const double* geom);
void simmer_upsample2d_forward(const float* x, float* y, const double* geom, int mode, int align_corners);
void simmer_upsample2d_backward(const float* gy, float* gx, const double* geom, int mode, int align_corners);

/* ── op-code names ── each returns the spec's name for a C enum value (nullptr past the last), so TypeScript looks
   codes up by name (info().ops) and never depends on the order of UNARY_OPS / BINARY_OPS. */
const char* simmer_unary_name(int op);
const char* simmer_binary_name(int op);
const char* simmer_reduce_name(int op);
const char* simmer_compare_name(int op);
const char* simmer_arg_reduce_name(int op);

/* dtype codes of the kernels that read mixed dtypes (compare) */
#define SIMMER_DTYPE_F32 0
#define SIMMER_DTYPE_I32 1
#define SIMMER_DTYPE_U8 2

/* ── elementwise ── */
void simmer_unary(int op, const float* x, float* out, int64_t n, float alpha);
void simmer_unary_backward(int op, const float* x, const float* y, const float* gy, float* gx, int64_t n, float alpha);
/* Broadcast shapes are right-aligned to out_shape (rank <= 8). */
void simmer_binary(int op, const float* a, const int32_t* a_shape, int a_rank, const float* b, const int32_t* b_shape, int b_rank, float* out,
                   const int32_t* out_shape, int out_rank);
void simmer_affine(const float* x, float scale, float shift, float* out, int64_t n);
void simmer_clamp(const float* x, float lo, float hi, float* out, int64_t n);

/* ── reductions and softmax ── */
void simmer_reduce(int op, const float* x, int64_t outer, int64_t size, int64_t inner, float* out);
void simmer_softmax(const float* x, int64_t rows, int64_t cols, float* out, int log);
void simmer_softmax_backward(const float* y, const float* gy, int64_t rows, int64_t cols, float* gx, int log);

/* ── where, comparisons, clamp gradient ── broadcast like simmer_binary; compare reads each side as its own dtype */
void simmer_compare(int op, const void* a, int a_type, const int32_t* a_shape, int a_rank, const void* b, int b_type, const int32_t* b_shape, int b_rank,
                    uint8_t* out, const int32_t* out_shape, int out_rank);
void simmer_where(const uint8_t* cond, const int32_t* c_shape, int c_rank, const float* a, const int32_t* a_shape, int a_rank, const float* b,
                  const int32_t* b_shape, int b_rank, float* out, const int32_t* out_shape, int out_rank);
void simmer_clamp_backward(const float* x, float lo, float hi, const float* gy, float* gx, int64_t n);

/* ── arg-reduce and softmax along the middle axis of outer × size × inner ── */
void simmer_arg_reduce(int op, const float* x, int64_t outer, int64_t size, int64_t inner, int32_t* out);
void simmer_softmax_axis(const float* x, int64_t outer, int64_t size, int64_t inner, float* out, int log);
void simmer_softmax_axis_backward(const float* y, const float* gy, int64_t outer, int64_t size, int64_t inner, float* gx, int log);

/* ── data movement (any dtype: elem_size 1, 4 or 8 bytes) ── index kernels return the first bad index position or -1 */
void simmer_strided_copy(const void* x, int64_t x_offset, const int32_t* x_strides, void* out, int64_t out_offset, const int32_t* out_strides,
                         const int32_t* shape, int rank, int elem_size);
int64_t simmer_index_select(const void* x, int64_t outer, int64_t n, int64_t inner, const int32_t* idx, int64_t count, void* out, int elem_size);
int64_t simmer_index_add(const float* g, int64_t outer, int64_t n, int64_t inner, const int32_t* idx, int64_t count, float* gx);
int64_t simmer_gather(const void* x, const int32_t* x_shape, const int32_t* idx, const int32_t* idx_shape, int rank, int axis, void* out, int elem_size);
int64_t simmer_scatter_add(const float* src, const int32_t* idx, const int32_t* idx_shape, int rank, int axis, float* out, const int32_t* out_shape);

/* ── normalisation ── */
void simmer_batch_norm_forward(const float* x, int64_t n, int64_t c, int64_t hw, float eps, float* x_hat, float* mean, float* inv_std);
void simmer_batch_norm_backward(const float* x_hat, const float* gx_hat, const float* inv_std, int64_t n, int64_t c, int64_t hw, float* gx);
void simmer_batch_norm_update_stats(const float* mean, const float* inv_std, int64_t c, double eps, double momentum, double unbias, float* running_mean,
                                    float* running_var);

/* ── fused optimizer updates (in place) ── */
void simmer_sgd_step(float* param, const float* grad, float* momentum_buffer /* nullable */, int64_t len, double lr, double momentum,
                     double dampening, double weight_decay, int nesterov, int first_step);
void simmer_adam_step(float* param, const float* grad, float* m, float* v, int64_t len, double lr, double beta1, double beta2, double eps,
                      double weight_decay, int decoupled, double step);
void simmer_rmsprop_step(float* param, const float* grad, float* square_avg, float* grad_avg /* nullable */, float* momentum_buffer /* nullable */,
                         int64_t len, double lr, double alpha, double eps, double weight_decay, double momentum);
void simmer_sum_of_squares(const float* x, int64_t len, float* out /* [1] */);

/* ── attention ── geometry (float64): {batch, heads, tq, tk, d, dv, causal, maskStrideB, maskStrideH, scale} */
void simmer_attention_forward(const float* q, const float* k, const float* v, const float* mask /* nullable */, float* out, float* lse,
                              const double* geom);
void simmer_attention_backward(const float* q, const float* k, const float* v, const float* mask /* nullable */, const float* out, const float* lse,
                               const float* gout, float* gq, float* gk, float* gv, const double* geom);

/* ── losses ── status/first_invalid[0]: the first row with a bad target, or -1 */
void simmer_cross_entropy_forward(const float* logits, const int32_t* target, const float* weight /* nullable */, int64_t rows, int64_t c,
                                  int64_t ignore_index, double label_smoothing, int log_softmax, float* logp, float* loss, float* row_weight,
                                  int32_t* first_invalid);
void simmer_cross_entropy_backward(const float* logp, const int32_t* target, const float* weight /* nullable */, int64_t rows, int64_t c,
                                   int64_t ignore_index, double label_smoothing, int log_softmax, const float* g_loss, int per_row, double g_scale,
                                   float* gx);

/* ── embedding ── first_invalid[0]: the position of the first index outside 0..num-1, or -1 */
void simmer_embedding_forward(const float* weight, int64_t num, int64_t dim, const int32_t* idx, int64_t count, float* out, int32_t* first_invalid);
void simmer_embedding_backward(const float* gout, const int32_t* idx, int64_t count, int64_t num, int64_t dim, float* gw);

/* ── cluster ── rows must lie in 0..n-1; labels/nearest/second have m entries */
void simmer_kmeans_assign(const float* x, int64_t n, int64_t d, const float* centres, int64_t k, const int32_t* rows, int64_t m, int32_t* labels,
                          float* nearest, float* second);

/* ── tsne ── d2 and p are n×n; y and grad n×dims; loss[0] is written only when with_loss */
void simmer_tsne_affinities(const float* d2, int64_t n, double perplexity, float* p);
void simmer_tsne_gradient(const float* p, const float* y, int64_t n, int64_t dims, float* grad, int with_loss, float* loss);

#ifdef __cplusplus
}
#endif
#endif
