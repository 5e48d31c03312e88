/**
 * `simmer rl` end to end as a user runs it: a short DQN run on the small gridworld writes a run folder with
 * checkpoints and metrics, `--resume` continues it (and refuses another environment), `simmer rl play` reports the
 * mean return and writes a PNG strip; Ctrl-C (SIGINT) part way stops a run cleanly.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import sharp from 'sharp';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'simmer.js');
const runs = mkdtempSync(join(tmpdir(), 'simmer-rl-cli-'));

function simmer(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const SMALL_DQN = JSON.stringify({
  hidden: [16],
  learningStarts: 100,
  trainFreq: 2,
  gradientSteps: 1,
  targetUpdateInterval: 100,
  epsilonSteps: 300,
  chunk: 200,
  batchSize: 16,
});

describe('simmer rl', () => {
  test('train, resume, play', async () => {
    const help = simmer(['rl', '--help']);
    assert.equal(help.code, 0);
    for (const verb of ['cartpole', 'gridworld', 'pixel-gridworld', 'play']) assert.match(help.stdout, new RegExp(`\\b${verb}\\b`));

    const r = simmer(['rl', 'gridworld', '--algo', 'dqn', '--seed', '2', '--steps', '400', '--config', SMALL_DQN, '--runs', runs, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.envSteps, 400);
    assert.ok(out.evaluations.length >= 1);
    assert.match(r.stderr, /steps \d+ │ episodes \d+ │ episode reward \(last 20\)|eval at \d+ steps/);
    const dir = join(runs, out.run);
    for (const f of ['config.json', 'metrics.jsonl', 'summary.json', 'checkpoints/last.safetensors', 'checkpoints/best.safetensors'])
      assert.ok(existsSync(join(dir, f)), f);
    assert.equal(JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')).envSteps, 400);
    assert.match(readFileSync(join(dir, 'metrics.jsonl'), 'utf8'), /"type":"evaluation"/);

    const again = simmer(['rl', 'gridworld', '--resume', out.run, '--runs', runs, '--json']);
    assert.equal(again.code, 0, again.stderr);
    assert.equal(JSON.parse(again.stdout).envSteps, 400, 'the budget was spent: resuming takes no more steps');
    const wrong = simmer(['rl', 'cartpole', '--resume', out.run, '--runs', runs]);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /trained on gridworld, not cartpole/);

    const png = join(runs, 'strip.png');
    const play = simmer(['rl', 'play', out.run, '--runs', runs, '--episodes', '5', '--frames', '6', '--out', png, '--json']);
    assert.equal(play.code, 0, play.stderr);
    const p = JSON.parse(play.stdout);
    assert.equal(p.episodes, 5);
    assert.ok(Number.isFinite(p.meanReturn));
    const meta = await sharp(png).metadata();
    assert.equal(meta.format, 'png');
    assert.ok((meta.width ?? 0) > (meta.height ?? 0), 'a horizontal strip of frames');

    const bad = simmer(['rl', 'cartpole', '--algo', 'a2c']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--algo must be one of ppo, dqn, reinforce/);
  });

  test('SIGINT part way stops the run with a last checkpoint and a stopped summary', async () => {
    const root = mkdtempSync(join(tmpdir(), 'simmer-rl-sigint-'));
    const child = spawn(
      process.execPath,
      [BIN, 'rl', 'gridworld', '--algo', 'dqn', '--seed', '3', '--steps', '1000000', '--config', SMALL_DQN, '--runs', root, '--json'],
      {
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (d) => (stdout += d));
    // Interrupt once training is under way: the first progress line on stderr.
    await new Promise<void>((resolve) => child.stderr.on('data', (d) => String(d).includes('steps ') && resolve()));
    child.kill('SIGINT');
    // A loop that never yields would never see the signal: kill it rather than hang the suite.
    const guard = setTimeout(() => child.kill('SIGKILL'), 120_000);
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    clearTimeout(guard);
    assert.equal(code, 0, 'exited by itself after SIGINT');
    const out = JSON.parse(stdout);
    assert.equal(out.interrupted, true);
    assert.ok(out.envSteps < 1_000_000, `stopped at ${out.envSteps} steps, before the budget`);
    const [id] = readdirSync(root);
    const summary = JSON.parse(readFileSync(join(root, id, 'summary.json'), 'utf8'));
    assert.deepEqual({ status: summary.status, envSteps: summary.envSteps }, { status: 'stopped', envSteps: out.envSteps });
    assert.ok(existsSync(join(root, id, 'checkpoints', 'last.safetensors')));
  });
});
