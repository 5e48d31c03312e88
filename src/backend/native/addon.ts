/**
 * The shape of the compiled addon (native/addon.cc and native/bindings/*.cc): info, releaseMemory, and one flat
 * function per kernel spec (src/backend/spec/), taking the spec's arguments in order over typed arrays and numbers.
 * Geometry travels as a packed Int32Array so a call reads no JS object properties on the C++ side.
 */

export interface NativeInfo {
  backend: 'native';
  /** SIMD path chosen at load: 'avx512' | 'avx2' | 'portable'. */
  simd: string;
  /** Why that path (best supported, or forced by SIMMER_SIMD). */
  simdNote: string;
  /** SGEMM micro-kernel, e.g. 'avx512 8x32'. */
  gemmKernel: string;
  /** Size of the thread pool (cores, or SIMMER_THREADS). */
  threads: number;
  compiler: string;
  buildFlags: string;
  arch: string;
  /** Every kernel export with the argument signature its binding unpacks (compared with signatureOf(spec)). */
  kernels: Record<string, string>;
  /** The C enum name of each op code, per table (e.g. ops.unary[3] === 'sqrt'): op codes are looked up by name. */
  ops: Record<string, string[]>;
}

export interface NativeAddon {
  info(): NativeInfo;
  /** Returns freed heap pages to the OS (malloc_trim). */
  releaseMemory(): void;
  /** The kernels, named as in the specs. */
  [kernel: string]: unknown;
}
