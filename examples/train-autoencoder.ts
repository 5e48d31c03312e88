// A toy autoencoder trained by the Trainer with a custom Task: 16-dim points that lie on a 2-dim plane are squeezed
// through a 2-unit bottleneck and rebuilt. Run: node --import tsx examples/train-autoencoder.ts
import { pathToFileURL } from 'node:url';
import { manualSeed, matmul, mse, randn, Tensor } from '../src/index.ts';
import { Linear, Sequential, Tanh } from '../src/nn/index.ts';
import { Adam } from '../src/optim/index.ts';
import { type Task, type TaskSource, Trainer } from '../src/train/index.ts';

type Points = { x: Tensor }; // no labels: the input is its own target
/** A reconstruction task: the loss is the squared error between the input and the model's rebuild of it. */
const reconstruct: Task<Points> = {
  name: 'reconstruction',
  step: (model, { x }) => ({ loss: mse(model.forward(x), x) }),
};

/** `batches` batches of `size` points x = z·B with z ~ N(0, 1)² and a fixed basis B [2, 16]. */
function planePoints(batches: number, size: number): TaskSource<Points> {
  const basis = randn([2, 16]);
  const data = Array.from({ length: batches }, () => ({ x: matmul(randn([size, 2]), basis).detach() }));
  return {
    batchesPerEpoch: batches,
    async *epoch(_e, o = {}) {
      yield* data.slice(o.startBatch ?? 0);
    },
  };
}

export async function trainAutoencoder({ epochs = 20, batches = 16, size = 32, seed = 1 } = {}) {
  manualSeed(seed);
  const model = new Sequential(new Linear(16, 8), new Tanh(), new Linear(8, 2), new Linear(2, 8), new Tanh(), new Linear(8, 16));
  const trainer = new Trainer({ model, optimizer: new Adam(model.parameters(), { lr: 1e-2 }), task: reconstruct });
  const data = planePoints(batches, size);
  const history = await trainer.fit(data, { epochs, val: data });
  return { history, model };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const { history } = await trainAutoencoder();
  for (const r of history) console.log(`epoch ${r.epoch + 1}: reconstruction loss ${r.trainLoss.toFixed(4)} (val ${r.valLoss?.toFixed(4)})`);
}
