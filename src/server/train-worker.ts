/** The dashboard's training process: one run from a recipe, reporting every batch and epoch to the server over IPC. */
import { configureTrainingProcess, releaseMemoryEachEpoch } from '../runs/process.ts';
import type { Recipe } from '../runs/recipe.ts';
import { runTraining } from '../runs/run.ts';
import type { Callback } from '../train/types.ts';
import { listenForStop, sendToServer } from './worker-ipc.ts';

// This process exists to train: its memory policy is set here, at the entry point.
configureTrainingProcess();

const stop = listenForStop();
const send = sendToServer;

const reporter: Callback = {
  async onBatchEnd(trainer, report) {
    send({ type: 'batch', time: Date.now(), ...report });
    // With in-memory data a whole epoch runs on resolved promises and the event loop never polls for I/O, so the
    // parent's 'stop' message would never be read: give the loop one turn per batch.
    await new Promise((resolve) => setImmediate(resolve));
    if (stop.requested) trainer.stopRequested = true;
  },
  onEpochEnd(trainer, report) {
    send({ type: 'epoch', time: Date.now(), ...report });
    if (stop.requested) trainer.stopRequested = true;
  },
  onWarning(_trainer, message) {
    send({ type: 'warning', time: Date.now(), message });
  },
};

const recipe = JSON.parse(process.env.SIMMER_RECIPE ?? '{}') as Partial<Recipe>;
try {
  const result = await runTraining(recipe, {
    root: process.env.SIMMER_RUNS_ROOT,
    quiet: true,
    callbacks: [releaseMemoryEachEpoch(), reporter],
    onRunCreated: (run) => send({ type: 'started', id: run.id }),
  });
  send({
    type: 'finished',
    id: result.run.id,
    status: stop.requested ? 'stopped' : 'finished',
    report: result.report ? { accuracy: result.report.accuracy } : null,
  });
} catch (e) {
  send({ type: 'failed', error: (e as Error).message });
  process.exitCode = 1;
}
if (process.connected) process.disconnect();
