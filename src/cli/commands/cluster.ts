/**
 * `simmer cluster <data>`: k-means (optionally after PCA) on a dataset's images, or on the codes of an autoencoder
 * trained on them (`--method ae-kmeans`, with UMAP of the codes), with accuracy/NMI/ARI when it has labels.
 */
import { type Command, Option } from 'commander';
import { loadDataset } from '../../data/load.ts';
import { AE_ARCHITECTURES, DEFAULT_AE_ARCHITECTURE, DEFAULT_AE_EPOCHS, DEFAULT_UMAP_DIMS, DEFAULT_UMAP_SAMPLE } from '../../unsupervised/ae-cluster.ts';
import { CLUSTER_METHODS, clusterImages, formatClusterReport } from '../../unsupervised/cluster-report.ts';
import { datasetMatrix } from '../../unsupervised/data.ts';
import { number } from '../options.ts';

interface ClusterFlags {
  k: number;
  method: (typeof CLUSTER_METHODS)[number];
  pca: number;
  nInit: number;
  maxIter?: number;
  seed: number;
  batchSize: number;
  silhouette: number;
  split: string;
  data?: string;
  limit: number;
  size?: number;
  json?: boolean;
  bottleneck: number;
  ae: (typeof AE_ARCHITECTURES)[number];
  aeEpochs?: number;
  aeWidth: number;
  aeBatchSize: number;
  umap: number;
  umapSample: number;
}

export function register(program: Command): void {
  program
    .command('cluster')
    .description('cluster a dataset without its labels (k-means on pixels, optionally after PCA) and score it against the labels when there are any')
    .argument('<data>', 'fashion-mnist, shapes, an image folder or a .csv/.json manifest')
    .option('-k, --k <n>', 'number of clusters', number('--k', { integer: true, min: 1 }), 10)
    .addOption(
      new Option('--method <name>', 'kmeans (Lloyd, all points), minibatch (mini-batch k-means), or ae-kmeans (autoencoder codes, UMAP, k-means)')
        .choices(CLUSTER_METHODS)
        .default('kmeans'),
    )
    .option('--pca <n>', 'reduce to n principal components first (0 = cluster the pixels)', number('--pca', { integer: true, min: 0 }), 0)
    .option('--n-init <n>', 'k-means++ restarts; the lowest inertia wins', number('--n-init', { integer: true, min: 1 }), 10)
    .option(
      '--max-iter <n>',
      'Lloyd steps per restart (default 300); mini-batch: passes over the data (default 100)',
      number('--max-iter', { integer: true, min: 1 }),
    )
    .option('--seed <n>', 'seed of the initialisation', number('--seed', { integer: true, min: 0 }), 0)
    .option('--batch-size <n>', 'minibatch: points per mini-batch step', number('--batch-size', { integer: true, min: 1 }), 1024)
    .option('--silhouette <n>', 'also the silhouette on n sampled points (0 = skip)', number('--silhouette', { integer: true, min: 0 }), 0)
    .option('--split <name>', 'which split to cluster', 'train')
    .option('--data <path>', 'folder holding a built-in dataset, when not in the default place')
    .option('--limit <n>', 'use only the first n images (0 = all)', number('--limit', { integer: true, min: 0 }), 0)
    .option('--size <px>', 'decode images at this square size (image folders and manifests)', number('--size', { integer: true, min: 1 }))
    .option('--json', 'print the report as JSON')
    .addOption(
      new Option('--ae <kind>', "ae-kmeans: conv (the small convolutional autoencoder) or dense (N2D's 500-500-2000 layers, MSE)")
        .choices(AE_ARCHITECTURES)
        .default(DEFAULT_AE_ARCHITECTURE),
    )
    .option('--bottleneck <n>', 'ae-kmeans: code size of the autoencoder', number('--bottleneck', { integer: true, min: 1 }), 10)
    .option(
      '--ae-epochs <n>',
      `ae-kmeans: epochs of autoencoder training (default ${Object.entries(DEFAULT_AE_EPOCHS)
        .map(([a, e]) => `${e} for ${a}`)
        .join(', ')})`,
      number('--ae-epochs', { integer: true, min: 1 }),
    )
    .option(
      '--ae-width <n>',
      "ae-kmeans, --ae conv: channels of the autoencoder's first conv (the second has twice as many)",
      number('--ae-width', { integer: true, min: 1 }),
      16,
    )
    .option('--ae-batch-size <n>', 'ae-kmeans: images per autoencoder training step', number('--ae-batch-size', { integer: true, min: 1 }), 256)
    .option(
      '--umap <dims>',
      'ae-kmeans: UMAP the codes to this many dimensions before k-means (0 = k-means on the codes)',
      number('--umap', { integer: true, min: 0 }),
      DEFAULT_UMAP_DIMS,
    )
    .option(
      '--umap-sample <n>',
      'ae-kmeans: fit UMAP on n evenly spaced points; each other point joins its nearest fitted one (0 = all)',
      number('--umap-sample', { integer: true, min: 0 }),
      DEFAULT_UMAP_SAMPLE,
    )
    .action(async (dataset: string, o: ClusterFlags) => {
      const aeEpochs = o.aeEpochs ?? DEFAULT_AE_EPOCHS[o.ae];
      const ds = await loadDataset(dataset, { split: o.split, data: o.data, size: o.size });
      const { x, labels, shape } = await datasetMatrix(ds, o.limit);
      const tty = !o.json && process.stderr.isTTY;
      const report = await clusterImages(x, shape, labels, {
        k: o.k,
        method: o.method,
        pca: o.pca,
        nInit: o.nInit,
        maxIter: o.maxIter,
        seed: o.seed,
        batchSize: o.batchSize,
        silhouetteSample: o.silhouette,
        autoencoder: {
          architecture: o.ae,
          bottleneck: o.bottleneck,
          epochs: aeEpochs,
          width: o.aeWidth,
          umapDims: o.umap,
          umapSample: o.umapSample,
          batchSize: o.aeBatchSize,
          onStage: tty ? (s) => process.stderr.write(`\r${s}…\x1b[K`) : undefined,
          onEpoch: tty ? (e) => process.stderr.write(`\rautoencoder epoch ${e.epoch + 1}/${aeEpochs}: loss ${e.trainLoss.toFixed(2)}\x1b[K\n`) : undefined,
        },
        onStep: tty
          ? (s) => process.stderr.write(`\rk-means step ${s.step}: ${s.running} restart(s) running, best inertia ${s.bestInertia.toPrecision(7)}  `)
          : undefined,
      });
      if (tty) process.stderr.write('\n');
      if (o.json) {
        const { labels: assigned, ...rest } = report;
        process.stdout.write(`${JSON.stringify({ dataset, split: o.split, ...rest, clusterSizes: sizes(assigned, o.k) }, null, 2)}\n`);
        return;
      }
      process.stdout.write(`${dataset} (${o.split})\n${formatClusterReport(report)}`);
    });
}

function sizes(labels: Int32Array, k: number): number[] {
  const out = new Array<number>(k).fill(0);
  for (const l of labels) out[l]++;
  return out;
}
