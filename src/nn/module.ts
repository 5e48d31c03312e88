/**
 * Module: the base of every layer and model. Parameters and submodules assigned to fields are found automatically
 * (like PyTorch's nn.Module), so a model is plain TypeScript:
 * @example
 *   class Net extends Module {
 *     fc1 = new Linear(784, 128);
 *     fc2 = new Linear(128, 10);
 *     forward(x: Tensor) { return this.fc2.forward(relu(this.fc1.forward(x))); }
 *   }
 *   const net = new Net();
 *   net.parameters().length;   // 4
 */
import { noGrad } from '../autograd/grad-mode.ts';
import { formatShape, shapeEquals } from '../tensor/shape.ts';
import { Tensor } from '../tensor/tensor.ts';

/** A tensor that a module learns: a leaf with requiresGrad = true. */
export class Parameter extends Tensor {
  constructor(t: Tensor) {
    super(t.dtype === 'float32' ? t.data : Float32Array.from(t.data), t.shape);
    this.requiresGrad = true;
  }
}

export type StateDict = Map<string, Tensor>;

/** Runs after a module's forward with its inputs and output; returning a tensor replaces the output. */
export type ForwardHook = (module: Module, inputs: readonly Tensor[], output: Tensor) => Tensor | void;
/** Runs before a module's forward with its inputs; returning an array replaces the inputs. */
export type ForwardPreHook = (module: Module, inputs: readonly Tensor[]) => Tensor[] | void;
/** What registering a hook returns: remove() unregisters it (calling it again does nothing). */
export interface HookHandle {
  remove(): void;
}

type ForwardFn = (...inputs: Tensor[]) => Tensor;

export abstract class Module {
  /** Training mode switches dropout on and makes batch norm use (and update) batch statistics. */
  training = true;
  private readonly bufferNames = new Set<string>();
  // Hooks live in #private fields so the field scan of namedChildren/namedParameters never sees them.
  #preHooks = new Map<number, ForwardPreHook>();
  #hooks = new Map<number, ForwardHook>();
  #nextHookId = 0;
  /** The forward that ran before hooks were installed, and whether it was an own property (not the class method). */
  #unhooked: { forward: ForwardFn; own: boolean } | null = null;

  abstract forward(...inputs: Tensor[]): Tensor;

  /**
   * Calls `hook(module, inputs, output)` after every forward of this module (PyTorch's register_forward_hook), for
   * recording activations or shapes. Parents call children's forward directly, so this installs a wrapper on this
   * instance while any hook is registered and takes it away with the last one.
   * @example
   *   const shapes: number[][] = [];
   *   const handle = model.layer1.registerForwardHook((_m, _in, out) => void shapes.push(out.shape));
   *   model.forward(x);
   *   handle.remove();
   */
  registerForwardHook(hook: ForwardHook): HookHandle {
    return this.#register(this.#hooks, hook);
  }

  /** Calls `hook(module, inputs)` before every forward of this module; returning an array replaces the inputs. */
  registerForwardPreHook(hook: ForwardPreHook): HookHandle {
    return this.#register(this.#preHooks, hook);
  }

  #register<H>(hooks: Map<number, H>, hook: H): HookHandle {
    const id = this.#nextHookId++;
    hooks.set(id, hook);
    this.#installHooks();
    return {
      remove: () => {
        if (hooks.delete(id) && this.#hooks.size === 0 && this.#preHooks.size === 0) this.#uninstallHooks();
      },
    };
  }

  #installHooks(): void {
    if (this.#unhooked) return;
    const own = Object.hasOwn(this, 'forward');
    const forward = this.forward;
    this.#unhooked = { forward, own };
    this.forward = (...inputs: Tensor[]) => this.#forwardWithHooks(forward, inputs);
  }

  #uninstallHooks(): void {
    const saved = this.#unhooked;
    if (!saved) return;
    this.#unhooked = null;
    if (saved.own) this.forward = saved.forward;
    else delete (this as unknown as Record<string, unknown>).forward; // the class's forward shows through again
  }

  #forwardWithHooks(forward: ForwardFn, inputs: Tensor[]): Tensor {
    let xs = inputs;
    for (const pre of [...this.#preHooks.values()]) xs = pre(this, xs) ?? xs;
    let y = forward.apply(this, xs);
    for (const hook of [...this.#hooks.values()]) y = hook(this, xs, y) ?? y;
    return y;
  }

  /** Registers a tensor that is state but not learned (e.g. batch norm's running mean); saved in stateDict. */
  protected registerBuffer(name: string, value: Tensor): Tensor {
    this.bufferNames.add(name);
    (this as unknown as Record<string, Tensor>)[name] = value;
    return value;
  }

  /** Direct children: fields holding modules, in declaration order. */
  namedChildren(): [string, Module][] {
    const out: [string, Module][] = [];
    for (const [key, value] of Object.entries(this)) if (value instanceof Module) out.push([key, value]);
    return out;
  }

  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and every descendant, depth first, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, child] of this.namedChildren()) out.push(...child.namedModules(prefix ? `${prefix}.${name}` : name));
    return out;
  }

  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Tensor>();
    for (const [modName, mod] of this.namedModules(prefix)) {
      for (const [key, value] of Object.entries(mod)) {
        if (value instanceof Parameter && !seen.has(value)) {
          seen.add(value);
          out.push([modName ? `${modName}.${key}` : key, value]);
        }
      }
    }
    return out;
  }

  /** Every learnable tensor, each once, in a stable order (the order optimizers and checkpoints rely on). */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [modName, mod] of this.namedModules(prefix)) {
      for (const name of mod.bufferNames) {
        const value = (mod as unknown as Record<string, Tensor>)[name];
        if (value instanceof Tensor) out.push([modName ? `${modName}.${name}` : name, value]);
      }
    }
    return out;
  }

  /** Sets training mode here and in every descendant. */
  train(mode = true): this {
    for (const [, m] of this.namedModules()) m.training = mode;
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Clears every parameter's gradient. */
  zeroGrad(): void {
    for (const p of this.parameters()) p.grad = null;
  }

  /** Parameters and buffers by dotted name (shared buffers, not copies). */
  stateDict(): StateDict {
    return new Map<string, Tensor>([...this.namedParameters(), ...this.namedBuffers()]);
  }

  /**
   * Copies values from a state dict into this module's parameters and buffers. With strict (the default), missing and
   * unexpected keys are errors; a shape mismatch is always an error. Returns the keys that did not match.
   */
  loadStateDict(state: StateDict | Record<string, Tensor>, strict = true): { missing: string[]; unexpected: string[] } {
    const incoming = state instanceof Map ? state : new Map(Object.entries(state));
    const own = this.stateDict();
    const missing = [...own.keys()].filter((k) => !incoming.has(k));
    const unexpected = [...incoming.keys()].filter((k) => !own.has(k));
    for (const [key, target] of own) {
      const src = incoming.get(key);
      if (!src) continue;
      if (!shapeEquals(src.shape, target.shape)) {
        throw new RangeError(
          `loadStateDict: '${key}' has shape ${formatShape(src.shape)} in the checkpoint but ${formatShape(target.shape)} in the model; was it saved from a different architecture or class count?`,
        );
      }
    }
    if (strict && (missing.length > 0 || unexpected.length > 0)) {
      const parts = [];
      if (missing.length) parts.push(`missing keys: ${missing.slice(0, 8).join(', ')}${missing.length > 8 ? ` (+${missing.length - 8} more)` : ''}`);
      if (unexpected.length)
        parts.push(`unexpected keys: ${unexpected.slice(0, 8).join(', ')}${unexpected.length > 8 ? ` (+${unexpected.length - 8} more)` : ''}`);
      throw new Error(`loadStateDict: the state does not match this model (${parts.join('; ')}); pass strict = false to load the keys that match`);
    }
    noGrad(() => {
      for (const [key, target] of own) {
        const src = incoming.get(key);
        if (!src) continue;
        target.data.set(src.dtype === target.dtype ? src.data : src.to(target.dtype).data);
        target.bumpVersion();
      }
    });
    return { missing, unexpected };
  }

  /** Number of learnable scalars. */
  numParameters(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** One line per module, like PyTorch's repr. */
  toString(indent = ''): string {
    const kids = this.namedChildren();
    const head = `${this.constructor.name}(${this.extraRepr()})`;
    if (kids.length === 0) return head;
    return `${this.constructor.name}(\n${kids.map(([n, m]) => `${indent}  (${n}): ${m.toString(`${indent}  `)}`).join('\n')}\n${indent})`;
  }

  /** Layer settings shown by toString, e.g. "in=784, out=10". */
  extraRepr(): string {
    return '';
  }
}

export type Mode = 'train' | 'eval';

/**
 * Runs fn with `model` (and every descendant) in the given mode, then puts each module back in the mode it had, even
 * when fn throws; a promise from fn restores when it settles. Modules that were in a mixed state (a frozen batch norm
 * in eval inside a training model) get their own mode back.
 * @example const logits = withMode(model, 'eval', () => noGrad(() => model.forward(x)));
 */
export function withMode<T>(model: Module, mode: Mode, fn: () => T): T {
  const modules = model.namedModules().map(([, m]) => m);
  const saved = modules.map((m) => m.training);
  const restore = () => modules.forEach((m, i) => (m.training = saved[i]));
  model.train(mode === 'train');
  let result: T;
  try {
    result = fn();
  } catch (e) {
    restore();
    throw e;
  }
  if (result instanceof Promise) return result.finally(restore) as T;
  restore();
  return result;
}
