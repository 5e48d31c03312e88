/**
 * Reproduces the shipped procedural backbone (pretrained/procedural.safetensors): formula-driven pretraining on
 * fractals, shapes and textures the library renders on the fly (src/transfer/procedural.ts), no photograph involved.
 *   node --import tsx scripts/pretrain-procedural.ts
 * Options: --images N (default 24000 per epoch), --epochs N (default 4), --out <dir>.
 */
import { parseArgs } from 'node:util';
import { ProceduralDataset } from '../src/transfer/procedural.ts';
import { pretrainBackbone } from '../src/transfer/pretrain.ts';

const { values } = parseArgs({ options: { images: { type: 'string', default: '24000' }, epochs: { type: 'string', default: '4' }, out: { type: 'string' } } });
const count = Number(values.images);
const epochs = Number(values.epochs);
const train = new ProceduralDataset({ count, size: 28, seed: 0, cache: true });
const test = new ProceduralDataset({ count: 2650, size: 28, seed: 0, offset: count });
await pretrainBackbone({
  name: 'procedural',
  config: { inputShape: [1, 28, 28], widths: [32, 64, 128] },
  train,
  test,
  epochs,
  trainedOn: `procedurally generated images (FractalDB-style): ${train.classes.length} classes — 40 IFS fractals, 4 shapes, 9 textures — ${count} images made on the fly, 28×28 grayscale`,
  card: 'No real image was used: the images are rendered from formulas by src/transfer/procedural.ts, so the backbone carries no dataset licence and no personal data. It knows edges, curves and textures, not objects.',
  command: `node --import tsx scripts/pretrain-procedural.ts --images ${count} --epochs ${epochs}`,
  dir: values.out,
});
