/**
 * W4 on Simmer: the W3 model forward only (inference mode, no graph) over the 10,000 test images in batches of 256.
 * Figure: images/s per pass over the test set (or over the images a time budget allowed).
 */
import { noGrad } from '../../src/autograd/grad-mode.ts';
import type { Tensor } from '../../src/tensor/tensor.ts';
import type { JobResult, JobSpec } from '../protocol.ts';
import { TEST_SIZE } from '../protocol.ts';
import { buildRecipe, seconds, testLoader } from './common.ts';

export async function runCnnInfer(spec: JobSpec): Promise<Omit<JobResult, 'rssMB' | 'threads'>> {
  const batch = spec.batch ?? 256;
  const { model } = buildRecipe('cnn-small', spec.seed ?? 0);
  model.eval();
  const loader = await testLoader(batch);
  const batches: Tensor[] = [];
  for await (const b of loader.epoch(0)) batches.push(b.x);
  const maxImages = spec.maxSteps || TEST_SIZE;
  noGrad(() => model.forward(batches[0]));
  const samples: number[] = [];
  const notes: string[] = [];
  for (let pass = 0; pass < (spec.passes ?? 1); pass++) {
    let images = 0;
    const t0 = performance.now();
    for (const x of batches) {
      noGrad(() => model.forward(x));
      images += x.shape[0];
      if (images >= maxImages || (seconds(t0) > spec.budgetS && images >= batch)) break;
    }
    samples.push(images / seconds(t0));
    if (images < TEST_SIZE) {
      notes.push(`extrapolated from ${images} of ${TEST_SIZE} images`);
      break;
    }
  }
  return { ok: true, figures: { 'images/s': samples }, notes };
}
