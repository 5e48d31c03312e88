/**
 * Two tiny generative runs for the Generate page's tests, trained through the run store as `simmer train` would:
 * a class-conditional DDPM (ddpm-small) and a conditional VAE on the built-in shapes dataset, one epoch of 32 images.
 * They are barely trained — the tests check what the page and routes do with a real run, not image quality.
 */
import { runTraining } from '../../src/runs/run.ts';

export interface GenerativeRuns {
  ddpm: string;
  vae: string;
}

export async function trainGenerativeRuns(root: string): Promise<GenerativeRuns> {
  const train = async (model: string) => {
    const r = await runTraining({ dataset: 'shapes', model, epochs: 1, limit: 32, batchSize: 32, seed: 3 }, { root, quiet: true, progress: false });
    return r.run.id;
  };
  return { ddpm: await train('ddpm-small'), vae: await train('vae-cond') };
}
