/**
 * The Hungarian algorithm (Kuhn–Munkres with potentials, the O(n²·m) shortest-augmenting-path form): the assignment
 * of rows to distinct columns with the least total cost, for a rectangular cost matrix. Clustering accuracy uses it to
 * match clusters to classes.
 *
 * @example
 *   hungarian([[4, 1, 3], [2, 0, 5], [3, 2, 2]]); // { assignment: [1, 0, 2], cost: 5 }
 */

export interface Assignment {
  /** Column given to each row, or −1 for rows left over when there are more rows than columns. */
  assignment: Int32Array;
  /** Total cost of the assigned pairs. */
  cost: number;
}

/** Minimum-cost assignment for a rows × cols matrix of finite costs (every row gets a column when rows ≤ cols). */
export function hungarian(cost: readonly (readonly number[])[]): Assignment {
  const rows = cost.length;
  const cols = rows === 0 ? 0 : cost[0].length;
  for (const r of cost) {
    if (r.length !== cols) throw new RangeError(`hungarian: rows have different lengths (${cols} and ${r.length}); pass a rectangular matrix`);
    for (const v of r) if (!Number.isFinite(v)) throw new RangeError(`hungarian: cost ${v} is not finite; use a large finite number for forbidden pairs`);
  }
  if (rows === 0 || cols === 0) return { assignment: new Int32Array(rows).fill(-1), cost: 0 };
  if (rows > cols) {
    // Solve the transpose (each column gets a row), then read it back.
    const t = Array.from({ length: cols }, (_, j) => Array.from({ length: rows }, (_, i) => cost[i][j]));
    const sol = hungarian(t);
    const assignment = new Int32Array(rows).fill(-1);
    sol.assignment.forEach((i, j) => {
      assignment[i] = j;
    });
    return { assignment, cost: sol.cost };
  }
  const n = rows;
  const m = cols;
  // 1-based arrays as in the classic formulation: u, v are the potentials, match[j] the row matched to column j.
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const match = new Int32Array(m + 1);
  const way = new Int32Array(m + 1);
  const minv = new Float64Array(m + 1);
  const used = new Uint8Array(m + 1);
  for (let i = 1; i <= n; i++) {
    match[0] = i;
    let j0 = 0;
    minv.fill(Number.POSITIVE_INFINITY);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = match[j0];
      let delta = Number.POSITIVE_INFINITY;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const reduced = cost[i0 - 1][j - 1] - u[i0] - v[j];
        if (reduced < minv[j]) {
          minv[j] = reduced;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[match[j]] += delta;
          v[j] -= delta;
        } else minv[j] -= delta;
      }
      j0 = j1;
    } while (match[j0] !== 0);
    // Augment along the path back to the virtual column 0.
    do {
      const j1 = way[j0];
      match[j0] = match[j1];
      j0 = j1;
    } while (j0 !== 0);
  }
  const assignment = new Int32Array(n).fill(-1);
  let total = 0;
  for (let j = 1; j <= m; j++) {
    if (match[j] !== 0) {
      assignment[match[j] - 1] = j - 1;
      total += cost[match[j] - 1][j - 1];
    }
  }
  return { assignment, cost: total };
}

/** The assignment with the largest total (negated costs), e.g. matching clusters to classes by overlap counts. */
export function maximumAssignment(gain: readonly (readonly number[])[]): Assignment {
  const sol = hungarian(gain.map((r) => r.map((g) => -g)));
  return { assignment: sol.assignment, cost: -sol.cost };
}
