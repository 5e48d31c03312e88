/**
 * What the dashboard shows about a trained run: its checkpoint opened as a model, evaluated on held-out data, and
 * explained image by image. All of it comes from src/runs (model, evaluation data), src/train and src/explain; this file only
 * caches the results per checkpoint and turns maps into PNG data URLs.
 */
import { transferSummary } from '../runs/transfer.ts';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Dataset } from '../data/dataset.ts';
import { encodePng } from '../data/image-file.ts';
import { featureMaps, firstLayerFilters, gradCam, predictClass, saliency } from '../explain/maps.ts';
import { mostConfidentlyWrong, type Prediction, predictAll } from '../explain/predictions.ts';
import { colorize, overlay, tileChannels } from '../explain/render.ts';
import { summary } from '../nn/summary.ts';
import { Tensor } from '../tensor/tensor.ts';
import { prepareEvalData } from '../runs/data-setup.ts';
import { type OpenedModel, openCheckpointModel } from '../runs/open-model.ts';
import { runPaths } from '../runs/run-store.ts';
import { evaluateClassifier, predictProbabilities } from '../train/classification.ts';
import type { Evaluation } from './api-types.ts';

export type { Evaluation } from './api-types.ts';

interface Opened {
  key: string;
  opened: OpenedModel;
  data: Dataset;
  split: string;
  predictions: Prediction[];
  evaluation: Evaluation;
}

/** Thrown when a run has no checkpoint yet: the client asked too early (409). */
export class NotReadyError extends Error {}

export async function pngDataUrl(image: Float32Array, shape: readonly number[]): Promise<string> {
  return `data:image/png;base64,${(await encodePng(image, shape)).toString('base64')}`;
}

export class RunAnalysis {
  private readonly cache = new Map<string, Promise<Opened>>();

  constructor(private readonly runsRoot: string) {}

  /** The best checkpoint (or the last, before validation has picked a best) and a key that changes when it is rewritten. */
  private checkpoint(id: string): { path: string; key: string } {
    const dir = runPaths(this.runsRoot, id).checkpoints;
    for (const name of ['best.safetensors', 'last.safetensors']) {
      const path = join(dir, name);
      if (existsSync(path)) return { path, key: `${path}:${statSync(path).mtimeMs}` };
    }
    throw new NotReadyError(`run ${id} has no checkpoint yet; it is written at the end of the first epoch`);
  }

  private open(id: string): Promise<Opened> {
    const { path, key } = this.checkpoint(id);
    const cached = this.cache.get(id);
    if (cached) {
      const hit = cached.then((o) => (o.key === key ? o : null));
      return hit.then((o) => o ?? this.load(id, path, key));
    }
    return this.load(id, path, key);
  }

  private load(id: string, path: string, key: string): Promise<Opened> {
    const promise = (async () => {
      const opened = openCheckpointModel(path);
      const { source, split, classes } = await prepareEvalData(opened.recipe, opened.inputShape, { storedSplit: opened.storedSplit });
      try {
        const result = await evaluateClassifier(opened.model, source);
        const predictions = await predictAll(opened.model, source);
        const perClass = result.confusion.perClass().map((r, i) => ({ name: classes[i] ?? String(i), ...r }));
        const evaluation: Evaluation = {
          classes: opened.classes,
          split,
          checkpoint: path.split('/').pop() ?? path,
          accuracy: result.accuracy,
          loss: result.loss,
          count: result.count,
          confusion: result.confusion.toArray(),
          perClass,
          mostConfidentlyWrong: mostConfidentlyWrong(predictions, 16),
        };
        return { key, opened, data: source.dataset, split, predictions, evaluation };
      } finally {
        await source.close();
      }
    })();
    this.cache.set(id, promise);
    promise.catch(() => this.cache.delete(id));
    return promise;
  }

  async evaluation(id: string): Promise<Evaluation> {
    return (await this.open(id)).evaluation;
  }

  /** Predictions whose true class is `actual` and prediction `predicted`, most confident first. */
  async cell(id: string, actual: number, predicted: number): Promise<Prediction[]> {
    const o = await this.open(id);
    return o.predictions.filter((p) => p.label === actual && p.predicted === predicted).sort((a, b) => b.confidence - a.confidence);
  }

  async imageCount(id: string): Promise<number> {
    return (await this.open(id)).data.length;
  }

  /** PNG bytes of evaluation image `index`. */
  async imagePng(id: string, index: number): Promise<Buffer> {
    const o = await this.open(id);
    if (index >= o.data.length) throw new RangeError(`image ${index} is out of range (the evaluation set has ${o.data.length})`);
    const s = await o.data.get(index);
    return encodePng(s.image, s.shape);
  }

  /** Layers with output shapes and parameter counts, and the first layer's filters as images. */
  async architecture(id: string) {
    const { opened } = await this.open(id);
    const s = summary(opened.model, opened.inputShape);
    let filters: { layer: string; shape: number[]; images: string[] } | null = null;
    try {
      const f = firstLayerFilters(opened.model);
      filters = { layer: f.layer, shape: f.shape, images: await Promise.all(f.images.map((im) => pngDataUrl(im.image, im.shape))) };
    } catch {
      // An MLP has no conv filters to show.
    }
    // A fine-tuned model (--from) says which layers were frozen and how fast each learned after (src/runs/transfer.ts).
    const transfer = transferSummary(opened.model, opened.checkpoint.state.config, opened.checkpoint.state.epoch);
    return { model: opened.recipe.model, classes: opened.classes, ...s, filters, transfer };
  }

  /** Everything the model page shows for one evaluation image: prediction, feature maps, saliency and Grad-CAM. */
  async explain(id: string, index: number, classIndex?: number) {
    const o = await this.open(id);
    if (index >= o.data.length) throw new RangeError(`image ${index} is out of range (the evaluation set has ${o.data.length})`);
    if (classIndex !== undefined && classIndex >= o.opened.classes.length)
      throw new RangeError(`class ${classIndex} is out of range (the model has ${o.opened.classes.length} classes)`);
    const sample = await o.data.get(index);
    const x = new Tensor(sample.image, [1, ...sample.shape]);
    const { predicted } = predictClass(o.opened.model, x);
    const probabilities = Array.from(predictProbabilities(o.opened.model, x).f32);
    const target = classIndex ?? predicted;
    const maps = featureMaps(o.opened.model, x);
    const layers = await Promise.all(
      maps.map(async (m) => {
        const [, c, h, w] = m.shape;
        const grid = tileChannels(m.data, c, h, w);
        return { name: m.name, type: m.type, shape: m.shape, grid: await pngDataUrl(grid.image, grid.shape) };
      }),
    );
    const sal = saliency(o.opened.model, x, target);
    const salMax = Math.max(...sal.map.data, 1e-12);
    const salUnit = { ...sal.map, data: sal.map.data.map((v) => v / salMax) };
    let cam: { layer: string; heat: string; overlay: string } | null = null;
    if (maps.length > 0) {
      const g = gradCam(o.opened.model, x, { classIndex: target });
      cam = {
        layer: g.layer,
        heat: await pngDataUrl(colorize(g.map).image, [3, g.map.height, g.map.width]),
        overlay: await pngDataUrl(overlay(sample.image, sample.shape, g.map).image, [3, g.map.height, g.map.width]),
      };
    }
    return {
      index,
      label: sample.label,
      predicted,
      target,
      classes: o.opened.classes,
      probabilities,
      image: await pngDataUrl(sample.image, sample.shape),
      featureMaps: layers,
      saliency: {
        heat: await pngDataUrl(colorize(salUnit).image, [3, salUnit.height, salUnit.width]),
        overlay: await pngDataUrl(overlay(sample.image, sample.shape, salUnit).image, [3, salUnit.height, salUnit.width]),
      },
      gradCam: cam,
    };
  }
}
