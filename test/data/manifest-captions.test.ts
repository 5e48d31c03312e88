/**
 * Manifests with a caption column: the captions reach the samples and captionOf, rows without one read as the empty
 * prompt, and `simmer train <manifest> --model text2img` builds its vocabulary from them (not from class templates)
 * and trains on them, labelled or not.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encodePng } from '../../src/data/image-file.ts';
import { openManifest, readManifest } from '../../src/data/image-list.ts';
import { NOVEL_SHAPES, novelShapeScene, renderScene } from '../../src/data/shapes.ts';
import { openGenerativeCheckpoint } from '../../src/models/registry.ts';
import type { Text2ImgModel } from '../../src/models/text2img.ts';
import { runTraining } from '../../src/runs/run.ts';

/** 12 rendered hearts and crosses in dir, and a manifest naming them with their captions (and labels when asked). */
async function captionedManifest(dir: string, labelled: boolean): Promise<string> {
  const lines = [labelled ? 'path,label,caption' : 'path,caption'];
  for (let i = 0; i < 12; i++) {
    const shape = NOVEL_SHAPES[i % 2];
    const scene = novelShapeScene(shape, 3, i, 16);
    const img = new Float32Array(3 * 256);
    renderScene(scene, 16, img, 0);
    writeFileSync(join(dir, `${i}.png`), await encodePng(img, [3, 16, 16]));
    // A quoted caption with a comma, and one row without a caption (the empty prompt).
    const caption = i === 5 ? '' : i === 3 ? `"${scene.caption}, drawn"` : scene.caption;
    lines.push(labelled ? `${i}.png,${shape},${caption}` : `${i}.png,${caption}`);
  }
  const file = join(dir, labelled ? 'labelled.csv' : 'captions.csv');
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

test('manifest caption column: samples carry their captions; text2img trains its vocabulary on them', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'simmer-captions-'));
  try {
    const file = await captionedManifest(dir, true);
    const rows = readManifest(file);
    assert.match(rows[3].caption ?? '', /^a (medium|large) [a-z]+ heart on a gray background, drawn$/);
    assert.equal(rows[5].caption, undefined);
    const ds = await openManifest({ kind: 'manifest', file, size: [16, 16] });
    assert.equal(ds.captionOf(5), '');
    assert.equal((await ds.get(0)).caption, novelShapeScene('cross', 3, 0, 16).caption);
    for (const labelled of [true, false]) {
      const manifest = labelled ? file : await captionedManifest(dir, false);
      const { run } = await runTraining(
        { dataset: manifest, model: 'text2img', epochs: 1, batchSize: 6, imageSize: 16, seed: 2, valSplit: 0 },
        { root: join(dir, 'runs'), quiet: true },
      );
      const model = openGenerativeCheckpoint(join(run.checkpoints, 'last.safetensors')).model as unknown as Text2ImgModel;
      assert.equal(model.templates, null, 'the captions, not class templates');
      for (const w of ['heart', 'cross', 'gray']) assert.ok(model.tokenizer.vocabulary.includes(w), `${w} is in the vocabulary`);
      assert.ok(!model.tokenizer.vocabulary.includes('photo'), 'no template words');
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
