/**
 * The dashboard's RL training process: one `simmer rl`-style run from a spec (env, algo, seed, budget), reporting
 * start, end and failure to the server over IPC in the train worker's protocol. Its curve reaches the page the way a
 * CLI run's does: from the run folder's metrics.jsonl (src/runs/rl-runs.ts), so both kinds of run show alike.
 */
import type { RlRunOptions } from '../rl/run.ts';
import { configureTrainingProcess } from '../runs/process.ts';
import { trainRlRun } from '../runs/rl-runs.ts';
import { listenForStop, sendToServer } from './worker-ipc.ts';

configureTrainingProcess();

const stop = listenForStop();
const send = sendToServer;

const spec = JSON.parse(process.env.SIMMER_RECIPE ?? '{}') as RlRunOptions;
try {
  const r = await trainRlRun(process.env.SIMMER_RUNS_ROOT ?? 'runs', spec, {
    onRunCreated: (run) => send({ type: 'started', id: run.id }),
    shouldStop: () => stop.requested,
  });
  send({ type: 'finished', id: r.run.id, status: stop.requested ? 'stopped' : 'finished', report: { solved: r.result.solved } });
} catch (e) {
  send({ type: 'failed', error: (e as Error).message });
  process.exitCode = 1;
}
if (process.connected) process.disconnect();
