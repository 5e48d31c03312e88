// The same parity suite with the portable C++ path forced, so the fallback for CPUs without AVX2 (and ARM64) stays correct.
// The addon reads SIMMER_SIMD once, when it loads; the suite loads it lazily, after this line.
process.env.SIMMER_SIMD = 'portable';
const { defineParityTests } = await import('./parity.ts');

await defineParityTests('parity (SIMMER_SIMD=portable)');
