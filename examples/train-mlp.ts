// A model, an optimizer and the Trainer on the built-in synthetic shapes dataset.
// Run: node --import tsx examples/train-mlp.ts
import { DataLoader, loadDataset } from 'simmer-ml/data';
import { manualSeed } from 'simmer-ml';
import { Flatten, formatSummary, Linear, ReLU, Sequential, summary } from 'simmer-ml/nn';
import { Adam } from 'simmer-ml/optim';
import { ProgressBar, Trainer } from 'simmer-ml/train';

manualSeed(1);
const train = await loadDataset('shapes', { split: 'train', count: 3000 });
const test = await loadDataset('shapes', { split: 'test', count: 600 });
const model = new Sequential(new Flatten(), new Linear(3 * 32 * 32, 128), new ReLU(), new Linear(128, train.classes.length));
console.log(formatSummary(summary(model, [3, 32, 32])));

const trainer = new Trainer({ model, optimizer: new Adam(model.parameters(), { lr: 1e-3 }), callbacks: [new ProgressBar(3)] });
await trainer.fit(new DataLoader(train, { batchSize: 64, shuffle: true, seed: 1 }), { epochs: 3, val: new DataLoader(test, { batchSize: 256 }) });
const report = await trainer.evaluate(new DataLoader(test, { batchSize: 256 }));
console.log(`test accuracy ${(report.accuracy * 100).toFixed(1)}%`);
