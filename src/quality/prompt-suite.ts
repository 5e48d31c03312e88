/**
 * The fixed prompt suite a shapes text-to-image model is scored on, and the scoring: every prompt is sampled k times
 * (seeded) and each picture is judged by the scene verifier (scene-verifier.ts). Prompts come in four groups: one
 * object or two in a relation, each with combinations seen in training or held out of it (shapes.ts
 * HELD_OUT_PAIRS / HELD_OUT_TRIPLES), so the table says both whether the model draws what it was shown and whether it
 * composes words it learned apart.
 * @example
 *   const table = scorePromptSuite((prompts, seed) => model.sample({ n: prompts.length, prompts, seed }), { samples: 4 });
 *   console.log(formatPromptSuite(table));
 */
import { captionFor, PARAPHRASE_TEMPLATES, TRAINING_TEMPLATES } from '../data/captions.ts';
import { BACKGROUNDS, HELD_OUT_PAIRS, HELD_OUT_TRIPLES, isHeldOutCombination, OBJECT_COLOURS, RELATIONS, SHAPE_CLASSES } from '../data/shapes.ts';
import type { Tensor } from '../tensor/tensor.ts';
import { judgeScene, type SceneJudgement } from './scene-verifier.ts';

export type SuiteGroup = 'single, seen' | 'single, held-out' | 'pair, seen' | 'pair, held-out';
export const SUITE_GROUPS: readonly SuiteGroup[] = ['single, seen', 'single, held-out', 'pair, seen', 'pair, held-out'];

export interface SuitePrompt {
  prompt: string;
  group: SuiteGroup;
}

const COLOURS = OBJECT_COLOURS.map((c) => c[0]);

/** The colour–shape pairs training shows, in a fixed order. */
function seenPairs(): [string, string][] {
  const out: [string, string][] = [];
  for (const s of SHAPE_CLASSES) for (const c of COLOURS) if (!isHeldOutCombination([{ colour: c, shape: s }])) out.push([c, s]);
  return out;
}

/**
 * 36 prompts: 12 single objects of seen pairs (backgrounds in turn), the 4 held-out pairs alone, 12 seen two-object
 * scenes, and 8 held-out ones (the 4 held-out triples, and each held-out pair as one of two objects).
 */
export function shapesPromptSuite(): SuitePrompt[] {
  const seen = seenPairs();
  const out: SuitePrompt[] = [];
  for (let i = 0; i < 12; i++) {
    const [c, s] = seen[(i * 5) % seen.length];
    out.push({ prompt: `a ${c} ${s} on a ${BACKGROUNDS[i % BACKGROUNDS.length][0]} background`, group: 'single, seen' });
  }
  HELD_OUT_PAIRS.forEach(([c, s], i) =>
    out.push({ prompt: `a ${c} ${s} on a ${BACKGROUNDS[(i + 1) % BACKGROUNDS.length][0]} background`, group: 'single, held-out' }),
  );
  const pair = (a: [string, string], rel: string, b: [string, string]) => `a ${a[0]} ${a[1]} ${rel} a ${b[0]} ${b[1]}`;
  for (let i = 0, k = 0; out.length < 28; k++) {
    const a = seen[(k * 7) % seen.length];
    const b = seen[(k * 11 + 5) % seen.length];
    const rel = RELATIONS[i % RELATIONS.length];
    if (
      a[0] === b[0] ||
      isHeldOutCombination(
        [
          { colour: a[0], shape: a[1] },
          { colour: b[0], shape: b[1] },
        ],
        rel,
      )
    )
      continue;
    out.push({ prompt: pair(a, rel, b), group: 'pair, seen' });
    i++;
  }
  HELD_OUT_TRIPLES.forEach(([c, s, rel], i) => {
    const b = seen.find(([c2], j) => c2 !== c && j >= i * 5) as [string, string];
    out.push({ prompt: pair([c, s], rel, b), group: 'pair, held-out' });
  });
  HELD_OUT_PAIRS.forEach(([c, s], i) => {
    const other = seen.find(([c2], j) => c2 !== c && j >= i * 3 + 1) as [string, string];
    const rel = RELATIONS[(i + 1) % RELATIONS.length];
    out.push({ prompt: i % 2 === 0 ? pair([c, s], rel, other) : pair(other, rel, [c, s]), group: 'pair, held-out' });
  });
  return out;
}

/** Share of judged samples per attribute (null where the group's prompts do not name it). */
export interface SuiteRow {
  group: SuiteGroup;
  prompts: number;
  samples: number;
  colour: number;
  shape: number;
  /** Main object's colour and shape both right. */
  colourAndShape: number;
  background: number | null;
  second: number | null;
  relation: number | null;
  /** Every attribute the prompt names is right. */
  all: number;
}

export interface SuiteResult {
  rows: SuiteRow[];
  /** Every sample's prompt and verdict, for reading what went wrong. */
  judged: { prompt: string; group: SuiteGroup; judgement: SceneJudgement }[];
}

/**
 * Samples `samples` images of every prompt (one call of draw for the whole suite, seeded) and judges each one.
 * draw(prompts, seed) returns images [N, 3, S, S] in [0, 1], one per prompt given.
 */
export function scorePromptSuite(
  draw: (prompts: string[], seed: number) => Tensor,
  o: { samples?: number; seed?: number; suite?: SuitePrompt[] } = {},
): SuiteResult {
  const suite = o.suite ?? shapesPromptSuite();
  const k = o.samples ?? 4;
  const prompts = suite.flatMap((p) => Array.from({ length: k }, () => p.prompt));
  const images = draw(prompts, o.seed ?? 1);
  const [n, , size] = images.shape;
  if (n !== prompts.length) throw new RangeError(`scorePromptSuite: asked for ${prompts.length} images, got ${n}`);
  const plane = images.shape[1] * size * size;
  const judged = prompts.map((prompt, i) => ({
    prompt,
    group: suite[Math.floor(i / k)].group,
    judgement: judgeScene(images.f32.subarray(i * plane, (i + 1) * plane), size, prompt),
  }));
  const share = (js: SceneJudgement[], f: (j: SceneJudgement) => boolean | null) => {
    const named = js.map(f).filter((v) => v !== null);
    return named.length === 0 ? null : named.filter(Boolean).length / named.length;
  };
  const rows = SUITE_GROUPS.map((group): SuiteRow => {
    const js = judged.filter((j) => j.group === group).map((j) => j.judgement);
    return {
      group,
      prompts: suite.filter((p) => p.group === group).length,
      samples: js.length,
      colour: share(js, (j) => j.colour) ?? 0,
      shape: share(js, (j) => j.shape) ?? 0,
      colourAndShape: share(js, (j) => j.colour && j.shape) ?? 0,
      background: share(js, (j) => j.background),
      second: share(js, (j) => (j.second ? j.second.colour && j.second.shape : null)),
      relation: share(js, (j) => j.relation),
      all: share(js, (j) => j.all) ?? 0,
    };
  });
  return { rows, judged };
}

/** The table `simmer eval` prints. */
export function formatPromptSuite(result: SuiteResult): string {
  const pct = (v: number | null) => (v === null ? '–' : `${(v * 100).toFixed(1)}%`);
  const head = ['group', 'prompts', 'samples', 'colour', 'shape', 'colour+shape', 'background', '2nd object', 'relation', 'all right'];
  const lines = result.rows.map((r) => [
    r.group,
    String(r.prompts),
    String(r.samples),
    pct(r.colour),
    pct(r.shape),
    pct(r.colourAndShape),
    pct(r.background),
    pct(r.second),
    pct(r.relation),
    pct(r.all),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i].length)));
  const row = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join('  ');
  return [row(head), row(widths.map((w) => '-'.repeat(w))), ...lines.map(row)].join('\n');
}

/** Intended-label accuracy of a template-captioned model (Fashion-MNIST), per template set. */
export interface ClassPromptRow {
  templates: 'training' | 'paraphrase';
  prompts: number;
  samples: number;
  /** Share of samples the reference classifier assigns the prompt's class. */
  accuracy: number;
}

/**
 * Every class in every training template and every unseen paraphrase template, `samples` images each (one draw for
 * all, seeded), classified by `classify` (the reference classifier: images → class indices).
 */
export function scoreClassPrompts(
  draw: (prompts: string[], seed: number) => Tensor,
  classify: (images: Tensor) => Int32Array,
  classes: readonly string[],
  o: { samples?: number; seed?: number } = {},
): ClassPromptRow[] {
  const k = o.samples ?? 4;
  const sets = [
    ['training', TRAINING_TEMPLATES],
    ['paraphrase', PARAPHRASE_TEMPLATES],
  ] as const;
  const asked = sets.flatMap(([set, templates]) =>
    templates.flatMap((t) => classes.flatMap((c, label) => Array.from({ length: k }, () => ({ set, label, prompt: captionFor(c, t) })))),
  );
  const predicted = classify(
    draw(
      asked.map((a) => a.prompt),
      o.seed ?? 1,
    ),
  );
  return sets.map(([set, templates]) => {
    const rows = asked.map((a, i) => ({ ...a, ok: predicted[i] === a.label })).filter((a) => a.set === set);
    return { templates: set, prompts: templates.length * classes.length, samples: rows.length, accuracy: rows.filter((r) => r.ok).length / rows.length };
  });
}

export function formatClassPrompts(rows: readonly ClassPromptRow[]): string {
  return [
    'templates   prompts  samples  intended-label accuracy',
    ...rows.map((r) => `${r.templates.padEnd(10)}  ${String(r.prompts).padEnd(7)}  ${String(r.samples).padEnd(7)}  ${(r.accuracy * 100).toFixed(1)}%`),
  ].join('\n');
}
