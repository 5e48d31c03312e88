/** Containers: Sequential, ModuleList, and the residual block of ResNets. */
import { isGradEnabled } from '../../autograd/grad-mode.ts';
import { relu } from '../../ops/activation.ts';
import { add } from '../../ops/elementwise.ts';
import { isTimingWrapper, PROFILE, span } from '../../profile/profiler.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { Module } from '../module.ts';
import { Conv2d } from './conv.ts';
import { Linear } from './linear.ts';
import { ReLU } from './activation.ts';
import { BatchNorm2d } from './norm.ts';
import { MaxPool2d } from './pool.ts';

/**
 * Runs modules one after another. Children are named '0', '1', … as in PyTorch, so state-dict keys match.
 * @example const mlp = new Sequential(new Flatten(), new Linear(784, 128), new ReLU(), new Linear(128, 10));
 */
export class Sequential extends Module {
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      (this as unknown as Record<string, Module>)[String(i)] = m;
    });
  }

  get length(): number {
    return this.children().length;
  }

  at(i: number): Module {
    return this.children()[i < 0 ? this.length + i : i];
  }

  forward(x: Tensor): Tensor {
    let y = x;
    const mods = this.children();
    for (let i = 0; i < mods.length; i++) {
      const m = mods[i];
      // Conv2d → ReLU (→ MaxPool2d(2)) runs as one fused kernel (same result; src/ops/conv.ts), unless a hook is
      // installed on one of them (a hooked module's forward must run). The profiler's timing wrappers are no hooks.
      if (m instanceof Conv2d && mods[i + 1] instanceof ReLU && !hooked(m) && !hooked(mods[i + 1])) {
        const pool = mods[i + 2];
        const withPool = pool instanceof MaxPool2d && !hooked(pool) && isPlainPool2(pool);
        const inference = !isGradEnabled() || !(y.requiresGrad || m.weight.requiresGrad);
        const epilogue = withPool ? (inference ? 'relu-maxpool2' : 'relu-maxpool2-train') : 'relu';
        const x = y;
        y = PROFILE.on
          ? span('op', withPool ? 'Conv2d+ReLU+MaxPool2d.forward' : 'Conv2d+ReLU.forward', undefined, () => m.forwardFused(x, epilogue))
          : m.forwardFused(x, epilogue);
        i += withPool ? 2 : 1;
        continue;
      }
      // Linear → ReLU likewise runs as one op (linearRelu: no pre-activation tensor, no separate ReLU node).
      if (m instanceof Linear && mods[i + 1] instanceof ReLU && !hooked(m) && !hooked(mods[i + 1])) {
        const x = y;
        y = PROFILE.on ? span('op', 'Linear+ReLU.forward', undefined, () => m.forwardRelu(x)) : m.forwardRelu(x);
        i += 1;
        continue;
      }
      y = m.forward(y);
    }
    return y;
  }
}

/** A module with forward hooks has its own `forward` property (Module installs a wrapper on the instance), other than the profiler's. */
const hooked = (m: Module): boolean => Object.hasOwn(m, 'forward') && !isTimingWrapper(m.forward);

/** MaxPool2d(2) with stride 2, no padding, dilation 1, floor mode. */
function isPlainPool2(p: MaxPool2d): boolean {
  const o = p.options as { stride?: unknown; padding?: unknown; dilation?: unknown; ceilMode?: unknown };
  const two = (v: unknown) => v === 2 || (Array.isArray(v) && v[0] === 2 && v[1] === 2);
  const zeroOrOne = (v: unknown, d: number) => v === undefined || v === d || (Array.isArray(v) && v[0] === d && v[1] === d);
  return two(p.kernelSize) && (o.stride === undefined || two(o.stride)) && zeroOrOne(o.padding, 0) && zeroOrOne(o.dilation, 1) && !o.ceilMode;
}

/** Holds submodules in a list so their parameters are registered; you call them yourself. */
export class ModuleList extends Module {
  constructor(modules: Module[] = []) {
    super();
    modules.forEach((m) => this.append(m));
  }

  append(m: Module): this {
    (this as unknown as Record<string, Module>)[String(this.children().length)] = m;
    return this;
  }

  get length(): number {
    return this.children().length;
  }

  at(i: number): Module {
    return this.children()[i];
  }

  [Symbol.iterator](): Iterator<Module> {
    return this.children()[Symbol.iterator]();
  }

  forward(): Tensor {
    throw new Error('ModuleList has no forward(): iterate over it and call each module yourself');
  }
}

/**
 * ResNet's basic block: conv3x3 → BN → ReLU → conv3x3 → BN, plus the input (through a 1x1 conv + BN when the
 * shape changes), then ReLU.
 */
export class ResidualBlock extends Module {
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly shortcut: Sequential | null;

  constructor(inChannels: number, outChannels: number, stride = 1) {
    super();
    this.conv1 = new Conv2d(inChannels, outChannels, 3, { stride, padding: 1, bias: false });
    this.bn1 = new BatchNorm2d(outChannels);
    this.conv2 = new Conv2d(outChannels, outChannels, 3, { padding: 1, bias: false });
    this.bn2 = new BatchNorm2d(outChannels);
    this.shortcut =
      stride !== 1 || inChannels !== outChannels
        ? new Sequential(new Conv2d(inChannels, outChannels, 1, { stride, bias: false }), new BatchNorm2d(outChannels))
        : null;
  }

  forward(x: Tensor): Tensor {
    const h = relu(this.bn1.forward(this.conv1.forward(x)));
    const y = this.bn2.forward(this.conv2.forward(h));
    return relu(add(y, this.shortcut ? this.shortcut.forward(x) : x));
  }
}
