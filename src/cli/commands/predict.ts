/** `simmer predict <checkpoint> <images...>`: top-k labels with probabilities for image files. */
import type { Command } from 'commander';
import { openCheckpointModel } from '../../runs/open-model.ts';
import { predictProbabilities } from '../../train/classification.ts';
import { expandImagePaths } from '../../data/image-paths.ts';
import { cat } from '../../ops/shape.ts';
import type { Tensor } from '../../tensor/tensor.ts';
import { number } from '../options.ts';

export function register(program: Command): void {
  program
    .command('predict')
    .description('classify image files with a trained checkpoint: top-k labels with probabilities')
    .argument('<checkpoint>', 'a .safetensors checkpoint written by simmer train (runs/<id>/checkpoints/best.safetensors)')
    .argument('<images...>', 'image files, folders or globs (jpg, png, webp, gif, tiff, avif); resized to the model input')
    .option('-k, --top-k <k>', 'how many labels to show', number('--top-k', { integer: true, min: 1 }), 3)
    .option('--json', 'print JSON')
    .action(async (checkpoint: string, images: string[], o: { topK: number; json?: boolean }) => {
      const opened = openCheckpointModel(checkpoint);
      const { model, classes } = opened;
      for (const w of opened.warnings) process.stderr.write(`warning: ${w}\n`);
      // Folders and globs expand to their image files; a file that cannot be read is reported and the rest are still
      // classified (the exit code says something was left out).
      const { files, problems } = expandImagePaths(images);
      const inputs: Tensor[] = [];
      const classified: string[] = [];
      for (const file of files) {
        try {
          // Decoded and resized exactly as the training images were (src/runs/preprocess.ts).
          inputs.push(await opened.preprocess([file]));
          classified.push(file);
        } catch (e) {
          problems.push({ path: file, reason: (e as Error).message });
        }
      }
      for (const p of problems) process.stderr.write(`simmer predict: skipped ${p.path}: ${p.reason}\n`);
      if (problems.length > 0) process.exitCode = 1;
      if (inputs.length === 0) {
        process.stderr.write('simmer predict: no image could be classified\n');
        return;
      }
      images = classified;
      const probs = predictProbabilities(model, cat(inputs, 0));
      const k = Math.min(o.topK, classes.length);
      const results = images.map((path, i) => {
        const row = Array.from(probs.f32.subarray(i * classes.length, (i + 1) * classes.length));
        const top = row
          .map((p, j) => ({ label: classes[j], index: j, probability: p }))
          .sort((a, b) => b.probability - a.probability)
          .slice(0, k);
        return { image: path, top };
      });
      if (o.json) {
        process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
        return;
      }
      for (const r of results) {
        process.stdout.write(`${r.image}\n`);
        for (const t of r.top) process.stdout.write(`  ${(t.probability * 100).toFixed(1).padStart(5)}%  ${t.label}\n`);
      }
    });
}
