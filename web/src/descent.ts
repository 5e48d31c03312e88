/**
 * Gradient descent on a 2-D loss surface, for the Learn page: the surface, its gradient, and one step of SGD,
 * momentum or Adam — the same update rules the engine's optimizers use, on two numbers instead of millions.
 */

export type OptimizerName = 'sgd' | 'momentum' | 'adam';

/** A long, tilted valley with a bump on one side: plain SGD zig-zags across it, momentum rolls along it. */
export function loss(x: number, y: number): number {
  const u = 0.8 * x + 0.6 * y;
  const v = -0.6 * x + 0.8 * y;
  return 0.05 * u * u + 1.2 * v * v + 0.6 * Math.exp(-((x - 1.5) ** 2 + (y - 1) ** 2));
}

export function gradient(x: number, y: number): [number, number] {
  const u = 0.8 * x + 0.6 * y;
  const v = -0.6 * x + 0.8 * y;
  const bump = 0.6 * Math.exp(-((x - 1.5) ** 2 + (y - 1) ** 2));
  const gx = 0.1 * u * 0.8 + 2.4 * v * -0.6 + bump * -2 * (x - 1.5);
  const gy = 0.1 * u * 0.6 + 2.4 * v * 0.8 + bump * -2 * (y - 1);
  return [gx, gy];
}

export interface DescentState {
  x: number;
  y: number;
  step: number;
  /** Momentum's velocity, or Adam's first moment. */
  m: [number, number];
  /** Adam's second moment. */
  v: [number, number];
}

export function start(x: number, y: number): DescentState {
  return { x, y, step: 0, m: [0, 0], v: [0, 0] };
}

/** One step downhill: feel the slope where you stand (the gradient), take a small step against it. */
export function descend(s: DescentState, opt: OptimizerName, lr: number, momentum: number): DescentState {
  const g = gradient(s.x, s.y);
  const t = s.step + 1;
  if (opt === 'sgd') return { ...s, x: s.x - lr * g[0], y: s.y - lr * g[1], step: t };
  if (opt === 'momentum') {
    const m: [number, number] = [momentum * s.m[0] + g[0], momentum * s.m[1] + g[1]];
    return { ...s, x: s.x - lr * m[0], y: s.y - lr * m[1], m, step: t };
  }
  const b1 = momentum;
  const b2 = 0.999;
  const m: [number, number] = [b1 * s.m[0] + (1 - b1) * g[0], b1 * s.m[1] + (1 - b1) * g[1]];
  const v: [number, number] = [b2 * s.v[0] + (1 - b2) * g[0] ** 2, b2 * s.v[1] + (1 - b2) * g[1] ** 2];
  const mh = m.map((mi) => mi / (1 - b1 ** t));
  const vh = v.map((vi) => vi / (1 - b2 ** t));
  return { x: s.x - (lr * mh[0]) / (Math.sqrt(vh[0]) + 1e-8), y: s.y - (lr * mh[1]) / (Math.sqrt(vh[1]) + 1e-8), m, v, step: t };
}
