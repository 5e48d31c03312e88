/**
 * What a convolutional model computes for one image: the feature maps of every conv layer, a vanilla saliency map,
 * Grad-CAM, and the first layer's filters as small images. Every function takes a Module and an image tensor
 * [1, C, H, W] (or [C, H, W]) and returns plain arrays, ready to draw.
 * @example
 *   const cam = gradCam(model, x);            // heat over the input for the predicted class
 *   const maps = featureMaps(model, x);       // one entry per Conv2d layer
 */
import { grad } from '../autograd/backward.ts';
import { noGrad } from '../autograd/grad-mode.ts';
import { Conv2d } from '../nn/layers/conv.ts';
import type { Module } from '../nn/module.ts';
import { Tensor } from '../tensor/tensor.ts';
import { inEvalMode, type ModuleCall, recordOutputs, withFrozenParameters } from './hooks.ts';

/** A single-channel map [height, width] in row-major order. */
export interface Map2d {
  data: Float32Array;
  height: number;
  width: number;
}

export interface LayerMaps {
  /** Dotted module name, e.g. '3' or 'layer1.conv2'. */
  name: string;
  type: string;
  /** Output shape [1, channels, height, width]. */
  shape: number[];
  /** channels × height × width activations of the image. */
  data: Float32Array;
}

function asBatch(x: Tensor): Tensor {
  if (x.rank === 3) return new Tensor(x.f32, [1, ...x.shape]);
  if (x.rank !== 4 || x.shape[0] !== 1) throw new RangeError(`explain: expected one image [1, C, H, W] or [C, H, W], got [${x.shape.join(', ')}]`);
  return x;
}

function containsConv(m: Module): boolean {
  return m.namedModules().some(([, c]) => c instanceof Conv2d);
}

/**
 * The output of every Conv2d layer for one image, in the order the layers ran.
 * @example featureMaps(model, x).map((l) => `${l.name}: ${l.shape.join('x')}`);
 */
export function featureMaps(model: Module, x: Tensor): LayerMaps[] {
  const input = asBatch(x);
  const { calls } = inEvalMode(model, () =>
    recordOutputs(
      model,
      (_n, m) => m instanceof Conv2d,
      () => noGrad(() => model.forward(input)),
    ),
  );
  return calls
    .sort((a, b) => a.finished - b.finished)
    .map((c) => ({ name: c.name, type: c.module.constructor.name, shape: [...c.output.shape], data: Float32Array.from(c.output.f32) }));
}

/** The model's scores (logits) for one image, and the predicted class. */
export function predictClass(model: Module, x: Tensor): { scores: number[]; predicted: number } {
  const out = inEvalMode(model, () => noGrad(() => model.forward(asBatch(x))));
  const scores = Array.from(out.f32);
  let predicted = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > scores[predicted]) predicted = i;
  return { scores, predicted };
}

function oneHot(classes: number, index: number): Tensor {
  if (!Number.isInteger(index) || index < 0 || index >= classes) throw new RangeError(`explain: class ${index} is out of range for ${classes} classes`);
  const g = new Float32Array(classes);
  g[index] = 1;
  return new Tensor(g, [1, classes]);
}

/**
 * Vanilla saliency (Simonyan et al. 2013): |∂score_c / ∂input|, the maximum over colour channels, for the class c
 * (default: the predicted one). Bright pixels are the ones whose change would move the score most.
 * @example const { map, classIndex } = saliency(model, x);
 */
export function saliency(model: Module, x: Tensor, classIndex?: number): { map: Map2d; classIndex: number } {
  const input = new Tensor(Float32Array.from(asBatch(x).f32), asBatch(x).shape).requiresGrad_();
  const [, c, h, w] = input.shape;
  const cls = classIndex ?? predictClass(model, x).predicted;
  const g = inEvalMode(model, () =>
    withFrozenParameters(model, () => {
      const out = model.forward(input);
      return grad(out, [input], oneHot(out.shape[1], cls))[0].f32;
    }),
  );
  const map = new Float32Array(h * w);
  for (let ch = 0; ch < c; ch++) for (let i = 0; i < h * w; i++) map[i] = Math.max(map[i], Math.abs(g[ch * h * w + i]));
  return { map: { data: map, height: h, width: w }, classIndex: cls };
}

/** The module Grad-CAM looks at by default: of the modules that contain a conv and output a spatial map, the last to finish. */
function defaultCamLayer(calls: ModuleCall[]): ModuleCall | undefined {
  const spatial = calls.filter((c) => c.output.rank === 4 && c.output.shape[2] * c.output.shape[3] > 1 && containsConv(c.module) && c.name !== '');
  return spatial.sort((a, b) => a.finished - b.finished)[spatial.length - 1];
}

export interface GradCamResult {
  /** Heat at the input's resolution, scaled to [0, 1] (all zeros when nothing speaks for the class). */
  map: Map2d;
  /** Heat at the layer's own resolution, before upsampling and scaling: ReLU(Σ_k α_k A_k). */
  raw: Map2d;
  /** α_k: the mean gradient of the score over each channel's map. */
  weights: number[];
  layer: string;
  classIndex: number;
}

/**
 * Grad-CAM (Selvaraju et al. 2017): weights each channel A_k of the last conv layer by α_k = mean over (i, j) of
 * ∂score_c/∂A_k(i, j), sums, keeps the positive part and stretches it over the input — where the model looked to
 * say "class c".
 * @example const cam = gradCam(model, x, { classIndex: 2 }); // cam.map is [H, W] in [0, 1]
 */
export function gradCam(model: Module, x: Tensor, options: { classIndex?: number; layer?: string } = {}): GradCamResult {
  const input = asBatch(x);
  const [, , inH, inW] = input.shape;
  const cls = options.classIndex ?? predictClass(model, x).predicted;
  const watch = (name: string, m: Module) => (options.layer !== undefined ? name === options.layer : name !== '' && containsConv(m));
  return inEvalMode(model, () =>
    withFrozenParameters(model, () => {
      // The input must require grad for the graph to be recorded at all; its gradient is not used.
      const leaf = new Tensor(Float32Array.from(input.f32), input.shape).requiresGrad_();
      const { result: out, calls } = recordOutputs(model, watch, () => model.forward(leaf));
      const chosen = options.layer !== undefined ? calls[calls.length - 1] : defaultCamLayer(calls);
      if (!chosen)
        throw new Error(
          `gradCam: ${options.layer !== undefined ? `no layer named '${options.layer}' ran` : 'the model has no conv layer with a spatial output'}`,
        );
      const a = chosen.output;
      if (a.rank !== 4) throw new RangeError(`gradCam: layer '${chosen.name}' outputs [${a.shape.join(', ')}], not a [1, C, H, W] map`);
      const [, k, h, w] = a.shape;
      const g = grad(out, [a], oneHot(out.shape[1], cls))[0].f32;
      const act = a.f32;
      const weights: number[] = [];
      const raw = new Float32Array(h * w);
      for (let ch = 0; ch < k; ch++) {
        let sum = 0;
        for (let i = 0; i < h * w; i++) sum += g[ch * h * w + i];
        const alpha = sum / (h * w);
        weights.push(alpha);
        for (let i = 0; i < h * w; i++) raw[i] += alpha * act[ch * h * w + i];
      }
      for (let i = 0; i < raw.length; i++) raw[i] = Math.max(0, raw[i]);
      const up = h === inH && w === inW ? Float32Array.from(raw) : resizeBilinear(raw, h, w, inH, inW);
      return { map: { data: scaleToUnit(up), height: inH, width: inW }, raw: { data: raw, height: h, width: w }, weights, layer: chosen.name, classIndex: cls };
    }),
  );
}

/** Bilinear resize of a [h, w] map with half-pixel centres (PyTorch's align_corners=False). */
export function resizeBilinear(src: Float32Array, h: number, w: number, outH: number, outW: number): Float32Array {
  const out = new Float32Array(outH * outW);
  for (let y = 0; y < outH; y++) {
    const sy = Math.min(h - 1, Math.max(0, ((y + 0.5) * h) / outH - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(h - 1, y0 + 1);
    const fy = sy - y0;
    for (let x = 0; x < outW; x++) {
      const sx = Math.min(w - 1, Math.max(0, ((x + 0.5) * w) / outW - 0.5));
      const x0 = Math.floor(sx);
      const x1 = Math.min(w - 1, x0 + 1);
      const fx = sx - x0;
      const top = src[y0 * w + x0] * (1 - fx) + src[y0 * w + x1] * fx;
      const bottom = src[y1 * w + x0] * (1 - fx) + src[y1 * w + x1] * fx;
      out[y * outW + x] = top * (1 - fy) + bottom * fy;
    }
  }
  return out;
}

/** Divides by the maximum so the largest value is 1 (an all-zero map stays zero). */
export function scaleToUnit(values: Float32Array): Float32Array {
  let max = 0;
  for (const v of values) if (v > max) max = v;
  return max > 0 ? values.map((v) => v / max) : values;
}

export interface FilterImages {
  layer: string;
  /** [out, in, kH, kW] of the weight. */
  shape: number[];
  /** One CHW image per filter (3 channels when the layer reads RGB, else 1: its first input channel), each min–max scaled to [0, 1]. */
  images: { image: Float32Array; shape: [number, number, number] }[];
}

/**
 * The first conv layer's filters as images: what patterns the first layer responds to (edges, colour blobs).
 * @example firstLayerFilters(model).images.length; // 32 for cnn-small
 */
export function firstLayerFilters(model: Module): FilterImages {
  const first = model.namedModules().find(([, m]) => m instanceof Conv2d) as [string, Conv2d] | undefined;
  if (!first) throw new Error('firstLayerFilters: the model has no Conv2d layer');
  const [name, conv] = first;
  const [out, inC, kh, kw] = conv.weight.shape;
  const channels = inC === 3 ? 3 : 1;
  const w = conv.weight.f32;
  const images: FilterImages['images'] = [];
  for (let o = 0; o < out; o++) {
    const img = Float32Array.from(w.subarray(o * inC * kh * kw, o * inC * kh * kw + channels * kh * kw));
    let lo = Number.POSITIVE_INFINITY;
    let hi = Number.NEGATIVE_INFINITY;
    for (const v of img) {
      lo = Math.min(lo, v);
      hi = Math.max(hi, v);
    }
    const span = hi - lo;
    for (let i = 0; i < img.length; i++) img[i] = span > 0 ? (img[i] - lo) / span : 0.5;
    images.push({ image: img, shape: [channels, kh, kw] });
  }
  return { layer: name, shape: [...conv.weight.shape], images };
}
