/**
 * The network transfer learning works on: a body (the pretrained feature extractor) and a head (a fresh Linear for the
 * user's classes), with an optional input adapter in front that converts channels and resizes to what the body was
 * trained on. Freezing marks the body's parameters as not requiring gradients and keeps the whole body in eval mode
 * (batch norms use their running statistics and never update them; dropout is off) while the rest of the model trains.
 * @example
 *   const net = new TransferNet(simmerCnn({ inputShape: [1, 28, 28], widths: [32, 64, 128] }), 128, 5);
 *   net.freezeBody();
 *   net.train(); // the head trains; the body's batch norms stay in eval mode
 */
import { ReLU } from '../nn/layers/activation.ts';
import { Sequential } from '../nn/layers/container.ts';
import { Conv2d } from '../nn/layers/conv.ts';
import { Linear } from '../nn/layers/linear.ts';
import { BatchNorm2d } from '../nn/layers/norm.ts';
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
  /** Whether the body is frozen (its parameters get no gradient, it stays in eval mode). */
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

  /** Stops the body learning: no gradients for its parameters, eval mode (batch-norm statistics fixed). */
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

  /** Training mode everywhere, except that a frozen body stays in eval mode. */
  override train(mode = true): this {
    super.train(mode);
    this.#applyFrozenModes();
    return this;
  }

  /** A frozen body is a fixed feature extractor: all of it in eval mode (batch norms of any kind, imported or not). */
  #applyFrozenModes(): void {
    if (this.#frozen) this.body.train(false);
  }
}
