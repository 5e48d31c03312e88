/**
 * The concept check's shape judge: trained on rendered circles, squares, triangles, stars, crosses and hearts, it tells
 * fresh renders apart far above chance (the recipe's size, ≥ 95%, behind SIMMER_LONG=1), and shapeRate counts the
 * pictures it judges to be the asked shape.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { judgePictures, JUDGE_SHAPES, judgeShapes, shapeRate, trainShapeJudge } from '../../src/quality/concept-check.ts';

test('shape judge: labelled pictures of the six shapes; a small judge is far above chance on fresh renders', () => {
  const { x, y } = judgePictures(2, 1, 16);
  assert.deepEqual(x.shape, [12, 3, 16, 16]);
  assert.deepEqual(Array.from(y), [0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]);
  assert.deepEqual(JUDGE_SHAPES, ['circle', 'square', 'triangle', 'star', 'cross', 'heart']);
  const judge = trainShapeJudge({ perShape: 100, epochs: 8, size: 16 });
  assert.ok(judge.accuracy > 0.4, `accuracy ${judge.accuracy} on fresh renders (chance: 1/6)`);
  const fresh = judgePictures(20, 77, 16);
  const judged = judgeShapes(judge, fresh.x);
  const rate = shapeRate(judge, fresh.x, 'heart');
  assert.equal(rate, judged.filter((k) => k === 5).length / judged.length);
  assert.throws(() => shapeRate(judge, fresh.x, 'hexagon'), /unknown shape 'hexagon'/);
  assert.throws(() => judgeShapes(judge, judgePictures(1, 1, 8).x), /reads 3x16x16 images, got 3x8x8/);
});

test(
  'shape judge at the check size: ≥ 95% on fresh 32x32 renders (SIMMER_LONG=1)',
  { skip: process.env.SIMMER_LONG !== '1' && 'long: set SIMMER_LONG=1' },
  () => {
    const judge = trainShapeJudge({ perShape: 600, epochs: 12, size: 32 });
    assert.ok(judge.accuracy >= 0.95, `accuracy ${judge.accuracy}`);
  },
);
