/** `simmer info`: what Simmer runs on here — backend, SIMD path, threads, build flags, datasets found. */
import { existsSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import type { Command } from 'commander';
import { backend } from '../../backend/index.ts';
import { loadNativeBackend, nativeInfo } from '../../backend/native/load.ts';

export function collectInfo(): Record<string, unknown> {
  const pkg = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));
  const native = loadNativeBackend();
  return {
    simmer: pkg.version,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    backend: backend().name,
    native: native.backend ? nativeInfo() : { available: false, reason: native.error },
    fashionMnist: existsSync('/usr/share/datasets/fashion-mnist')
      ? '/usr/share/datasets/fashion-mnist'
      : 'not installed (apt-get install dataset-fashion-mnist)',
  };
}

export function register(program: Command): void {
  program
    .command('info')
    .description('show the backend, SIMD path, thread count, build flags and datasets Simmer finds on this machine')
    .option('--json', 'print JSON')
    .action((o: { json?: boolean }) => {
      const info = collectInfo();
      if (o.json) {
        process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
        return;
      }
      const flat = (obj: Record<string, unknown>, prefix = ''): [string, string][] =>
        Object.entries(obj).flatMap(([k, v]) =>
          v && typeof v === 'object' && !Array.isArray(v) ? flat(v as Record<string, unknown>, `${prefix}${k}.`) : [[`${prefix}${k}`, String(v)]],
        );
      const rows = flat(info);
      const w = Math.max(...rows.map(([k]) => k.length));
      process.stdout.write(`${rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n')}\n`);
    });
}
