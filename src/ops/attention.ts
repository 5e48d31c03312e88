/**
 * Scaled dot-product attention (torch.nn.functional.scaled_dot_product_attention): softmax(q·kᵀ·scale + mask)·v over
 * the last two dimensions, with the leading dimensions as (batch, heads). Forward and backward are backend kernels
 * (attentionForward / attentionBackward); this file holds the shape logic and the mask handling.
 * @example
 *   const y = scaledDotProductAttention(q, k, v);                    // q, k, v [B, heads, T, d] → [B, heads, T, d]
 *   scaledDotProductAttention(q, k, v, { causal: true });            // token i attends to keys 0..i
 *   scaledDotProductAttention(q, k, v, { mask: keep });              // keep: uint8 [B, 1, 1, T], 1 = attend
 */
import { record } from '../autograd/node.ts';
import { noGrad } from '../autograd/grad-mode.ts';
import type { AttentionGeometry } from '../backend/backend.ts';
import { backend } from '../backend/index.ts';
import { formatShape, sizeOf } from '../tensor/shape.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { where } from './elementwise.ts';
import { expand, reshape } from './shape.ts';
import { f32, requireFloat } from './util.ts';

export interface AttentionOptions {
  /** Query i attends only to keys 0..i (top-left aligned, as PyTorch's is_causal). */
  causal?: boolean;
  /**
   * Broadcastable to [..., Tq, Tk]: a float32 mask is added to the scores (−Infinity removes a key); a uint8 (bool)
   * mask keeps the keys where it is non-zero, as PyTorch's boolean attn_mask. It gets no gradient.
   */
  mask?: Tensor | null;
  /** Multiplies q·kᵀ; defaults to 1/sqrt(d). */
  scale?: number;
}

/** The additive mask as [Bm, Hm, Tq, Tk] floats with Bm ∈ {1, batch}, Hm ∈ {1, heads}, and its strides. */
function maskBlocks(mask: Tensor, lead: readonly number[], tq: number, tk: number): { data: Float32Array; strideB: number; strideH: number } {
  const full = [...lead, tq, tk];
  if (mask.rank > full.length)
    throw new RangeError(`scaledDotProductAttention: mask ${formatShape(mask.shape)} has more dimensions than the scores ${formatShape(full)}`);
  const fits = mask.shape.every((n, i) => n === 1 || n === full[full.length - mask.rank + i]);
  if (!fits)
    throw new RangeError(
      `scaledDotProductAttention: mask ${formatShape(mask.shape)} does not broadcast to the scores ${formatShape(full)} ([..., Tq, Tk]); ` +
        'give it size 1 or the score size in every dimension',
    );
  return noGrad(() => {
    let additive: Tensor;
    if (mask.dtype === 'float32') additive = mask.detach();
    else if (mask.dtype === 'uint8') additive = where(mask, 0, Number.NEGATIVE_INFINITY);
    else throw new TypeError(`scaledDotProductAttention: mask must be float32 (added to the scores) or uint8 (1 = attend), got ${mask.dtype}`);
    // Right-align the mask to the scores, then keep the head and batch dimensions only where it varies along them.
    const shape = [...Array(full.length - additive.rank).fill(1), ...additive.shape];
    const heads = lead.length > 0 ? lead[lead.length - 1] : 1;
    const headsVary = lead.length > 0 && shape[lead.length - 1] !== 1;
    const batchVaries = shape.slice(0, Math.max(0, lead.length - 1)).some((d) => d !== 1);
    const target = [...(batchVaries ? lead.slice(0, -1) : lead.slice(0, -1).map(() => 1)), ...(lead.length > 0 ? [headsVary ? heads : 1] : []), tq, tk];
    const blocks = expand(reshape(additive, shape), target).f32;
    const block = tq * tk;
    return { data: blocks, strideB: batchVaries ? (headsVary ? heads : 1) * block : 0, strideH: headsVary ? block : 0 };
  });
}

/**
 * softmax(q·kᵀ·scale + mask)·v for q [..., Tq, d], k [..., Tk, d], v [..., Tk, dv] with equal leading dimensions
 * (read as batch × heads); returns [..., Tq, dv]. A query row that the masks leave without keys gives zeros.
 */
export function scaledDotProductAttention(q: Tensor, k: Tensor, v: Tensor, options: AttentionOptions = {}): Tensor {
  const op = 'scaledDotProductAttention';
  requireFloat(q, op, 'query');
  requireFloat(k, op, 'key');
  requireFloat(v, op, 'value');
  if (q.rank < 2 || k.rank !== q.rank || v.rank !== q.rank)
    throw new RangeError(
      `${op}: query, key and value must have the same rank (at least 2: [..., T, d]), got ${formatShape(q.shape)}, ${formatShape(k.shape)}, ${formatShape(v.shape)}`,
    );
  const lead = q.shape.slice(0, -2);
  const [tq, d] = q.shape.slice(-2);
  const [tk, dk] = k.shape.slice(-2);
  const [tv, dv] = v.shape.slice(-2);
  const sameLead = (t: Tensor) => t.shape.slice(0, -2).every((n, i) => n === lead[i]);
  if (!sameLead(k) || !sameLead(v) || dk !== d || tv !== tk)
    throw new RangeError(
      `${op}: expected key [..., Tk, ${d}] and value [..., Tk, dv] with the query's leading dimensions ${formatShape(lead)}; ` +
        `got query ${formatShape(q.shape)}, key ${formatShape(k.shape)}, value ${formatShape(v.shape)}`,
    );
  const scale = options.scale ?? 1 / Math.sqrt(d);
  if (!Number.isFinite(scale)) throw new RangeError(`${op}: scale must be a finite number, got ${scale}`);
  const heads = lead.length > 0 ? lead[lead.length - 1] : 1;
  const batch = sizeOf(lead.slice(0, -1));
  const mask = options.mask ? maskBlocks(options.mask, lead, tq, tk) : null;
  const g: AttentionGeometry = {
    batch,
    heads,
    tq,
    tk,
    d,
    dv,
    causal: options.causal ?? false,
    maskStrideB: mask?.strideB ?? 0,
    maskStrideH: mask?.strideH ?? 0,
    scale,
  };
  const out = f32([...lead, tq, dv]);
  const lse = new Float32Array(batch * heads * tq);
  backend().attentionForward(q.f32, k.f32, v.f32, mask?.data ?? null, out.f32, lse, g);
  return record(
    out,
    op,
    [q, k, v],
    (gOut) => {
      const gq = f32(q.shape);
      const gk = f32(k.shape);
      const gv = f32(v.shape);
      backend().attentionBackward(q.f32, k.f32, v.f32, mask?.data ?? null, out.f32, lse, gOut.f32, gq.f32, gk.f32, gv.f32, g);
      return [gq, gk, gv];
    },
    [q, k, v, out],
  );
}
