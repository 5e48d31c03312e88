/**
 * Observation and action space descriptions, as Gymnasium's spaces.Discrete and spaces.Box: what an environment
 * accepts and returns, so an agent can size its networks without knowing the environment.
 */

/** The integers 0 … n−1 (an action or a state index). */
export interface DiscreteSpace {
  readonly kind: 'discrete';
  readonly n: number;
}

/** A float32 array of a fixed shape, each element within [low, high] (±Infinity when unbounded). */
export interface BoxSpace {
  readonly kind: 'box';
  readonly shape: readonly number[];
  readonly low: Float32Array;
  readonly high: Float32Array;
}

export type Space = DiscreteSpace | BoxSpace;

export function discrete(n: number): DiscreteSpace {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`discrete: a discrete space needs n >= 1 integer values, got ${n}`);
  return { kind: 'discrete', n };
}

/** A box whose bounds are given per element (arrays) or as one number for all elements. */
export function box(shape: readonly number[], low: number | ArrayLike<number>, high: number | ArrayLike<number>): BoxSpace {
  const size = shape.reduce((a, b) => a * b, 1);
  const fill = (v: number | ArrayLike<number>, what: string) => {
    if (typeof v === 'number') return new Float32Array(size).fill(v);
    if (v.length !== size) throw new RangeError(`box: ${what} has ${v.length} values but shape [${shape.join(', ')}] has ${size}`);
    return Float32Array.from(v);
  };
  return { kind: 'box', shape: [...shape], low: fill(low, 'low'), high: fill(high, 'high') };
}

/** Number of float32 values in one observation of a box space (1 for a discrete one). */
export function flatSize(space: Space): number {
  return space.kind === 'discrete' ? 1 : space.shape.reduce((a, b) => a * b, 1);
}

/** Whether a value belongs to the space. */
export function contains(space: Space, value: number | Float32Array): boolean {
  if (space.kind === 'discrete') return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < space.n;
  if (!(value instanceof Float32Array) || value.length !== flatSize(space)) return false;
  for (let i = 0; i < value.length; i++) if (!(value[i] >= space.low[i] && value[i] <= space.high[i])) return false;
  return true;
}
