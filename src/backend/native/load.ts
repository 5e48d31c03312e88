/**
 * Loads the native addon (built by node-gyp on npm install into build/Release/simmer_native.node) and exposes
 * it as a Backend. If it is missing or fails to load, the result says why; src/backend/index.ts then reports
 * that once and falls back to JS. The addon reads SIMMER_SIMD and SIMMER_THREADS once, when it loads.
 *
 * @example
 *   const { backend, error } = loadNativeBackend();
 *   console.log(backend ? nativeInfo() : error);
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../backend.ts';
import type { NativeAddon, NativeInfo } from './addon.ts';
import { addonMismatch, nativeBackend } from './backend.ts';

export type { NativeAddon, NativeInfo } from './addon.ts';

export interface NativeLoadResult {
  backend: Backend | null;
  error: string | null;
}

const ADDON = join('build', 'Release', 'simmer_native.node');

let cached: NativeLoadResult | null = null;
let addon: NativeAddon | null = null;

function findAddon(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, ADDON);
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return null;
}

export function loadNativeBackend(): NativeLoadResult {
  if (cached) return cached;
  const path = findAddon();
  if (path === null) {
    cached = { backend: null, error: `${ADDON} was not found (run \`npm run build:native\` to build it and see the compiler output)` };
    return cached;
  }
  try {
    const loaded = createRequire(import.meta.url)(path) as NativeAddon;
    // Every kernel spec'd as native must be exported with the spec's signature, and every op name must have a C code.
    const mismatch = addonMismatch(loaded);
    if (mismatch !== null) throw new Error(`the addon does not match the kernel specs: ${mismatch} (stale build? run \`npm run build:native\`)`);
    addon = loaded;
    cached = { backend: nativeBackend(loaded), error: null };
  } catch (e) {
    cached = { backend: null, error: `loading ${path} failed: ${(e as Error).message}` };
  }
  return cached;
}

/** The raw addon, or null if it did not load (for tests and benchmarks that call kernels directly). */
export function nativeAddon(): NativeAddon | null {
  loadNativeBackend();
  return addon;
}

/** What the native backend runs on (SIMD path, threads, build flags), or null with the reason it is unavailable. */
export function nativeInfo(): { info: NativeInfo | null; error: string | null } {
  const r = loadNativeBackend();
  return addon && r.backend ? { info: addon.info(), error: null } : { info: null, error: r.error };
}
