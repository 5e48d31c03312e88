/**
 * The quality scores during training (off by default; the recipe's qualityPerClass turns it on): after every epoch a
 * generative model draws a small sample — `perClass` images of each class, the same seed every epoch — and the
 * reference classifier scores it with scoreGenerator: intended-label accuracy (conditional models), FD-clf against
 * as many real test images, its floor (real train vs real test at that size) and the class-histogram entropy. They go
 * into the epoch report as validation metrics (valMetrics.intendedAccuracy, valIntendedAccuracy, …), so the progress
 * line, metrics.jsonl and the dashboard show them like any other metric. FD-clf from a few hundred images is biased
 * upwards against the 1,000-image figure of `simmer eval`; compare it across epochs and with its own floor.
 * @example
 *   new QualityCallback({ perClass: 20, load: () => loadQualityJudge({ dataset: 'fashion-mnist', cacheDir: 'runs/.reference' }, 200) });
 */
import { generateImages, type GenerativeModule, type SampleOptions } from '../models/generative.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { flattenMetrics } from '../train/trainer.ts';
import type { Callback, EpochReport, TrainerView } from '../train/types.ts';
import { loadImages, referenceClassifier, type ReferenceClassifier, type ReferenceOptions } from './reference.ts';
import { scoreGenerator } from './scores.ts';

/** What the scores are measured against: the reference classifier and real images (at least numClasses·perClass of each split). */
export interface QualityJudge {
  reference: ReferenceClassifier;
  classes: string[];
  realTrain: Tensor;
  realTest: Tensor;
}

export interface QualityCallbackOptions {
  /** Images generated per class each epoch. */
  perClass: number;
  /** Loaded once, when training starts (the reference is trained then if it is not cached yet). */
  load: () => Promise<QualityJudge>;
  /** Seed of the sample (the same images' noise every epoch). */
  seed?: number;
  /** Sampler settings for sequential models (e.g. few DDIM steps, to keep it cheap). */
  sample?: Partial<Omit<SampleOptions, 'n' | 'labels' | 'seed'>>;
  /** Samples with other weights in place (a diffusion model's EMA), restoring them after. */
  withWeights?: <T>(model: GenerativeModule, fn: () => T) => T;
}

/** The reference classifier of a dataset and `count` real images of each split, for QualityCallback. */
export async function loadQualityJudge(o: ReferenceOptions, count: number): Promise<QualityJudge> {
  const ref = await referenceClassifier(o);
  const realTrain = (await loadImages(o.dataset, 'train', count, o.data)).images;
  const realTest = (await loadImages(o.dataset, 'test', count, o.data)).images;
  return { reference: ref.model, classes: ref.classes, realTrain, realTest };
}

export class QualityCallback implements Callback {
  private judge: QualityJudge | null = null;

  constructor(private readonly options: QualityCallbackOptions) {
    if (!(Number.isInteger(options.perClass) && options.perClass >= 1))
      throw new RangeError(`QualityCallback: perClass must be an integer ≥ 1, got ${options.perClass}`);
  }

  async onFitStart(): Promise<void> {
    this.judge ??= await this.options.load();
  }

  async onEpochEnd(trainer: TrainerView, report: EpochReport): Promise<void> {
    this.judge ??= await this.options.load();
    const judge = this.judge;
    const model = trainer.model as GenerativeModule;
    if (judge.classes.length !== model.numClasses)
      throw new RangeError(`quality scores: the reference classifier has ${judge.classes.length} classes, the model ${model.numClasses}`);
    const scores = scoreGenerator({
      sampler: (labels, seed) => {
        const draw = () => generateImages(model, { ...this.options.sample, n: labels.length, labels, seed });
        return this.options.withWeights ? this.options.withWeights(model, draw) : draw();
      },
      conditional: model.conditional,
      reference: judge.reference,
      numClasses: model.numClasses,
      realTrain: judge.realTrain,
      realTest: judge.realTest,
      perClass: this.options.perClass,
      neighbourSamples: 0,
      seed: this.options.seed ?? 4321,
    });
    const metrics: Record<string, number> = { fdClf: scores.fd, fdClfFloor: scores.fdFloor, classEntropy: scores.entropy };
    if (scores.intendedAccuracy !== null) metrics.intendedAccuracy = scores.intendedAccuracy;
    report.valMetrics = { ...report.valMetrics, ...metrics };
    Object.assign(report, flattenMetrics('val', metrics));
  }
}
