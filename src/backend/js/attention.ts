/**
 * Reference scaled dot-product attention, written straight from the definition in float64 (the oracle for
 * native/kernels/attention.cc). Per (b, h): S = scale·Q·Kᵀ + mask (causal: −∞ above the diagonal), P = softmax(S),
 * O = P·V; the backward recomputes P from the stored log-sum-exp:
 *   dV = Pᵀ·dO,  dS = P∘(dO·Vᵀ − rowsum(dO∘O)),  dQ = scale·dS·K,  dK = scale·dSᵀ·Q.
 */
import type { F32 } from '../backend.ts';
import type { AttentionGeometry } from '../spec/attention.ts';

/** Score S[i][j] of pair p (−∞ where masked). */
function score(q: F32, k: F32, mask: F32 | null, g: AttentionGeometry, p: number, i: number, j: number): number {
  if (g.causal && j > i) return Number.NEGATIVE_INFINITY;
  const qo = (p * g.tq + i) * g.d;
  const ko = (p * g.tk + j) * g.d;
  let dot = 0;
  for (let c = 0; c < g.d; c++) dot += q[qo + c] * k[ko + c];
  let s = g.scale * dot;
  if (mask) {
    const b = Math.floor(p / g.heads);
    const h = p % g.heads;
    s += mask[b * g.maskStrideB + h * g.maskStrideH + i * g.tk + j];
  }
  return s;
}

export function attentionForward(q: F32, k: F32, v: F32, mask: F32 | null, out: F32, lse: F32, g: AttentionGeometry): void {
  const s = new Float64Array(g.tk);
  for (let p = 0; p < g.batch * g.heads; p++)
    for (let i = 0; i < g.tq; i++) {
      let max = Number.NEGATIVE_INFINITY;
      for (let j = 0; j < g.tk; j++) {
        s[j] = score(q, k, mask, g, p, i, j);
        if (s[j] > max) max = s[j];
      }
      const oo = (p * g.tq + i) * g.dv;
      if (max === Number.NEGATIVE_INFINITY) {
        out.fill(0, oo, oo + g.dv);
        lse[p * g.tq + i] = Number.NEGATIVE_INFINITY;
        continue;
      }
      let sum = 0;
      for (let j = 0; j < g.tk; j++) sum += Math.exp(s[j] - max);
      const l = max + Math.log(sum);
      lse[p * g.tq + i] = l;
      for (let c = 0; c < g.dv; c++) {
        let acc = 0;
        for (let j = 0; j < g.tk; j++) acc += Math.exp(s[j] - l) * v[(p * g.tk + j) * g.dv + c];
        out[oo + c] = acc;
      }
    }
}

export function attentionBackward(
  q: F32,
  k: F32,
  v: F32,
  mask: F32 | null,
  out: F32,
  lse: F32,
  gOut: F32,
  gq: F32,
  gk: F32,
  gv: F32,
  g: AttentionGeometry,
): void {
  const dq = new Float64Array(gq.length);
  const dk = new Float64Array(gk.length);
  const dv = new Float64Array(gv.length);
  for (let p = 0; p < g.batch * g.heads; p++)
    for (let i = 0; i < g.tq; i++) {
      const l = lse[p * g.tq + i];
      if (l === Number.NEGATIVE_INFINITY) continue;
      const oo = (p * g.tq + i) * g.dv;
      let rowDot = 0;
      for (let c = 0; c < g.dv; c++) rowDot += gOut[oo + c] * out[oo + c];
      for (let j = 0; j < g.tk; j++) {
        const prob = Math.exp(score(q, k, mask, g, p, i, j) - l);
        if (prob === 0) continue;
        const vo = (p * g.tk + j) * g.dv;
        let dP = 0;
        for (let c = 0; c < g.dv; c++) {
          dP += gOut[oo + c] * v[vo + c];
          dv[vo + c] += prob * gOut[oo + c];
        }
        const dS = g.scale * prob * (dP - rowDot);
        const qo = (p * g.tq + i) * g.d;
        const ko = (p * g.tk + j) * g.d;
        for (let c = 0; c < g.d; c++) {
          dq[qo + c] += dS * k[ko + c];
          dk[ko + c] += dS * q[qo + c];
        }
      }
    }
  gq.set(dq);
  gk.set(dk);
  gv.set(dv);
}
