/**
 * `simmer train <folder> --from <text2img run|checkpoint> --concept <word>`: the concept side of `simmer train` (the
 * training itself is runs/concept.ts). Prints progress to stderr and the adapter file, its size and the loss to stdout.
 */
import { trainConceptRun } from '../../runs/concept.ts';
import { resolveCheckpoint } from './generate.ts';

/** o: train's parsed flags; given(name): whether the user set that flag (recipe flags have defaults meant for training from scratch). */
export async function trainConceptCommand(folder: string, o: Record<string, unknown>, given: (name: string) => boolean): Promise<void> {
  if (!o.from) throw new Error(`--concept teaches a word to a trained text-to-image model: add --from <text2img run id or checkpoint>`);
  const concept = String(o.concept);
  const quiet = Boolean(o.quiet);
  const r = await trainConceptRun({
    folder,
    checkpoint: resolveCheckpoint(String(o.from), o.runs as string),
    concept,
    rank: o.rank as number | undefined,
    alpha: o.alpha as number | undefined,
    textEncoder: o.textLora !== false,
    steps: o.maxSteps as number | undefined,
    batchSize: given('batchSize') ? (o.batchSize as number) : undefined,
    lr: given('lr') ? (o.lr as number) : undefined,
    seed: given('seed') ? (o.seed as number) : undefined,
    out: o.adapterOut as string | undefined,
    log: (line) => void (quiet || process.stderr.write(`${line}\n`)),
  });
  if (o.json) {
    process.stdout.write(
      `${JSON.stringify({ ...r, losses: undefined, firstLoss: r.losses[0], lastLoss: r.losses[r.losses.length - 1], steps: r.losses.length }, null, 2)}\n`,
    );
    return;
  }
  if (quiet) return;
  const share = (100 * r.adapterBytes) / r.modelBytes;
  process.stdout.write(
    `adapter ${r.adapter}: '${concept}' learned from ${r.images} pictures in ${r.losses.length} steps (${r.seconds.toFixed(1)}s); ${r.adapterParameters} values, ${(r.adapterBytes / 1024).toFixed(1)} KiB = ${share.toFixed(2)}% of the model\n` +
      `use it: simmer generate ${String(o.from)} "${r.captions[0]}" --adapter ${r.adapter}\n`,
  );
}
