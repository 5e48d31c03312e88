/**
 * Inference input exactly as training saw it: an image file decoded with the dataset's decode and resize policy
 * (src/data's decodeImageFile: EXIF rotation, alpha flattened onto black, `cover` resize, grayscale or RGB) and scaled
 * to [0, 1] as ImageListDataset.get does. predict, the dashboard and any script share this, so there is no
 * train/serve skew.
 * @example
 *   const opened = openCheckpointModel(path);
 *   const probs = predictProbabilities(opened.model, await preprocessFiles(opened, ['cat.jpg']));
 */
import { decodeImageFile } from '../data/image-file.ts';
import type { ResizePolicy } from '../data/dataset.ts';
import { Tensor } from '../tensor/tensor.ts';

export interface ModelInput {
  /** [channels, height, width] of what the model was trained on. */
  inputShape: [number, number, number];
  /** How the training images were brought to that size (default 'cover', the image datasets' default). */
  resize?: ResizePolicy;
}

/** One image file as the model's input [C, H, W] in [0, 1]. */
export async function preprocessFile(model: ModelInput, path: string): Promise<Float32Array> {
  const [c, h, w] = model.inputShape;
  const img = await decodeImageFile(path, { size: [h, w], channels: c === 1 ? 1 : 3, resize: model.resize ?? 'cover' });
  const out = new Float32Array(img.data.length);
  for (let i = 0; i < img.data.length; i++) out[i] = img.data[i] / 255;
  return out;
}

/** Image files as one batch [N, C, H, W] for the model. */
export async function preprocessFiles(model: ModelInput, paths: readonly string[]): Promise<Tensor> {
  const [c, h, w] = model.inputShape;
  const size = c * h * w;
  const batch = new Float32Array(paths.length * size);
  for (const [i, path] of paths.entries()) batch.set(await preprocessFile(model, path), i * size);
  return new Tensor(batch, [paths.length, c, h, w]);
}
