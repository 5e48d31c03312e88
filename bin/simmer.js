#!/usr/bin/env node
// Runs the compiled CLI when it has been built (npm install builds it), the TypeScript sources through tsx otherwise.
import { existsSync } from 'node:fs';
import { register } from 'node:module';

const compiled = new URL('../dist/src/cli/main.js', import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  register('tsx/esm', import.meta.url);
  await import(new URL('../src/cli/main.ts', import.meta.url).href);
}
