/**
 * Fused softmax cross-entropy over rows × c logits with int32 class targets. The interface is the Backend's contract
 * for this family; LOSS_KERNELS is its spec (see ./kernel.ts). Reference: js/loss.ts; native: native/kernels/loss.cc.
 */
import type { F32 } from '../backend.ts';
import { bool, f32, float, i32, int, kernel, type KernelSpec } from './kernel.ts';

export interface LossKernels {
  /**
   * logp = log_softmax of each row (logSoftmax; otherwise the rows are log-probabilities already, as for nllLoss); loss[i] = −(1−ε)·w_y·logp[i][y] − (ε/C)·Σ_j w_j·logp[i][j] and rowWeight[i] = w_y
   * (w = 1 when weight is null; a row whose target is ignoreIndex gives 0 and 0). status[0] = the first row whose target
   * is neither a class index nor ignoreIndex (nothing else is written then), or −1.
   */
  crossEntropyForward(
    logits: F32,
    target: Int32Array,
    weight: F32 | null,
    rows: number,
    c: number,
    ignoreIndex: number,
    labelSmoothing: number,
    logSoftmax: boolean,
    logp: F32,
    loss: F32,
    rowWeight: F32,
    status: Int32Array,
  ): void;
  /**
   * gx = ∂L/∂logits (overwritten) with ∂L/∂loss[i] = gScale·gLoss[perRow ? i : 0]:
   * gx[i][j] = s_i·((1−ε)·w_y·(p_j − δ_jy) + (ε/C)·(W·p_j − w_j)), p = exp(logp), W = Σ w, through the log-softmax;
   * gx[i][j] = −s_i·((1−ε)·w_y·δ_jy + (ε/C)·w_j) without it. Ignored rows get 0.
   */
  crossEntropyBackward(
    logp: F32,
    target: Int32Array,
    weight: F32 | null,
    rows: number,
    c: number,
    ignoreIndex: number,
    labelSmoothing: number,
    logSoftmax: boolean,
    gLoss: F32,
    perRow: boolean,
    gScale: number,
    gx: F32,
  ): void;
}

export const LOSS_KERNELS: readonly KernelSpec[] = [
  kernel('crossEntropyForward', 'loss', 'log-softmax, per-row loss and target weight (label smoothing, class weights, ignoreIndex)', [
    f32('logits', 'rows * c'),
    i32('target', 'rows'),
    f32('weight', 'c', true),
    int('rows'),
    int('c'),
    int('ignoreIndex'),
    float('labelSmoothing'),
    bool('logSoftmax'),
    f32('logp', 'rows * c'),
    f32('loss', 'rows'),
    f32('rowWeight', 'rows'),
    i32('status', '1'),
  ]),
  kernel('crossEntropyBackward', 'loss', 'gradient of the cross-entropy with respect to the logits', [
    f32('logp', 'rows * c'),
    i32('target', 'rows'),
    f32('weight', 'c', true),
    int('rows'),
    int('c'),
    int('ignoreIndex'),
    float('labelSmoothing'),
    bool('logSoftmax'),
    f32('gLoss', 'perRow ? rows : 1'),
    bool('perRow'),
    float('gScale'),
    f32('gx', 'rows * c'),
  ]),
];
