/**
 * `simmer start` (what `npm start` runs): train the cnn-small model on the built-in synthetic shapes dataset — no
 * download needed — with a progress bar, then print the validation report.
 */
import type { Command } from 'commander';
import { formatConfusion } from '../../train/metrics.ts';
import { resolveRecipe } from '../../runs/recipe.ts';
import { releaseMemoryEachEpoch } from '../../runs/process.ts';
import { runTraining } from '../../runs/run.ts';
import { addRecipeOptions, recipeFromOptions } from '../options.ts';
import { serveDashboard } from './serve.ts';

export function register(program: Command): void {
  const cmd = program
    .command('start')
    .description('the quick tour: train cnn-small on the built-in shapes dataset and print what it learned')
    .argument('[dataset]', 'dataset to train on', 'shapes');
  addRecipeOptions(cmd, { model: 'cnn-small', epochs: 4, limit: 8000 })
    .option('--runs <dir>', 'folder holding runs', process.env.SIMMER_RUNS ?? 'runs')
    .option('--no-serve', 'end after training instead of opening the dashboard')
    .action(async (dataset: string, o: Record<string, unknown>) => {
      const recipe = resolveRecipe(recipeFromOptions(dataset, o));
      const out = process.stdout;
      out.write(
        `Simmer: training ${recipe.model} on '${dataset}' for ${recipe.epochs} epochs (batch ${recipe.batchSize}, ${recipe.optimizer} lr ${recipe.lr}, ${recipe.schedule} schedule).\n`,
      );
      out.write('Each step: forward pass → loss → backpropagation → optimizer step; validation on images the model never trains on.\n\n');
      const result = await runTraining(recipe, { root: o.runs as string, callbacks: [releaseMemoryEachEpoch()] });
      if (result.report) {
        out.write(`\n${result.reportSplit === 'test' ? 'Test' : 'Validation'} report (${result.report.count} held-out images):\n`);
        out.write(`${formatConfusion(result.report.confusion, result.data.classes)}\n`);
      }
      out.write(
        `\nRun saved in ${result.run.dir} (list runs with \`npx simmer runs\`, evaluate with \`npx simmer eval ${result.run.checkpoints}/best.safetensors\`).\n`,
      );
      if (o.serve === false) return;
      out.write('\nOpening the dashboard: the curves, the confusion matrix and what the model looks at (Ctrl-C to stop).\n');
      await serveDashboard({ runs: o.runs as string, anyFreePort: true });
    });
}
