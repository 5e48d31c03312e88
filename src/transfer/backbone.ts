/**
 * The network transfer learning works on: a body (the pretrained feature extractor) and a head (a fresh Linear for the
 * user's classes), with an optional input adapter in front that converts channels and resizes to what the body was
 * trained on. Freezing marks the body's parameters as not requiring gradients and keeps its batch norms in eval mode
 * (running statistics used and never updated) even while the rest of the model trains.
 * @example
 *   const net = new TransferNet(simmerCnn({ inputShape: [1, 28, 28], widths: [32, 64, 128] }), 128, 5);
 *   net.freezeBody();
 *   net.train(); // the head trains; the body's batch norms stay in eval mode
 */
import { ReLU } from '../nn/layers/activation.ts';
import { Sequential } from '../nn/layers/container.ts';
import { Conv2d } from '../nn/layers/conv.ts';
import { Linear } from '../nn/layers/linear.ts';
import { BatchNorm1d, BatchNorm2d } from '../nn/layers/norm.ts';
import { AdaptiveAvgPool2d, Flatten, MaxPool2d } from '../nn/layers/pool.ts';
import { Module } from '../nn/module.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { InputAdapter } from './adapter.ts';

/** A Simmer backbone's architecture, as stored in the pretrained manifest and in a fine-tuned run's config. */
export interface SimmerCnnConfig {
  /** [channels, height, width] the backbone was trained on. */
  inputShape: [number, number, number];
  /** Output channels of each stage (conv 3×3 → BN → ReLU, then a 2×2 max pool between stages). */
  widths: number[];
}

/** The body of the shipped backbones: stages of conv-BN-ReLU with max pooling between them, global average pool. */
export function simmerCnn(cfg: SimmerCnnConfig): Sequential {
  const layers: Module[] = [];
  let c = cfg.inputShape[0];
  cfg.widths.forEach((w, i) => {
    if (i > 0) layers.push(new MaxPool2d(2));
    layers.push(new Conv2d(c, w, 3, { padding: 1, bias: false }), new BatchNorm2d(w), new ReLU());
    c = w;
  });
  layers.push(new AdaptiveAvgPool2d(1), new Flatten());
  return new Sequential(...layers);
}

/** Length of the feature vector a simmerCnn body produces. */
export function simmerCnnFeatures(cfg: SimmerCnnConfig): number {
  return cfg.widths[cfg.widths.length - 1];
}

/** A body and a new head; `adapter` (optional) runs first. State-dict keys: adapter.*, body.*, head.*. */
export class TransferNet extends Module {
  readonly adapter: InputAdapter | null;
  readonly body: Module;
  readonly head: Linear;
  /** Whether the body is frozen (its parameters get no gradient, its batch norms stay in eval mode). */
  #frozen = false;

  constructor(body: Module, features: number, numClasses: number, adapter: InputAdapter | null = null) {
    super();
    this.adapter = adapter;
    this.body = body;
    this.head = new Linear(features, numClasses);
  }

  forward(x: Tensor): Tensor {
    const input = this.adapter ? this.adapter.forward(x) : x;
    return this.head.forward(this.body.forward(input));
  }

  get frozen(): boolean {
    return this.#frozen;
  }

  /** Stops the body learning: no gradients for its parameters, batch-norm statistics fixed (eval mode). */
  freezeBody(): void {
    this.#frozen = true;
    for (const p of this.body.parameters()) p.requiresGrad = false;
    for (const p of this.body.parameters()) p.grad = null;
    this.#applyFrozenModes();
  }

  unfreezeBody(): void {
    this.#frozen = false;
    for (const p of this.body.parameters()) p.requiresGrad = true;
    this.body.train(this.training);
  }

  /** Training mode everywhere, except that a frozen body's batch norms stay in eval mode. */
  override train(mode = true): this {
    super.train(mode);
    this.#applyFrozenModes();
    return this;
  }

  #applyFrozenModes(): void {
    if (!this.#frozen) return;
    for (const [, m] of this.body.namedModules()) if (m instanceof BatchNorm2d || m instanceof BatchNorm1d) m.training = false;
  }

  /**
   * The layers of the model with their trainable state, for explanations: each module that holds parameters, with
   * its dotted name, its type, and whether it is part of the (frozen-first) body.
   */
  layerRoles(): { name: string; type: string; part: 'adapter' | 'body' | 'head'; params: number }[] {
    const out: { name: string; type: string; part: 'adapter' | 'body' | 'head'; params: number }[] = [];
    for (const [name, m] of this.namedModules()) {
      const own = Object.values(m).filter((v) => v instanceof Module).length === 0;
      if (!own || name === '') continue;
      const part = name.startsWith('head') ? 'head' : name.startsWith('adapter') ? 'adapter' : 'body';
      out.push({ name, type: m.constructor.name, part, params: m.numParameters() });
    }
    return out;
  }
}
