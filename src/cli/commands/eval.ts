/** `simmer eval <checkpoint> [dataset]`: metrics and a confusion matrix for a trained model on held-out data. */
import { resolve } from 'node:path';
import { type Command, Option } from 'commander';
import { EVAL_SPLITS, type EvalSplit, prepareEvalData } from '../../runs/data-setup.ts';
import { formatConfusion } from '../../train/metrics.ts';
import { openCheckpointModel } from '../../runs/open-model.ts';
import { evaluateClassifier } from '../../train/classification.ts';
import { isGenerativeCheckpointFile } from '../../models/registry.ts';
import { addSamplerOptions, evalGenerative, type SamplerFlags } from './generate.ts';
import { number } from '../options.ts';
import { compareWithScratch, formatScratchComparison } from '../../runs/compare-scratch.ts';

export function register(program: Command): void {
  const cmd = program
    .command('eval')
    .description(
      "evaluate a checkpoint: loss, accuracy, top-k, per-class precision/recall/F1 and the confusion matrix on the run's held-out images, or the part --split names",
    )
    .argument('<checkpoint>', 'a .safetensors checkpoint written by simmer train')
    .argument('[dataset]', 'dataset to evaluate on (default: the one it was trained on)')
    .option('--data <path>', 'folder holding the dataset files')
    .option('-b, --batch-size <n>', 'images per batch', number('--batch-size', { integer: true, min: 1 }), 256)
    .addOption(
      new Option(
        '--split <part>',
        "what to score: auto (the dataset's test split, else the run's held-out validation part from split.json, else all of another dataset), all, train, val or test",
      )
        .choices(EVAL_SPLITS)
        .default('auto'),
    )
    .option('--json', 'print JSON')
    .option('--compare-scratch', "also train the same architecture from random weights with the run's budget and score it on the same images")
    .option('--per-class <n>', 'generative checkpoints: images generated per class for the scores', number('--per-class', { integer: true, min: 1 }), 100);
  // Generative checkpoints are sampled with these (ddpm: steps, sampler, η, guidance; pixel-transformer: temperature, top-k).
  addSamplerOptions(cmd).action(
    async (
      checkpoint: string,
      dataset: string | undefined,
      o: { data?: string; batchSize: number; split: EvalSplit; json?: boolean; compareScratch?: boolean; perClass: number } & SamplerFlags,
    ) => {
      // A generative checkpoint is scored on sample quality instead (src/quality).
      if (isGenerativeCheckpointFile(checkpoint)) {
        const { steps, sampler, eta, guidance, temperature, topK } = o;
        return evalGenerative(checkpoint, { data: o.data, json: o.json, perClass: o.perClass, sampling: { steps, sampler, eta, guidance, temperature, topK } });
      }
      const opened = openCheckpointModel(checkpoint);
      for (const w of opened.warnings) process.stderr.write(`warning: ${w}\n`);
      const recipe = { ...opened.recipe, ...(dataset ? { dataset, data: o.data } : o.data ? { data: o.data } : {}), batchSize: o.batchSize };
      // The run's split says which images it held out, but only of the data it trained on.
      const trainedOn = resolve(recipe.dataset) === resolve(opened.recipe.dataset) && (recipe.data ?? '') === (opened.recipe.data ?? '');
      const data = await prepareEvalData(recipe, opened.inputShape, { split: o.split, storedSplit: opened.storedSplit, trainedOn }).catch((e: Error) => {
        // The library names parts as "split 'all'"; here they are this command's flag.
        throw e instanceof RangeError ? new RangeError(e.message.replace(/split '(\w+)'/g, '--split $1')) : e;
      });
      if (data.classes.join('\n') !== opened.classes.join('\n')) {
        throw new Error(
          `the dataset's classes (${data.classes.join(', ')}) differ from the model's (${opened.classes.join(', ')}); evaluate on data with the same labels`,
        );
      }
      const r = await evaluateClassifier(opened.model, data.source);
      const comparison = o.compareScratch
        ? await compareWithScratch(checkpoint, { source: data.source, scored: data.description, log: (l) => void (o.json || process.stderr.write(`${l}\n`)) })
        : undefined;
      if (o.json) {
        const perClass = r.confusion.perClass().map((c, i) => ({ class: opened.classes[i], ...c }));
        process.stdout.write(
          `${JSON.stringify({ split: data.split, splitDescription: data.description, count: r.count, loss: r.loss, accuracy: r.accuracy, topK: r.topK, k: r.k, perClass, confusion: r.confusion.toArray(), ...(comparison ? { compareScratch: comparison } : {}) }, null, 2)}\n`,
        );
        return;
      }
      process.stdout.write(`${checkpoint} on ${recipe.dataset} (${data.split}: ${data.description}, ${r.count} images)\n`);
      process.stdout.write(`loss ${r.loss.toFixed(4)}, accuracy ${(r.accuracy * 100).toFixed(2)}%, top-${r.k} ${(r.topK * 100).toFixed(2)}%\n\n`);
      process.stdout.write(`${formatConfusion(r.confusion, opened.classes)}\n`);
      if (comparison) process.stdout.write(`\n${formatScratchComparison(comparison)}\n`);
    },
  );
}
