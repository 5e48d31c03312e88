// The README's Trainer example: the W3 CNN on Fashion-MNIST with augmentation, a schedule, early stopping and checkpoints.
// Run: node --import tsx examples/train-fashion-mnist.ts   (needs Debian's dataset-fashion-mnist)
import { DataLoader, loadDataset } from 'simmer-ml/data';
import { Conv2d, Flatten, Linear, MaxPool2d, ReLU, Sequential } from 'simmer-ml/nn';
import { Adam, CosineAnnealingLR } from 'simmer-ml/optim';
import { Checkpointer, EarlyStopping, ProgressBar, Trainer } from 'simmer-ml/train';

const train = await loadDataset('fashion-mnist', { split: 'train' });
const test = await loadDataset('fashion-mnist', { split: 'test' });
const model = new Sequential(
  new Conv2d(1, 32, 3, { padding: 1 }),
  new ReLU(),
  new MaxPool2d(2),
  new Conv2d(32, 64, 3, { padding: 1 }),
  new ReLU(),
  new MaxPool2d(2),
  new Flatten(),
  new Linear(3136, 128),
  new ReLU(),
  new Linear(128, 10),
);
const optimizer = new Adam(model.parameters(), { lr: 1e-3 });
const trainer = new Trainer({
  model,
  optimizer,
  scheduler: new CosineAnnealingLR(optimizer, { tMax: 5 }),
  callbacks: [new ProgressBar(5), new EarlyStopping({ patience: 2 }), new Checkpointer({ dir: 'checkpoints' })],
});
const trainLoader = new DataLoader(train, { batchSize: 64, shuffle: true, transform: 'light', workers: 2 });
await trainer.fit(trainLoader, { epochs: 5, val: new DataLoader(test, { batchSize: 256 }) });
await trainLoader.close();
