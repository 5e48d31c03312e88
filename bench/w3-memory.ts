/**
 * Where W3's memory goes over a training run: RSS, V8 heap, external (ArrayBuffer) bytes and the peak RSS so far, after
 * the data set loads and every 30 steps of the W3 step (cnn-small, Adam, batch 64). Peak RSS is what the bench reports:
 *   node --import tsx bench/w3-memory.ts
 */
import { buildRecipe, endless, trainLoader, trainStep } from './workloads/common.ts';
const mb = (x: number) => (x / 2 ** 20).toFixed(0);
const show = (w: string) => {
  const m = process.memoryUsage();
  console.log(
    `${w}: rss ${mb(m.rss)} heapTotal ${mb(m.heapTotal)} heapUsed ${mb(m.heapUsed)} external ${mb(m.external)} arrayBuffers ${mb(m.arrayBuffers)} maxRSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)}`,
  );
};
show('start');
const { model, optimizer } = buildRecipe('cnn-small', 0);
const loader = await trainLoader(64, 0);
show('loader');
const it = endless(loader);
for (let s = 0; s < 240; s++) {
  trainStep(model, optimizer, (await it.next()).value!);
  if (s % 30 === 0) show(`step ${s}`);
}
show('end');
process.exit(0);
