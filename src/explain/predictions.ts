/**
 * Per-image predictions over held-out data, and the views built from them: which images fell in a confusion-matrix
 * cell, and the most confidently wrong ones — the images a model is sure about and still gets wrong are where label
 * noise and real blind spots show up first.
 * @example
 *   const preds = await predictAll(model, loader);
 *   mostConfidentlyWrong(preds, 12);
 */
import { noGrad } from '../autograd/grad-mode.ts';
import type { Module } from '../nn/module.ts';
import { softmax } from '../ops/reduce.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { inEvalMode } from './hooks.ts';

export interface Prediction {
  /** Index of the image in its dataset. */
  index: number;
  label: number;
  predicted: number;
  /** Probability the model gave its prediction. */
  confidence: number;
  /** Probability the model gave the true class. */
  trueProbability: number;
}

/** Batches that carry the dataset index of every image (the data layer's DataLoader does). */
export interface IndexedBatches {
  epoch(epoch: number): AsyncIterable<{ x: Tensor; y: Tensor; indices?: number[] }>;
}

/** Runs the model over every batch (eval mode, no graph) and returns one prediction per labelled image. */
export async function predictAll(model: Module, source: IndexedBatches): Promise<Prediction[]> {
  const out: Prediction[] = [];
  let seen = 0;
  for await (const batch of source.epoch(0)) {
    const probs = inEvalMode(model, () => noGrad(() => softmax(model.forward(batch.x), 1)));
    const [n, k] = probs.shape;
    const p = probs.f32;
    for (let i = 0; i < n; i++) {
      const label = batch.y.data[i];
      const index = batch.indices?.[i] ?? seen + i;
      if (label < 0) continue;
      let best = 0;
      for (let c = 1; c < k; c++) if (p[i * k + c] > p[i * k + best]) best = c;
      out.push({ index, label, predicted: best, confidence: p[i * k + best], trueProbability: p[i * k + label] });
    }
    seen += n;
  }
  return out;
}

/** The k wrong predictions with the highest confidence, most confident first. */
export function mostConfidentlyWrong(predictions: readonly Prediction[], k: number): Prediction[] {
  return predictions
    .filter((p) => p.predicted !== p.label)
    .sort((a, b) => b.confidence - a.confidence || a.index - b.index)
    .slice(0, k);
}

/** The predictions in one confusion-matrix cell (true class `actual`, predicted `predicted`), most confident first. */
export function confusionCell(predictions: readonly Prediction[], actual: number, predicted: number): Prediction[] {
  return predictions.filter((p) => p.label === actual && p.predicted === predicted).sort((a, b) => b.confidence - a.confidence || a.index - b.index);
}
