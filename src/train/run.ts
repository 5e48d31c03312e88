/**
 * runTraining: a whole run from a recipe — data, model, optimizer, schedule, callbacks, run folder, checkpoints —
 * or the continuation of an interrupted run. `simmer train` and the dashboard both call this.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import { buildClassifier, CLASSIFIERS } from '../models/classifiers.ts';
import type { Module } from '../nn/module.ts';
import { crossEntropy } from '../ops/loss.ts';
import { manualSeed } from '../tensor/random.ts';
import { Checkpointer } from './callbacks/checkpointer.ts';
import { CsvLogger, JsonlLogger } from './callbacks/loggers.ts';
import { ProgressBar } from './callbacks/progress.ts';
import { loadCheckpoint } from './checkpoint.ts';
import { type PreparedData, prepareData } from './data-setup.ts';
import { buildOptimizer, buildScheduler, type Recipe, resolveRecipe } from './recipe.ts';
import { createRun, defaultRunsRoot, type RunPaths, runPaths, writeSummary } from './run-store.ts';
import { type EvalResult, Trainer } from './trainer.ts';
import type { Callback, EpochReport } from './types.ts';

export interface RunOptions {
  /** Folder holding runs (default ./runs or $SIMMER_RUNS). */
  root?: string;
  /** Continue this run id (or run folder) from its last checkpoint. */
  resume?: string;
  /** Show a progress bar (default: when stderr is a terminal); epoch lines are printed either way unless quiet. */
  progress?: boolean;
  quiet?: boolean;
  callbacks?: Callback[];
  /** Stop after this many batches in total (tests use it to simulate an interruption). */
  maxSteps?: number;
  /** Called once the run folder exists (the dashboard uses it to learn the run id). */
  onRunCreated?: (run: RunPaths) => void;
}

export interface RunResult {
  run: RunPaths;
  history: EpochReport[];
  model: Module;
  data: PreparedData;
  /** Final evaluation on the test split (or on validation when the dataset has no separate test split). */
  report?: EvalResult;
  reportSplit: 'test' | 'validation';
  seconds: number;
}

function resolveResume(root: string, resume: string): RunPaths {
  if (existsSync(join(resume, 'config.json'))) {
    const dir = resolve(resume);
    return runPaths(dirname(dir), basename(dir));
  }
  const paths = runPaths(root, resume);
  if (!existsSync(paths.config)) throw new Error(`--resume ${resume}: no run folder ${paths.dir} (list runs with \`simmer runs\`)`);
  return paths;
}

export async function runTraining(input: Partial<Recipe>, options: RunOptions = {}): Promise<RunResult> {
  const root = options.root ?? defaultRunsRoot();
  let recipe: Recipe;
  let resumeRun: RunPaths | null = null;
  if (options.resume) {
    resumeRun = resolveResume(root, options.resume);
    const saved = JSON.parse(readFileSync(resumeRun.config, 'utf8'));
    recipe = resolveRecipe({ ...saved.recipe, ...(input.epochs ? { epochs: input.epochs } : {}) });
  } else recipe = resolveRecipe(input);
  // Check what can be wrong before a run folder is made, so a typo leaves nothing behind.
  if (!(CLASSIFIERS as readonly string[]).includes(recipe.model))
    throw new RangeError(`unknown model '${recipe.model}'; choose one of: ${CLASSIFIERS.join(', ')}`);
  manualSeed(recipe.seed);
  // The split is stored with the run so a resumed run trains and validates on exactly the same images.
  const storedSplitPath = resumeRun ? join(resumeRun.dir, 'split.json') : null;
  const storedSplit = storedSplitPath && existsSync(storedSplitPath) ? JSON.parse(readFileSync(storedSplitPath, 'utf8')) : null;
  const data = await prepareData(recipe, storedSplit);
  const run = resumeRun ?? createRun(root, { model: recipe.model, recipe });
  if (data.split && !storedSplit) writeFileAtomic(join(run.dir, 'split.json'), JSON.stringify(data.split));
  options.onRunCreated?.(run);
  const model = buildClassifier(recipe.model, { inputShape: data.inputShape, numClasses: data.classes.length });
  const optimizer = buildOptimizer(model, recipe);
  const scheduler = buildScheduler(optimizer, recipe, data.train.batchesPerEpoch);
  const callbacks: Callback[] = [
    new JsonlLogger(run.metrics, 10),
    new CsvLogger(join(run.dir, 'metrics.csv')),
    new Checkpointer({ dir: run.checkpoints, everySteps: recipe.checkpointEvery }),
    ...(options.quiet ? [] : [new ProgressBar(recipe.epochs)]),
    ...(options.callbacks ?? []),
  ];
  const trainer = new Trainer({
    model,
    optimizer,
    scheduler,
    callbacks,
    classes: data.classes,
    clipGradNorm: recipe.clipGrad || undefined,
    loss: recipe.labelSmoothing > 0 ? (out, y) => crossEntropy(out, y, { labelSmoothing: recipe.labelSmoothing }) : undefined,
    config: { recipe, classes: data.classes, inputShape: data.inputShape },
    splitSeed: data.splitSeed,
  });
  const last = join(run.checkpoints, 'last.safetensors');
  if (options.resume) {
    if (!existsSync(last)) throw new Error(`--resume: ${run.id} has no checkpoint yet (${last}); start it again instead`);
    trainer.restore(loadCheckpoint(last));
    if (trainer.epoch >= recipe.epochs)
      throw new Error(`--resume: ${run.id} already finished ${trainer.epoch} epochs; pass --epochs N with N > ${trainer.epoch} to train further`);
  }
  if (options.maxSteps !== undefined) callbacks.push(stopAfter(options.maxSteps));
  const started = performance.now();
  let status = 'finished';
  let error: string | undefined;
  let report: EvalResult | undefined;
  try {
    await trainer.fit(data.train, { epochs: recipe.epochs, val: data.val });
    if (trainer.stopRequested) status = 'stopped';
    else report = await trainer.evaluate(data.test ?? data.val);
  } catch (e) {
    // A NaN loss or any other failure is recorded in the summary; the last good checkpoint stays in place.
    status = 'failed';
    error = (e as Error).message;
    throw e;
  } finally {
    const h = trainer.history;
    await data.close();
    writeSummary(run, {
      status,
      error,
      epochs: trainer.epoch,
      globalStep: trainer.globalStep,
      final: h[h.length - 1] ?? null,
      best: trainer.best ?? null,
      seconds: (performance.now() - started) / 1000,
      classes: data.classes,
    });
  }
  const reportSplit = data.test || data.valIsTest ? 'test' : 'validation';
  return { run, history: trainer.history, model, data, report, reportSplit, seconds: (performance.now() - started) / 1000 };
}

function stopAfter(steps: number): Callback {
  return {
    onBatchEnd(trainer) {
      if (trainer.globalStep >= steps) trainer.stopRequested = true;
    },
  };
}
