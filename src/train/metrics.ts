/**
 * Classification metrics: accuracy, top-k, per-class precision / recall / F1 and the confusion matrix.
 * @example
 *   const cm = new ConfusionMatrix(10);
 *   cm.update(argmax(logits, 1), labels);
 *   cm.accuracy(); cm.perClass();
 */
import type { Tensor } from '../tensor/tensor.ts';

export interface ClassReport {
  precision: number;
  recall: number;
  f1: number;
  support: number;
}

export class ConfusionMatrix {
  /** counts[actual * numClasses + predicted] */
  readonly counts: Int32Array;

  constructor(readonly numClasses: number) {
    this.counts = new Int32Array(numClasses * numClasses);
  }

  /** Adds predicted class indices against true labels (both int32 [N]). */
  update(predicted: Tensor, actual: Tensor): void {
    if (predicted.size !== actual.size) throw new RangeError(`ConfusionMatrix.update: ${predicted.size} predictions for ${actual.size} labels`);
    const k = this.numClasses;
    for (let i = 0; i < predicted.size; i++) {
      const a = actual.data[i];
      const p = predicted.data[i];
      if (a < 0 || a >= k) continue; // ignored / unlabelled
      this.counts[a * k + p]++;
    }
  }

  get total(): number {
    let t = 0;
    for (const c of this.counts) t += c;
    return t;
  }

  accuracy(): number {
    let correct = 0;
    for (let i = 0; i < this.numClasses; i++) correct += this.counts[i * this.numClasses + i];
    return this.total === 0 ? 0 : correct / this.total;
  }

  perClass(): ClassReport[] {
    const k = this.numClasses;
    const out: ClassReport[] = [];
    for (let c = 0; c < k; c++) {
      let predicted = 0;
      let actual = 0;
      for (let j = 0; j < k; j++) {
        predicted += this.counts[j * k + c];
        actual += this.counts[c * k + j];
      }
      const tp = this.counts[c * k + c];
      const precision = predicted === 0 ? 0 : tp / predicted;
      const recall = actual === 0 ? 0 : tp / actual;
      const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
      out.push({ precision, recall, f1, support: actual });
    }
    return out;
  }

  macroF1(): number {
    const r = this.perClass();
    return r.reduce((a, c) => a + c.f1, 0) / Math.max(1, r.length);
  }

  /** Rows are true classes, columns predictions. */
  toArray(): number[][] {
    const k = this.numClasses;
    return Array.from({ length: k }, (_, a) => Array.from(this.counts.subarray(a * k, (a + 1) * k)));
  }
}

/** Fraction of rows of logits [N, C] whose true label is among the k highest scores. */
export function topKAccuracy(logits: Tensor, labels: Tensor, k: number): number {
  const n = logits.shape[0];
  return n === 0 ? 0 : topKCorrect(logits, labels, k) / n;
}

/** How many rows of logits [N, C] have their true label among the k highest scores (for accumulating over batches). */
export function topKCorrect(logits: Tensor, labels: Tensor, k: number): number {
  const [n, c] = logits.shape;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    const score = logits.data[i * c + labels.data[i]];
    let higher = 0;
    for (let j = 0; j < c; j++) if (logits.data[i * c + j] > score) higher++;
    if (higher < k) hits++;
  }
  return hits;
}

/** A confusion matrix and per-class report as terminal text. */
export function formatConfusion(cm: ConfusionMatrix, classes: string[]): string {
  const k = cm.numClasses;
  const names = classes.length === k ? classes : Array.from({ length: k }, (_, i) => String(i));
  const short = names.map((n) => (n.length > 8 ? `${n.slice(0, 7)}…` : n));
  const cells = cm.toArray();
  const w = Math.max(5, ...short.map((n) => n.length), ...cells.flat().map((v) => String(v).length)) + 2;
  const label = Math.max(...short.map((s) => s.length), 6);
  const lines = [`${'true\\pred'.padEnd(label)} ${short.map((s) => s.padStart(w)).join('')}`];
  cells.forEach((row, i) => lines.push(`${short[i].padEnd(label)} ${row.map((v) => String(v).padStart(w)).join('')}`));
  lines.push('');
  lines.push(`${'class'.padEnd(label)}  precision  recall     f1  support`);
  cm.perClass().forEach((r, i) => {
    lines.push(
      `${short[i].padEnd(label)}  ${r.precision.toFixed(3).padStart(9)}  ${r.recall.toFixed(3).padStart(6)}  ${r.f1.toFixed(3).padStart(5)}  ${String(r.support).padStart(7)}`,
    );
  });
  lines.push(`accuracy ${(cm.accuracy() * 100).toFixed(2)}% over ${cm.total} images; macro F1 ${cm.macroF1().toFixed(3)}`);
  return lines.join('\n');
}
