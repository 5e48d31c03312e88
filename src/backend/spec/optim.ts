/** Fused optimizer updates (in place on param and state). The interface is the Backend's contract for this family; OPTIM_KERNELS is its spec (see ./kernel.ts). */
import type { F32 } from '../backend.ts';
import { bool, f32, float, kernel, type KernelSpec } from './kernel.ts';

export interface OptimKernels {
  /** PyTorch SGD: g += wd·p; buf = momentum·buf + (1−dampening)·g (buf = g on the first step); p −= lr·(nesterov ? g + momentum·buf : buf). */
  sgdStep(
    param: F32,
    grad: F32,
    momentumBuffer: F32 | null,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: boolean,
    firstStep: boolean,
  ): void;
  /** Adam (decoupled = false, L2 weight decay added to g) or AdamW (decoupled = true, p −= lr·wd·p). step counts from 1. */
  adamStep(
    param: F32,
    grad: F32,
    m: F32,
    v: F32,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    decoupled: boolean,
    step: number,
  ): void;
  /** RMSprop as torch.optim.RMSprop; gradAvg (centered) and momentumBuffer (momentum > 0) are null when unused. */
  rmspropStep(
    param: F32,
    grad: F32,
    squareAvg: F32,
    gradAvg: F32 | null,
    momentumBuffer: F32 | null,
    lr: number,
    alpha: number,
    eps: number,
    weightDecay: number,
    momentum: number,
  ): void;
  /** out[0] = Σ x[i]² (gradient-norm clipping), summed in a fixed order. */
  sumOfSquares(x: F32, out: F32): void;
}

export const OPTIM_KERNELS: readonly KernelSpec[] = [
  kernel('sgdStep', 'optim', 'SGD with momentum, dampening, Nesterov and weight decay', [
    f32('param'),
    f32('grad', 'param.length'),
    f32('momentumBuffer', 'param.length', true),
    float('lr'),
    float('momentum'),
    float('dampening'),
    float('weightDecay'),
    bool('nesterov'),
    bool('firstStep'),
  ]),
  kernel('adamStep', 'optim', 'Adam / AdamW', [
    f32('param'),
    f32('grad', 'param.length'),
    f32('m', 'param.length'),
    f32('v', 'param.length'),
    float('lr'),
    float('beta1'),
    float('beta2'),
    float('eps'),
    float('weightDecay'),
    bool('decoupled'),
    float('step'),
  ]),
  kernel('rmspropStep', 'optim', 'RMSprop (centered, momentum, weight decay)', [
    f32('param'),
    f32('grad', 'param.length'),
    f32('squareAvg', 'param.length'),
    f32('gradAvg', 'param.length', true),
    f32('momentumBuffer', 'param.length', true),
    float('lr'),
    float('alpha'),
    float('eps'),
    float('weightDecay'),
    float('momentum'),
  ]),
  kernel('sumOfSquares', 'optim', 'Σ x² (gradient-norm clipping)', [f32('x'), f32('out', '1')]),
];
