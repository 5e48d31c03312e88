/**
 * runTraining: a whole run from a recipe — data, model, optimizer, schedule, callbacks, run folder, checkpoints —
 * or the continuation of an interrupted run. `simmer train` and the dashboard both call this. Errors a front end may
 * phrase in its own words are RunErrors (errors.ts).
 */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../io/atomic.ts';
import { JsonFileError, readJsonObject } from '../io/json-file.ts';
import { buildClassifier, CLASSIFIERS } from '../models/classifiers.ts';
import { buildGenerativeTraining, GENERATIVE_MODELS, isGenerativeModel, isTextToImageModel, withGenerativeDefaults } from '../models/registry.ts';
import type { SpecDataset } from '../data/dataset.ts';
import type { Module } from '../nn/module.ts';
import type { SkippedFile } from '../data/image-list.ts';
import { readSplitRecord } from '../data/split.ts';
import { crossEntropy } from '../ops/loss.ts';
import { manualSeed } from '../tensor/random.ts';
import { Checkpointer } from '../train/callbacks/checkpointer.ts';
import { EarlyStopping } from '../train/callbacks/early-stopping.ts';
import { CsvLogger, JsonlLogger } from '../train/callbacks/loggers.ts';
import { ProgressBar } from '../train/callbacks/progress.ts';
import { loadCheckpoint } from '../train/checkpoint.ts';
import { checkResumable } from '../train/checkpoint-validate.ts';
import { type ClassificationReport, ClassificationTask } from '../train/classification.ts';
import { Trainer } from '../train/trainer.ts';
import type { Callback, EpochReport, TrainerView } from '../train/types.ts';
import { rescaleResume } from '../distributed/resume.ts';
import type { DistributedRun } from './distributed-run.ts';
import type { DdpStats } from '../distributed/ddp.ts';
import { type DataSummary, type PreparedData, prepareData, summarizeData } from './data-setup.ts';
import { RunError } from './errors.ts';
import { loadQualityJudge, QualityCallback } from '../quality/callback.ts';
import { setupTransfer } from './transfer.ts';
import { buildOptimizer, buildScheduler, type Recipe, resolveRecipe } from './recipe.ts';
import { createRun, defaultRunsRoot, type RunPaths, runPaths, writeSummary } from './run-store.ts';

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
  /** Called once the data is open, before the first step: what will be trained on (the CLI prints it). */
  onDataReady?: (summary: DataSummary) => void;
  /** Stop when the validation loss has not improved for this many epochs (0 or unset: train every epoch). */
  earlyStopPatience?: number;
  /** With recipe.from: what the fine-tuning does (source, new head, input conversion, rates), before the first step. */
  onTransfer?: (message: string) => void;
  /**
   * Data-parallel training across the processes `mpirun` started (src/distributed/): every rank trains on its shard
   * at recipe.batchSize, gradients are averaged, and only rank 0 prints and writes the run folder.
   */
  distributed?: boolean;
}

export interface RunResult {
  run: RunPaths;
  history: EpochReport[];
  model: Module;
  data: PreparedData;
  /** Final evaluation on the test split (or on validation when the dataset has no separate test split). */
  report?: ClassificationReport;
  reportSplit: 'test' | 'validation';
  /** Which weights the final report scored: the last epoch's (today always), or the best checkpoint's. */
  reportWeights: 'best' | 'last';
  seconds: number;
  /** Every file left out because it could not be read: when the dataset was opened, and while batches were decoded. */
  skipped: SkippedFile[];
  /** Under --distributed: rank 0's gradient synchronisation figures (steps, all-reduces, time waited after backward). */
  distributed?: DdpStats;
}

function resolveResume(root: string, resume: string): RunPaths {
  if (existsSync(join(resume, 'config.json'))) {
    const dir = resolve(resume);
    return runPaths(dirname(dir), basename(dir));
  }
  const paths = runPaths(root, resume);
  if (!existsSync(paths.config)) throw new RunError('unknown-run', `there is no run '${resume}' (no folder ${paths.dir})`, { run: resume, dir: paths.dir });
  return paths;
}

export async function runTraining(input: Partial<Recipe>, options: RunOptions = {}): Promise<RunResult> {
  const root = options.root ?? defaultRunsRoot();
  let recipe: Recipe;
  let resumeRun: RunPaths | null = null;
  if (options.resume) {
    resumeRun = resolveResume(root, options.resume);
    const saved = readJsonObject(resumeRun.config, 'the run config', 'restore config.json from a backup, or start a new run');
    if (typeof saved.recipe !== 'object' || saved.recipe === null)
      throw new JsonFileError(resumeRun.config, 'the run config holds no recipe, so the run cannot be resumed', 'restore config.json from a backup, or start a new run');
    recipe = resolveRecipe({ ...saved.recipe, ...(input.epochs ? { epochs: input.epochs } : {}) });
  } else recipe = resolveRecipe(withGenerativeDefaults(input));
  // Check what can be wrong before a run folder is made, so a typo leaves nothing behind.
  if (!(CLASSIFIERS as readonly string[]).includes(recipe.model) && !isGenerativeModel(recipe.model))
    throw new RunError('unknown-model', `unknown model '${recipe.model}'; choose one of: ${[...CLASSIFIERS, ...GENERATIVE_MODELS].join(', ')}`, { model: recipe.model });
  const dist: DistributedRun | null = options.distributed
    ? (await import('./distributed-run.ts')).startDistributed(recipe.model, { bucketBytes: (recipe.bucketKb ?? 256) * 1024 })
    : null;
  const leader = dist === null || dist.leader;
  manualSeed(recipe.seed);
  // The split is stored with the run so a resumed run trains and validates on exactly the same images.
  const storedSplitPath = resumeRun ? join(resumeRun.dir, 'split.json') : null;
  const storedSplit = storedSplitPath && existsSync(storedSplitPath) ? readSplitRecord(storedSplitPath) : null;
  const data = await prepareData(recipe, storedSplit, { needLabels: !isGenerativeModel(recipe.model) });
  // --from: a pretrained body with a new head, freezing and discriminative rates (src/runs/transfer.ts); opened
  // before the run folder exists, so an unknown source leaves nothing behind.
  if (recipe.from && isGenerativeModel(recipe.model)) throw new RunError('unknown-model', `--from fine-tunes classifiers; ${recipe.model} cannot start from a pretrained network`, { model: recipe.model });
  const transfer = recipe.from
    ? await setupTransfer(recipe, { ...data, batchesPerEpoch: data.train.batchesPerEpoch }, { root, resumeCheckpoint: resumeRun ? join(resumeRun.checkpoints, 'last.safetensors') : undefined })
    : null;
  if (transfer) options.onTransfer?.(transfer.message);
  if (leader) options.onDataReady?.(summarizeData(data));
  const makeRun = () => resumeRun ?? createRun(root, { model: recipe.from ? 'finetune' : recipe.model, recipe, ...(transfer ? { transfer: transfer.record } : {}) });
  const run = dist ? dist.shareRun(makeRun) : makeRun();
  if (data.split && !storedSplit && leader) writeFileAtomic(join(run.dir, 'split.json'), JSON.stringify(data.split));
  if (leader) options.onRunCreated?.(run);
  // Generative models (src/models/registry.ts) bring their own task, optimizers and sample-grid callback.
  // A model that cannot be built for this data (e.g. image sides a VAE cannot halve twice) leaves no run folder behind.
  const { generative, model, optimizer } = discardRunIfThrows(resumeRun || !leader ? null : run, () => {
    const generative = isGenerativeModel(recipe.model)
      ? buildGenerativeTraining(
          recipe.model,
          { inputShape: data.inputShape, numClasses: data.classes.length, bottleneck: recipe.bottleneck, ...textOf(recipe.model, data) },
          { lr: recipe.lr, weightDecay: recipe.weightDecay, sampleDir: join(run.dir, 'samples') },
        )
      : null;
    const model = generative?.model ?? transfer?.model ?? buildClassifier(recipe.model, { inputShape: data.inputShape, numClasses: data.classes.length });
    return { generative, model, optimizer: generative?.optimizer ?? transfer?.optimizer ?? buildOptimizer(model, recipe) };
  });
  const train = dist ? dist.sampler(data.train) : data.train;
  const scheduler = transfer?.scheduler ?? buildScheduler(optimizer, recipe, train.batchesPerEpoch);
  const checkpointed = trackCheckpointed();
  // Under --distributed only rank 0 logs, checkpoints and shows progress.
  const writers: Callback[] = [
    new JsonlLogger(run.metrics, 10),
    new CsvLogger(join(run.dir, 'metrics.csv')),
    new Checkpointer({ dir: run.checkpoints, everySteps: recipe.checkpointEvery }),
    // Right after the Checkpointer: reached only when its write succeeded, so it knows what the checkpoint holds.
    checkpointed.callback,
    ...(options.quiet ? [] : [new ProgressBar(recipe.epochs)]),
  ];
  // --quality-per-class: scores in the epoch report, so they come before the writers that record it.
  const quality =
    generative && (recipe.qualityPerClass ?? 0) > 0 && leader
      ? [
          new QualityCallback({
            perClass: recipe.qualityPerClass ?? 0,
            ...generative.sampling,
            load: () =>
              loadQualityJudge(
                { dataset: recipe.dataset, data: recipe.data, cacheDir: join(root, '.reference'), log: options.quiet ? undefined : (l) => process.stderr.write(`${l}\n`) },
                (recipe.qualityPerClass ?? 0) * data.classes.length,
              ),
          }),
        ]
      : [];
  const callbacks: Callback[] = [
    ...quality,
    ...(leader ? writers : [dist!.quietWarnings()]),
    ...(options.earlyStopPatience ? [new EarlyStopping({ patience: options.earlyStopPatience, monitor: data.val ? 'valLoss' : 'trainLoss' })] : []),
    ...(generative?.callbacks ?? []),
    ...(transfer?.callbacks ?? []),
    ...(options.callbacks ?? []),
  ];
  const trainer = new Trainer({
    model,
    optimizer,
    scheduler,
    callbacks,
    optimizers: generative?.optimizers,
    task: (generative?.task as unknown as ClassificationTask | undefined) ?? new ClassificationTask({
      loss: recipe.labelSmoothing > 0 ? (out, y) => crossEntropy(out, y, { labelSmoothing: recipe.labelSmoothing }) : undefined,
    }),
    classes: data.classes,
    clipGradNorm: recipe.clipGrad || undefined,
    config: { recipe, classes: data.classes, inputShape: data.inputShape, ...(generative?.config ?? {}), ...(transfer ? { transfer: transfer.record } : {}), ...(dist ? { distributed: { size: dist.comm.size } } : {}) },
    splitSeed: data.splitSeed,
    distributed: dist?.attach(model),
  });
  const last = join(run.checkpoints, 'last.safetensors');
  if (options.resume) {
    if (leader) removeStaleTempFiles(run);
    if (!existsSync(last)) throw new RunError('no-checkpoint', `run ${run.id} has no checkpoint yet (${last}); start it again instead`, { run: run.id, path: last });
    const checkpoint = loadCheckpoint(last);
    checkResumable(checkpoint, last);
    trainer.restore(checkpoint);
    // A checkpoint written by another number of processes continues at the same point of its epoch.
    const geometry = { batchesPerEpoch: train.batchesPerEpoch, samples: data.train.dataset.length, batchSize: recipe.batchSize, ranks: dist?.comm.size ?? 1 };
    rescaleResume(trainer, checkpoint, scheduler, { ...geometry, warn: (m) => (leader ? trainer.warn(m) : undefined) });
    dist?.ddp?.broadcastState();
    if (trainer.epoch >= recipe.epochs)
      throw new RunError('already-finished', `run ${run.id} already finished ${trainer.epoch} epochs; ask for more than ${trainer.epoch} epochs to train further`, {
        run: run.id,
        epochs: trainer.epoch,
      });
    // A kill between the metric logs and the checkpoint leaves epoch records the checkpoint does not know about:
    // drop them, so the resumed epoch is recorded once.
    if (leader) dropRecordsAfter(run, trainer.epoch, trainer.globalStep);
  }
  checkpointed.from(trainer);
  if (options.maxSteps !== undefined) callbacks.push(stopAfter(options.maxSteps));
  const started = performance.now();
  let status = 'finished';
  let error: string | undefined;
  let report: ClassificationReport | undefined;
  // The report scores the weights as training left them (best.safetensors was chosen on validation data, which for
  // datasets without a held-out split is the test data itself, so scoring it would flatter the model).
  const reportWeights = 'last' as const;
  try {
    await trainer.fit(train, { epochs: recipe.epochs, val: data.val });
    if (trainer.stopRequested && trainer.epoch < recipe.epochs && !earlyStopped(callbacks)) status = 'stopped';
    else if (!generative) report = await trainer.evaluate(data.test ?? data.val);
  } catch (e) {
    // A NaN loss or any other failure is recorded in the summary; the last good checkpoint stays in place.
    status = 'failed';
    error = (e as Error).message;
    throw e;
  } finally {
    await data.close();
    if (train !== data.train) await train.close();
    // A failed run is summarised as its last checkpoint holds it (a failed checkpoint write, e.g. a full disk, must
    // not leave summary.json one epoch ahead of the weights a resume would continue from).
    const at = status === 'failed' ? checkpointed.state : { epoch: trainer.epoch, globalStep: trainer.globalStep, history: trainer.history, best: trainer.best };
    if (leader) writeSummary(run, {
      status,
      error,
      epochs: at.epoch,
      globalStep: at.globalStep,
      final: at.history[at.history.length - 1] ?? null,
      best: at.best ?? null,
      reportWeights: report ? reportWeights : undefined,
      seconds: (performance.now() - started) / 1000,
      classes: data.classes,
    });
  }
  const reportSplit = data.test || data.valIsTest ? 'test' : 'validation';
  const skipped = [...new Map([...data.skipped, ...train.skipped, ...data.val.skipped, ...(data.test?.skipped ?? [])].map((f) => [f.path, f])).values()];
  const seconds = (performance.now() - started) / 1000;
  return { run, history: trainer.history, model, data, report, reportSplit, reportWeights, seconds, skipped, distributed: dist?.ddp ? { ...dist.ddp.stats } : undefined };
}

/** A text-to-image model's vocabulary sources: the class names and the training captions (when the dataset has them). */
function textOf(model: string, data: PreparedData): { classes?: string[]; captions?: string[] } {
  if (!isTextToImageModel(model)) return {};
  const ds = data.train.dataset as Partial<SpecDataset>;
  const captions: string[] = [];
  if (ds.captionOf) for (let i = 0; i < data.train.dataset.length; i++) captions.push(ds.captionOf(i) ?? '');
  return { classes: data.classes, captions: captions.some((c) => c.length > 0) ? captions : undefined };
}

interface LoopPosition {
  epoch: number;
  globalStep: number;
  history: EpochReport[];
  best: TrainerView['best'];
}

/** Remembers the loop position of the last epoch-end checkpoint that was written. */
function trackCheckpointed(): { callback: Callback; state: LoopPosition; from(t: TrainerView): void } {
  const tracker = {
    state: { epoch: 0, globalStep: 0, history: [], best: undefined } as LoopPosition,
    from(t: TrainerView) {
      tracker.state = { epoch: t.epoch, globalStep: t.globalStep, history: [...t.history], best: t.best };
    },
    callback: {
      onEpochEnd(t: TrainerView) {
        tracker.from(t);
      },
    } as Callback,
  };
  return tracker;
}

function earlyStopped(callbacks: Callback[]): boolean {
  return callbacks.some((c) => c instanceof EarlyStopping && c.stoppedEpoch !== null);
}

/** Runs `build`; if it throws, removes the run folder made for it (null: a resumed run or another rank's, kept). */
function discardRunIfThrows<T>(created: RunPaths | null, build: () => T): T {
  try {
    return build();
  } catch (e) {
    if (created) rmSync(created.dir, { recursive: true, force: true });
    throw e;
  }
}

/** Temp files of atomic writes cut short by a kill (`.<name>.<pid>.<time>.tmp`) are garbage: remove them. */
function removeStaleTempFiles(run: RunPaths): void {
  for (const dir of [run.dir, run.checkpoints]) {
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir)) if (/^\..+\.tmp$/.test(name)) rmSync(join(dir, name), { force: true });
  }
}

/** Removes records past the checkpoint (epochs >= `epoch`, batches after `globalStep`) from metrics.jsonl and metrics.csv. */
export function dropRecordsAfter(run: RunPaths, epoch: number, globalStep: number): void {
  if (existsSync(run.metrics)) {
    const lines = readFileSync(run.metrics, 'utf8').split('\n');
    const kept = lines.filter((line) => {
      if (!line.trim()) return false;
      try {
        const rec = JSON.parse(line);
        if (rec.type === 'epoch') return !(rec.epoch >= epoch);
        if (rec.type === 'batch') return !(rec.globalStep > globalStep);
        return true;
      } catch {
        return false; // a line cut short by the kill
      }
    });
    writeFileSync(run.metrics, kept.length ? `${kept.join('\n')}\n` : '');
  }
  const csv = join(run.dir, 'metrics.csv');
  if (existsSync(csv)) {
    const [head, ...rows] = readFileSync(csv, 'utf8').split('\n').filter((l) => l.trim());
    if (head) writeFileSync(csv, `${[head, ...rows.filter((r) => Number(r.split(',')[0]) < epoch)].join('\n')}\n`);
  }
}

function stopAfter(steps: number): Callback {
  return {
    onBatchEnd(trainer) {
      if (trainer.globalStep >= steps) trainer.stopRequested = true;
    },
  };
}
