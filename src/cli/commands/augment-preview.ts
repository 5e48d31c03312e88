/** `simmer augment-preview <image>`: a PNG grid of one image under every transform and preset. */
import type { Command } from 'commander';
import { loadDataset } from '../../data/load.ts';
import { previewAugmentations } from '../../data/preview.ts';
import { number } from '../options.ts';

export function register(program: Command): void {
  program
    .command('augment-preview <image>')
    .description("write a PNG grid showing an image under each augmentation (an image file, or 'shapes' / 'fashion-mnist' for their first sample)")
    .option('-o, --out <file>', 'output PNG', 'augment-preview.png')
    .option('--seed <n>', 'random seed for the transforms', number('--seed', { integer: true, min: 0 }), 0)
    .option('--index <n>', 'sample index when <image> is a dataset name', number('--index', { integer: true, min: 0 }), 0)
    .action(async (image: string, o: { out: string; seed: number; index: number }) => {
      const source = image === 'shapes' || image === 'fashion-mnist' ? await (await loadDataset(image)).get(o.index) : image;
      const out = await previewAugmentations(source, { out: o.out, seed: o.seed });
      process.stdout.write(`wrote ${out}\n`);
    });
}
