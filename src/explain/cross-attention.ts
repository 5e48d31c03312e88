/**
 * Which words went where: the cross-attention maps of a text-to-image model (Prompt-to-Prompt's "cross-attention
 * maps", Hertz et al. 2022). While one image is sampled, every U-Net cross-attention layer's attention probabilities
 * softmax(q·kᵀ/√d) — at each feature-map location a distribution over the prompt's tokens — are recomputed from the
 * layer's inputs, averaged over heads, upsampled (bilinear) to the image size and averaged over layers and over the
 * chosen sampling steps. Only the prompt's branch of classifier-free guidance is read (the first half of the batch).
 * @example
 *   const r = crossAttentionMaps(model, 'a red circle above a blue square', { seed: 1, steps: 25 });
 *   r.tokens;                 // ['<start>', 'a', 'red', 'circle', 'above', 'a', 'blue', 'square']
 *   r.mean;                   // [tokens, H, W]: at each pixel the shares sum to 1 over the tokens
 *   r.steps[0].timestep;      // the first recorded step's diffusion timestep
 */
import { noGrad } from '../autograd/grad-mode.ts';
import type { Text2ImgModel } from '../models/text2img.ts';
import { SpatialCrossAttention } from '../models/unet.ts';
import type { HookHandle } from '../nn/module.ts';
import { add, mul } from '../ops/elementwise.ts';
import { matmul } from '../ops/matmul.ts';
import { mean, softmax } from '../ops/reduce.ts';
import { permute, reshape, slice, transpose } from '../ops/shape.ts';
import { Tensor } from '../tensor/tensor.ts';
import type { LabelledTile } from '../data/preview.ts';
import { resizeBilinear, scaleToUnit } from './maps.ts';
import { colorize } from './render.ts';

/**
 * The attention probabilities of a SpatialCrossAttention for its inputs: [N, heads, H·W, T]; padding tokens get 0
 * and every location's row sums to 1. Recomputed with ops (the fused attention kernel does not keep them).
 */
export function crossAttentionProbabilities(block: SpatialCrossAttention, x: Tensor, tokens: Tensor, paddingMask?: Tensor): Tensor {
  const [n, c, h, w] = x.shape;
  const attn = block.attn;
  const heads = attn.numHeads;
  const d = attn.headDim;
  const t = tokens.shape[1];
  return noGrad(() => {
    const q = transpose(reshape(block.norm.forward(x), [n, c, h * w]), 1, 2); // [N, HW, C]
    const split = (y: Tensor, len: number) => permute(reshape(y, [n, len, heads, d]), [0, 2, 1, 3]);
    const qh = split(attn.qProj.forward(q), h * w);
    const kh = split(attn.kProj.forward(tokens), t);
    let scores = mul(matmul(qh, transpose(kh, 2, 3)), 1 / Math.sqrt(d)); // [N, heads, HW, T]
    if (paddingMask) {
      const pad = paddingMask.data;
      const bias = new Float32Array(n * t);
      for (let i = 0; i < n * t; i++) bias[i] = pad[i] ? -1e30 : 0;
      scores = add(scores, new Tensor(bias, [n, 1, 1, t]));
    }
    return softmax(scores, -1);
  });
}

export interface CrossAttentionOptions {
  seed?: number;
  /** Sampling steps, sampler, η, guidance and negative prompt, as model.sample takes them. */
  steps?: number;
  sampler?: 'ddpm' | 'ddim';
  eta?: number;
  guidance?: number;
  negativePrompt?: string;
  /** Which sampling steps to record (0-based, in sampling order); default every step. */
  at?: readonly number[];
}

export interface StepMaps {
  /** Position in the sampling loop (0 = the noisiest) and its diffusion timestep. */
  index: number;
  timestep: number;
  /** [tokens, H, W], averaged over heads and layers. */
  maps: Float32Array;
}

export interface CrossAttentionMaps {
  prompt: string;
  /** The prompt's real tokens, `<start>` first (padding left out). */
  tokens: string[];
  /** The sampled image [1, C, H, W] in [0, 1] (the same as image 0 of model.sample with this seed). */
  image: Tensor;
  height: number;
  width: number;
  steps: StepMaps[];
  /** [tokens, H, W]: the mean of the recorded steps' maps. */
  mean: Float32Array;
  /** Each token's share of all attention (mean over pixels of `mean`), summing to 1. */
  shares: number[];
}

/** Samples one image of `prompt` and returns its cross-attention maps per token (see the file comment). */
export function crossAttentionMaps(model: Text2ImgModel, prompt: string, o: CrossAttentionOptions = {}): CrossAttentionMaps {
  const encoded = model.encodePrompt(prompt);
  const count = encoded.length;
  const tokens = Array.from(encoded.ids.slice(0, count), (id) => model.tokenizer.vocabulary[id]);
  const [, height, width] = model.imageShape;
  const plane = height * width;
  const blocks = model.namedModules().flatMap(([, m]) => (m instanceof SpatialCrossAttention ? [m] : []));
  if (blocks.length === 0) throw new RangeError('crossAttentionMaps: the model has no cross-attention layers');
  const at = o.at ? new Set(o.at) : null;
  const steps: StepMaps[] = [];
  let step = -1;
  let current: { maps: Float32Array; layers: number } | null = null;
  const finish = () => {
    if (current) for (let i = 0; i < current.maps.length; i++) current.maps[i] /= current.layers;
    current = null;
  };
  const handles: HookHandle[] = [
    model.unet.registerForwardPreHook((_m, inputs) => {
      finish();
      step++;
      current = at === null || at.has(step) ? { maps: new Float32Array(count * plane), layers: 0 } : null;
      if (current) steps.push({ index: step, timestep: inputs[1].data[0], maps: current.maps });
    }),
    ...blocks.map((block) =>
      block.registerForwardHook((_m, [x, ctx, padding]) => {
        if (!current) return;
        // The prompt's branch only: image 0 of the batch (its unconditional twin, when guided, comes after).
        const one = (t: Tensor) => slice(t, 0, 0, 1);
        const probs = crossAttentionProbabilities(block, one(x), one(ctx), padding ? one(padding) : undefined);
        const perHead = mean(probs, 1).f32; // [1, HW, T]
        const [, , h, w] = x.shape;
        const t = ctx.shape[1];
        const map = new Float32Array(h * w);
        for (let k = 0; k < count; k++) {
          for (let p = 0; p < h * w; p++) map[p] = perHead[p * t + k];
          const up = h === height && w === width ? map : resizeBilinear(map, h, w, height, width);
          const dst = current.maps.subarray(k * plane, (k + 1) * plane);
          for (let p = 0; p < plane; p++) dst[p] += up[p];
        }
        current.layers++;
      }),
    ),
  ];
  let image: Tensor;
  try {
    image = model.sample({
      n: 1,
      prompts: [prompt],
      seed: o.seed ?? 1,
      steps: o.steps,
      sampler: o.sampler,
      eta: o.eta,
      guidance: o.guidance,
      negativePrompt: o.negativePrompt,
    });
    finish();
  } finally {
    for (const hdl of handles) hdl.remove();
  }
  const meanMaps = new Float32Array(count * plane);
  for (const s of steps) for (let i = 0; i < meanMaps.length; i++) meanMaps[i] += s.maps[i] / steps.length;
  const shares = tokens.map((_, k) => meanMaps.subarray(k * plane, (k + 1) * plane).reduce((a, v) => a + v, 0) / plane);
  return { prompt, tokens, image, height, width, steps, mean: meanMaps, shares };
}

/**
 * The tiles of the attention picture: the sampled image, then one heat map per token (inferno, stretched from the
 * map's own minimum to its maximum, so where a word looks shows even when its share is small; the label's share says
 * how much attention the word drew in all: "red 12%").
 */
export function attentionTiles(r: CrossAttentionMaps): LabelledTile[] {
  const shape = r.image.shape.slice(1) as [number, number, number];
  const plane = r.height * r.width;
  const heat = r.tokens.map((token, k): LabelledTile => {
    const map = r.mean.slice(k * plane, (k + 1) * plane);
    const low = map.reduce((a, v) => Math.min(a, v), Infinity);
    const data = scaleToUnit(map.map((v) => v - low));
    return { ...colorizeAsImg({ data, height: r.height, width: r.width }), label: `${token} ${(100 * r.shares[k]).toFixed(0)}%` };
  });
  return [{ data: r.image.f32, shape, label: 'image' }, ...heat];
}

function colorizeAsImg(map: { data: Float32Array; height: number; width: number }): { data: Float32Array; shape: [number, number, number] } {
  const { image, shape } = colorize(map);
  return { data: image, shape };
}
