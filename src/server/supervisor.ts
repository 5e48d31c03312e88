/**
 * Runs started from the dashboard: each trains in its own child process (./train-worker.ts), which reports every
 * batch and epoch over IPC. The supervisor keeps the live state of those runs in memory — status, the batch curve,
 * subscribers — and fans the reports out to server-sent-event streams. Everything durable is in the run folder, so a
 * browser reload (or another browser) picks up a run where it is.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { setPriority } from 'node:os';
import type { Recipe } from '../runs/recipe.ts';
import { checkRunCapacity } from './guard.ts';

export interface LiveEvent {
  type: 'batch' | 'epoch' | 'warning' | 'status';
  [key: string]: unknown;
}

export interface LiveRun {
  id: string;
  status: 'running' | 'stopping' | 'finished' | 'stopped' | 'failed';
  error?: string;
  recipe: Partial<Recipe>;
  /** Every batch report of this session (the run folder keeps every 10th). */
  batches: Record<string, unknown>[];
  events: EventEmitter;
  child: ChildProcess;
}

const MAX_BATCHES = 20_000;
/** The worker programs: a recipe's training run, or an RL agent's (its spec in place of the recipe). */
export type WorkerKind = 'train' | 'rl';
const workerUrl = (kind: WorkerKind) => new URL(`./${kind}-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export class RunSupervisor {
  private readonly runs = new Map<string, LiveRun>();

  /** Starts in flight (forked, not yet training): they count against the cap too. */
  private starting = 0;

  /** `maxRuns`: how many runs may train at once (default $SIMMER_MAX_RUNS or 2); one more is refused with a 429. */
  constructor(
    private readonly runsRoot: string,
    readonly maxRuns = Number(process.env.SIMMER_MAX_RUNS) || 2,
  ) {}

  get(id: string): LiveRun | undefined {
    return this.runs.get(id);
  }

  all(): LiveRun[] {
    return [...this.runs.values()];
  }

  /** Starts a run and resolves with its id once training has begun; rejects with the worker's error if it fails first. */
  start(recipe: Partial<Recipe>, timeoutMs = 120_000, kind: WorkerKind = 'train'): Promise<LiveRun> {
    checkRunCapacity(this.all(), this.starting, this.maxRuns);
    this.starting++;
    return this.launch(recipe, timeoutMs, kind).finally(() => this.starting--);
  }

  private launch(recipe: Partial<Recipe>, timeoutMs: number, kind: WorkerKind): Promise<LiveRun> {
    const child = fork(workerUrl(kind), [], {
      // tsx is resolved from here, not from the working directory, so `simmer serve` works from any folder.
      execArgv: import.meta.url.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [],
      env: { ...process.env, SIMMER_RECIPE: JSON.stringify(recipe), SIMMER_RUNS_ROOT: this.runsRoot },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    // Training yields the CPU to the server: the dashboard must answer while a run trains.
    try {
      if (child.pid) setPriority(child.pid, 10);
    } catch {
      // Not permitted on some systems; the run still trains.
    }
    // A message to a process that is just exiting fails with EPIPE; the exit handler below settles the run.
    child.on('error', () => {});
    let stderr = '';
    child.stderr?.on('data', (d) => {
      stderr = (stderr + d).slice(-4000);
    });
    return new Promise((resolve, reject) => {
      let run: LiveRun | undefined;
      const timer = setTimeout(() => {
        if (!run) {
          child.kill();
          reject(new Error('the training process did not start within the time limit'));
        }
      }, timeoutMs);
      child.on('message', (m: Record<string, unknown>) => {
        if (m.type === 'started' && typeof m.id === 'string') {
          clearTimeout(timer);
          run = { id: m.id, status: 'running', recipe, batches: [], events: new EventEmitter(), child };
          run.events.setMaxListeners(0);
          this.runs.set(m.id, run);
          resolve(run);
        } else if (!run) {
          if (m.type === 'failed') {
            clearTimeout(timer);
            reject(new StartError(String(m.error)));
          }
        } else if (m.type === 'batch') {
          if (run.batches.length < MAX_BATCHES) run.batches.push(m);
          run.events.emit('event', m as LiveEvent);
        } else if (m.type === 'epoch' || m.type === 'warning') {
          run.events.emit('event', m as LiveEvent);
        } else if (m.type === 'finished' || m.type === 'failed') {
          this.settle(run, m.type === 'failed' ? 'failed' : (m.status as LiveRun['status']), m.error as string | undefined);
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        if (!run) {
          reject(new StartError(`the training process exited (code ${code}) before training began${stderr ? `: ${lastLine(stderr)}` : ''}`));
        } else if (run.status === 'running' || run.status === 'stopping') {
          this.settle(
            run,
            run.status === 'stopping' ? 'stopped' : 'failed',
            code ? `the training process exited with code ${code}: ${lastLine(stderr)}` : undefined,
          );
        }
      });
    });
  }

  private settle(run: LiveRun, status: LiveRun['status'], error?: string): void {
    run.status = status;
    if (error) run.error = error;
    run.events.emit('event', { type: 'status', status, error });
  }

  /** Asks a running run to stop after its current batch; false when it is not running here. */
  stop(id: string): boolean {
    const run = this.runs.get(id);
    if (run?.status !== 'running') return false;
    run.status = 'stopping';
    run.child.send({ type: 'stop' }, () => {});
    run.events.emit('event', { type: 'status', status: 'stopping' });
    return true;
  }

  /** Stops every run and waits (up to timeoutMs) for the processes to exit; then kills what is left. */
  async close(timeoutMs = 5000): Promise<void> {
    const alive = [...this.runs.values()].filter((r) => r.child.exitCode === null && r.child.signalCode === null);
    for (const r of alive) if (r.child.connected) r.child.send({ type: 'stop' }, () => {});
    await Promise.all(
      alive.map(
        (r) =>
          new Promise<void>((resolve) => {
            const t = setTimeout(() => {
              r.child.kill('SIGKILL');
              resolve();
            }, timeoutMs);
            r.child.once('exit', () => {
              clearTimeout(t);
              resolve();
            });
          }),
      ),
    );
  }
}

/** A run that could not start (bad recipe, missing dataset): the client's fault, reported as 400. */
export class StartError extends Error {}

function lastLine(text: string): string {
  const lines = text.trim().split('\n');
  return lines[lines.length - 1] ?? '';
}
