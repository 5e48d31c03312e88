/**
 * Adapts the native addon to the Backend contract, derived from the kernel specs (src/backend/spec/): for every spec,
 * a small wrapper is compiled once, at load, that checks buffer sizes (the C++ side trusts them: a short buffer would
 * be written past), looks the op code up by name, packs geometry and shapes into reused typed arrays and calls the
 * addon export of the same name. It is the code one would write by hand, without per-call allocation.
 * Kernels whose spec says `native: false` (or whose `fallbackWhen` holds) run on the JS reference.
 *
 * @example
 *   const b = nativeBackend(addon); // usually through backend() in src/backend/index.ts
 *   b.matmul(a, bm, c, { batch: 1, m: 2, n: 2, k: 2, transA: false, transB: false, strideA: 0, strideB: 0, strideC: 0, accumulate: false });
 */
import type { Backend } from '../backend.ts';
import { jsBackend } from '../js/index.ts';
import { KERNEL_SPECS } from '../spec/index.ts';
import { type KernelSpec, SPEC_HELPERS, signatureOf } from '../spec/kernel.ts';
import type { NativeAddon } from './addon.ts';

function fail(kernel: string, what: string): never {
  throw new RangeError(`native ${kernel}: ${what}`);
}

/** Names of the spec'd kernels the addon must export (with the spec's signature), i.e. those not marked native: false. */
function requiredKernels(): KernelSpec[] {
  return KERNEL_SPECS.filter((s) => s.native);
}

/**
 * Why this addon does not match the specs (missing exports, signatures that differ, op names it has no code for),
 * or null when it does. A mismatch means a stale build or a spec edited without its C++ binding.
 */
export function addonMismatch(addon: NativeAddon): string | null {
  const info = addon.info();
  const problems: string[] = [];
  for (const spec of requiredKernels()) {
    const want = signatureOf(spec);
    const got = info.kernels?.[spec.name];
    if (typeof addon[spec.name] !== 'function' || got === undefined) problems.push(`${spec.name} is missing`);
    else if (got !== want) problems.push(`${spec.name} takes (${got}) but its spec says (${want})`);
    for (const a of spec.args) {
      if (a.kind !== 'enum') continue;
      const table = info.ops?.[a.table];
      const absent = a.values.filter((v) => !table?.includes(v));
      if (absent.length > 0) problems.push(`${spec.name}: the addon has no ${a.table} code for ${absent.join(', ')}`);
    }
  }
  return problems.length > 0 ? problems.join('; ') : null;
}

/** JS source of one wrapper; everything it names is a parameter of the factory built in `compileWrapper`. */
function wrapperSource(spec: KernelSpec): { source: string; scratch: { name: string; make: () => Int32Array | Float64Array }[] } {
  const params = spec.args.map((a) => a.name);
  const body: string[] = [];
  const callArgs: string[] = [];
  const scratch: { name: string; make: () => Int32Array | Float64Array }[] = [];
  const k = JSON.stringify(spec.name);
  const fallbacks: string[] = [];
  if (spec.fallbackWhen) fallbacks.push(`(${spec.fallbackWhen})`);
  for (const a of spec.args) if (a.kind === 'shape') fallbacks.push(`${a.name}.length > ${a.maxRank}`);
  if (fallbacks.length > 0) body.push(`if (${fallbacks.join(' || ')}) return reference.${spec.name}(${params.join(', ')});`);
  for (const [cond, message] of spec.checks ?? []) body.push(`if (!(${cond})) fail(${k}, ${JSON.stringify(message)});`);
  for (const a of spec.args) {
    switch (a.kind) {
      case 'f32':
      case 'i32':
      case 'u8':
      case 'any': {
        if (a.size !== undefined) {
          const need = `(${a.size})`;
          const test = `${a.name}.length < ${need}`;
          const msg = `${JSON.stringify(`${a.name} has `)} + ${a.name}.length + ${JSON.stringify(' elements, needs ')} + ${need}`;
          body.push(`if (${a.nullable ? `${a.name} !== null && ${a.name} !== undefined && ` : ''}${test}) fail(${k}, ${msg});`);
        }
        callArgs.push(a.nullable ? `${a.name} ?? null` : a.name);
        break;
      }
      case 'int':
      case 'float':
      case 'bool':
        callArgs.push(a.name);
        break;
      case 'enum': {
        const codes = `codes_${a.name}`;
        body.push(`const ${a.name}Code = ${codes}.get(${a.name});`);
        body.push(
          `if (${a.name}Code === undefined) fail(${k}, ${JSON.stringify(`${a.name} `)} + ${a.name} + ${JSON.stringify(` is not one of ${a.values.join(', ')}`)});`,
        );
        callArgs.push(`${a.name}Code`);
        break;
      }
      case 'geom': {
        const buf = `scratch_${a.name}`;
        const n = a.fields.length;
        scratch.push({ name: buf, make: () => (a.type === 'f64' ? new Float64Array(n) : new Int32Array(n)) });
        a.fields.forEach((f, i) => body.push(`${buf}[${i}] = ${typeof f === 'string' ? `${a.name}.${f}` : f.value};`));
        callArgs.push(buf);
        break;
      }
      case 'spread':
        for (const f of a.fields) callArgs.push(`${a.name}.${f}`);
        break;
      case 'shape': {
        const buf = `scratch_${a.name}`;
        scratch.push({ name: buf, make: () => new Int32Array(a.maxRank) });
        body.push(`for (let i = 0; i < ${a.name}.length; i++) ${buf}[i] = ${a.name}[i];`);
        callArgs.push(buf, `${a.name}.length`);
        break;
      }
    }
  }
  body.push(`return addon.${spec.name}(${callArgs.join(', ')});`);
  return { source: `return function ${spec.name}(${params.join(', ')}) {\n  ${body.join('\n  ')}\n};`, scratch };
}

// The wrapper source is built from the spec files of this package only (never from user input).
function compileWrapper(spec: KernelSpec, addon: NativeAddon, reference: Backend): (...args: unknown[]) => unknown {
  const { source, scratch } = wrapperSource(spec);
  const names = ['addon', 'reference', 'fail', ...Object.keys(SPEC_HELPERS)];
  const values: unknown[] = [addon, reference, fail, ...Object.values(SPEC_HELPERS)];
  const info = addon.info();
  for (const a of spec.args) {
    if (a.kind !== 'enum') continue;
    const table = info.ops?.[a.table] ?? [];
    // A Map: an Object.create(null) lookup table is a slow-mode object in V8.
    const codes = new Map(a.values.map((v) => [v, table.indexOf(v)]));
    names.push(`codes_${a.name}`);
    values.push(codes);
  }
  for (const s of scratch) {
    names.push(s.name);
    values.push(s.make());
  }
  const factory = new Function(...names, source) as (...v: unknown[]) => (...args: unknown[]) => unknown;
  return factory(...values);
}

/** The generated wrapper source of one kernel (for SIMMER_DEBUG-style inspection and the spec tests). */
export function wrapperSourceOf(name: string): string {
  const spec = KERNEL_SPECS.find((s) => s.name === name);
  if (!spec) throw new RangeError(`wrapperSourceOf: no kernel spec named ${name}`);
  return wrapperSource(spec).source;
}

/** Builds the Backend over a loaded addon whose exports match the specs (see addonMismatch). */
export function nativeBackend(addon: NativeAddon): Backend {
  const backend: Record<string, unknown> = { ...jsBackend, name: 'native' };
  for (const spec of KERNEL_SPECS) if (spec.native) backend[spec.name] = compileWrapper(spec, addon, jsBackend);
  return backend as unknown as Backend;
}
