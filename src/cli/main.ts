#!/usr/bin/env node
/**
 * The `simmer` command. Each verb lives in ./commands/<verb>.ts and only calls the library (src/train, src/data, …).
 * Errors are printed as one clear line (set SIMMER_DEBUG=1 for the stack) and exit with status 1.
 */
import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import '../index.ts';
import { configureTrainingProcess } from '../runs/process.ts';
import { register as registerAudit } from './commands/audit.ts';
import { register as registerAugmentPreview } from './commands/augment-preview.ts';
import { register as registerCluster } from './commands/cluster.ts';
import { register as registerEmbed } from './commands/embed.ts';
import { register as registerEval } from './commands/eval.ts';
import { register as registerExport } from './commands/export.ts';
import { register as registerGenerate } from './commands/generate.ts';
import { register as registerInfo } from './commands/info.ts';
import { register as registerModels } from './commands/models.ts';
import { register as registerPredict } from './commands/predict.ts';
import { register as registerRl } from './commands/rl.ts';
import { register as registerRuns } from './commands/runs.ts';
import { register as registerServe } from './commands/serve.ts';
import { register as registerStart } from './commands/start.ts';
import { register as registerTrain } from './commands/train.ts';
import { cliMessage } from './errors.ts';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('simmer')
    .description('Train, evaluate and explain image models on your CPU, in TypeScript.')
    .version(pkg.version)
    .showHelpAfterError('(run with --help for usage)')
    .configureHelp({ sortSubcommands: false });
  registerStart(program);
  registerTrain(program);
  registerRl(program);
  registerEval(program);
  registerGenerate(program);
  registerPredict(program);
  registerExport(program);
  registerRuns(program);
  registerAudit(program);
  registerCluster(program);
  registerEmbed(program);
  registerAugmentPreview(program);
  registerServe(program);
  registerModels(program);
  registerInfo(program);
  return program;
}

/** Piping into `head` closes stdout early: that is the reader being done, not an error worth a stack trace. */
function exitQuietlyOnEpipe(stream: NodeJS.WriteStream): void {
  stream.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}

async function main(): Promise<void> {
  // This process trains: its memory policy (V8 young generation) is set here, at the entry point.
  configureTrainingProcess();
  exitQuietlyOnEpipe(process.stdout);
  exitQuietlyOnEpipe(process.stderr);
  try {
    await buildProgram().parseAsync(process.argv);
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`\nsimmer: ${cliMessage(err)}\n`);
    if (process.env.SIMMER_DEBUG) process.stderr.write(`${err.stack}\n`);
    process.exitCode = 1;
  }
}

await main();
