/**
 * The optimizer base: parameter groups with their own hyper-parameters, per-parameter state, zeroGrad(), and a
 * state dict that checkpoints save so a resumed run takes exactly the same steps.
 */
import { beginSpan, endSpan, PROFILE } from '../profile/profiler.ts';
import type { Tensor } from '../tensor/tensor.ts';

export interface ParamGroup<O> {
  params: Tensor[];
  options: O;
}

/** Either a flat list of tensors, or groups each with option overrides (like PyTorch's param groups). */
export type ParamsInput<O> = Tensor[] | { params: Tensor[]; options?: Partial<O> }[];

/** Serializable optimizer state: per-parameter tensors by index, scalars, and the groups' options (lr may be scheduled). */
export interface OptimizerState {
  kind: string;
  groups: Record<string, unknown>[];
  /** Per parameter index (over all groups, in order): named buffers. */
  buffers: Record<string, Float32Array>[];
  scalars: Record<string, number>[];
}

export abstract class Optimizer<O extends { lr: number }> {
  readonly paramGroups: ParamGroup<O>[];
  protected readonly buffers = new Map<Tensor, Record<string, Float32Array>>();
  protected readonly scalars = new Map<Tensor, Record<string, number>>();

  constructor(params: ParamsInput<O>, defaults: O) {
    const list = params as unknown[];
    if (list.length === 0) throw new RangeError(`${this.constructor.name}: got an empty parameter list; pass model.parameters()`);
    const grouped = list.every((p) => typeof p === 'object' && p !== null && 'params' in (p as object));
    const groups = grouped ? (params as { params: Tensor[]; options?: Partial<O> }[]) : [{ params: params as Tensor[] }];
    this.paramGroups = groups.map((g) => ({ params: g.params, options: { ...defaults, ...(g.options ?? {}) } }));
    for (const g of this.paramGroups) {
      if (!(g.options.lr >= 0)) throw new RangeError(`${this.constructor.name}: learning rate must be >= 0, got ${g.options.lr}`);
      for (const p of g.params)
        if (!p.requiresGrad) throw new Error(`${this.constructor.name}: a parameter of shape [${p.shape.join(', ')}] does not require grad`);
    }
  }

  /** The first group's learning rate (what schedules and logs show). */
  get lr(): number {
    return this.paramGroups[0].options.lr;
  }

  set lr(value: number) {
    for (const g of this.paramGroups) g.options.lr = value;
  }

  /** Clears the gradient of every parameter (sets it to null, like PyTorch's set_to_none default). */
  zeroGrad(): void {
    for (const g of this.paramGroups) for (const p of g.params) p.grad = null;
  }

  /** One update of every parameter that has a gradient. */
  step(): void {
    if (!PROFILE.on) return this.stepAll();
    beginSpan('phase', 'optimizer', 'optimizer');
    try {
      this.stepAll();
    } finally {
      endSpan();
    }
  }

  private stepAll(): void {
    for (const g of this.paramGroups) {
      for (const p of g.params) {
        if (p.grad === null) continue;
        this.update(p, p.grad.f32, g.options);
        p.bumpVersion();
      }
    }
  }

  protected abstract update(param: Tensor, grad: Float32Array, options: O): void;

  protected buffer(p: Tensor, name: string): { data: Float32Array; fresh: boolean } {
    let state = this.buffers.get(p);
    if (!state) {
      state = {};
      this.buffers.set(p, state);
    }
    const fresh = state[name] === undefined;
    if (fresh) state[name] = new Float32Array(p.size);
    return { data: state[name], fresh };
  }

  protected scalar(p: Tensor, name: string, initial = 0): number {
    return this.scalars.get(p)?.[name] ?? initial;
  }

  protected setScalar(p: Tensor, name: string, value: number): void {
    const s = this.scalars.get(p) ?? {};
    s[name] = value;
    this.scalars.set(p, s);
  }

  private allParams(): Tensor[] {
    return this.paramGroups.flatMap((g) => g.params);
  }

  stateDict(): OptimizerState {
    const params = this.allParams();
    return {
      kind: this.constructor.name,
      groups: this.paramGroups.map((g) => ({ ...g.options })),
      buffers: params.map((p) => Object.fromEntries(Object.entries(this.buffers.get(p) ?? {}).map(([k, v]) => [k, v.slice()]))),
      scalars: params.map((p) => ({ ...(this.scalars.get(p) ?? {}) })),
    };
  }

  loadStateDict(state: OptimizerState): void {
    const params = this.allParams();
    if (state.kind !== this.constructor.name)
      throw new Error(`${this.constructor.name}.loadStateDict: the state was saved by ${state.kind}; use the same optimizer to resume`);
    if (state.buffers.length !== params.length || state.groups.length !== this.paramGroups.length) {
      throw new Error(
        `${this.constructor.name}.loadStateDict: the state has ${state.buffers.length} parameters in ${state.groups.length} groups, this optimizer ${params.length} in ${this.paramGroups.length}`,
      );
    }
    state.groups.forEach((o, i) => {
      this.paramGroups[i].options = { ...this.paramGroups[i].options, ...(o as Partial<O>) };
    });
    params.forEach((p, i) => {
      const bufs = state.buffers[i];
      for (const [k, v] of Object.entries(bufs)) {
        if (v.length !== p.size)
          throw new RangeError(`${this.constructor.name}.loadStateDict: buffer '${k}' of parameter ${i} has ${v.length} values, the parameter ${p.size}`);
      }
      this.buffers.set(p, Object.fromEntries(Object.entries(bufs).map(([k, v]) => [k, Float32Array.from(v)])));
      this.scalars.set(p, { ...state.scalars[i] });
    });
  }
}
