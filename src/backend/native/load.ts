/**
 * Loads the native addon (built by node-gyp on npm install) and exposes it as a Backend.
 * Until the addon exists this reports why it is unavailable; src/backend/index.ts then falls back to JS.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Backend } from '../backend.ts';

export interface NativeLoadResult {
  backend: Backend | null;
  error: string | null;
}

let cached: NativeLoadResult | null = null;

function findAddon(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'build', 'Release', 'simmer_native.node');
    if (existsSync(candidate)) return candidate;
    dir = dirname(dir);
  }
  return null;
}

export function loadNativeBackend(): NativeLoadResult {
  if (cached) return cached;
  const path = findAddon();
  if (path === null) {
    cached = { backend: null, error: 'build/Release/simmer_native.node was not found (run `npm run build:native` to see the compiler output)' };
    return cached;
  }
  try {
    createRequire(import.meta.url)(path);
    cached = { backend: null, error: 'the native addon has no Backend wrapper yet' };
  } catch (e) {
    cached = { backend: null, error: `loading ${path} failed: ${(e as Error).message}` };
  }
  return cached;
}
