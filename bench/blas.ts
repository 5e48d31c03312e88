/**
 * Which BLAS PyTorch's matmul runs on, and whether a ratio against it is fair.
 *
 * Debian's python3-torch links the generic libblas.so.3; the alternatives system points that at the reference
 * (netlib) BLAS unless an optimised one such as libopenblas0-pthread is installed. Reference BLAS runs SGEMM at a few
 * GFLOP/s, so W1 (SGEMM) and W2 (the matmul-bound MLP) ratios against it would flatter Simmer ~30×: the bench prints
 * the BLAS in the systems list and refuses those ratios. The detection reads the libraries mapped into a torch
 * process after a matmul (bench/run.ts runs the probe); the functions here are pure so the tests can feed them paths.
 */

export type BlasKind = 'openblas' | 'mkl' | 'blis' | 'reference' | 'unknown';

export interface BlasInfo {
  kind: BlasKind;
  /** The BLAS/LAPACK libraries mapped into the torch process, as /proc/self/maps names them (symlinks resolved). */
  libraries: string[];
}

/** The Python run in the torch process: one matmul (so a lazily loaded BLAS is mapped), then the mapped libraries. */
export const TORCH_BLAS_PROBE = [
  'import json, torch',
  'a = torch.rand(64, 64); float((a @ a).sum())',
  "libs = sorted({l.split()[-1] for l in open('/proc/self/maps') if l.split()[-1].startswith('/') and any(k in l.split()[-1].rsplit('/', 1)[-1] for k in ('blas', 'mkl', 'blis', 'lapack'))})",
  "print(json.dumps({'torch': torch.__version__, 'libraries': libs}))",
].join('\n');

/** Classifies the mapped libraries; an optimised library wins over the generic libblas.so.3 that points at it. */
export function classifyBlas(libraries: readonly string[]): BlasInfo {
  const names = libraries.map((p) => p.toLowerCase());
  const has = (re: RegExp) => names.some((n) => re.test(n));
  let kind: BlasKind = 'unknown';
  if (has(/openblas/)) kind = 'openblas';
  else if (has(/mkl/)) kind = 'mkl';
  else if (has(/blis/)) kind = 'blis';
  else if (has(/(^|\/)libblas\.so/)) kind = 'reference';
  return { kind, libraries: [...libraries] };
}

/** How the systems list names the BLAS. */
export function describeBlas(blas: BlasInfo): string {
  const base = (l: string) => l.split('/').pop() ?? '';
  const own = blas.kind === 'reference' || blas.kind === 'unknown' ? null : blas.kind;
  const blasLib =
    blas.libraries.find((l) => own !== null && base(l).toLowerCase().includes(own)) ??
    blas.libraries.find((l) => /blas|mkl|blis/i.test(base(l))) ??
    'no BLAS library mapped';
  const label: Record<BlasKind, string> = {
    openblas: 'BLAS: OpenBLAS',
    mkl: 'BLAS: MKL',
    blis: 'BLAS: BLIS',
    reference: 'BLAS: reference (netlib, unoptimised)',
    unknown: 'BLAS: unknown',
  };
  return `${label[blas.kind]} (${blasLib})`;
}

/** The sections whose PyTorch figure is bound by its SGEMM. */
export const BLAS_BOUND_SECTIONS: readonly string[] = ['W1', 'W2'];

export const REFERENCE_BLAS_FIX = 'apt-get install libopenblas0-pthread';

/**
 * Why a Simmer ÷ PyTorch ratio for `section` must not be printed, or null when it is fair: W1/W2 against reference
 * BLAS measure the netlib loops, not PyTorch.
 */
export function ratioRefusal(section: string, blas: BlasInfo | undefined): string | null {
  if (!blas || blas.kind !== 'reference' || !BLAS_BOUND_SECTIONS.includes(section)) return null;
  return `PyTorch's matmul runs on reference BLAS, so a ${section} ratio would not measure PyTorch; install OpenBLAS (${REFERENCE_BLAS_FIX}) and rerun`;
}
