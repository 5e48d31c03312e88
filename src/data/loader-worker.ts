/**
 * A DataLoader worker thread: rebuilds the dataset and transform from their JSON specs, then answers batch requests
 * ({ id, epoch, indices }) with the batch buffers, transferred (not copied) back to the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { readBatch } from './batch.ts';
import type { DatasetSpec } from './dataset.ts';
import { datasetFromSpec } from './from-spec.ts';
import { buildTransform, isIdentity, type TransformSpec } from './transforms/spec.ts';

interface WorkerInit {
  dataset: DatasetSpec;
  transform?: TransformSpec;
  seed: number;
  onError: 'skip' | 'throw';
}

interface BatchRequest {
  id: number;
  epoch: number;
  indices: number[];
}

const init = workerData as WorkerInit;
const port = parentPort!;
const ready = datasetFromSpec(init.dataset);
const transform = isIdentity(init.transform) ? null : buildTransform(init.transform);

port.on('message', async (req: BatchRequest) => {
  try {
    const ds = await ready;
    const b = await readBatch(ds, req.indices, transform, init.seed, req.epoch, init.onError);
    port.postMessage({ id: req.id, batch: b }, [b.x.buffer as ArrayBuffer, b.y.buffer as ArrayBuffer]);
  } catch (e) {
    const err = e as Error & { code?: string; fix?: string };
    port.postMessage({ id: req.id, error: { message: err?.message ?? String(e), name: err?.name, code: err?.code, fix: err?.fix } });
  }
});
