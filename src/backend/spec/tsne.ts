/**
 * Exact t-SNE (src/unsupervised/tsne.ts), the two O(n²) steps: the input affinities (a binary search per row for the
 * Gaussian precision that gives the wanted perplexity, as scikit-learn's _binary_search_perplexity) and the gradient
 * of KL(P ‖ Q) under the Student-t kernel of the embedding. Reference: js/tsne.ts; native: native/kernels/tsne.cc.
 */
import type { F32 } from '../backend.ts';
import { bool, f32, float, int, kernel, type KernelSpec } from './kernel.ts';

export interface TsneKernels {
  /**
   * Row i of p (n×n) = the conditional p_{j|i} = exp(−β_i d2[i,j]) / Σ_{k≠i} exp(−β_i d2[i,k]), p[i,i] = 0, with β_i
   * found by bisection (start 1, at most 100 steps, stop when |H − ln perplexity| ≤ 1e-5, H in nats) so the row's
   * entropy is ln(perplexity). d2 holds squared distances (its diagonal is ignored). Sums in float64.
   */
  tsneAffinities(d2: F32, n: number, perplexity: number, p: F32): void;
  /**
   * grad (n×dims) = ∂KL(P ‖ Q)/∂y = 4 Σ_j (p_ij − q_ij) w_ij (y_i − y_j), with w_ij = 1 / (1 + ‖y_i − y_j‖²) and
   * q_ij = w_ij / Σ_{k≠l} w_kl; p is the joint n×n matrix (symmetric, zero diagonal, any scale: early exaggeration is
   * p times a factor). When withLoss, loss[0] = Σ_{i≠j} p_ij ln(max(p_ij, 1e-12) / max(q_ij, 1e-12)). Per-row sums in
   * float64, added in row order, so threading does not change the result.
   */
  tsneGradient(p: F32, y: F32, n: number, dims: number, grad: F32, withLoss: boolean, loss: F32): void;
}

export const TSNE_KERNELS: readonly KernelSpec[] = [
  kernel(
    'tsneAffinities',
    'tsne',
    't-SNE conditional affinities at a given perplexity (bisection per row)',
    [f32('d2', 'n * n'), int('n'), float('perplexity'), f32('p', 'n * n')],
    { checks: [['perplexity > 0 && perplexity < n', 'tsneAffinities: the perplexity must be in (0, n)']] },
  ),
  kernel(
    'tsneGradient',
    'tsne',
    'gradient (and optionally the value) of the t-SNE objective KL(P ‖ Q), Student-t kernel',
    [f32('p', 'n * n'), f32('y', 'n * dims'), int('n'), int('dims'), f32('grad', 'n * dims'), bool('withLoss'), f32('loss', '1')],
    { checks: [['dims >= 1', 'tsneGradient: dims must be at least 1']] },
  ),
];
