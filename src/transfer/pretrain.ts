/**
 * Pretraining a shipped backbone: a simmerCnn body with a head for the pretraining classes, trained with Adam and
 * the one-cycle schedule, scored on held-out images, then the body alone written as safetensors beside the manifest
 * with its sha256. scripts/pretrain-*.ts call this; the head is thrown away (fine-tuning makes a new one).
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Dataset } from '../data/dataset.ts';
import { DataLoader } from '../data/loader.ts';
import type { TransformSpec } from '../data/transforms/spec.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { encodeSafetensors } from '../io/safetensors.ts';
import { OneCycleLR } from '../optim/schedule.ts';
import { AdamW } from '../optim/optimizers.ts';
import { manualSeed } from '../tensor/random.ts';
import { Trainer } from '../train/trainer.ts';
import { type SimmerCnnConfig, simmerCnn, simmerCnnFeatures, TransferNet } from './backbone.ts';
import { type PretrainedEntry, pretrainedDir, readManifest, sha256 } from './pretrained.ts';

export interface PretrainOptions {
  name: string;
  config: SimmerCnnConfig;
  train: Dataset;
  test: Dataset;
  epochs: number;
  /** Augmentation of the pretraining images (default none): features that survive it transfer further. */
  augment?: TransformSpec;
  batchSize?: number;
  lr?: number;
  seed?: number;
  trainedOn: string;
  card: string;
  command: string;
  /** Where to write (default the package's pretrained/ folder). */
  dir?: string;
  log?: (line: string) => void;
}

export async function pretrainBackbone(o: PretrainOptions): Promise<PretrainedEntry> {
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  manualSeed(o.seed ?? 0);
  const net = new TransferNet(simmerCnn(o.config), simmerCnnFeatures(o.config), o.train.classes.length);
  const train = new DataLoader(o.train, { batchSize: o.batchSize ?? 128, shuffle: true, seed: o.seed ?? 0, transform: o.augment });
  const test = new DataLoader(o.test, { batchSize: 512 });
  const lr = o.lr ?? 3e-3;
  const optimizer = new AdamW(net.parameters(), { lr, weightDecay: 0.01 });
  const scheduler = new OneCycleLR(optimizer, { maxLr: lr, totalSteps: o.epochs * train.batchesPerEpoch });
  const started = performance.now();
  const trainer = new Trainer({
    model: net,
    optimizer,
    scheduler,
    classes: o.train.classes,
    callbacks: [
      {
        onEpochEnd: (_t, r) =>
          log(
            `${o.name}: epoch ${r.epoch + 1}/${o.epochs} train loss ${r.trainLoss.toFixed(4)} acc ${((r.trainAccuracy ?? 0) * 100).toFixed(1)}% (${r.seconds.toFixed(0)} s)`,
          ),
      },
    ],
  });
  await trainer.fit(train, { epochs: o.epochs });
  const report = await trainer.evaluate(test);
  const seconds = (performance.now() - started) / 1000;
  log(`${o.name}: held-out accuracy ${(report.accuracy * 100).toFixed(2)}% on ${report.count} images, ${seconds.toFixed(0)} s`);
  const dir = o.dir ?? pretrainedDir();
  mkdirSync(dir, { recursive: true });
  const file = `${o.name}.safetensors`;
  const bytes = encodeSafetensors(net.body.stateDict(), { arch: 'simmer-cnn', config: JSON.stringify(o.config), trainedOn: o.trainedOn });
  writeFileAtomic(join(dir, file), bytes);
  const entry: PretrainedEntry = {
    name: o.name,
    file,
    sha256: sha256(bytes),
    bytes: bytes.length,
    arch: 'simmer-cnn',
    config: o.config,
    trainedOn: o.trainedOn,
    pretrainClasses: o.train.classes,
    accuracy: { value: report.accuracy, on: `${report.count} held-out images of the pretraining task` },
    command: o.command,
    epochs: o.epochs,
    images: o.train.length,
    seconds: Math.round(seconds),
    card: o.card,
  };
  // Re-read right before writing: the other pretraining script may have added its entry meanwhile.
  const manifest = readManifest(dir);
  const backbones = [...manifest.backbones.filter((b) => b.name !== o.name), entry].sort((a, b) => a.name.localeCompare(b.name));
  writeFileAtomic(join(dir, 'manifest.json'), `${JSON.stringify({ backbones }, null, 2)}\n`);
  return entry;
}
