/**
 * Parity suite: every native kernel against the JS reference kernel on seeded random inputs of awkward sizes
 * (1, 3, 17, 129, sizes that are not a multiple of any SIMD width, K larger than one GEMM block, batches on
 * both sides of the threading threshold). Each check states its bound, |native − js| ≤ atol + rtol·|js|,
 * and reports the max abs diff (llm.c style) through the test's diagnostics.
 *
 * One file per kernel family in parity/<family>.ts (default export: define the family's tests from a ParitySuite);
 * they are collected from that folder, so adding a family touches no shared list. Also checked here: every kernel
 * spec'd as native has a parity test (its name appears in a parity file).
 *
 * Used by native-parity*.test.ts, which pick the SIMD path through SIMMER_SIMD before the addon loads.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Backend } from '../../src/backend/backend.ts';
import { loadNativeBackend, nativeInfo } from '../../src/backend/native/load.ts';
import { KERNEL_SPECS } from '../../src/backend/spec/index.ts';
import { skipUnless } from '../helpers/requirements.ts';
import type { ParitySuite } from './parity-kit.ts';

export { expectClose, rng } from './parity-kit.ts';

const FAMILY_DIR = join(fileURLToPath(new URL('.', import.meta.url)), 'parity');

/** Defines the whole parity suite under `label`; skips it with the reason when the addon is unavailable. */
export async function defineParityTests(label: string): Promise<void> {
  const loaded = loadNativeBackend();
  const native = loaded.backend;
  const info = nativeInfo().info;
  const name = info ? `native[${info.simd}, ${info.threads} threads]` : 'native';
  const skip = skipUnless('native', native !== null, loaded.error);
  const suite: ParitySuite = { label, name, skip, native: native as Backend };

  test(`${label}: addon info`, { skip }, (t) => {
    assert.ok(info);
    t.diagnostic(JSON.stringify({ ...info, kernels: Object.keys(info.kernels).length }));
    if (process.env.SIMMER_SIMD) assert.equal(info.simd, process.env.SIMMER_SIMD, info.simdNote);
  });

  const files = readdirSync(FAMILY_DIR)
    .filter((f) => f.endsWith('.ts'))
    .sort();
  const sources = files.map((f) => readFileSync(join(FAMILY_DIR, f), 'utf8')).join('\n');
  test(`${label}: every native kernel has a parity test`, () => {
    const untested = KERNEL_SPECS.filter((s) => s.native && !new RegExp(`\\.${s.name}\\(`).test(sources)).map((s) => s.name);
    assert.deepEqual(untested, [], `no parity test calls ${untested.join(', ')}; add it to test/backend/parity/<family>.ts`);
  });

  for (const f of files) {
    const mod = (await import(pathToFileURL(join(FAMILY_DIR, f)).href)) as { default: (s: ParitySuite) => void };
    mod.default(suite);
  }
}
