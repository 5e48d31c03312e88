/**
 * Deriving independent seeds from (seed, epoch, index, …) so every sample's randomness depends only on those numbers —
 * not on which worker thread drew it or in what order — which is what makes runs reproducible and resumable.
 */
import { Generator } from '../tensor/random.ts';

/** Hashes any number of integers into one uint32 (murmur3-style finaliser per word). */
export function mixSeed(...parts: number[]): number {
  let h = 0x9e3779b9;
  for (const p of parts) {
    let k = Math.imul((p | 0) ^ Math.floor(p / 0x100000000), 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A fresh Generator seeded from the mixed parts. */
export function generatorFor(...parts: number[]): Generator {
  return new Generator(mixSeed(...parts));
}

/** Fisher–Yates permutation of 0..n-1 drawn from `gen`. */
export function permutation(n: number, gen: Generator): Int32Array {
  const p = new Int32Array(n);
  for (let i = 0; i < n; i++) p[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = gen.int(0, i + 1);
    const t = p[i];
    p[i] = p[j];
    p[j] = t;
  }
  return p;
}
