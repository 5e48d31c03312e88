/** Element types a Tensor can hold. float32 is the compute type; int32 holds indices and labels; uint8 holds pixels and masks. */
export type DType = 'float32' | 'int32' | 'uint8';

export type TypedArray = Float32Array | Int32Array | Uint8Array;

export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return new Float32Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'uint8':
      return new Uint8Array(size);
  }
}

export function dtypeOf(data: TypedArray): DType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Int32Array) return 'int32';
  return 'uint8';
}

/** Converts values into a typed array of `dtype`, with the same rounding rules as a C cast (truncation, uint8 saturates). */
export function castArray(src: ArrayLike<number>, dtype: DType): TypedArray {
  const out = allocate(dtype, src.length);
  if (dtype === 'float32') {
    (out as Float32Array).set(src);
  } else if (dtype === 'int32') {
    for (let i = 0; i < src.length; i++) out[i] = Math.trunc(src[i]);
  } else {
    for (let i = 0; i < src.length; i++) out[i] = Math.min(255, Math.max(0, Math.trunc(src[i])));
  }
  return out;
}
