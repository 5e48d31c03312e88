/**
 * The vocabulary of a kernel spec: one declaration per Backend kernel, from which src/backend/native/adapter.ts derives
 * the native adapter (size checks, geometry packing, op codes looked up by name, the required-symbol list) and
 * scripts/op-table.ts the per-backend coverage table. The arguments are listed in the order of the Backend method;
 * the addon export of the same name takes them in the same order, each arg becoming one addon argument except a
 * `shape` (a packed Int32Array, then its rank) and `spread` (each field as its own number).
 *
 * The C++ side registers every export with the signature string `signatureOf(spec)` gives (native/bindings/*.cc),
 * and the loader refuses an addon whose signatures differ, so neither side can drift silently.
 *
 * @example
 *   kernel('softmaxAxis', 'reduce', 'Softmax along the middle axis of outer × size × inner.', [
 *     f32('x', 'outer * size * inner'), int('outer'), int('size'), int('inner'), f32('out', 'outer * size * inner'), bool('log'),
 *   ]);
 */

/** Typed-array kinds a buffer argument may have; `any` is f32, i32 or u8 (the copy kernels work on every dtype). */
export type BufferKind = 'f32' | 'i32' | 'u8' | 'any';

export type ArgSpec =
  /** A buffer; `size` is a JS expression over the other argument names (e.g. 'rows * cols', 'g.n * g.c'). */
  | { name: string; kind: BufferKind; size?: string; nullable?: boolean }
  /** A number passed as an integer (int) or a double (float), or a flag. */
  | { name: string; kind: 'int' | 'float' | 'bool' }
  /** A string op name, passed as the C enum code the addon reports for that name in info().ops[table]. */
  | { name: string; kind: 'enum'; values: readonly string[]; table: string }
  /** A geometry object packed field by field into one reused Int32Array (or Float64Array for type 'f64'). */
  | { name: string; kind: 'geom'; fields: readonly GeomField[]; type?: 'i32' | 'f64' }
  /** An object whose fields go to the addon as separate numbers (matmul's params). */
  | { name: string; kind: 'spread'; fields: readonly string[] }
  /** A shape (number[]) packed into a reused Int32Array of maxRank slots, then its rank; longer shapes run on JS. */
  | { name: string; kind: 'shape'; maxRank: number };

/** A field name, or a name with the JS expression that computes it (for optional or derived fields). */
export type GeomField = string | { name: string; value: string };

export interface KernelSpec {
  /** The Backend method and the addon export. */
  name: string;
  /** The family file this kernel belongs to (spec/<family>.ts, js/<family>.ts, native/kernels/<family>.cc). */
  family: string;
  /** One line on what it computes (shown in docs/ops.md). */
  doc: string;
  args: readonly ArgSpec[];
  /** false: no native kernel yet, the JS reference runs on the native backend too. */
  native: boolean;
  /** Extra preconditions: [JS condition over the args, message when it is false]. */
  checks?: readonly (readonly [string, string])[];
  /** A JS condition under which the native backend calls the JS reference instead (e.g. a rank the kernel lacks). */
  fallbackWhen?: string;
}

export const f32 = (name: string, size?: string, nullable = false): ArgSpec => ({ name, kind: 'f32', size, nullable });
export const i32 = (name: string, size?: string): ArgSpec => ({ name, kind: 'i32', size });
export const u8 = (name: string, size?: string): ArgSpec => ({ name, kind: 'u8', size });
export const anyBuf = (name: string, size?: string): ArgSpec => ({ name, kind: 'any', size });
export const int = (name: string): ArgSpec => ({ name, kind: 'int' });
export const float = (name: string): ArgSpec => ({ name, kind: 'float' });
export const bool = (name: string): ArgSpec => ({ name, kind: 'bool' });
export const opEnum = (name: string, table: string, values: readonly string[]): ArgSpec => ({ name, kind: 'enum', table, values });
export const geom = (name: string, fields: readonly GeomField[], type: 'i32' | 'f64' = 'i32'): ArgSpec => ({ name, kind: 'geom', fields, type });
export const spread = (name: string, fields: readonly string[]): ArgSpec => ({ name, kind: 'spread', fields });
export const shape = (name: string, maxRank = 8): ArgSpec => ({ name, kind: 'shape', maxRank });

/**
 * Functions a size, check or fallback expression may call (the wrappers get them as locals):
 *   product(shape)                 the element count of a shape
 *   span(offset, strides, shape)   1 + the largest element index a strided walk reaches (0 for an empty shape)
 *   fits(inner, outer, axis)       same rank, and inner[d] <= outer[d] on every axis but `axis` (gather / scatter)
 */
export const SPEC_HELPERS = {
  product(shape: readonly number[]): number {
    let p = 1;
    for (const d of shape) p *= d;
    return p;
  },
  span(offset: number, strides: readonly number[], shape: readonly number[]): number {
    let last = offset;
    for (let d = 0; d < shape.length; d++) {
      if (shape[d] === 0) return 0;
      last += (shape[d] - 1) * strides[d];
    }
    return last + 1;
  },
  fits(inner: readonly number[], outer: readonly number[], axis: number): boolean {
    if (inner.length !== outer.length || axis < 0 || axis >= Math.max(1, outer.length)) return false;
    for (let d = 0; d < inner.length; d++) if (d !== axis && inner[d] > outer[d]) return false;
    return true;
  },
};

/** Declares a kernel; `options.native` defaults to true. */
export function kernel(
  name: string,
  family: string,
  doc: string,
  args: readonly ArgSpec[],
  options: { native?: boolean; checks?: KernelSpec['checks']; fallbackWhen?: string } = {},
): KernelSpec {
  return { name, family, doc, args, native: options.native ?? true, checks: options.checks, fallbackWhen: options.fallbackWhen };
}

/**
 * The argument signature both sides agree on, one token per spec arg: f32, f32?, i32, u8, any, int, float, bool, enum,
 * geom<N> / geomf64<N>, spread<N>, shape. native/bindings/*.cc registers each export with exactly this string.
 */
export function signatureOf(spec: KernelSpec): string {
  return spec.args
    .map((a) => {
      switch (a.kind) {
        case 'f32':
        case 'i32':
        case 'u8':
        case 'any':
          return a.kind === 'f32' && a.nullable ? 'f32?' : a.kind;
        case 'geom':
          return `${a.type === 'f64' ? 'geomf64' : 'geom'}${a.fields.length}`;
        case 'spread':
          return `spread${a.fields.length}`;
        default:
          return a.kind;
      }
    })
    .join(' ');
}
