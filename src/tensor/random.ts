/**
 * The seedable random number generator behind rand, randn, randint, randperm, dropout, init and shuffling.
 * xoshiro128** (32-bit state words, so it stays exact in JavaScript), seeded through splitmix32.
 * Its whole state is four uint32 words plus a cached normal, so it can be saved into a checkpoint and restored bit for bit.
 */

export interface RngState {
  s: [number, number, number, number];
  /** Second value of the last Box–Muller pair, or null. */
  spareNormal: number | null;
}

export class Generator {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed = 0x5eed) {
    this.manualSeed(seed);
  }

  manualSeed(seed: number): this {
    let x = seed >>> 0;
    const next = () => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    for (let i = 0; i < 4; i++) this.s[i] = next();
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
    this.spare = null;
    return this;
  }

  /** Next uniform uint32. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** Uniform in [0, 1) with 24 bits of randomness, exactly representable in float32. */
  uniform(): number {
    return (this.nextUint32() >>> 8) / 16777216;
  }

  /** Standard normal (Box–Muller; the second value of each pair is kept for the next call). */
  normal(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u1 = this.uniform();
    while (u1 === 0) u1 = this.uniform();
    const u2 = this.uniform();
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** Uniform integer in [low, high) without modulo bias. */
  int(low: number, high: number): number {
    const range = high - low;
    if (!(range > 0)) throw new RangeError(`randint: empty range [${low}, ${high})`);
    if (range > 0x100000000) throw new RangeError(`randint: range ${range} exceeds 2^32`);
    const limit = 0x100000000 - (0x100000000 % range);
    let x = this.nextUint32();
    while (x >= limit) x = this.nextUint32();
    return low + (x % range);
  }

  getState(): RngState {
    return { s: [this.s[0], this.s[1], this.s[2], this.s[3]], spareNormal: this.spare };
  }

  setState(state: RngState): this {
    if (!state || !Array.isArray(state.s) || state.s.length !== 4) {
      throw new TypeError('Generator.setState: expected { s: [4 uint32 words], spareNormal } as returned by getState()');
    }
    for (let i = 0; i < 4; i++) this.s[i] = state.s[i] >>> 0;
    this.spare = state.spareNormal ?? null;
    return this;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The process-wide default generator, used when an op is not given one. */
export const defaultGenerator = new Generator();

/** Seeds the default generator (like torch.manual_seed). */
export function manualSeed(seed: number): void {
  defaultGenerator.manualSeed(seed);
}

export function getRngState(): RngState {
  return defaultGenerator.getState();
}

export function setRngState(state: RngState): void {
  defaultGenerator.setState(state);
}
