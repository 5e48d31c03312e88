// Hungarian assignment: hand-worked cost matrices, rectangular shapes, and brute force over all permutations.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Generator } from '../../src/tensor/random.ts';
import { hungarian, maximumAssignment } from '../../src/unsupervised/index.ts';

function bruteForce(cost: number[][]): number {
  const n = cost.length;
  const m = cost[0].length;
  let best = Number.POSITIVE_INFINITY;
  const used = new Array<boolean>(m).fill(false);
  const walk = (i: number, acc: number) => {
    if (i === n) {
      best = Math.min(best, acc);
      return;
    }
    for (let j = 0; j < m; j++) {
      if (used[j]) continue;
      used[j] = true;
      walk(i + 1, acc + cost[i][j]);
      used[j] = false;
    }
  };
  walk(0, 0);
  return best;
}

test('hungarian: 3×3 worked by hand', () => {
  // Row minima 1, 0, 2 → reduced [[3,0,2],[2,0,5],[1,0,0]]; column minima 1,0,0 → [[2,0,2],[1,0,5],[0,0,0]];
  // the zeros cover with 2 lines, adjust by 1 → a zero per row in distinct columns: (0,1) (1,0) (2,2), cost 1+2+2 = 5.
  const r = hungarian([
    [4, 1, 3],
    [2, 0, 5],
    [3, 2, 2],
  ]);
  assert.deepEqual([...r.assignment], [1, 0, 2]);
  assert.equal(r.cost, 5);
});

test('hungarian: 4×4 job assignment worked by hand', () => {
  // Rows 0 and 2 both want column 1 (4 and 5), row 3 wants column 2 (3). Giving column 1 to row 0 leaves rows 1 and 2
  // columns 0 and 3: 6 + 9 = 15 beats 8 + 8 = 16, total 4 + 3 + 6 + 9 = 22. Giving it to row 2 instead costs at least
  // 5 + 3 + min(row 0 of cols 0/3) 9 + 8 = 25. So the optimum is rows → columns [1, 0, 3, 2], cost 22.
  const cost = [
    [9, 4, 7, 11],
    [6, 9, 10, 8],
    [8, 5, 11, 9],
    [5, 8, 3, 7],
  ];
  const r = hungarian(cost);
  assert.deepEqual([...r.assignment], [1, 0, 3, 2]);
  assert.equal(r.cost, 22);
  assert.equal(r.cost, bruteForce(cost));
});

test('hungarian: identity and anti-diagonal optima', () => {
  assert.deepEqual(
    [
      ...hungarian([
        [0, 1],
        [1, 0],
      ]).assignment,
    ],
    [0, 1],
  );
  assert.deepEqual(
    [
      ...hungarian([
        [1, 0],
        [0, 1],
      ]).assignment,
    ],
    [1, 0],
  );
  assert.deepEqual([...hungarian([[5]]).assignment], [0]);
});

test('hungarian: rectangular (more columns, more rows)', () => {
  const wide = [
    [7, 2, 9, 4],
    [3, 8, 1, 6],
  ];
  const r = hungarian(wide);
  assert.deepEqual([...r.assignment], [1, 2]);
  assert.equal(r.cost, 3);
  const tall = [
    [7, 3],
    [2, 8],
    [9, 1],
    [4, 6],
  ];
  const t = hungarian(tall);
  assert.equal(t.cost, 3);
  assert.deepEqual([...t.assignment], [-1, 0, 1, -1]);
});

test('hungarian: random matrices agree with brute force (ties, negatives, up to 7×7)', () => {
  const gen = new Generator(7);
  for (let trial = 0; trial < 60; trial++) {
    const n = 1 + (trial % 7);
    const m = n + (trial % 3);
    const cost = Array.from({ length: n }, () => Array.from({ length: m }, () => gen.int(-5, 10)));
    const r = hungarian(cost);
    assert.equal(r.cost, bruteForce(cost), JSON.stringify(cost));
    assert.equal(new Set(r.assignment).size, n);
  }
});

test('maximumAssignment maximises the total', () => {
  const r = maximumAssignment([
    [10, 0, 0],
    [0, 0, 7],
    [1, 9, 0],
  ]);
  assert.equal(r.cost, 26);
  assert.deepEqual([...r.assignment], [0, 2, 1]);
});

test('hungarian: errors name the problem', () => {
  assert.throws(() => hungarian([[1, 2], [3]]), /rectangular/);
  assert.throws(() => hungarian([[Number.NaN]]), /not finite/);
});
