/**
 * Data-parallel training on real Open MPI processes (mpirun, local ranks): parameters stay bit-identical across 2 and
 * 3 ranks after every step; 2 ranks at batch 32 follow one process at batch 64 to float rounding for 50 steps; a rank
 * that freezes or dies makes the others exit non-zero naming it; a 2-rank run resumes on 1 process. Skips without
 * mpirun and the MPI addon (fails instead under SIMMER_REQUIRE_MPI, as in CI).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { mpiUnavailable } from '../../src/distributed/mpi.ts';
import { skipUnless } from '../helpers/requirements.ts';

const hasMpirun = !spawnSync('mpirun', ['--version'], { stdio: 'ignore' }).error;
const problem = hasMpirun ? mpiUnavailable() : 'mpirun is not on the PATH';
const skip = skipUnless('mpi', problem === null, problem);
const fixture = join(import.meta.dirname, 'fixtures', 'ddp-steps.ts');
const bin = join(import.meta.dirname, '..', '..', 'bin', 'simmer.js');
// --oversubscribe lets 3 ranks share 2 cores. The shared-memory copy is the addon's own choice (cross-memory attach
// where the kernel allows it), as for a user's mpirun.
const env = { ...process.env, SIMMER_THREADS: '1', SIMMER_DIST_TIMEOUT: '4' };

function mpirun(np: number, args: string[], timeoutMs = 120_000, runEnv: NodeJS.ProcessEnv = env) {
  const r = spawnSync('mpirun', ['--allow-run-as-root', '--oversubscribe', '-np', String(np), 'node', ...args], {
    env: runEnv,
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', out: `${r.stdout}\n${r.stderr}` };
}

function lastJson(stdout: string): Record<string, unknown> {
  const line = stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .pop();
  assert.ok(line, `no JSON result in: ${stdout}`);
  return JSON.parse(line);
}

describe('distributed data parallel (mpirun)', { skip }, () => {
  const root = mkdtempSync(join(tmpdir(), 'simmer-ddp-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  test('3 ranks starting from different weights hold bit-identical parameters after every step', () => {
    const r = mpirun(3, ['--import', 'tsx', fixture, 'identical', '8']);
    assert.equal(r.status, 0, r.out);
    const res = lastJson(r.stdout);
    assert.equal(res.size, 3);
    assert.deepEqual(res.mismatches, []);
  });

  test('2 ranks at batch 32 are bit-identical and follow one process at batch 64 to float rounding for 50 steps', () => {
    const r = mpirun(2, ['--import', 'tsx', fixture, 'follow', '50']);
    assert.equal(r.status, 0, r.out);
    const res = lastJson(r.stdout) as { steps: number; diffs: number[]; moved: number; mismatches: string[] };
    assert.equal(res.steps, 50);
    assert.deepEqual(res.mismatches, []);
    // The parameters moved by ~0.1; the two runs differ only by the rounding of a sum taken in another order.
    assert.ok(res.moved > 1e-2, `training moved the parameters by only ${res.moved}`);
    const worst = Math.max(...res.diffs);
    assert.ok(worst < 1e-6, `largest parameter difference ${worst} after ${res.diffs.indexOf(worst) + 1} steps`);
  });

  test('a rank that freezes makes the others exit non-zero, naming it, within the heartbeat timeout', () => {
    const t0 = Date.now();
    const r = mpirun(3, ['--import', 'tsx', fixture, 'hang', '1000']);
    assert.notEqual(r.status, 0, r.out);
    assert.match(r.out, /distributed training lost rank 1 \(pid \d+ on [^)]+\): no heartbeat for [\d.]+ s/);
    assert.ok(Date.now() - t0 < 100_000);
  });

  test('a rank that dies makes the run exit non-zero with the lost rank named', () => {
    const r = mpirun(2, ['--import', 'tsx', fixture, 'die', '1000']);
    assert.notEqual(r.status, 0, r.out);
    // mpirun sees the SIGKILL first and names the rank; a survivor's watchdog would say "lost rank 1".
    assert.match(r.out, /rank 1 .*(exited on signal 9|Killed)|lost rank 1/s);
  });

  test('a 2-rank run resumes on 1 process at the same point of its epoch', () => {
    const runs = join(root, 'runs');
    // Without SIMMER_THREADS, the ranks share the machine's cores instead of each starting one thread per core.
    const { SIMMER_THREADS: _, ...unset } = env;
    const first = mpirun(
      2,
      [
        bin,
        'train',
        'shapes',
        '--model',
        'mlp',
        '--limit',
        '256',
        '--batch-size',
        '16',
        '--epochs',
        '2',
        '--checkpoint-every',
        '3',
        '--max-steps',
        '4',
        '--runs',
        runs,
        '--json',
        '--distributed',
      ],
      120_000,
      unset,
    );
    assert.equal(first.status, 0, first.out);
    const threads = Number(/distributed: 2 processes on [^,]+, (\d+) kernel thread\(s\)/.exec(first.stderr)?.[1]);
    assert.ok(threads >= 1 && 2 * threads <= Math.max(2, cpus().length), `each of 2 ranks runs ${threads} kernel threads on ${cpus().length} cores`);
    const id = (lastJsonBlock(first.stdout) as { run: string }).run;
    const config = JSON.parse(readFileSync(join(runs, id, 'config.json'), 'utf8'));
    assert.equal(config.recipe.batchSize, 16);
    const second = spawnSync(process.execPath, [bin, 'train', '--resume', id, '--runs', runs, '--json'], { env, encoding: 'utf8', timeout: 120_000 });
    assert.equal(second.status, 0, `${second.stdout}\n${second.stderr}`);
    // The checkpoint at rank-step 3 of 8 (2 ranks × 16) is 3/8 of the epoch: batch 6 of 16 on one process.
    assert.match(second.stderr, /checkpointed by 2 process\(es\) on 1: continuing at batch 7 of 16 of epoch 1/);
    const res = lastJsonBlock(second.stdout) as { history: { epoch: number }[]; report: { accuracy: number } };
    assert.deepEqual(
      res.history.map((h) => h.epoch),
      [0, 1],
    );
    assert.ok(res.report.accuracy > 0);
    assert.ok(existsSync(join(runs, id, 'checkpoints', 'last.safetensors')));
  });
});

/** The --json output is one pretty-printed object at the end of stdout. */
function lastJsonBlock(stdout: string): Record<string, unknown> {
  const at = stdout.lastIndexOf('\n{\n');
  return JSON.parse(at >= 0 ? stdout.slice(at + 1) : stdout.slice(stdout.indexOf('{')));
}
