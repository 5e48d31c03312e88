/**
 * A view of some samples of another dataset, in a given order — what a train/validation/test split hands out — and,
 * when given a class list, of some of its classes only: labels renumbered 0..k-1 in the list's order, names kept.
 * @example
 *   const val = new SubsetDataset(train, [5, 17, 42]);
 *   val.get(0); // train.get(5)
 *   const shoes = new SubsetDataset(fashion, indicesOfClasses, [5, 7, 9]); // classes Sandal, Sneaker, Ankle boot → 0, 1, 2
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
  /** The parent's class indices kept, in the order of the new labels (undefined: every class, labels unchanged). */
  readonly keptClasses?: readonly number[];
  /** Parent label → new label (-1 for a class not kept); identity when every class is kept. */
  private readonly relabel: (label: number) => number;

  constructor(parent: SpecDataset, indices: ArrayLike<number>, keptClasses?: readonly number[]) {
    this.parent = parent;
    this.indices = Int32Array.from(indices);
    for (const i of this.indices) checkIndex(i, parent.length, 'SubsetDataset');
    this.channels = parent.channels;
    this.height = parent.height;
    this.width = parent.width;
    if (keptClasses) {
      const map = new Int32Array(parent.classes.length).fill(-1);
      keptClasses.forEach((c, i) => {
        if (!(Number.isInteger(c) && c >= 0 && c < parent.classes.length))
          throw new RangeError(`SubsetDataset: class ${c} is not one of the dataset's ${parent.classes.length} classes (0..${parent.classes.length - 1})`);
        map[c] = i;
      });
      this.keptClasses = [...keptClasses];
      this.classes = keptClasses.map((c) => parent.classes[c]);
      this.relabel = (label) => (label >= 0 ? map[label] : label);
    } else {
      this.classes = parent.classes;
      this.relabel = (label) => label;
    }
    // Only offer the synchronous fast path when the parent has one, so the loader's feature test stays honest.
    const read = parent.readInto?.bind(parent);
    if (read) this.readInto = (index, out, offset) => this.relabel(read(this.indices[index], out, offset));
  }

  get length(): number {
    return this.indices.length;
  }

  get spec(): SubsetSpec {
    return { kind: 'subset', parent: this.parent.spec, indices: Array.from(this.indices), ...(this.keptClasses ? { classes: [...this.keptClasses] } : {}) };
  }

  get(index: number): Sample | Promise<Sample> {
    checkIndex(index, this.length, 'SubsetDataset.get');
    const s = this.parent.get(this.indices[index]);
    if (!this.keptClasses) return s;
    const relabelled = (x: Sample): Sample => ({ ...x, label: this.relabel(x.label) });
    return s instanceof Promise ? s.then(relabelled) : relabelled(s);
  }

  labels(): Int32Array {
    if (!this.parent.labels) throw new Error('SubsetDataset.labels: the parent dataset cannot list its labels');
    const all = this.parent.labels();
    return this.indices.map((i) => this.relabel(all[i]));
  }

  captionOf(index: number): string | undefined {
    return this.parent.captionOf?.(this.indices[index]);
  }

  pathOf(index: number): string | undefined {
    return this.parent.pathOf?.(this.indices[index]);
  }

  describe(): object {
    return {
      kind: 'subset',
      samples: this.length,
      ...(this.keptClasses ? { classes: this.classes } : {}),
      of: (this.parent as Dataset).describe?.() ?? this.parent.spec.kind,
    };
  }
}
