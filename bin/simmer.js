#!/usr/bin/env node
// The `simmer` command: runs the TypeScript sources through tsx (a dependency), so what runs is always what is in src/.
import { register } from 'tsx/esm/api';

register();
await import(new URL('../src/cli/main.ts', import.meta.url).href);
