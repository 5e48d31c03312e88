/** The examples are part of the product: each one is typechecked (tsconfig includes examples/) and run here on tiny data. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { trainAutoencoder } from '../../examples/train-autoencoder.ts';

test('examples/train-autoencoder.ts: a custom Task trained by Trainer.fit lowers the reconstruction loss', async () => {
  const { history } = await trainAutoencoder({ epochs: 4, batches: 4, size: 16, seed: 3 });
  assert.equal(history.length, 4);
  const first = history[0].trainLoss;
  const last = history[history.length - 1].trainLoss;
  assert.ok(Number.isFinite(last) && last < first * 0.8, `reconstruction loss ${first} → ${last}`);
  assert.ok(
    history.every((h) => h.valLoss !== undefined && Number.isFinite(h.valLoss)),
    'validated every epoch by running the task under noGrad',
  );
  assert.deepEqual(history[0].trainMetrics, {});
});
