/**
 * Re-renders the Markdown report from a results JSON written by `npm run bench` (after a change to bench/report.ts,
 * or to refresh docs/bench.md): node --import tsx bench/render.ts bench/results/<date>.json [out.md]
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { type BenchResults, formatReport } from './report.ts';

const [file, out] = process.argv.slice(2);
if (!file) {
  console.error('usage: node --import tsx bench/render.ts <results.json> [out.md]');
  process.exit(2);
}
const md = formatReport(JSON.parse(readFileSync(file, 'utf8')) as BenchResults);
if (out) writeFileSync(out, md);
else process.stdout.write(md);
