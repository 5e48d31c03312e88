/**
 * The transfer benchmark's data as a user picks it on the command line: `simmer train fashion-mnist --classes 0-4`
 * pretrains on five classes, `--classes Sandal,…,'Ankle boot' --per-class 20 --from <that run>` fine-tunes on the
 * other five from 20 labelled images each. Checked: the run stores the fields, trains on exactly N per class, scores
 * on the test split's 1,000 images of each chosen class, keeps their names (against the raw IDX labels), `eval` sees
 * the same classes, and a bad class or too large a --per-class fails before a run folder exists, saying why;
 * `--cut` fine-tunes a head on a lower layer's features and the checkpoint opens again.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { FASHION_MNIST_DIR } from '../../src/data/idx.ts';
import { resolveRecipe } from '../../src/runs/recipe.ts';
import { skipUnless } from '../helpers/requirements.ts';

const BIN = join(import.meta.dirname, '..', '..', 'bin', 'simmer.js');
const root = mkdtempSync(join(tmpdir(), 'simmer-classes-cli-'));
const runs = join(root, 'runs');
after(() => rmSync(root, { recursive: true, force: true }));
const skip = skipUnless('fashion-mnist', existsSync(FASHION_MNIST_DIR), `not installed at ${FASHION_MNIST_DIR}`);

function simmer(args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', timeout: 180_000, env: { ...process.env, SIMMER_THREADS: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const QUICK = ['--epochs', '1', '--batch-size', '32', '--json', '--runs', runs];
const confusionTotal = (rows: number[][]) => rows.map((r) => r.reduce((a, b) => a + b, 0));

describe('simmer train --classes --per-class', { skip }, () => {
  let pretrain = '';

  test('--classes 0-4 --per-class 40: 200 training images, scored on the 5,000 test images of those classes', () => {
    const r = simmer(['train', 'fashion-mnist', '--classes', '0-4', '--per-class', '40', ...QUICK]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /data: 5 classes, 28×28×1; 200 train, 5000 validation \(the dataset's test split\)/);
    const out = JSON.parse(r.stdout);
    pretrain = out.run;
    assert.deepEqual(confusionTotal(out.report.confusion), [1000, 1000, 1000, 1000, 1000], 'every test image of classes 0–4, each class in its row');
    const config = JSON.parse(readFileSync(join(runs, pretrain, 'config.json'), 'utf8'));
    assert.equal(config.recipe.classes, '0-4');
    assert.equal(config.recipe.perClass, 40);
  });

  test('--classes by name --per-class 20 --from the 0–4 run: a new head for the other five, names kept, eval agrees', () => {
    const r = simmer(['train', 'fashion-mnist', '--classes', 'Sandal,shirt,Sneaker,Bag,Ankle boot', '--per-class', '20', '--from', pretrain, ...QUICK]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, new RegExp(`fine-tuning from run ${pretrain} \\(cnn-small trained on fashion-mnist, 5 classes\\)`));
    assert.match(r.stderr, /data: 5 classes, 28×28×1; 100 train, 5000 validation/);
    const { run } = JSON.parse(r.stdout);
    const ckpt = join(runs, run, 'checkpoints', 'last.safetensors');
    const test = simmer(['eval', ckpt, '--json']);
    assert.equal(test.code, 0, test.stderr);
    const scored = JSON.parse(test.stdout);
    assert.equal(scored.count, 5000);
    assert.deepEqual(
      scored.perClass.map((c: { name?: string; class?: string }) => c.name ?? c.class),
      ['Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
    );
    const train = JSON.parse(simmer(['eval', ckpt, '--split', 'train', '--json']).stdout);
    assert.deepEqual(confusionTotal(train.confusion), [20, 20, 20, 20, 20], 'the training part is the 20 images per class it learned from');
  });

  test('--cut body.6: a head on the conv features of the 0–4 run; the checkpoint rebuilds the same model for eval', () => {
    const r = simmer([
      'train',
      'fashion-mnist',
      '--classes',
      '5-9',
      '--per-class',
      '20',
      '--from',
      pretrain,
      '--cut',
      'body.6',
      '--freeze-epochs',
      '1',
      ...QUICK,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /new head: 3136 features \(the output of body\.6, the layers after it dropped\) → 5 classes/);
    const out = JSON.parse(r.stdout);
    const scored = JSON.parse(simmer(['eval', join(runs, out.run, 'checkpoints', 'last.safetensors'), '--json']).stdout);
    assert.equal(scored.accuracy, out.report.accuracy);
    const lonely = simmer(['train', 'fashion-mnist', '--cut', 'body.6', ...QUICK]);
    assert.notEqual(lonely.code, 0);
    assert.match(lonely.stderr, /cut 'body\.6' chooses the layer of a pretrained body .*; give from \(a pretrained network\), or drop cut/);
  });

  test('an unknown class, an index out of range and too large a --per-class fail before a run folder exists', () => {
    const before = readdirSync(runs).length;
    const cases: [string[], RegExp][] = [
      [['--classes', '5,Sandl'], /classes: there is no class 'Sandl' in fashion-mnist\n {2}fix: .*its classes are: 0 T-shirt\/top, 1 Trouser, .*9 Ankle boot/],
      [['--classes', '3-12'], /class index 12 in '3-12' is out of range: fashion-mnist has 10 classes \(0\.\.9\)/],
      [['--classes', 'Bag'], /classes 'Bag' names a single class \('Bag'\); a classifier needs at least two/],
      [
        ['--classes', '8,9', '--per-class', '6001'],
        /per-class 6001 is more than fashion-mnist's train split has of 'Bag' \(6000\), 'Ankle boot' \(6000\)\n {2}fix: ask for at most 6000/,
      ],
      [['--classes', '5,,6'], /argument '5,,6' is invalid\. classes '5,,6' has an empty item/],
    ];
    for (const [args, message] of cases) {
      const r = simmer(['train', 'fashion-mnist', ...args, ...QUICK]);
      assert.notEqual(r.code, 0, args.join(' '));
      assert.match(r.stderr, message);
    }
    assert.equal(readdirSync(runs).length, before);
  });

  test('the library and the API validate the same fields (resolveRecipe)', () => {
    assert.equal(resolveRecipe({ classes: '5-9', perClass: 100 }).perClass, 100);
    assert.throws(() => resolveRecipe({ classes: '5,,9' }), /classes '5,,9' has an empty item/);
    assert.throws(() => resolveRecipe({ perClass: -1 }), /perClass must be >= 0/);
  });
});
