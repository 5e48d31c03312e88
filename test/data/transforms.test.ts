/**
 * Every transform: deterministic under a seed, output shape and value range checked; flips and 90° rotations checked
 * exactly against index arithmetic; presets and the JSON spec form.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  adjustBrightness,
  adjustContrast,
  adjustHue,
  adjustSaturation,
  blackAndWhite,
  buildTransform,
  centerCrop,
  cutmix,
  erase,
  gaussianBlur,
  grayscale,
  hflip,
  type Img,
  isIdentity,
  mixup,
  normalize,
  PRESETS,
  resize,
  rotate,
  rotate90,
  type TransformStep,
  translate,
  vflip,
} from '../../src/data/index.ts';
import { NAMED_TRANSFORMS, parseAugment } from '../../src/data/transforms/spec.ts';
import { Generator } from '../../src/tensor/random.ts';
import { Tensor } from '../../src/tensor/tensor.ts';

/** A C×H×W image whose every value is distinct and in [0, 1]: v = (c*H*W + y*W + x + 1) / (C*H*W + 1). */
function ramp(C: number, H: number, W: number): Img {
  const n = C * H * W;
  return { data: Float32Array.from({ length: n }, (_, i) => (i + 1) / (n + 1)), shape: [C, H, W] };
}

function randomImg(C: number, H: number, W: number, seed = 1): Img {
  const g = new Generator(seed);
  return { data: Float32Array.from({ length: C * H * W }, () => g.uniform()), shape: [C, H, W] };
}

const at = (img: Img, c: number, y: number, x: number) => img.data[(c * img.shape[1] + y) * img.shape[2] + x];

function inRange(img: Img, lo = 0, hi = 1): void {
  for (const v of img.data) assert.ok(v >= lo - 1e-6 && v <= hi + 1e-6 && Number.isFinite(v), `value ${v} outside [${lo}, ${hi}]`);
}

describe('exact geometry', () => {
  const img = ramp(3, 4, 5);
  test('hflip mirrors columns', () => {
    const out = hflip(img);
    assert.deepEqual(out.shape, [3, 4, 5]);
    for (let c = 0; c < 3; c++) for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) assert.equal(at(out, c, y, x), at(img, c, y, 4 - x));
    assert.deepEqual(hflip(out).data, img.data);
  });
  test('vflip mirrors rows', () => {
    const out = vflip(img);
    for (let c = 0; c < 3; c++) for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) assert.equal(at(out, c, y, x), at(img, c, 3 - y, x));
    assert.deepEqual(vflip(out).data, img.data);
  });
  test('rotate90 is counter-clockwise, swaps H and W, and four turns are the identity', () => {
    const r1 = rotate90(img, 1);
    assert.deepEqual(r1.shape, [3, 5, 4]);
    // Counter-clockwise: the top-right pixel goes to the top-left.
    for (let c = 0; c < 3; c++) for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) assert.equal(at(r1, c, 4 - x, y), at(img, c, y, x));
    const r2 = rotate90(img, 2);
    assert.deepEqual(r2.data, vflip(hflip(img)).data);
    assert.deepEqual(rotate90(img, 3).data, rotate90(r2, 1).data);
    assert.deepEqual(rotate90(img, -1).data, rotate90(img, 3).data);
    assert.deepEqual(rotate90(rotate90(r2, 1), 1).data, img.data);
  });
  test('rotate by 90 degrees agrees with rotate90 on a square image (away from resampling error)', () => {
    const sq = ramp(1, 6, 6);
    const a = rotate(sq, 90);
    const b = rotate90(sq, 1);
    for (let i = 0; i < a.data.length; i++) assert.ok(Math.abs(a.data[i] - b.data[i]) < 1e-5, `pixel ${i}: ${a.data[i]} vs ${b.data[i]}`);
    const id = rotate(sq, 0);
    for (let i = 0; i < id.data.length; i++) assert.ok(Math.abs(id.data[i] - sq.data[i]) < 1e-6);
  });
  test('translate shifts whole pixels and fills the rest', () => {
    const out = translate(img, 2, 1, 0);
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < 4; y++)
        for (let x = 0; x < 5; x++) {
          const expect = x >= 2 && y >= 1 ? at(img, c, y - 1, x - 2) : 0;
          assert.ok(Math.abs(at(out, c, y, x) - expect) < 1e-6);
        }
  });
  test('centerCrop takes the middle; resize to the same size is exact; resize changes the shape', () => {
    const big = ramp(2, 6, 8);
    const cc = centerCrop(big, 2, 4);
    assert.deepEqual(cc.shape, [2, 2, 4]);
    assert.equal(at(cc, 1, 0, 0), at(big, 1, 2, 2));
    assert.deepEqual(resize(big, 6, 8).data, big.data);
    const small = resize(big, 3, 4);
    assert.deepEqual(small.shape, [2, 3, 4]);
    inRange(small);
    // 2× box downscale: each output pixel is the mean of a 2×2 block.
    const mean = (at(big, 0, 0, 0) + at(big, 0, 0, 1) + at(big, 0, 1, 0) + at(big, 0, 1, 1)) / 4;
    assert.ok(Math.abs(at(small, 0, 0, 0) - mean) < 1e-6);
  });
});

describe('colour', () => {
  const img = randomImg(3, 8, 8);
  test('brightness, contrast, saturation, hue keep shape and [0, 1]; factor 1 / shift 0 is the identity', () => {
    for (const out of [adjustBrightness(img, 1.7), adjustContrast(img, 2), adjustSaturation(img, 3), adjustHue(img, 0.3)]) {
      assert.deepEqual(out.shape, [3, 8, 8]);
      inRange(out);
    }
    const close = (a: Img, b: Img) => a.data.every((v, i) => Math.abs(v - b.data[i]) < 1e-5);
    assert.ok(close(adjustBrightness(img, 1), img));
    assert.ok(close(adjustContrast(img, 1), img));
    assert.ok(close(adjustSaturation(img, 1), img));
    assert.ok(close(adjustHue(img, 0), img));
    assert.ok(close(adjustHue(adjustHue(img, 0.25), -0.25), img));
    // Contrast 0 is a flat image.
    const flat = adjustContrast(img, 0);
    assert.ok(flat.data.every((v) => Math.abs(v - flat.data[0]) < 1e-6));
  });
  test('grayscale makes channels equal; black-and-white is only 0 and 1', () => {
    const g = grayscale(img);
    const n = 64;
    for (let i = 0; i < n; i++) assert.ok(g.data[i] === g.data[n + i] && g.data[i] === g.data[2 * n + i]);
    assert.deepEqual(grayscale(img, false).shape, [1, 8, 8]);
    const bw = blackAndWhite(img);
    assert.ok(bw.data.every((v) => v === 0 || v === 1));
    assert.deepEqual(bw.shape, [3, 8, 8]);
  });
  test('normalize subtracts the mean and divides by std per channel', () => {
    const out = normalize(img, [0.5, 0.4, 0.3], [0.5, 0.25, 0.1]);
    assert.ok(Math.abs(out.data[0] - (img.data[0] - 0.5) / 0.5) < 1e-6);
    assert.ok(Math.abs(out.data[64] - (img.data[64] - 0.4) / 0.25) < 1e-6);
    assert.ok(Math.abs(out.data[128] - (img.data[128] - 0.3) / 0.1) < 1e-5);
    assert.throws(() => normalize(img, [0], [0]), /std must be positive/);
  });
});

describe('filters and erasing', () => {
  test('gaussian blur keeps a constant image constant, lowers variance, stays in range', () => {
    const c: Img = { data: new Float32Array(3 * 16 * 16).fill(0.4), shape: [3, 16, 16] };
    assert.ok(gaussianBlur(c, 2).data.every((v) => Math.abs(v - 0.4) < 1e-6));
    const img = randomImg(1, 16, 16);
    const out = gaussianBlur(img, 1.5);
    const variance = (a: Float32Array) => {
      const m = a.reduce((s, v) => s + v, 0) / a.length;
      return a.reduce((s, v) => s + (v - m) ** 2, 0) / a.length;
    };
    assert.ok(variance(out.data) < variance(img.data) / 4);
    inRange(out);
  });
  test('erase blanks exactly the box', () => {
    const img = ramp(2, 5, 5);
    const out = erase(img, 1, 2, 2, 3, 0);
    for (let c = 0; c < 2; c++)
      for (let y = 0; y < 5; y++) for (let x = 0; x < 5; x++) assert.equal(at(out, c, y, x), y >= 1 && y < 3 && x >= 2 ? 0 : at(img, c, y, x));
  });
});

describe('every transform step through the JSON spec', () => {
  const steps: TransformStep[] = [
    { op: 'hflip', p: 1 },
    { op: 'vflip', p: 1 },
    { op: 'rotate90' },
    { op: 'rotate90', k: 1 },
    { op: 'rotate', degrees: 30 },
    { op: 'randomResizedCrop', scale: [0.3, 1] },
    { op: 'randomResizedCrop', size: 12 },
    { op: 'translate', fraction: 0.2 },
    { op: 'colorJitter', brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 },
    { op: 'grayscale' },
    { op: 'blackAndWhite' },
    { op: 'gaussianBlur' },
    { op: 'gaussianBlur', sigma: 1 },
    { op: 'gaussianNoise', std: 0.1 },
    { op: 'randomErasing', p: 1 },
    { op: 'randomErasing', p: 1, value: 'random' },
    { op: 'resize', size: [10, 14] },
    { op: 'centerCrop', size: 8 },
  ];
  const img = randomImg(3, 16, 16, 7);
  const expectShape = (s: TransformStep): number[] => {
    if (s.op === 'randomResizedCrop' && s.size) return [3, 12, 12];
    if (s.op === 'resize') return [3, 10, 14];
    if (s.op === 'centerCrop') return [3, 8, 8];
    return [3, 16, 16];
  };
  for (const step of steps) {
    test(`${JSON.stringify(step)}: deterministic, shape, range, input untouched`, () => {
      const before = img.data.slice();
      const t = buildTransform([step]);
      const a = t(img, new Generator(42));
      const b = t(img, new Generator(42));
      assert.deepEqual(a.data, b.data, 'same seed, same output');
      assert.deepEqual(a.shape, expectShape(step));
      assert.equal(a.data.length, a.shape[0] * a.shape[1] * a.shape[2]);
      inRange(a);
      assert.deepEqual(img.data, before, 'the input is not modified');
    });
  }
  test('random steps vary with the seed', () => {
    const t = buildTransform([
      { op: 'rotate', degrees: 45 },
      { op: 'gaussianNoise', std: 0.1 },
    ]);
    assert.notDeepEqual(t(img, new Generator(1)).data, t(img, new Generator(2)).data);
  });
  test('normalize maps each channel by (x - mean) / std: 0 → -2 and 1 → 2 for mean 0.5, std 0.25', () => {
    const mean = [0.5, 0.25, 0];
    const std = [0.25, 0.5, 2];
    const ends: Img = { data: Float32Array.from([0, 1, 0, 1, 0, 1]), shape: [3, 1, 2] };
    const mapped = buildTransform([{ op: 'normalize', mean, std }])(ends, new Generator(0));
    assert.deepEqual([...mapped.data], [-2, 2, -0.5, 1.5, 0, 0.5]);
    // A single mean/std applies to every channel; each value of a random image, against the formula in float64.
    const out = buildTransform([{ op: 'normalize', mean: [0.5], std: [0.25] }])(img, new Generator(0));
    assert.deepEqual(out.shape, img.shape);
    for (let i = 0; i < img.data.length; i++) assert.ok(Math.abs(out.data[i] - (img.data[i] - 0.5) / 0.25) <= 1e-6, `element ${i}`);
    assert.throws(() => buildTransform([{ op: 'normalize', mean: [0], std: [0] }])(img, new Generator(0)), /std must be positive/);
  });
  test('presets keep the shape and range; none is the identity; bad names are explained', () => {
    for (const name of Object.keys(PRESETS) as (keyof typeof PRESETS)[]) {
      const out = buildTransform(name)(img, new Generator(3));
      assert.deepEqual(out.shape, [3, 16, 16], name);
      inRange(out);
    }
    assert.ok(isIdentity('none') && isIdentity([]) && isIdentity(undefined) && !isIdentity('light'));
    assert.deepEqual(buildTransform('none')(img, new Generator(0)).data, img.data);
    assert.throws(() => buildTransform('huge' as 'none'), /unknown augmentation preset 'huge'.*none, light, standard/);
    assert.throws(() => buildTransform([{ op: 'spin' } as unknown as TransformStep]), /unknown transform op 'spin'/);
  });
  test('1-channel images go through colour steps unchanged in shape', () => {
    const g = randomImg(1, 16, 16);
    const out = buildTransform('strong')(g, new Generator(9));
    assert.deepEqual(out.shape, [1, 16, 16]);
    inRange(out);
  });
});

describe('batch mixing', () => {
  const g = new Generator(5);
  const x = new Tensor(
    Float32Array.from({ length: 4 * 3 * 8 * 8 }, () => g.uniform()),
    [4, 3, 8, 8],
  );
  const y = new Tensor(Int32Array.from([0, 1, 2, 1]), [4]);
  for (const [name, fn] of [
    ['mixup', mixup],
    ['cutmix', cutmix],
  ] as const) {
    test(`${name}: deterministic, soft targets sum to 1 and weight lam, values in range`, () => {
      const a = fn(x, y, 3, { alpha: 1 }, new Generator(11));
      const b = fn(x, y, 3, { alpha: 1 }, new Generator(11));
      assert.deepEqual(a.x.data, b.x.data);
      assert.deepEqual(a.x.shape, [4, 3, 8, 8]);
      assert.deepEqual(a.targets.shape, [4, 3]);
      assert.ok(a.lam >= 0 && a.lam <= 1);
      for (let i = 0; i < 4; i++) {
        const row = Array.from(a.targets.data.subarray(i * 3, i * 3 + 3));
        assert.ok(Math.abs(row.reduce((s, v) => s + v, 0) - 1) < 1e-6);
        assert.ok(row[y.data[i]] >= a.lam - 1e-6);
        assert.equal(a.yB.data[i], y.data[a.perm[i]]);
      }
      for (const v of a.x.data) assert.ok(v >= 0 && v <= 1);
    });
  }
  test('cutmix pastes whole pixels from the partner', () => {
    const r = cutmix(x, y, 3, { alpha: 1 }, new Generator(2));
    const per = 3 * 8 * 8;
    let changed = 0;
    for (let i = 0; i < x.size; i++) {
      if (r.x.data[i] !== x.data[i]) {
        changed++;
        const n = Math.floor(i / per);
        assert.equal(r.x.data[i], x.data[r.perm[n] * per + (i % per)]);
      }
    }
    assert.ok(changed <= x.size * (1 - r.lam) + 1e-6);
  });
  test('bad shapes are explained', () => {
    assert.throws(() => mixup(y, y, 3, {}, new Generator(0)), /expected x \[N,C,H,W\]/);
  });
});

describe('--augment values (issue 12, item 11)', () => {
  test('a comma list names transforms, applied in the order given', () => {
    assert.deepEqual(parseAugment(' translate, rotate,jitter'), [NAMED_TRANSFORMS.translate, NAMED_TRANSFORMS.rotate, NAMED_TRANSFORMS.jitter]);
    assert.deepEqual(
      (parseAugment('translate,rotate,jitter') as TransformStep[]).map((s) => s.op),
      ['translate', 'rotate', 'colorJitter'],
    );
    assert.equal(parseAugment('digits'), 'digits');
  });
  test('presets for digits and text never mirror', () => {
    for (const name of ['standard-noflip', 'digits'] as const) {
      assert.ok(PRESETS[name].length > 0);
      assert.ok(!PRESETS[name].some((s) => s.op === 'hflip' || s.op === 'vflip'), name);
    }
    // The list builds into a working pipeline that keeps the image's shape.
    const img: Img = { data: Float32Array.from({ length: 16 }, (_, i) => (i % 4) / 4), shape: [1, 4, 4] };
    const t = buildTransform(parseAugment('translate,rotate,jitter'));
    const out = t(img, new Generator(3));
    assert.deepEqual(out.shape, [1, 4, 4]);
  });
  test('an unknown name is refused with every valid preset and transform listed', () => {
    assert.throws(
      () => parseAugment('translate,flip'),
      (e: Error) => {
        assert.match(e.message, /unknown augmentation 'flip'/);
        for (const n of [...Object.keys(PRESETS), ...Object.keys(NAMED_TRANSFORMS)]) assert.ok(e.message.includes(n), n);
        return true;
      },
    );
    assert.throws(() => parseAugment(''), /an empty augmentation/);
  });
});
