/**
 * `simmer export <checkpoint|run-id> <model.onnx>`: a trained model as an ONNX file (opset 17, dynamic batch). A
 * classifier exports images → logits (class names in the file's metadata); a generative model its decoder or
 * generator (latents [, labels] → images in [0, 1]), a diffusion model its U-Net denoiser. The file is read back with Simmer's importer and its output
 * compared with the model's before the command reports success.
 */
import type { Command } from 'commander';
import { noGrad } from '../../autograd/grad-mode.ts';
import { writeFileAtomic } from '../../io/atomic.ts';
import type { GenerativeModule } from '../../models/generative.ts';
import { isGenerativeCheckpointFile, openGenerativeCheckpoint } from '../../models/registry.ts';
import type { Module } from '../../nn/module.ts';
import { exportOnnx, importOnnx } from '../../onnx/index.ts';
import { openCheckpointModel } from '../../runs/open-model.ts';
import { zeros } from '../../tensor/creation.ts';
import { randn } from '../../tensor/creation.ts';
import { Tensor } from '../../tensor/tensor.ts';
import { resolveCheckpoint } from './generate.ts';

export interface ExportReport {
  checkpoint: string;
  out: string;
  bytes: number;
  opset: number;
  kind: 'classifier' | 'generator';
  model: string;
  inputs: { name: string; shape: (number | string)[]; dtype: string }[];
  output: (number | string)[];
  /** Max |Δ| between Simmer's model and the file read back by Simmer's importer, on a random batch of 2. */
  roundTripMaxDiff: number;
}

interface Prepared {
  model: Module;
  kind: ExportReport['kind'];
  name: string;
  inputs: (n: number) => Tensor[];
  reference: (inputs: Tensor[]) => Tensor;
  metadata: Record<string, string>;
}

function prepare(path: string): Prepared {
  if (isGenerativeCheckpointFile(path)) {
    const opened = openGenerativeCheckpoint(path);
    const model = opened.model as GenerativeModule;
    const decode = model.decodeLatent?.bind(model);
    if (model.family === 'ddpm') {
      // The denoiser, called once per sampling step: x_t, integer timesteps (and labels, numClasses = none).
      const denoiser = model as unknown as Module & { forward(x: Tensor, t: Tensor, y?: Tensor): Tensor };
      const ints = (n: number, f: (i: number) => number) =>
        new Tensor(
          Int32Array.from({ length: n }, (_, i) => f(i)),
          [n],
        );
      return {
        model,
        kind: 'generator',
        name: opened.name,
        inputs: (n) => [
          randn([n, ...opened.inputShape]),
          ints(n, (i) => (i * 397) % 1000),
          ...(model.conditional ? [ints(n, (i) => i % model.numClasses)] : []),
        ],
        reference: ([x, t, y]) => denoiser.forward(x, t, y),
        metadata: {
          model: opened.name,
          classes: JSON.stringify(opened.classes),
          imageShape: JSON.stringify(opened.inputShape),
          inputs: model.conditional ? 'x_t, timesteps (int32), labels (int32)' : 'x_t, timesteps (int32)',
        },
      };
    }
    if (!decode)
      throw new Error(
        `${path}: ${opened.name} samples step by step (no single decoder network), so it has no ONNX form yet; export a VAE, DCGAN, autoencoder or diffusion model`,
      );
    return {
      model,
      kind: 'generator',
      name: opened.name,
      inputs: (n) => [
        randn([n, model.latentDim]),
        ...(model.conditional
          ? [
              new Tensor(
                Int32Array.from({ length: n }, (_, i) => i % model.numClasses),
                [n],
              ),
            ]
          : []),
      ],
      reference: ([z, y]) => decode(z, y ?? null),
      metadata: {
        model: opened.name,
        classes: JSON.stringify(opened.classes),
        imageShape: JSON.stringify(opened.inputShape),
        inputs: model.conditional ? 'latents, labels (int32)' : 'latents',
      },
    };
  }
  const opened = openCheckpointModel(path);
  for (const w of opened.warnings) process.stderr.write(`warning: ${w}\n`);
  // A run with --from has no zoo architecture of its own (recipe.model is just the field's default).
  const name = opened.recipe.from ? `fine-tuned (from ${opened.recipe.from})` : opened.recipe.model;
  return {
    model: opened.model,
    kind: 'classifier',
    name,
    inputs: (n) => [n === 1 ? zeros([1, ...opened.inputShape]) : randn([n, ...opened.inputShape])],
    reference: ([x]) => opened.model.forward(x),
    metadata: { model: name, classes: JSON.stringify(opened.classes), inputShape: JSON.stringify(opened.inputShape) },
  };
}

/** Exports a checkpoint to `out`, checks the file by reading it back, and reports what was written. */
export function exportCheckpoint(target: string, out: string): ExportReport {
  const checkpoint = resolveCheckpoint(target);
  const p = prepare(checkpoint);
  p.model.eval();
  const bytes = exportOnnx(p.model, p.inputs(1), { metadata: p.metadata, docString: `exported by simmer from ${checkpoint}` });
  const back = importOnnx(bytes, { source: out }).eval();
  const batch = p.inputs(2);
  const expected = noGrad(() => p.reference(batch)).f32;
  const got = noGrad(() => back.forward(...batch)).f32;
  let d = 0;
  for (let i = 0; i < expected.length; i++) d = Math.max(d, Math.abs(expected[i] - got[i]));
  if (!(d <= 1e-4))
    throw new Error(`export of ${checkpoint}: the written graph differs from the model by ${d}; this is a bug in the exporter, please report it`);
  writeFileAtomic(out, Buffer.from(bytes));
  const info = back.info;
  const outShape = noGrad(() => back.forward(...p.inputs(1))).shape;
  return {
    checkpoint,
    out,
    bytes: bytes.length,
    opset: info.opset,
    kind: p.kind,
    model: p.name,
    inputs: info.inputs,
    output: ['batch', ...outShape.slice(1)],
    roundTripMaxDiff: d,
  };
}

export function register(program: Command): void {
  program
    .command('export')
    .description('write a trained model as ONNX (opset 17, dynamic batch): classifiers as images → logits, generative models as their decoder')
    .argument('<checkpoint>', 'a .safetensors checkpoint, a run folder, or a run id (simmer runs lists them)')
    .argument('<out>', 'the .onnx file to write')
    .option('--json', 'print JSON')
    .action((target: string, out: string, o: { json?: boolean }) => {
      const r = exportCheckpoint(target, out);
      if (o.json) {
        process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
        return;
      }
      const fmt = (s: (number | string)[]) => `[${s.join(', ')}]`;
      process.stdout.write(
        `wrote ${r.out} (${(r.bytes / 1024).toFixed(1)} KiB, ONNX opset ${r.opset}): ${r.model} ${r.kind}, ` +
          `${r.inputs.map((i) => `${i.name} ${fmt(i.shape)} ${i.dtype}`).join(' + ')} → output ${fmt(r.output)}; read back and checked (max |Δ| ${r.roundTripMaxDiff.toExponential(1)})\n`,
      );
    });
}
