/**
 * What the profiler says about one kernel call, read from its arguments: the row label (the kernel, and its op for the
 * kernels that take one, e.g. `binary.add`), a short shape description and the FLOPs where a count is meaningful
 * (products and convolutions; the rest are memory-bound and show no GFLOP/s).
 */

export interface KernelDescription {
  label: string;
  shape: string;
  flops: number;
}

type Geom = Record<string, number | boolean | undefined>;

const isBuffer = (v: unknown): v is ArrayLike<number> => ArrayBuffer.isView(v);
const isGeom = (v: unknown): v is Geom => typeof v === 'object' && v !== null && !Array.isArray(v) && !ArrayBuffer.isView(v);

function lastGeom(args: readonly unknown[]): Geom | null {
  for (let i = args.length - 1; i >= 0; i--) if (isGeom(args[i])) return args[i] as Geom;
  return null;
}

function convShape(g: Geom): string {
  const n = g.n as number;
  const groups = (g.groups as number) ?? 1;
  const stride = g.strideH !== 1 || g.strideW !== 1 ? ` s${g.strideH}` : '';
  const pad = g.padH !== 0 || g.padW !== 0 ? ` p${g.padH}` : '';
  const grp = groups !== 1 ? ` g${groups}` : '';
  return `${n}×${g.c}×${g.h}×${g.w} * ${g.k}×${(g.c as number) / groups}×${g.r}×${g.s}${stride}${pad}${grp} → ${g.oh}×${g.ow}`;
}

function convFlops(g: Geom): number {
  const groups = (g.groups as number) ?? 1;
  return 2 * (g.n as number) * (g.k as number) * (g.oh as number) * (g.ow as number) * ((g.c as number) / groups) * (g.r as number) * (g.s as number);
}

/** A shape list as [a,b,c]. */
const dims = (v: unknown): string => `[${(v as number[]).join(',')}]`;

function generic(args: readonly unknown[]): string {
  const g = lastGeom(args);
  if (g && typeof g.n === 'number' && typeof g.oh === 'number') return `${g.n}×${g.c}×${g.h}×${g.w} → ${g.oh}×${g.ow}`;
  if (g && typeof g.batch === 'number') return `${g.batch}×${g.heads}×${g.tq ?? g.t}×${g.d}`;
  for (const a of args) if (Array.isArray(a)) return dims(a);
  for (const a of args) if (isBuffer(a)) return `${a.length}`;
  return '';
}

/** Label, shape and FLOPs of one call of kernel `name` with these arguments. */
export function describeKernel(name: string, args: readonly unknown[]): KernelDescription {
  switch (name) {
    case 'matmul': {
      const p = args[3] as Geom;
      const batch = p.batch as number;
      const t = `${p.transA ? ' Aᵀ' : ''}${p.transB ? ' Bᵀ' : ''}${p.accumulate ? ' +=' : ''}`;
      return {
        label: name,
        shape: `${batch > 1 ? `${batch}× ` : ''}${p.m}×${p.n}×${p.k}${t}`,
        flops: 2 * batch * (p.m as number) * (p.n as number) * (p.k as number),
      };
    }
    case 'conv2dForward':
    case 'conv2dBackwardInput':
    case 'conv2dBackwardWeight': {
      const g = lastGeom(args)!;
      return { label: name, shape: convShape(g), flops: convFlops(g) };
    }
  }
  for (const key of Object.keys(FUSED)) if (name === key) return FUSED[key](args);
  const op = typeof args[0] === 'string' ? `.${args[0]}` : '';
  return { label: `${name}${op}`, shape: generic(args), flops: 0 };
}

/** Kernels added for fused paths describe themselves here (a conv geometry as their last object argument). */
const fusedConv = (label: string) => (args: readonly unknown[]) => {
  const g = lastGeom(args)!;
  return { label, shape: convShape(g), flops: convFlops(g) };
};
const FUSED: Record<string, (args: readonly unknown[]) => KernelDescription> = {
  conv2dForwardAct: fusedConv('conv2dForwardAct'),
  conv2dReluMaxPool2: fusedConv('conv2dReluMaxPool2'),
  conv2dReluMaxPool2Argmax: fusedConv('conv2dReluMaxPool2Argmax'),
};
