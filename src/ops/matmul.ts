/**
 * Matrix products: matmul (1-D, 2-D and batched with broadcasting of batch dimensions, like torch.matmul) and linear.
 * Backward rules call the GEMM with transpose flags instead of materialising transposes.
 * @example
 *   matmul(a, b);                 // [M,K]·[K,N] → [M,N]
 *   matmul(x, w);                 // [B,M,K]·[K,N] → [B,M,N]
 *   linear(x, weight, bias);      // x·weightᵀ + bias, weight [out, in]
 */
import { ownedGrad, record } from '../autograd/node.ts';
import type { MatmulParams } from '../backend/backend.ts';
import { backend } from '../backend/index.ts';
import { broadcastShapes, formatShape, sizeOf } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { reshape } from './shape.ts';
import { broadcastTo, f32, requireFloat, scratchF32, sumToShape } from './util.ts';

function gemm(a: Float32Array, b: Float32Array, c: Float32Array, p: Partial<MatmulParams> & Pick<MatmulParams, 'm' | 'n' | 'k'>): void {
  backend().matmul(a, b, c, {
    batch: 1,
    transA: false,
    transB: false,
    strideA: 0,
    strideB: 0,
    strideC: p.m * p.n,
    accumulate: false,
    ...p,
  });
}

let ones = new Float32Array(0);

/** A reused column of at least `rows` ones (the left factor of the bias broadcast in linear). */
function onesColumn(rows: number): Float32Array {
  if (ones.length < rows) ones = new Float32Array(Math.max(rows, 2 * ones.length)).fill(1);
  return ones;
}

/** Batched product of [..., M, K] and [..., K, N] with broadcast batch dimensions (both at least 2-D). */
function matmul2d(a: Tensor, b: Tensor): Tensor {
  const m = a.shape[a.rank - 2];
  const k = a.shape[a.rank - 1];
  const n = b.shape[b.rank - 1];
  if (b.shape[b.rank - 2] !== k) {
    throw new RangeError(
      `matmul: inner dimensions differ: ${formatShape(a.shape)} · ${formatShape(b.shape)} (${k} vs ${b.shape[b.rank - 2]}); ` +
        'the last dimension of the first operand must equal the second-to-last of the second',
    );
  }
  const batchShape = broadcastShapes(a.shape.slice(0, -2), b.shape.slice(0, -2), 'matmul');
  const batch = sizeOf(batchShape);
  const aBatch = sizeOf(a.shape.slice(0, -2));
  const bBatch = sizeOf(b.shape.slice(0, -2));
  // A batch operand that is neither full nor a single matrix is materialised to the full batch.
  const A = aBatch === batch || aBatch === 1 ? a : broadcastTo(a, [...batchShape, m, k]);
  const B = bBatch === batch || bBatch === 1 ? b : broadcastTo(b, [...batchShape, k, n]);
  const strideA = sizeOf(A.shape.slice(0, -2)) === 1 ? 0 : m * k;
  const strideB = sizeOf(B.shape.slice(0, -2)) === 1 ? 0 : k * n;
  const outShape = [...batchShape, m, n];
  const out = f32(outShape);
  if (strideB === 0 && batch > 1) {
    // [batch·M, K] · [K, N] as one GEMM: the common case of a weight shared across a batch.
    gemm(A.f32, B.f32, out.f32, { m: batch * m, n, k });
  } else {
    gemm(A.f32, B.f32, out.f32, { m, n, k, batch, strideA, strideB, strideC: m * n });
  }
  return record(
    out,
    'matmul',
    [a, b],
    (g) => {
      let ga: Tensor | null = null;
      let gb: Tensor | null = null;
      if (a.requiresGrad) {
        // gA[b] = g[b] · B[b]ᵀ, computed at full batch then summed to A's shape.
        const full = f32(outShape.slice(0, -2).concat([m, k]));
        if (strideB === 0) gemm(g.f32, B.f32, full.f32, { m: batch * m, n: k, k: n, transB: true });
        else gemm(g.f32, B.f32, full.f32, { m, n: k, k: n, transB: true, batch, strideA: m * n, strideB: k * n, strideC: m * k });
        ga = sumToShape(full, a.shape);
      }
      if (b.requiresGrad) {
        if (strideB === 0 && strideA !== 0) {
          // Σ_b A[b]ᵀ g[b] = (A as [batch·M, K])ᵀ · (g as [batch·M, N]).
          const gfull = f32([k, n]);
          gemm(A.f32, g.f32, gfull.f32, { m: k, n, k: batch * m, transA: true });
          gb = reshape(gfull, b.shape);
        } else {
          const full = f32(outShape.slice(0, -2).concat([k, n]));
          gemm(A.f32, g.f32, full.f32, { m: k, n, k: m, transA: true, batch, strideA, strideB: m * n, strideC: k * n });
          gb = sumToShape(full, b.shape);
        }
      }
      return [ga, gb];
    },
    [a, b],
  );
}

/** torch.matmul semantics: 1-D operands are promoted to matrices and the added dimension removed afterwards. */
export function matmul(a: Tensor, b: Tensor): Tensor {
  requireFloat(a, 'matmul', 'first operand');
  requireFloat(b, 'matmul', 'second operand');
  if (a.rank === 0 || b.rank === 0)
    throw new RangeError(`matmul: both operands need at least one dimension, got ${formatShape(a.shape)} and ${formatShape(b.shape)}`);
  const A = a.rank === 1 ? reshape(a, [1, a.shape[0]]) : a;
  const B = b.rank === 1 ? reshape(b, [b.shape[0], 1]) : b;
  let out = matmul2d(A, B);
  if (a.rank === 1) out = reshape(out, [...out.shape.slice(0, -2), out.shape[out.rank - 1]]);
  if (b.rank === 1) out = reshape(out, out.shape.slice(0, -1));
  return out;
}

/** Checks linear's operands and returns x's data with the product's row count and feature sizes. */
function linearShapes(x: Tensor, weight: Tensor, bias: Tensor | null, op: string): { xd: Float32Array; rows: number; inF: number; outF: number } {
  const xd = requireFloat(x, op, 'input');
  requireFloat(weight, op, 'weight');
  if (weight.rank !== 2) throw new RangeError(`${op}: weight must be 2-D [outFeatures, inFeatures], got ${formatShape(weight.shape)}`);
  const [outF, inF] = weight.shape;
  if (x.rank === 0 || x.shape[x.rank - 1] !== inF) {
    throw new RangeError(
      `${op}: input shape ${formatShape(x.shape)} does not end in ${inF} (the weight is ${formatShape(weight.shape)}: [outFeatures, inFeatures])`,
    );
  }
  if (bias && (bias.rank !== 1 || bias.shape[0] !== outF)) throw new RangeError(`${op}: bias must be [${outF}], got ${formatShape(bias.shape)}`);
  return { xd, rows: x.size / inF, inF, outF };
}

/** x·weightᵀ + bias into a new tensor of x's shape with the last dimension outF. */
function linearProduct(x: Tensor, xd: Float32Array, weight: Tensor, bias: Tensor | null, rows: number, inF: number, outF: number): Tensor {
  const out = f32([...x.shape.slice(0, -1), outF]);
  // The bias rows come from a rank-1 product (a column of ones times the bias), so no element is touched here.
  if (bias) gemm(onesColumn(rows), bias.f32, out.f32, { m: rows, n: outF, k: 1 });
  gemm(xd, weight.f32, out.f32, { m: rows, n: outF, k: inF, transB: true, accumulate: bias !== null });
  return out;
}

/**
 * The gradients of x·weightᵀ + bias given g, the gradient of the product. The weight and bias gradients are new
 * buffers nothing else holds (ownedGrad), so backward() stores them as the parameters' .grad without a copy.
 */
function linearGrads(
  g: Float32Array,
  x: Tensor,
  xd: Float32Array,
  weight: Tensor,
  bias: Tensor | null,
  rows: number,
  inF: number,
  outF: number,
): (Tensor | null)[] {
  const grads: (Tensor | null)[] = [null, null, null];
  if (x.requiresGrad) {
    const gx = f32(x.shape);
    gemm(g, weight.f32, gx.f32, { m: rows, n: inF, k: outF });
    grads[0] = gx;
  }
  if (weight.requiresGrad) {
    const gw = f32(weight.shape);
    gemm(g, xd, gw.f32, { m: outF, n: inF, k: rows, transA: true });
    grads[1] = ownedGrad(gw);
  }
  if (bias?.requiresGrad) {
    const gb = f32([outF]);
    backend().reduce('sum', g, 1, rows, outF, gb.f32);
    grads[2] = ownedGrad(gb);
  }
  return grads;
}

/** y = x·weightᵀ + bias over the last dimension of x; weight is [outFeatures, inFeatures], bias [outFeatures]. */
export function linear(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  const { xd, rows, inF, outF } = linearShapes(x, weight, bias, 'linear');
  const out = linearProduct(x, xd, weight, bias, rows, inF, outF);
  return record(out, 'linear', bias ? [x, weight, bias] : [x, weight], (g) => linearGrads(g.f32, x, xd, weight, bias, rows, inF, outF), [x, weight]);
}

/**
 * relu(x·weightᵀ + bias) as one op (what Sequential runs for Linear → ReLU): the ReLU is applied in place on the
 * product, and the backward masks the incoming gradient where the output was 0 before the linear backward, so neither
 * the pre-activation tensor nor a separate ReLU node and its gradient exist. Same values as relu(linear(...)).
 */
export function linearRelu(x: Tensor, weight: Tensor, bias: Tensor | null = null): Tensor {
  const { xd, rows, inF, outF } = linearShapes(x, weight, bias, 'linearRelu');
  const out = linearProduct(x, xd, weight, bias, rows, inF, outF);
  const y = out.f32;
  backend().unary('relu', y, y, 0);
  return record(
    out,
    'linearRelu',
    bias ? [x, weight, bias] : [x, weight],
    (g) => {
      // relu'(pre) = [pre > 0] = [y > 0], so the output stands in for the pre-activation (NaN gives 0 either way).
      const masked = scratchF32('linearRelu.backward', y.length);
      backend().unaryBackward('relu', y, y, g.f32, masked, 0);
      return linearGrads(masked, x, xd, weight, bias, rows, inF, outF);
    },
    [x, weight, out],
  );
}
