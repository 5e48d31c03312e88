/**
 * ClassificationTask: the Task of a classifier (logits [N, C] against int32 labels [N]) — cross-entropy by default,
 * accuracy per step, and an evaluation with loss, accuracy, top-k and a confusion matrix. The Trainer uses it when it
 * is given no task. Also the two classifier helpers the CLI and server call directly.
 * @example
 *   const trainer = new Trainer({ model, optimizer, task: new ClassificationTask({ topK: 3 }) });
 */
import { noGrad } from '../autograd/grad-mode.ts';
import type { Module } from '../nn/module.ts';
import { crossEntropy } from '../ops/loss.ts';
import { argmax, softmax } from '../ops/reduce.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { ConfusionMatrix, topKCorrect } from './metrics.ts';
import type { EvalReport, StepResult, Task, TaskSource } from './task.ts';
import type { Batch } from './types.ts';

export type LossFn = (output: Tensor, target: Tensor) => Tensor;

export interface ClassificationOptions {
  /** Defaults to cross-entropy on logits and int32 labels. */
  loss?: LossFn;
  /** k of the top-k accuracy (default 5, or fewer when there are fewer classes). */
  topK?: number;
}

/** What evaluating a classifier gives: the generic report plus accuracy, top-k and the confusion matrix. */
export interface ClassificationReport extends EvalReport {
  accuracy: number;
  topK: number;
  k: number;
  confusion: ConfusionMatrix;
}

const defaultLoss: LossFn = (out, y) => crossEntropy(out, y);

export class ClassificationTask implements Task<Batch, ClassificationReport> {
  readonly name = 'classification';
  readonly loss: LossFn;
  readonly topK: number | undefined;

  constructor(options: ClassificationOptions = {}) {
    this.loss = options.loss ?? defaultLoss;
    this.topK = options.topK;
  }

  step(model: Module, batch: Batch): StepResult {
    const out = model.forward(batch.x);
    const loss = this.loss(out, batch.y);
    const n = batch.x.shape[0];
    if (out.rank !== 2 || batch.y.dtype !== 'int32') return { loss, count: n };
    const pred = argmax(out.detach(), 1);
    let correct = 0;
    for (let i = 0; i < pred.size; i++) if (pred.data[i] === batch.y.data[i]) correct++;
    return { loss, metrics: { accuracy: correct / Math.max(1, n) }, count: n };
  }

  evaluate(model: Module, source: TaskSource<Batch>): Promise<ClassificationReport> {
    return evaluateClassifier(model, source, { loss: this.loss, topK: this.topK });
  }
}

/** Loss, accuracy, top-k and a confusion matrix of a model over a data source, in eval mode without a graph. */
export async function evaluateClassifier(model: Module, source: TaskSource<Batch>, options: ClassificationOptions = {}): Promise<ClassificationReport> {
  const lossFn = options.loss ?? defaultLoss;
  const wasTraining = model.training;
  model.eval();
  let loss = 0;
  let count = 0;
  let topK = 0;
  let confusion: ConfusionMatrix | null = null;
  let k = options.topK ?? 5;
  try {
    for await (const batch of source.epoch(0)) {
      noGrad(() => {
        const out = model.forward(batch.x);
        const n = batch.x.shape[0];
        loss += lossFn(out, batch.y).item() * n;
        count += n;
        const classes = out.shape[1];
        k = Math.min(k, classes);
        confusion ??= new ConfusionMatrix(classes);
        confusion.update(argmax(out, 1), batch.y);
        topK += topKCorrect(out, batch.y, k);
      });
    }
  } finally {
    model.train(wasTraining);
  }
  const cm = confusion ?? new ConfusionMatrix(0);
  const meanLoss = loss / Math.max(1, count);
  const accuracy = cm.accuracy();
  const topKAcc = topK / Math.max(1, count);
  return { loss: meanLoss, accuracy, topK: topKAcc, k, confusion: cm, count, metrics: { accuracy, topK: topKAcc } };
}

/** Class probabilities [N, classes] for a batch of images, in eval mode without a graph. */
export function predictProbabilities(model: Module, x: Tensor): Tensor {
  const wasTraining = model.training;
  model.eval();
  try {
    return noGrad(() => softmax(model.forward(x), 1));
  } finally {
    model.train(wasTraining);
  }
}
