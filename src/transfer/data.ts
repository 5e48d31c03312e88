/**
 * Views of a labelled dataset for transfer experiments: some of its classes (renumbered 0..k-1, names kept), and at
 * most N images per class drawn with a seed — "learn classes 5–9 from 100 labelled images each".
 * @example
 *   const fm = openIdx({ kind: 'idx', dir: FASHION_MNIST_DIR, split: 'train' });
 *   const few = new ClassView(fm, { classes: [5, 6, 7, 8, 9], perClass: 100, seed: 1 }); // 500 images, labels 0..4
 */
import { checkIndex, type Dataset, type Sample } from '../data/dataset.ts';
import { pickPerClass } from '../data/class-select.ts';

export interface ClassViewOptions {
  /** Parent class indices to keep, in the order of the new labels (default: all). */
  classes?: number[];
  /** At most this many images per kept class, chosen at random with `seed` (default: all). */
  perClass?: number;
  seed?: number;
}

type Readable = Dataset & { readInto?(index: number, out: Float32Array, offset: number): number; labels?(): Int32Array };

export class ClassView implements Dataset {
  readonly classes: string[];
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly indices: Int32Array;
  private readonly remap: Map<number, number>;
  private readonly parentLabels: Int32Array;

  constructor(
    readonly parent: Readable,
    options: ClassViewOptions = {},
  ) {
    if (!parent.labels) throw new Error('ClassView: the parent dataset cannot list its labels');
    const keep = options.classes ?? parent.classes.map((_, i) => i);
    for (const c of keep)
      if (!(c >= 0 && c < parent.classes.length)) throw new RangeError(`ClassView: class ${c} is not one of the dataset's ${parent.classes.length} classes`);
    this.remap = new Map(keep.map((c, i) => [c, i]));
    this.classes = keep.map((c) => parent.classes[c]);
    this.channels = parent.channels;
    this.height = parent.height;
    this.width = parent.width;
    this.parentLabels = parent.labels();
    this.indices = pickPerClass(this.parentLabels, keep, options.perClass, options.perClass !== undefined ? (options.seed ?? 0) : undefined).indices;
  }

  get length(): number {
    return this.indices.length;
  }

  labels(): Int32Array {
    return this.indices.map((i) => this.remap.get(this.parentLabels[i])!);
  }

  get(index: number): Sample | Promise<Sample> {
    checkIndex(index, this.length, 'ClassView.get');
    const parentIndex = this.indices[index];
    if (this.parent.readInto) {
      const image = new Float32Array(this.channels * this.height * this.width);
      const y = this.parent.readInto(parentIndex, image, 0);
      return { image, shape: [this.channels, this.height, this.width], label: this.remap.get(y)! };
    }
    const s = this.parent.get(parentIndex);
    const remap = (x: Sample): Sample => ({ ...x, label: this.remap.get(x.label)! });
    return s instanceof Promise ? s.then(remap) : remap(s);
  }
}
