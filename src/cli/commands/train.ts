/** `simmer train <dataset>`: train a model, validating every epoch, into a run folder. */
import { type Command, InvalidArgumentError } from 'commander';
import { isGenerativeModel } from '../../models/registry.ts';
import { formatConfusion } from '../../train/metrics.ts';
import { formatDataSummary } from '../../runs/data-setup.ts';
import { profileCallback } from '../../profile/index.ts';
import { releaseMemoryEachEpoch } from '../../runs/process.ts';
import { runTraining } from '../../runs/run.ts';
import { resolveRecipe } from '../../runs/recipe.ts';
import { nativeInfo } from '../../backend/native/load.ts';
import { compareWithScratch, formatScratchComparison } from '../../runs/compare-scratch.ts';
import { addRecipeOptions, number, recipeFromOptions } from '../options.ts';
import { trainConceptCommand } from './train-concept.ts';

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a model on a dataset (fashion-mnist, shapes, an image folder or a manifest) and validate it every epoch')
    .argument('[dataset]', "'fashion-mnist', 'shapes', a folder with one subfolder per class, or a CSV/JSON manifest", 'shapes');
  addRecipeOptions(cmd)
    .option('--resume <run>', 'continue a run (its id under runs/, or its folder) from its last checkpoint')
    .option('--runs <dir>', 'folder holding runs', process.env.SIMMER_RUNS ?? 'runs')
    .option('--max-steps <n>', 'stop after N batches in total', number('--max-steps', { integer: true, min: 1 }))
    .option('--early-stop <epochs>', 'stop when the validation loss has not improved for this many epochs', number('--early-stop', { integer: true, min: 1 }))
    .option('--json', 'print the result as JSON on stdout (progress still goes to stderr)')
    .option('-q, --quiet', 'no progress output')
    .option(
      '--compare-scratch',
      'after training, train the same architecture from random weights with the same budget and compare test accuracy (for --from runs)',
    )
    .option(
      '--distributed',
      'data-parallel training on the processes mpirun started (mpirun -np 2 simmer train ... --distributed); --batch-size is per process',
    )
    .option('--concept <word>', 'with --from <text2img run> and a folder of 10–30 pictures: teach the model this new word (LoRA adapter)')
    .option('--rank <r>', 'with --concept: LoRA rank (default 4)', number('--rank', { integer: true, min: 1 }))
    .option('--alpha <a>', 'with --concept: LoRA alpha; the update is scaled by alpha/rank (default = rank)', number('--alpha', { min: 0 }))
    .option('--adapter-out <file>', 'with --concept: the adapter file to write (default <word>.safetensors)')
    .option('--no-text-lora', "with --concept: adapt the U-Net's cross-attention only, not the text encoder's self-attention")
    .option('--profile', 'time every kernel and op of the fit and print a table sorted by total time (stderr)')
    .option('--profile-trace <file>', 'with or without --profile: also write a Chrome trace (open in ui.perfetto.dev)')
    .action(async (dataset: string, o: Record<string, unknown>) => {
      // Only rank 0 of a distributed run prints; MPI starts before anything else so the others know to keep quiet.
      const mpi = o.distributed ? await import('../../distributed/mpi.ts') : null;
      const comm = mpi ? mpi.initMpi() : null;
      if (mpi && comm?.size === 1 && !mpi.underMpiLauncher())
        process.stderr.write('--distributed: not started by mpirun, so this is one process; start N with: mpirun -np N simmer train ... --distributed\n');
      if (comm && comm.rank !== 0) o.quiet = true;
      if (comm && comm.rank !== 0) o.json = false;
      if (o.concept !== undefined) return trainConceptCommand(dataset, o, (name) => cmd.getOptionValueSource(name) === 'cli');
      const recipe = recipeFromOptions(dataset, o);
      // --from brings its own network; a --model beside it would be silently ignored (a generative one is refused later).
      if (recipe.from && cmd.getOptionValueSource('model') === 'cli' && !isGenerativeModel(recipe.model ?? ''))
        throw new InvalidArgumentError(
          `--model ${recipe.model} and --from ${recipe.from} were both given: --from brings its own network and gives it a new head, so drop --model (or drop --from to train ${recipe.model} from scratch)`,
        );
      if (comm && comm.size > 1 && !o.quiet && !o.resume) {
        const hosts = [...new Set(comm.hosts)];
        const batch = resolveRecipe(recipe).batchSize;
        const threads = nativeInfo().info?.threads;
        process.stderr.write(
          `distributed: ${comm.size} processes on ${hosts.length === 1 ? hosts[0] : `${hosts.length} machines (${hosts.join(', ')})`}, ${threads ? `${threads} kernel thread(s) and ` : ''}batch ${batch} each = ${comm.size * batch} images per step\n`,
        );
      }
      // With --resume, only flags given explicitly override the saved recipe.
      const explicitEpochs = cmd.getOptionValueSource('epochs') === 'cli' ? { epochs: recipe.epochs } : {};
      const result = await runTraining(o.resume ? explicitEpochs : recipe, {
        root: o.runs as string,
        resume: o.resume as string | undefined,
        quiet: Boolean(o.quiet),
        distributed: Boolean(o.distributed),
        maxSteps: o.maxSteps as number | undefined,
        earlyStopPatience: o.earlyStop as number | undefined,
        callbacks: [releaseMemoryEachEpoch(), ...(o.profile || o.profileTrace ? [profileCallback({ tracePath: o.profileTrace as string | undefined })] : [])],
        onDataReady: (summary) => {
          if (!o.quiet) process.stderr.write(`${formatDataSummary(summary)}\n`);
        },
        onTransfer: (message) => {
          if (!o.quiet) process.stderr.write(`${message}\n`);
        },
      });
      comm?.finalize();
      const sync = result.distributed;
      if (sync && sync.steps > 0 && !o.quiet && !o.json) {
        const perStep = sync.waitMs / sync.steps;
        process.stderr.write(
          `all-reduce: ${sync.allreduces} bucket all-reduces over ${sync.steps} steps; training waited ${perStep.toFixed(1)} ms per step for gradients after backward (${((100 * sync.waitMs) / 1000 / result.seconds).toFixed(1)}% of the run)\n`,
        );
      }
      const comparison = o.compareScratch
        ? await compareWithScratch(`${result.run.checkpoints}/last.safetensors`, { log: (l) => void (o.quiet || process.stderr.write(`${l}\n`)) })
        : undefined;
      if (o.json) {
        process.stdout.write(
          `${JSON.stringify(
            {
              run: result.run.id,
              dir: result.run.dir,
              seconds: result.seconds,
              skipped: result.skipped,
              ...(result.distributed ? { distributed: result.distributed } : {}),
              ...(comparison ? { compareScratch: comparison } : {}),
              history: result.history,
              report: result.report
                ? {
                    split: result.reportSplit,
                    weights: result.reportWeights,
                    loss: result.report.loss,
                    accuracy: result.report.accuracy,
                    topK: result.report.topK,
                    k: result.report.k,
                    confusion: result.report.confusion.toArray(),
                  }
                : null,
            },
            null,
            2,
          )}\n`,
        );
        return;
      }
      if (o.quiet) return;
      const out = process.stdout;
      out.write(`\nrun ${result.run.id} (${result.run.dir}) in ${result.seconds.toFixed(1)}s\n`);
      if (result.skipped.length > 0) {
        out.write(`${result.skipped.length} file(s) could not be read and were left out of training and validation:\n`);
        for (const f of result.skipped.slice(0, 20)) out.write(`  ${f.path}: ${f.reason}\n`);
        if (result.skipped.length > 20) out.write(`  … and ${result.skipped.length - 20} more\n`);
      }
      if (result.report) {
        const epochs = result.history.length;
        out.write(
          `\n${result.reportSplit === 'test' ? 'Test' : 'Validation'} set (${result.report.count} images never used for training), scored with the ${result.reportWeights} weights (epoch ${epochs}):\n`,
        );
        out.write(`${formatConfusion(result.report.confusion, result.data.classes)}\n`);
      }
      if (comparison) out.write(`${formatScratchComparison(comparison)}\n`);
      out.write(`checkpoints: ${result.run.checkpoints}/last.safetensors, best.safetensors\n`);
    });
}
