// Parity of scaled dot-product attention, forward and backward: native vs the naive JS reference (collected by
// test/backend/parity.ts). Sizes 1, 3, 17, 129 in T and d, causal and additive masks (shared and per-head blocks),
// cross-attention (Tq ≠ Tk), fully masked rows, and both threading paths (more (b, h) pairs than threads, and one pair).
import { test } from 'node:test';
import type { AttentionGeometry } from '../../../src/backend/backend.ts';
import { jsBackend } from '../../../src/backend/js/index.ts';
import { expectClose, randomF32, rng, type ParitySuite } from '../parity-kit.ts';

interface Case {
  label: string;
  g: AttentionGeometry;
  /** Mask blocks: none, one shared tq×tk block, one per head, or one per (b, h). */
  mask?: 'shared' | 'perHead' | 'perPair';
  /** Put −∞ in the mask (a whole first row, so an empty row is checked too). */
  blockRows?: boolean;
}

function geometry(batch: number, heads: number, tq: number, tk: number, d: number, dv: number, causal = false): AttentionGeometry {
  return { batch, heads, tq, tk, d, dv, causal, maskStrideB: 0, maskStrideH: 0, scale: 1 / Math.sqrt(d) };
}

const CASES: Case[] = [
  { label: '1×1×1×1 d1', g: geometry(1, 1, 1, 1, 1, 1) },
  { label: '2×3×3×3 d17', g: geometry(2, 3, 3, 3, 17, 17) },
  { label: '1×2×17×17 d3 dv5 causal', g: geometry(1, 2, 17, 17, 3, 5, true) },
  { label: '1×1×129×129 d17 causal (one pair: threaded GEMMs)', g: geometry(1, 1, 129, 129, 17, 17, true) },
  { label: '2×1×17×129 d3 cross', g: geometry(2, 1, 17, 129, 3, 3) },
  { label: '3×2×129×17 d1 cross', g: geometry(3, 2, 129, 17, 1, 4) },
  { label: '4×4×49×49 d32 (W8 shape, fewer images)', g: geometry(4, 4, 49, 49, 32, 32) },
  { label: '2×3×17×17 d3 shared mask', g: geometry(2, 3, 17, 17, 3, 3), mask: 'shared' },
  { label: '2×3×17×17 d3 per-head mask, causal', g: geometry(2, 3, 17, 17, 3, 3, true), mask: 'perHead' },
  { label: '2×2×3×17 d17 per-pair mask with an empty row', g: geometry(2, 2, 3, 17, 17, 3), mask: 'perPair', blockRows: true },
];

export default function defineAttentionParity({ label, name, skip, native: nb }: ParitySuite): void {
  test(`${label}: ${name} attentionForward / attentionBackward`, { skip }, (t) => {
    const rand = rng(21);
    const bound = { atol: 2e-5, rtol: 2e-4 };
    for (const c of CASES) {
      const g = { ...c.g };
      const pairs = g.batch * g.heads;
      const block = g.tq * g.tk;
      let mask: Float32Array | null = null;
      if (c.mask) {
        const blocks = c.mask === 'shared' ? 1 : c.mask === 'perHead' ? g.heads : pairs;
        g.maskStrideH = c.mask === 'shared' ? 0 : block;
        g.maskStrideB = c.mask === 'perPair' ? g.heads * block : 0;
        mask = randomF32(blocks * block, rand, -2, 2);
        if (c.blockRows) mask.fill(Number.NEGATIVE_INFINITY, 0, g.tk);
      }
      const q = randomF32(pairs * g.tq * g.d, rand);
      const k = randomF32(pairs * g.tk * g.d, rand);
      const v = randomF32(pairs * g.tk * g.dv, rand);
      const gOut = randomF32(pairs * g.tq * g.dv, rand);
      const want = { out: new Float32Array(pairs * g.tq * g.dv), lse: new Float32Array(pairs * g.tq) };
      const got = { out: new Float32Array(want.out.length), lse: new Float32Array(want.lse.length) };
      jsBackend.attentionForward(q, k, v, mask, want.out, want.lse, g);
      nb.attentionForward(q, k, v, mask, got.out, got.lse, g);
      expectClose(t, `attention ${c.label} out`, got.out, want.out, bound);
      expectClose(t, `attention ${c.label} lse`, got.lse, want.lse, bound);
      const grads = () => ({ gq: new Float32Array(q.length), gk: new Float32Array(k.length), gv: new Float32Array(v.length) });
      const gw = grads();
      const gg = grads();
      jsBackend.attentionBackward(q, k, v, mask, want.out, want.lse, gOut, gw.gq, gw.gk, gw.gv, g);
      nb.attentionBackward(q, k, v, mask, want.out, want.lse, gOut, gg.gq, gg.gk, gg.gv, g);
      expectClose(t, `attention ${c.label} gq`, gg.gq, gw.gq, bound);
      expectClose(t, `attention ${c.label} gk`, gg.gk, gw.gk, bound);
      expectClose(t, `attention ${c.label} gv`, gg.gv, gw.gv, bound);
    }
  });
}
