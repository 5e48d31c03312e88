/**
 * Diffusion: the schedules and one DDIM/DDPM step against hand-computed numbers, the guidance arithmetic, the U-Net's
 * blocks gradient-checked by central differences, seeded sampling, and bit-exact resume (EMA included) through the
 * Trainer and the checkpoint a user opens with simmer generate.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DiffusionModel, DiffusionTask } from '../../src/models/diffusion.ts';
import { ddimCoefficients, ddpmCoefficients, noiseSchedule, predictionCoefficients, samplingTimesteps } from '../../src/models/diffusion-schedule.ts';
import { generateImages } from '../../src/models/generative.ts';
import { openGenerativeCheckpoint } from '../../src/models/registry.ts';
import { ResBlock, SpatialSelfAttention, timestepEmbedding, UNet } from '../../src/models/unet.ts';
import { Adam } from '../../src/optim/optimizers.ts';
import { Generator, manualSeed } from '../../src/tensor/random.ts';
import { Tensor } from '../../src/tensor/tensor.ts';
import { loadCheckpoint } from '../../src/train/checkpoint.ts';
import { Trainer } from '../../src/train/trainer.ts';
import { checkGradient, randn } from '../helpers/check.ts';
import { parameterCopies, sameState, tinyImages, withParameters } from './generative-helpers.ts';

const close = (a: number, b: number, tol = 1e-12, what = '') => assert.ok(Math.abs(a - b) <= tol, `${what}: ${a} vs ${b}`);
const tiny = { imageShape: [1, 8, 8] as [number, number, number], numClasses: 4, base: 8, mults: [1, 2], timesteps: 50 };

test('diffusion: linear and cosine schedules match their definitions', () => {
  const lin = noiseSchedule('linear', 1000);
  close(lin.betas[0], 1e-4, 1e-15, 'β_0');
  close(lin.betas[999], 0.02, 1e-15, 'β_999');
  close(lin.betas[1], 1e-4 + 0.0199 / 999, 1e-15, 'β_1');
  close(lin.alphaBar[1], (1 - 1e-4) * (1 - (1e-4 + 0.0199 / 999)), 1e-15, 'ᾱ_1');
  // ᾱ_999 of the linear schedule: e^{Σ log(1 − β)} ≈ 4.04e-5 (the DDPM paper's figure).
  assert.ok(lin.alphaBar[999] > 3.9e-5 && lin.alphaBar[999] < 4.2e-5, `ᾱ_999 ${lin.alphaBar[999]}`);
  const cos = noiseSchedule('cosine', 10);
  const f = (t: number) => Math.cos((((t / 10 + 0.008) / 1.008) * Math.PI) / 2) ** 2;
  for (let t = 0; t < 9; t++) close(cos.alphaBar[t], f(t + 1) / f(0), 1e-12, `cosine ᾱ_${t}`);
  close(cos.betas[9], 0.999, 1e-15, 'cosine β clipped at 0.999');
  assert.throws(() => noiseSchedule('quadratic' as 'linear'), /linear' or 'cosine/);
});

test('diffusion: sampling timesteps are trailing and evenly spaced', () => {
  const ts = samplingTimesteps(1000, 25);
  assert.equal(ts.length, 25);
  assert.deepEqual([ts[0], ts[1], ts[24]], [999, 959, 39]);
  assert.deepEqual(samplingTimesteps(10, 3), [9, 6, 2]); // round(10 − i·10/3) − 1
  assert.deepEqual(samplingTimesteps(5, 5), [4, 3, 2, 1, 0]);
  assert.throws(() => samplingTimesteps(10, 11), /1\.\.10/);
});

test('diffusion: DDIM and DDPM step coefficients by hand; DDPM equals DDIM at η = 1', () => {
  // ᾱ_t = 0.5, ᾱ_prev = 0.8. η = 0: x_prev = √0.8·x̂_0 + √0.2·ε̂.
  let c = ddimCoefficients(0.5, 0.8, 0);
  close(c.x0, Math.sqrt(0.8), 1e-15, 'x0');
  close(c.eps, Math.sqrt(0.2), 1e-15, 'eps');
  assert.equal(c.noise, 0);
  // η = 1: σ = √(0.2/0.5)·√(1 − 0.5/0.8) = √0.4·√0.375 = √0.15; the ε̂ weight is √(0.2 − 0.15) = √0.05.
  c = ddimCoefficients(0.5, 0.8, 1);
  close(c.noise, Math.sqrt(0.15), 1e-15, 'σ');
  close(c.eps, Math.sqrt(0.05), 1e-15, 'eps at η 1');
  // DDPM posterior: β = 1 − 0.5/0.8 = 0.375; μ = (√0.8·0.375/0.5)·x̂_0 + (√0.625·0.2/0.5)·x_t, β̃ = 0.375·0.2/0.5 = 0.15.
  const d = ddpmCoefficients(0.5, 0.8);
  const cx0 = (Math.sqrt(0.8) * 0.375) / 0.5;
  const cxt = (Math.sqrt(0.625) * 0.2) / 0.5;
  close(d.x0, cx0 + cxt * Math.sqrt(0.5), 1e-15, 'ddpm x0');
  close(d.eps, cxt * Math.sqrt(0.5), 1e-15, 'ddpm eps');
  close(d.noise, Math.sqrt(0.15), 1e-15, 'ddpm σ');
  // The same update as DDIM with η = 1 (Song et al., eq. 16).
  close(d.x0, c.x0, 1e-12, 'ddpm vs ddim x0');
  close(d.eps, c.eps, 1e-12, 'ddpm vs ddim eps');
  // The last step (to ᾱ = 1) returns x̂_0 itself.
  assert.deepEqual(ddimCoefficients(0.9, 1, 0), { x0: 1, eps: 0, noise: 0 });
});

test('diffusion: v-prediction recovers x_0 and ε exactly from x_t and v', () => {
  for (const ab of [0.9, 0.3, 0.01]) {
    const [x0, eps] = [0.4, -1.3];
    const xt = Math.sqrt(ab) * x0 + Math.sqrt(1 - ab) * eps;
    const v = Math.sqrt(ab) * eps - Math.sqrt(1 - ab) * x0;
    const p = predictionCoefficients('v', ab);
    close(p.x0FromXt * xt + p.x0FromOut * v, x0, 1e-12, `x0 at ᾱ ${ab}`);
    close(p.epsFromXt * xt + p.epsFromOut * v, eps, 1e-12, `eps at ᾱ ${ab}`);
    const e = predictionCoefficients('eps', ab);
    close(e.x0FromXt * xt + e.x0FromOut * eps, x0, 1e-12, `ε-prediction x0 at ᾱ ${ab}`);
  }
});

/** A model whose U-Net is replaced by a known function of the label: output = label/10 everywhere (null label → 1). */
function stubbed(o: Partial<typeof tiny> & { prediction?: 'eps' | 'v' } = {}): DiffusionModel {
  const m = new DiffusionModel({ ...tiny, ...o, conditional: true });
  m.forward = (x: Tensor, _t: Tensor, labels?: Tensor) => {
    const size = x.size / x.shape[0];
    const out = new Float32Array(x.size);
    for (let i = 0; i < x.shape[0]; i++) out.fill((labels ? Number(labels.data[i]) : 0) / 10, i * size, (i + 1) * size);
    return new Tensor(out, x.shape);
  };
  return m;
}

test('diffusion: guidance is ε̂_∅ + w·(ε̂_y − ε̂_∅), and w = 1 is the conditional output', () => {
  const m = stubbed();
  const x = new Tensor(new Float32Array(2 * 64), [2, 1, 8, 8]);
  const labels = Int32Array.from([1, 3]);
  for (const w of [0, 1, 2, 3.5]) {
    const out = m.predict(x, 10, labels, w);
    // null label = numClasses = 4 → 0.4; label y → y/10.
    for (const [i, y] of [1, 3].entries()) close(out.f32[i * 64 + 5], 0.4 + w * (y / 10 - 0.4), 1e-6, `w ${w}, label ${y}`);
  }
});

test('diffusion: one DDIM step of a known denoiser matches the hand computation', () => {
  const m = stubbed({ timesteps: 1000 });
  const ab = m.schedule.alphaBar;
  const [t, tPrev] = [999, 959];
  const x = new Tensor(new Float32Array(64).fill(0.7), [1, 1, 8, 8]);
  const w = 2;
  const epsHat = 0.4 + w * (0.2 - 0.4); // label 2 → 0.2, null → 0.4
  const x0 = Math.max(-1, Math.min(1, (0.7 - Math.sqrt(1 - ab[t]) * epsHat) / Math.sqrt(ab[t])));
  const epsClip = (0.7 - Math.sqrt(ab[t]) * x0) / Math.sqrt(1 - ab[t]);
  const expected = Math.sqrt(ab[tPrev]) * x0 + Math.sqrt(1 - ab[tPrev]) * epsClip;
  const r = m.denoiseStep(x, t, tPrev, Int32Array.from([2]), { sampler: 'ddim', eta: 0, guidance: w }, [new Generator(1)]);
  close(r.x0.f32[0], x0, 1e-6, 'x̂_0 (clipped)');
  close(r.x.f32[17], expected, 1e-5, 'x_prev');
});

test('diffusion: sampling is determined by the seed, not by the batch size; the sampler and η change it', () => {
  manualSeed(4);
  const m = new DiffusionModel({ ...tiny, conditional: true });
  // Non-zero output layer, so the net's prediction is not identically zero.
  m.unet.outConv.weight.f32.forEach((_, i, a) => (a[i] = 0.05 * Math.sin(i)));
  const labels = [0, 1, 3];
  const o = { n: 3, labels, seed: 9, steps: 3, guidance: 2 };
  const a = generateImages(m, o);
  const b = generateImages(m, { ...o, batchSize: 2 });
  assert.deepEqual(Array.from(a.f32), Array.from(b.f32));
  assert.ok(a.f32.every((v) => v >= 0 && v <= 1));
  assert.notDeepEqual(Array.from(generateImages(m, { ...o, seed: 10 }).f32), Array.from(a.f32));
  const stoch = generateImages(m, { ...o, eta: 1 });
  assert.notDeepEqual(Array.from(stoch.f32), Array.from(a.f32));
  assert.deepEqual(Array.from(generateImages(m, { ...o, eta: 1 }).f32), Array.from(stoch.f32));
  const steps: number[] = [];
  generateImages(m, { ...o, sampler: 'ddpm', batchSize: 2, onStep: (s, total, x0) => void (steps.push(s), assert.equal(total, 6), assert.ok(x0)) });
  assert.deepEqual(steps, [1, 2, 3, 4, 5, 6]);
  assert.throws(() => generateImages(m, { n: 2, seed: 1 }), /one label per image/);
  assert.throws(() => m.sample({ ...o, steps: 51 }), /1\.\.50/);
});

test('diffusion: sinusoidal timestep features', () => {
  const e = timestepEmbedding([0, 3], 4);
  assert.deepEqual(Array.from(e.f32.slice(0, 4)), [0, 0, 1, 1]);
  // h = 2: f_0 = 1, f_1 = 10000^(−1/2) = 0.01.
  close(e.f32[4], Math.sin(3), 1e-6, 'sin(3)');
  close(e.f32[5], Math.sin(0.03), 1e-6, 'sin(0.03)');
  close(e.f32[7], Math.cos(0.03), 1e-6, 'cos(0.03)');
});

test('diffusion: ResBlock gradients (input, embedding, weights) match central differences', () => {
  manualSeed(5);
  const block = new ResBlock(4, 6, 8);
  // conv2 starts at zero (identity block): give it weights so every path carries gradient.
  block.conv2.weight.f32.set(randn(block.conv2.weight.shape, 3, 0.3).f32);
  const names = ['conv1.weight', 'conv2.weight', 'embProj.weight', 'norm1.weight', 'skip.weight'];
  const params = parameterCopies(block, names);
  checkGradient({
    name: 'groupNorm',
    label: 'U-Net ResBlock: GroupNorm, SiLU, conv, time projection, 1x1 skip',
    fn: (x, emb, ...p) => withParameters(block, names, p, () => block.forward(x, emb)),
    inputs: [randn([2, 4, 4, 4], 1), randn([2, 8], 2), ...params],
    eps: 1e-2,
    gradAtol: 2e-2,
    gradRtol: 2e-2,
    maxGradSamples: 24,
  });
});

test('diffusion: spatial self-attention block gradients match central differences', () => {
  manualSeed(6);
  const attn = new SpatialSelfAttention(8, 2);
  attn.proj.weight.f32.set(randn(attn.proj.weight.shape, 4, 0.3).f32);
  const names = ['qkv.weight', 'proj.weight'];
  const params = parameterCopies(attn, names);
  checkGradient({
    name: 'scaledDotProductAttention',
    label: 'U-Net spatial self-attention over a 3x3 map, 2 heads',
    fn: (x, ...p) => withParameters(attn, names, p, () => attn.forward(x)),
    inputs: [randn([2, 8, 3, 3], 7), ...params],
    eps: 1e-2,
    gradAtol: 2e-2,
    gradRtol: 2e-2,
    maxGradSamples: 24,
  });
});

test('diffusion: the whole U-Net is differentiable end to end and keeps the image shape', () => {
  manualSeed(7);
  const net = new UNet({ imageShape: [1, 8, 8], numClasses: 3, base: 8, mults: [1, 2] });
  net.outConv.weight.f32.set(randn(net.outConv.weight.shape, 5, 0.3).f32);
  const t = new Tensor(Int32Array.from([3, 40]), [2]);
  const y = new Tensor(Int32Array.from([1, 3]), [2]); // 3 = the null label
  checkGradient({
    name: 'conv2d',
    label: 'U-Net (2 levels, attention at 4x4, label + null label) with respect to its input',
    fn: (x) => net.forward(x, t, y),
    inputs: [randn([2, 1, 8, 8], 8)],
    eps: 1e-2,
    gradAtol: 2e-2,
    gradRtol: 2e-2,
    maxGradSamples: 12,
  });
  assert.throws(() => new UNet({ imageShape: [1, 10, 10], numClasses: 0, mults: [1, 2, 2] }), /divisible by 4/);
});

test('diffusion: a run resumed from a mid-epoch checkpoint ends bit-identical, EMA included; generate opens the EMA', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'simmer-ddpm-'));
  try {
    const data = tinyImages(3, 4);
    const config = { recipe: { model: 'ddpm-small' }, classes: ['a', 'b', 'c', 'd'], inputShape: [1, 8, 8] };
    const make = (seed: number) => {
      manualSeed(seed);
      const model = new DiffusionModel({
        imageShape: [1, 8, 8],
        numClasses: 4,
        conditional: true,
        schedule: 'cosine',
        prediction: 'v',
        base: 16,
        mults: [1, 2, 4],
      });
      const task = new DiffusionTask({ emaDecay: 0.9 });
      return { task, trainer: new Trainer({ model, optimizer: new Adam(model.parameters(), { lr: 1e-2 }), task, config }) };
    };
    const full = make(5);
    await full.trainer.fit(data, { epochs: 2 });
    const first = make(5);
    first.trainer.callbacks.push({ onBatchEnd: (t) => void (t.globalStep >= 4 && (t.stopRequested = true)) });
    await first.trainer.fit(data, { epochs: 2 });
    const path = join(dir, 'mid.safetensors');
    first.trainer.saveCheckpoint(path);
    const resumed = make(99); // a different init: everything must come from the checkpoint
    resumed.trainer.restore(loadCheckpoint(path));
    await resumed.trainer.fit(data, { epochs: 2 });
    assert.equal(sameState(full.trainer.model, resumed.trainer.model), null);
    assert.equal(resumed.task.emaSteps, full.task.emaSteps);
    for (const [name, e] of full.task.ema) assert.deepEqual(Array.from(resumed.task.ema.get(name)!.f32), Array.from(e.f32), `EMA ${name}`);
    // The EMA trails the weights (decay 0.9, warmed up), so it differs from them; the opened model holds the EMA.
    const end = join(dir, 'end.safetensors');
    full.trainer.saveCheckpoint(end);
    const opened = openGenerativeCheckpoint(end);
    const [name, p] = opened.model.namedParameters()[0];
    assert.deepEqual(Array.from(p.f32), Array.from(full.task.ema.get(name)!.f32));
    assert.notDeepEqual(Array.from(p.f32), Array.from(full.trainer.model.namedParameters()[0][1].f32));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
