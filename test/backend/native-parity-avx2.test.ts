// The parity suite on the AVX2+FMA path, where the CPU has it (skipped otherwise): on an AVX-512 machine this
// is the only run that exercises the AVX2 kernels.
import { readFileSync } from 'node:fs';

let hasAvx2 = process.arch === 'x64';
try {
  hasAvx2 &&= /\bavx2\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
} catch {
  // not Linux: let the addon decide (it falls back and the info test reports it)
}
if (hasAvx2) {
  process.env.SIMMER_SIMD = 'avx2';
  const { defineParityTests } = await import('./parity.ts');
  await defineParityTests('parity (SIMMER_SIMD=avx2)');
}
