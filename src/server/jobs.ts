/**
 * The server's side of ./dashboard-worker.ts: one forked compute process per lane ('sample', 'project'), started on
 * the first job and kept for the next ones (so a model opened once stays open), one job at a time in arrival order.
 * Cancelling the running job (the browser went away) kills the process; the next job starts a fresh one. The
 * process runs at a lower priority so the dashboard keeps answering while it computes.
 * @example
 *   const jobs = new JobRunner();
 *   const { result, cancel } = jobs.run('sample', { kind: 'sample', ... }, (step) => sse.send('step', step));
 */
import { type ChildProcess, fork } from 'node:child_process';
import { setPriority } from 'node:os';
import type { Job } from './dashboard-worker.ts';

const workerUrl = new URL(`./dashboard-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

export type Lane = 'sample' | 'project';

interface Pending {
  id: number;
  job: Job;
  onStep: (message: Record<string, unknown>) => void;
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
}

/** A job that failed inside the worker (a bad request it could only find out there): reported as 400. */
export class JobError extends Error {
  readonly statusCode = 400;
}

class Lane1 {
  private child: ChildProcess | null = null;
  private current: Pending | null = null;
  private readonly queue: Pending[] = [];
  private stderr = '';

  private spawn(): ChildProcess {
    const child = fork(workerUrl, [], {
      execArgv: import.meta.url.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : [],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    try {
      if (child.pid) setPriority(child.pid, 5);
    } catch {
      // not permitted here; it still computes
    }
    child.on('error', () => {});
    child.stderr?.on('data', (d) => {
      this.stderr = (this.stderr + d).slice(-2000);
    });
    child.on('message', (m: Record<string, unknown>) => {
      const p = this.current;
      if (!p) return;
      if (m.type === 'step') p.onStep(m);
      else if ((m.type === 'done' || m.type === 'failed') && m.id === p.id) {
        this.current = null;
        if (m.type === 'done') p.resolve(m.result);
        else p.reject(new JobError(String(m.error)));
        this.next();
      }
    });
    child.on('exit', (code, signal) => {
      if (this.child === child) this.child = null;
      const p = this.current;
      if (p) {
        this.current = null;
        const last = this.stderr.trim().split('\n').pop() ?? '';
        p.reject(new Error(`the dashboard's compute process exited (${signal ?? `code ${code}`})${last ? `: ${last}` : ''}`));
        this.next();
      }
    });
    return child;
  }

  private next(): void {
    if (this.current) return;
    const p = this.queue.shift();
    if (!p) return;
    this.current = p;
    this.child ??= this.spawn();
    this.child.send({ type: 'job', id: p.id, job: p.job });
  }

  add(p: Pending): void {
    this.queue.push(p);
    this.next();
  }

  cancel(id: number): void {
    const q = this.queue.findIndex((p) => p.id === id);
    if (q >= 0) {
      this.queue.splice(q, 1)[0].reject(new Error('cancelled'));
      return;
    }
    if (this.current?.id === id) {
      const child = this.child;
      this.child = null;
      const p = this.current;
      this.current = null;
      child?.kill('SIGKILL');
      p.reject(new Error('cancelled'));
      this.next();
    }
  }

  close(): void {
    for (const p of this.queue.splice(0)) p.reject(new Error('the server is closing'));
    this.current?.reject(new Error('the server is closing'));
    this.current = null;
    this.child?.kill('SIGKILL');
    this.child = null;
  }
}

export class JobRunner {
  private readonly lanes = new Map<Lane, Lane1>();
  private nextId = 1;

  run<T>(lane: Lane, job: Job, onStep: (message: Record<string, unknown>) => void = () => {}): { result: Promise<T>; cancel(): void } {
    let l = this.lanes.get(lane);
    if (!l) {
      l = new Lane1();
      this.lanes.set(lane, l);
    }
    const id = this.nextId++;
    const result = new Promise<T>((resolve, reject) => l.add({ id, job, onStep, resolve: resolve as (v: unknown) => void, reject }));
    return { result, cancel: () => l.cancel(id) };
  }

  close(): void {
    for (const l of this.lanes.values()) l.close();
  }
}
