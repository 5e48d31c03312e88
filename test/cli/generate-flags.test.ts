/**
 * The sampler flags of `simmer generate` and `simmer eval`: a pixel transformer takes --temperature and --top-k
 * (temperature 0 and top-k 1 are both greedy, so the seed stops mattering; temperature 1 draws, so it matters), and a
 * flag of another family is refused naming the flags this model has — by generate, by eval, and through the CLI.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { evalGenerative, generate } from '../../src/cli/commands/generate.ts';
import { buildGenerativeTraining } from '../../src/models/registry.ts';
import { manualSeed } from '../../src/tensor/random.ts';
import { Trainer } from '../../src/train/trainer.ts';

const classes = ['a', 'b', 'c'];
let dir: string;
const ckpt: Record<string, string> = {};

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'simmer-genflags-'));
  for (const model of ['pixel-transformer-cond', 'ddpm-small', 'vae-cond']) {
    manualSeed(2);
    const built = buildGenerativeTraining(model, { inputShape: [1, 28, 28], numClasses: 3 }, { lr: 1e-3 });
    const config = { recipe: { model, dataset: 'shapes' }, classes, inputShape: [1, 28, 28] };
    ckpt[model] = join(dir, `${model}.safetensors`);
    new Trainer({ model: built.model, optimizer: built.optimizer, task: built.task, config }).saveCheckpoint(ckpt[model]);
  }
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** The PNG bytes `simmer generate` writes for the pixel transformer with these flags. */
async function images(flags: { seed: number; temperature?: number; topK?: number }): Promise<Buffer[]> {
  const out = mkdtempSync(join(dir, 'out-'));
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = () => true; // generate's summary line would interleave with the test report
  try {
    await generate(ckpt['pixel-transformer-cond'], { class: ['1'], n: 3, out, runs: dir, ...flags });
  } finally {
    process.stdout.write = write;
  }
  return readdirSync(out)
    .sort()
    .map((f) => readFileSync(join(out, f)));
}

test('generate --temperature 0 and --top-k 1 are greedy: the same images whatever the seed; temperature 1 depends on it', async () => {
  const greedy1 = await images({ seed: 1, temperature: 0 });
  const greedy2 = await images({ seed: 2, temperature: 0 });
  assert.equal(greedy1.length, 3);
  assert.deepEqual(greedy2, greedy1);
  assert.deepEqual(await images({ seed: 3, topK: 1 }), greedy1, 'top-k 1 is greedy too');
  const drawn1 = await images({ seed: 1, temperature: 1 });
  assert.deepEqual(await images({ seed: 1, temperature: 1 }), drawn1, 'same seed, same draw');
  assert.notDeepEqual(await images({ seed: 2, temperature: 1 }), drawn1);
  assert.notDeepEqual(drawn1, greedy1);
});

test('a flag of another family is refused with the flags this model takes', async () => {
  await assert.rejects(
    generate(ckpt['pixel-transformer-cond'], { class: ['0'], n: 1, seed: 1, runs: dir, guidance: 2, grid: join(dir, 'g.png') }),
    /--guidance does not apply to pixel-transformer-cond \(pixel-transformer\); it takes --temperature, --top-k/,
  );
  await assert.rejects(
    generate(ckpt['vae-cond'], { class: ['0'], n: 1, seed: 1, runs: dir, steps: 5, grid: join(dir, 'g.png') }),
    /--steps does not apply to vae-cond \(vae\); it samples in one pass and takes no sampler flags/,
  );
  await assert.rejects(
    evalGenerative(ckpt['ddpm-small'], { runs: dir, sampling: { steps: 5, temperature: 0.5 } }),
    /--temperature does not apply to ddpm-small \(ddpm\); it takes --steps, --sampler, --eta, --guidance/,
  );
});

test('simmer eval takes --steps, --guidance and --per-class for a generative checkpoint (and checks them against the model)', () => {
  const r = spawnSync(process.execPath, ['bin/simmer.js', 'eval', ckpt['pixel-transformer-cond'], '--steps', '5', '--guidance', '1.5', '--per-class', '4'], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /--steps does not apply to pixel-transformer-cond \(pixel-transformer\); it takes --temperature, --top-k/);
  const help = spawnSync(process.execPath, ['bin/simmer.js', 'eval', '--help'], { encoding: 'utf8', timeout: 60_000 });
  for (const flag of ['--steps', '--guidance', '--sampler', '--eta', '--temperature', '--top-k', '--per-class'])
    assert.match(help.stdout, new RegExp(`${flag} `));
});
