/**
 * A view of some samples of another dataset, in a given order — what a train/validation/test split hands out.
 * @example
 *   const val = new SubsetDataset(train, [5, 17, 42]);
 *   val.get(0); // train.get(5)
 */
import { checkIndex, type Dataset, type Sample, type SpecDataset, type SubsetSpec } from './dataset.ts';

export class SubsetDataset implements SpecDataset {
  readonly parent: SpecDataset;
  readonly indices: Int32Array;
  readonly classes: string[];
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly readInto?: (index: number, out: Float32Array, offset: number) => number;

  constructor(parent: SpecDataset, indices: ArrayLike<number>) {
    this.parent = parent;
    this.indices = Int32Array.from(indices);
    for (const i of this.indices) checkIndex(i, parent.length, 'SubsetDataset');
    this.classes = parent.classes;
    this.channels = parent.channels;
    this.height = parent.height;
    this.width = parent.width;
    // Only offer the synchronous fast path when the parent has one, so the loader's feature test stays honest.
    const read = parent.readInto?.bind(parent);
    if (read) this.readInto = (index, out, offset) => read(this.indices[index], out, offset);
  }

  get length(): number {
    return this.indices.length;
  }

  get spec(): SubsetSpec {
    return { kind: 'subset', parent: this.parent.spec, indices: Array.from(this.indices) };
  }

  get(index: number): Sample | Promise<Sample> {
    checkIndex(index, this.length, 'SubsetDataset.get');
    return this.parent.get(this.indices[index]);
  }

  labels(): Int32Array {
    if (!this.parent.labels) throw new Error('SubsetDataset.labels: the parent dataset cannot list its labels');
    const all = this.parent.labels();
    return this.indices.map((i) => all[i]);
  }

  captionOf(index: number): string | undefined {
    return this.parent.captionOf?.(this.indices[index]);
  }

  pathOf(index: number): string | undefined {
    return this.parent.pathOf?.(this.indices[index]);
  }

  describe(): object {
    return { kind: 'subset', samples: this.length, of: (this.parent as Dataset).describe?.() ?? this.parent.spec.kind };
  }
}
