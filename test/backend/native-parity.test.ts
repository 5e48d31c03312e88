// Native kernels vs the JS reference on the SIMD path this CPU picks (or SIMMER_SIMD if set).
import { defineParityTests } from './parity.ts';

await defineParityTests('parity (default SIMD path)');
