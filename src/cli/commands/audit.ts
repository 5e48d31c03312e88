/** `simmer audit <dataset>`: class balance, unreadable files, duplicates and train/test leakage, sizes, blur. */
import type { Command } from 'commander';
import { auditDataset, formatAudit } from '../../data/audit.ts';
import { loadAllSplits } from '../../data/load.ts';
import { number } from '../options.ts';

interface AuditFlags {
  json?: boolean;
  data?: string;
  limit?: number;
  split?: string;
  size?: number;
  maxPixels?: number;
  minPerClass?: number;
  blur?: number;
}

export function register(program: Command): void {
  program
    .command('audit <dataset>')
    .description(
      'audit a dataset (fashion-mnist, shapes, an image folder or a manifest): class counts, unreadable files, duplicates, train/test leakage, sizes, blur',
    )
    .option('--json', 'print the report as JSON')
    .option('--data <path>', 'folder holding a built-in dataset, when not in the default place')
    .option('--limit <n>', 'audit at most n images per split, evenly spaced', number('--limit', { integer: true, min: 1 }))
    .option('--split <name>', 'audit only this split (default: every split, to find leakage)')
    .option('--size <px>', 'decode images at this size (default: the first image’s size)', number('--size', { integer: true, min: 1 }))
    .option('--max-pixels <n>', 'refuse images declaring more pixels than this', number('--max-pixels', { integer: true, min: 1 }))
    .option('--min-per-class <n>', 'flag classes with fewer images', number('--min-per-class', { integer: true, min: 0 }), 200)
    .option('--blur <variance>', 'flag images whose Laplacian variance is below this', number('--blur', { min: 0 }), 100)
    .action(async (dataset: string, o: AuditFlags) => {
      const parts = await loadAllSplits(dataset, { data: o.data, split: o.split, size: o.size, maxPixels: o.maxPixels });
      const total = Object.values(parts).reduce((s, d) => s + Math.min(d.length, o.limit ?? d.length), 0);
      const tty = !o.json && process.stderr.isTTY;
      let last = 0;
      const report = await auditDataset(parts, {
        limit: o.limit,
        minPerClass: o.minPerClass,
        blurThreshold: o.blur,
        onProgress: (done) => {
          const now = Date.now();
          if (!tty || (now - last < 200 && done < total)) return;
          last = now;
          process.stderr.write(`\raudit: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} images`);
          if (done >= total) process.stderr.write('\n');
        },
      });
      process.stdout.write(o.json ? `${JSON.stringify(report, null, 2)}\n` : formatAudit(report));
    });
}
