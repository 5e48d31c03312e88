/**
 * What the Simmer-side workloads share: the W2/W3 models and optimizers built exactly as shared/WORKLOADS.md says,
 * one training step, accuracy on the test set, and the "budget" rule every job follows — run up to maxSteps, but stop
 * after budgetS seconds once minSteps are done, and say so (the figure is then extrapolated from fewer steps).
 */
import { backward } from '../../src/autograd/backward.ts';
import { noGrad } from '../../src/autograd/grad-mode.ts';
import type { Batch, TransformSpec } from '../../src/data/index.ts';
import { DataLoader, loadDataset } from '../../src/data/index.ts';
import { buildClassifier } from '../../src/models/classifiers.ts';
import type { Module } from '../../src/nn/module.ts';
import { crossEntropy } from '../../src/ops/loss.ts';
import { Adam, type Optimizer, SGD } from '../../src/optim/index.ts';
import { manualSeed } from '../../src/tensor/random.ts';

export type Model = 'mlp' | 'cnn-small';

/** W2: MLP with SGD lr 0.1 momentum 0.9; W3: cnn-small with Adam lr 1e-3. Weights are initialised as PyTorch does. */
export function buildRecipe(model: Model, seed: number): { model: Module; optimizer: Optimizer<{ lr: number }> } {
  manualSeed(seed);
  const m = buildClassifier(model, { inputShape: [1, 28, 28], numClasses: 10 });
  m.train();
  const optimizer = model === 'mlp' ? new SGD(m.parameters(), { lr: 0.1, momentum: 0.9 }) : new Adam(m.parameters(), { lr: 1e-3 });
  return { model: m, optimizer };
}

/** forward → softmax cross-entropy → backward → optimizer step. */
export function trainStep(model: Module, optimizer: Optimizer<{ lr: number }>, batch: Pick<Batch, 'x' | 'y'>): void {
  optimizer.zeroGrad();
  const loss = crossEntropy(model.forward(batch.x), batch.y);
  backward(loss);
  optimizer.step();
}

export async function trainLoader(batch: number, seed: number, augment?: string, workers = 0): Promise<DataLoader> {
  const ds = await loadDataset('fashion-mnist', { split: 'train' });
  return new DataLoader(ds, { batchSize: batch, shuffle: true, seed, transform: augment as TransformSpec | undefined, workers });
}

export async function testLoader(batch: number): Promise<DataLoader> {
  const ds = await loadDataset('fashion-mnist', { split: 'test' });
  return new DataLoader(ds, { batchSize: batch, shuffle: false });
}

/** Test accuracy in inference mode (no graph). */
export async function accuracy(model: Module, loader: DataLoader): Promise<number> {
  model.eval();
  let correct = 0;
  let count = 0;
  for await (const b of loader.epoch(0)) {
    noGrad(() => {
      const logits = model.forward(b.x).f32;
      const labels = b.y.data;
      const n = b.x.shape[0];
      const classes = logits.length / n;
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let c = 1; c < classes; c++) if (logits[i * classes + c] > logits[i * classes + best]) best = c;
        if (best === labels[i]) correct++;
      }
      count += n;
    });
  }
  model.train();
  return correct / count;
}

/** Batches from consecutive epochs, endlessly (a segment may straddle an epoch boundary). */
export async function* endless(loader: DataLoader): AsyncGenerator<Batch> {
  for (let e = 0; ; e++) yield* loader.epoch(e);
}

export function seconds(t0: number): number {
  return (performance.now() - t0) / 1000;
}

/** True while a budgeted loop should continue. */
export function keepGoing(done: number, t0: number, o: { minSteps: number; maxSteps: number; budgetS: number }): boolean {
  if (done >= o.maxSteps) return false;
  return done < o.minSteps || seconds(t0) < o.budgetS;
}
