/**
 * The shapes scene verifier is itself checked: on scenes rendered by the dataset (the ground truth is the scene the
 * renderer drew) it must agree with the caption at least 99% of the time per attribute, and on corrupted pairs
 * (wrong colour, wrong shape, flipped relation, a blank or noisy picture, a scene redrawn with another shape) it must
 * say no.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OBJECT_COLOURS, RELATIONS, renderScene, SHAPE_CLASSES, ShapesDataset, shapesScene } from '../../src/data/shapes.ts';
import { judgeScene, parseShapesCaption, type SceneJudgement } from '../../src/quality/scene-verifier.ts';
import { Generator } from '../../src/tensor/random.ts';

const SIZE = 32;
const ds = new ShapesDataset({ kind: 'shapes', count: 300, size: SIZE, seed: 5 });
const samples = Array.from({ length: ds.length }, (_, i) => ds.get(i));

function rate(judgements: SceneJudgement[], pick: (j: SceneJudgement) => boolean | null): number {
  const known = judgements.map(pick).filter((v): v is boolean => v !== null);
  return known.filter(Boolean).length / known.length;
}

describe('parseShapesCaption', () => {
  test('reads every caption the dataset writes', () => {
    for (const s of samples.slice(0, 100)) {
      const c = parseShapesCaption(s.caption!);
      const scene = ds.scene(samples.indexOf(s));
      assert.equal(c.objects[0].shape, SHAPE_CLASSES[scene.label]);
      assert.equal(c.objects[0].colour, OBJECT_COLOURS[scene.objects[0].colour][0]);
      assert.equal(c.relation, scene.relation);
      assert.equal(c.objects.length, scene.objects.length);
    }
    assert.deepEqual(parseShapesCaption('a red circle'), { objects: [{ colour: 'red', shape: 'circle' }] });
  });

  test('an unknown word is named, with the vocabulary', () => {
    assert.throws(() => parseShapesCaption('a small pink circle'), /'pink' is not a colour.*colours: red, green/);
    assert.throws(() => parseShapesCaption('a red hexagon above a blue square'), /'hexagon' is not a shape.*shapes: circle, square, triangle, star/);
    assert.throws(() => parseShapesCaption('a red circle beside a blue square'), /'beside' is neither 'on' nor a relation/);
  });
});

describe('judgeScene on rendered ground truth', () => {
  const judged = samples.map((s) => judgeScene(s.image, SIZE, s.caption!));

  const attributes = [
    ['colour', (j: SceneJudgement) => j.colour],
    ['shape', (j: SceneJudgement) => j.shape],
    ['size', (j: SceneJudgement) => j.size],
    ['background', (j: SceneJudgement) => j.background],
    ['relation', (j: SceneJudgement) => j.relation],
    ['second colour', (j: SceneJudgement) => j.second?.colour ?? null],
    ['second shape', (j: SceneJudgement) => j.second?.shape ?? null],
    ['all', (j: SceneJudgement) => j.all],
  ] as const;

  test('32×32: ≥ 99% right per attribute; the second object of a pair (2–3 px in radius) ≥ 97%', () => {
    for (const [name, pick] of attributes) {
      const floor = name === 'second shape' || name === 'all' ? 0.97 : 0.99;
      assert.ok(rate(judged, pick) >= floor, `${name}: ${(100 * rate(judged, pick)).toFixed(1)}% right`);
    }
  });

  test('64×64: ≥ 99% right on every attribute and on whole captions', () => {
    const big = new ShapesDataset({ kind: 'shapes', count: 100, size: 64, seed: 9 });
    const judged64 = Array.from({ length: big.length }, (_, i) => {
      const s = big.get(i);
      return judgeScene(s.image, 64, s.caption!);
    });
    for (const [name, pick] of attributes) assert.ok(rate(judged64, pick) >= 0.99, `${name}: ${(100 * rate(judged64, pick)).toFixed(1)}% right`);
  });

  test('the detected objects carry the fitted geometry', () => {
    const s = samples.findIndex((x) => !x.caption!.includes(' on a '));
    const scene = ds.scene(s);
    const main = judged[s].found.objects.find((o) => o.colour === OBJECT_COLOURS[scene.objects[0].colour][0])!;
    assert.ok(Math.abs(main.cx - scene.objects[0].cx) < 1 && Math.abs(main.cy - scene.objects[0].cy) < 1, 'centroid within a pixel');
    assert.ok(Math.abs(main.r - scene.objects[0].r) / scene.objects[0].r < 0.2, 'radius within 20%');
    assert.ok(main.fit > 0.6 && main.fillRatio > 0 && main.circularity > 0);
  });
});

describe('judgeScene on corrupted pairs says no', () => {
  const colourName = (c: number) => OBJECT_COLOURS[c][0];

  test('a colour that is not in the picture', () => {
    const judged = samples.map((s, i) => {
      const present = new Set(ds.scene(i).objects.map((o) => o.colour));
      const absent = OBJECT_COLOURS.findIndex((_, c) => !present.has(c));
      const c = parseShapesCaption(s.caption!);
      c.objects[0].colour = colourName(absent);
      return judgeScene(s.image, SIZE, c);
    });
    assert.ok(rate(judged, (j) => !j.colour && !j.all) >= 0.99);
  });

  test('another shape in the caption, and the same scene redrawn with another shape', () => {
    const wrongCaption = samples.map((s) => {
      const c = parseShapesCaption(s.caption!);
      c.objects[0].shape = SHAPE_CLASSES[(SHAPE_CLASSES.indexOf(c.objects[0].shape) + 1) % 4];
      return judgeScene(s.image, SIZE, c);
    });
    assert.ok(rate(wrongCaption, (j) => !j.shape && !j.all) >= 0.97, `${rate(wrongCaption, (j) => !j.shape)}`);
    const redrawn = samples.map((s, i) => {
      const scene = shapesScene(5, i, SIZE);
      scene.objects[0].shape = (scene.objects[0].shape + 2) % 4;
      const image = new Float32Array(3 * SIZE * SIZE);
      renderScene(scene, SIZE, image, 0);
      return judgeScene(image, SIZE, s.caption!);
    });
    assert.ok(rate(redrawn, (j) => !j.shape) >= 0.97, `${rate(redrawn, (j) => !j.shape)}`);
  });

  test('a flipped relation', () => {
    const flip = { above: 'below', below: 'above', 'left of': 'right of', 'right of': 'left of' } as const;
    const judged = samples.flatMap((s) => {
      const c = parseShapesCaption(s.caption!);
      if (!c.relation) return [];
      return [judgeScene(s.image, SIZE, { ...c, relation: flip[c.relation] })];
    });
    assert.ok(judged.length > 100);
    assert.equal(
      rate(judged, (j) => j.relation === false),
      1,
    );
    assert.ok(RELATIONS.length === 4);
  });

  test('a blank background and uniform noise match nothing', () => {
    const blank = new Float32Array(3 * SIZE * SIZE).fill(0.43);
    const g = new Generator(3);
    const noise = Float32Array.from({ length: 3 * SIZE * SIZE }, () => g.uniform());
    for (const s of samples.slice(0, 50)) {
      assert.equal(judgeScene(blank, SIZE, s.caption!).all, false);
      assert.equal(judgeScene(noise, SIZE, s.caption!).all, false);
    }
    assert.equal(judgeScene(blank, SIZE, 'a red circle').found.objects.length, 0);
  });

  test('a wrongly sized image is refused', () => {
    assert.throws(() => judgeScene(new Float32Array(10), SIZE, 'a red circle'), /expected a 3×32×32 RGB image \(3072 values\), got 10/);
  });
});
