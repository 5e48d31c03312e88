/**
 * The transfer benchmark (issue 15). Two parts, each fine-tuning with the same budget (epochs, batch size, optimizer):
 * A. the shipped fmnist-0-4 backbone (pretrained on Fashion-MNIST classes 0–4 only) learns classes 5–9 from 100
 *    labelled images per class: from scratch vs frozen features + a new head vs full fine-tuning (fine_tune);
 * B. the shipped procedural backbone (fractals, shapes, textures; no real image) fine-tuned on all ten Fashion-MNIST
 *    classes from 100 labelled images per class, vs from scratch.
 * Scores are test accuracy on the t10k images of those classes (never trained on).
 *   node --import tsx scripts/transfer-benchmark.ts [--seeds 1] [--epochs 12] [--freeze-epochs 3] [--lr-mult 100] [--part A|B|AB]
 *     [--modes scratch,frozen,fine-tune] [--json]
 */
import { parseArgs } from 'node:util';
import { FASHION_MNIST_DIR, openIdx } from '../src/data/idx.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { simmerCnn, simmerCnnFeatures } from '../src/transfer/backbone.ts';
import { ClassView } from '../src/transfer/data.ts';
import { fineTune } from '../src/transfer/fine-tune.ts';
import { loadPretrained } from '../src/transfer/pretrained.ts';
import { manualSeed } from '../src/tensor/random.ts';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '1' },
    epochs: { type: 'string', default: '12' },
    'freeze-epochs': { type: 'string', default: '3' },
    'per-class': { type: 'string', default: '100' },
    lr: { type: 'string', default: '5e-3' },
    'lr-mult': { type: 'string', default: '100' },
    batch: { type: 'string', default: '32' },
    part: { type: 'string', default: 'AB' },
    modes: { type: 'string', default: 'scratch,frozen,fine-tune' },
    json: { type: 'boolean', default: false },
  },
});
const epochs = Number(values.epochs);
const freezeEpochs = Number(values['freeze-epochs']);
const perClass = Number(values['per-class']);
const lr = Number(values.lr);
const lrMult = Number(values['lr-mult']);
const batchSize = Number(values.batch);
const modes = new Set(values.modes.split(','));
const seeds = Array.from({ length: Number(values.seeds) }, (_, i) => i + 1);
const log = (l: string) => process.stderr.write(`${l}\n`);
const trainAll = openIdx({ kind: 'idx', dir: FASHION_MNIST_DIR, split: 'train' });
const testAll = openIdx({ kind: 'idx', dir: FASHION_MNIST_DIR, split: 'test' });

type Mode = 'scratch' | 'frozen' | 'fine-tune';
interface Row {
  part: string;
  mode: Mode;
  backbone: string;
  seed: number;
  accuracy: number;
  seconds: number;
}
const rows: Row[] = [];

async function one(part: string, backbone: string, mode: Mode, train: Dataset, test: Dataset, seed: number): Promise<Row> {
  manualSeed(seed);
  const pre = loadPretrained(backbone);
  const source =
    mode === 'scratch'
      ? { body: simmerCnn(pre.entry.config), features: simmerCnnFeatures(pre.entry.config), inputShape: pre.entry.config.inputShape }
      : { body: pre.body, features: pre.features, inputShape: pre.entry.config.inputShape };
  // Scratch: one cycle over every layer at the same peak rate (fine_tune's unfrozen phase peaks at lr/2, so 2·lr here).
  const r = await fineTune({
    source,
    train,
    val: test,
    epochs,
    freezeEpochs: mode === 'scratch' ? 0 : mode === 'frozen' ? epochs : freezeEpochs,
    lr: mode === 'scratch' ? 2 * lr : lr,
    lrMult: mode === 'scratch' ? 1 : lrMult,
    validateEachEpoch: false,
    batchSize,
    seed,
  });
  const row = { part, mode, backbone, seed, accuracy: r.report!.accuracy, seconds: r.seconds };
  log(
    `${part} ${backbone} ${mode.padEnd(9)} seed ${seed}: test accuracy ${(row.accuracy * 100).toFixed(2)}% (${row.seconds.toFixed(1)} s, ${train.length} training images)`,
  );
  rows.push(row);
  return row;
}

const started = performance.now();
if (values.part.includes('A')) {
  const test = new ClassView(testAll, { classes: [5, 6, 7, 8, 9] });
  for (const seed of seeds) {
    const train = new ClassView(trainAll, { classes: [5, 6, 7, 8, 9], perClass, seed });
    for (const mode of ['scratch', 'frozen', 'fine-tune'] as const) if (modes.has(mode)) await one('A', 'fmnist-0-4', mode, train, test, seed);
  }
}
if (values.part.includes('B')) {
  const test = new ClassView(testAll);
  for (const seed of seeds) {
    const train = new ClassView(trainAll, { perClass, seed });
    for (const mode of ['scratch', 'fine-tune'] as const) if (modes.has(mode)) await one('B', 'procedural', mode, train, test, seed);
  }
}
const signed = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(2)}`;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const acc = (part: string, mode: Mode) => median(rows.filter((r) => r.part === part && r.mode === mode).map((r) => r.accuracy)) * 100;
const secs = (part: string, mode: Mode) => median(rows.filter((r) => r.part === part && r.mode === mode).map((r) => r.seconds));
const summary: Record<string, unknown> = {
  epochs,
  freezeEpochs,
  perClass,
  lr,
  lrMult,
  batchSize,
  seeds: seeds.length,
  rows,
  wallSeconds: (performance.now() - started) / 1000,
};
if (values.part.includes('A')) {
  const a = { scratch: acc('A', 'scratch'), frozen: acc('A', 'frozen'), fineTune: acc('A', 'fine-tune') };
  summary.A = { ...a, frozenOverScratch: a.frozen - a.scratch, fineTuneOverFrozen: a.fineTune - a.frozen, fineTuneSeconds: secs('A', 'fine-tune') };
  log(
    `A (fmnist-0-4 → classes 5–9, ${perClass}/class): scratch ${a.scratch.toFixed(2)}%, frozen ${a.frozen.toFixed(2)}% (${signed(a.frozen - a.scratch)} pts, target ≥ +10), fine-tune ${a.fineTune.toFixed(2)}% (${signed(a.fineTune - a.frozen)} over frozen, target ≥ +2), fine-tune ${secs('A', 'fine-tune').toFixed(1)} s (target ≤ 60)`,
  );
}
if (values.part.includes('B')) {
  const b = { scratch: acc('B', 'scratch'), fineTune: acc('B', 'fine-tune') };
  summary.B = { ...b, margin: b.fineTune - b.scratch };
  log(
    `B (procedural → Fashion-MNIST, ${perClass}/class): scratch ${b.scratch.toFixed(2)}%, fine-tune ${b.fineTune.toFixed(2)}% (margin ${signed(b.fineTune - b.scratch)} pts)`,
  );
}
log(`wall time ${(summary.wallSeconds as number).toFixed(0)} s`);
if (values.json) process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
