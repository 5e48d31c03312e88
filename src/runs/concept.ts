/**
 * `simmer train <folder> --from <text2img run> --concept <word>`: teaches a trained text-to-image model a new word from
 * a folder of 10–30 pictures (models/concept.ts) and writes the adapter file that `simmer generate --adapter` loads.
 * The pictures are read at the model's size with the same decoding as prediction; their captions are "a <word>"
 * templates, with the background's name when the pictures' borders show one of the shapes backgrounds.
 * @example
 *   const r = await trainConceptRun({ folder: 'hearts/', checkpoint: 'runs/x/checkpoints/last.safetensors', concept: 'zorb' });
 *   r.adapter; // 'zorb.safetensors'
 */
import { existsSync, statSync } from 'node:fs';
import { backgroundName } from '../data/captions.ts';
import { expandImagePaths } from '../data/image-paths.ts';
import { encodeSafetensors } from '../io/safetensors.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { AdapterError, ConceptAdapter, conceptCaptions, trainConcept } from '../models/concept.ts';
import { isTextToImageModel, openGenerativeCheckpoint } from '../models/registry.ts';
import type { Text2ImgModel } from '../models/text2img.ts';
import { preprocessFiles } from './preprocess.ts';

export interface ConceptRunOptions {
  /** The folder (or files, globs) of concept pictures. */
  folder: string;
  /** The text2img checkpoint file to start from. */
  checkpoint: string;
  concept: string;
  rank?: number;
  alpha?: number;
  textEncoder?: boolean;
  steps?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  /** The adapter file to write (default <concept>.safetensors). */
  out?: string;
  /** Progress lines (stderr in the CLI). */
  log?: (line: string) => void;
}

export interface ConceptRunResult {
  adapter: string;
  images: number;
  background: string | null;
  captions: string[];
  losses: number[];
  /** Adapter tensors' values, the model's, and the file sizes in bytes. */
  adapterParameters: number;
  modelParameters: number;
  adapterBytes: number;
  modelBytes: number;
  seconds: number;
}

export async function trainConceptRun(o: ConceptRunOptions): Promise<ConceptRunResult> {
  const started = performance.now();
  const log = o.log ?? (() => {});
  const opened = openGenerativeCheckpoint(o.checkpoint);
  if (!isTextToImageModel(opened.name))
    throw new AdapterError(`--concept teaches a word to a text-to-image model; ${o.checkpoint} holds ${opened.name} (train one with simmer train shapes --model text2img)`);
  const model = opened.model as unknown as Text2ImgModel;
  if (!existsSync(o.folder)) throw new AdapterError(`${o.folder} does not exist; give a folder with 10–30 pictures of the concept`);
  const { files } = expandImagePaths([o.folder]);
  if (files.length === 0)
    throw new AdapterError(`no images in ${o.folder}${statSync(o.folder).isDirectory() ? '' : ' (not a folder)'}; give a folder with 10–30 pictures of the concept (.png, .jpg, …)`);
  if (files.length < 10 || files.length > 30) log(`note: ${files.length} pictures; 10–30 is the range this is meant for`);
  const adapter = ConceptAdapter.create(model, { concept: o.concept, rank: o.rank, alpha: o.alpha, textEncoder: o.textEncoder, seed: o.seed });
  const images = await preprocessFiles({ inputShape: model.imageShape, resize: 'fill' }, files);
  const background = commonBackground(images.f32, model.imageShape, files.length);
  const captions = conceptCaptions(model, o.concept, background);
  log(
    `teaching '${o.concept}' from ${files.length} pictures (${background ? `${background} background` : 'no known background'}); captions: ${[...new Set(captions)].map((c) => `"${c}"`).join(', ')}`,
  );
  log(`LoRA rank ${adapter.meta.rank}, alpha ${adapter.meta.alpha} on ${adapter.loras.size} attention projections + the new word's embedding: ${adapter.numParameters()} trainable values`);
  const steps = o.steps ?? 200;
  const every = Math.max(1, Math.floor(steps / 10));
  let sum = 0;
  const losses = trainConcept(model, adapter, images, {
    captions,
    steps,
    batchSize: o.batchSize,
    lr: o.lr,
    seed: o.seed,
    onStep: (s, loss) => {
      sum += loss;
      if (s % every === 0 || s === steps) {
        log(`step ${s}/${steps}: loss ${(sum / (s % every === 0 ? every : s % every)).toFixed(4)} (mean since the last line)`);
        sum = 0;
      }
    },
  });
  const out = o.out ?? `${o.concept}.safetensors`;
  const bytes = adapter.encode();
  writeFileAtomic(out, bytes);
  adapter.detach();
  return {
    adapter: out,
    images: files.length,
    background: background ?? null,
    captions,
    losses,
    adapterParameters: adapter.numParameters(),
    modelParameters: model.numParameters(),
    adapterBytes: bytes.length,
    modelBytes: encodeSafetensors(model.stateDict()).length,
    seconds: (performance.now() - started) / 1000,
  };
}

/** The background most of the pictures show (backgroundName), when at least half of them agree on one. */
function commonBackground(pixels: Float32Array, shape: [number, number, number], n: number): string | undefined {
  const per = shape[0] * shape[1] * shape[2];
  const counts = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const name = backgroundName(pixels.subarray(i * per, (i + 1) * per), shape);
    if (name) counts.set(name, (counts.get(name) ?? 0) + 1);
  }
  const [best, count] = [...counts].sort((a, b) => b[1] - a[1])[0] ?? [undefined, 0];
  return count * 2 >= n ? best : undefined;
}
