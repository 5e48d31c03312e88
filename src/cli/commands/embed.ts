/**
 * `simmer embed <checkpoint> <data> --out emb.json|emb.npy [--project pca|umap|tsne]`: the penultimate-layer embeddings
 * of a trained classifier on a dataset's held-out images, optionally projected to 2-D.
 */
import { basename, dirname, extname, join, resolve } from 'node:path';
import { writeFileSync } from 'node:fs';
import { type Command, Option } from 'commander';
import { openCheckpointModel } from '../../runs/open-model.ts';
import { prepareEvalData } from '../../runs/data-setup.ts';
import { penultimateEmbeddings, PROJECTIONS, type Projection, projectEmbedding } from '../../unsupervised/embed.ts';
import { matrixRows, writeNpy } from '../../unsupervised/export.ts';
import { adjustedRandIndex, clusteringAccuracy, normalizedMutualInfo } from '../../unsupervised/metrics.ts';
import { kmeans } from '../../unsupervised/kmeans.ts';
import { number } from '../options.ts';

interface EmbedFlags {
  out: string;
  project?: Projection;
  data?: string;
  limit: number;
  batchSize: number;
  seed: number;
  cluster?: number;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('embed')
    .description("write a trained classifier's penultimate-layer embeddings of a dataset (its test split) to .json or .npy, optionally projected to 2-D")
    .argument('<checkpoint>', 'a .safetensors checkpoint written by simmer train')
    .argument('<data>', 'dataset to embed (fashion-mnist, shapes, a folder or manifest with the same classes)')
    .requiredOption('-o, --out <file>', 'emb.json (rows, labels, projection) or emb.npy (float32 n × d; projection and labels beside it)')
    .addOption(
      new Option('--project <method>', '2-D projection: pca, umap (umap-js), or tsne (exact t-SNE; at most 5,000 rows: use --limit)').choices(PROJECTIONS),
    )
    .option('--data <path>', 'folder holding the dataset files')
    .option('--limit <n>', 'embed at most n images (0 = all)', number('--limit', { integer: true, min: 0 }), 0)
    .option('-b, --batch-size <n>', 'images per batch', number('--batch-size', { integer: true, min: 1 }), 256)
    .option('--seed <n>', 'seed of the projection', number('--seed', { integer: true, min: 0 }), 0)
    .option('--cluster <k>', 'also k-means the embeddings into k clusters and score them against the labels', number('--cluster', { integer: true, min: 2 }))
    .option('--json', 'print a JSON summary')
    .action(async (checkpoint: string, dataset: string, o: EmbedFlags) => {
      const ext = extname(o.out).toLowerCase();
      if (ext !== '.json' && ext !== '.npy') throw new Error(`--out ${o.out}: write .json or .npy (the format follows the extension)`);
      const opened = openCheckpointModel(checkpoint);
      for (const w of opened.warnings) process.stderr.write(`warning: ${w}\n`);
      const recipe = { ...opened.recipe, dataset, ...(o.data ? { data: o.data } : {}), batchSize: o.batchSize };
      // The run's split.json says which images it held out, but only of the data it trained on.
      const trainedOn = resolve(recipe.dataset) === resolve(opened.recipe.dataset) && (recipe.data ?? '') === (opened.recipe.data ?? '');
      const data = await prepareEvalData(recipe, opened.inputShape, { storedSplit: opened.storedSplit, trainedOn });
      const t = performance.now();
      const emb = await penultimateEmbeddings(opened.model, data.source.epoch(0), o.limit);
      await data.source.close?.();
      const embedSeconds = (performance.now() - t) / 1000;
      const { embedding, labels } = emb;
      const projection = o.project ? await projectEmbedding(embedding, o.project, { seed: o.seed }) : null;
      const labelled = labels.every((l) => l >= 0);
      let clusters: { k: number; accuracy?: number; nmi?: number; ari?: number; labels: Int32Array } | null = null;
      if (o.cluster) {
        const r = kmeans(embedding, { k: o.cluster, nInit: 10, seed: o.seed });
        clusters = labelled
          ? {
              k: o.cluster,
              accuracy: clusteringAccuracy(labels, r.labels).accuracy,
              nmi: normalizedMutualInfo(labels, r.labels),
              ari: adjustedRandIndex(labels, r.labels),
              labels: r.labels,
            }
          : { k: o.cluster, labels: r.labels };
      }
      const written: string[] = [o.out];
      if (ext === '.npy') {
        writeNpy(o.out, embedding.data, [embedding.rows, embedding.cols]);
        const stem = join(dirname(o.out), basename(o.out, extname(o.out)));
        writeNpy(`${stem}.labels.npy`, labels, [labels.length]);
        written.push(`${stem}.labels.npy`);
        if (projection) {
          writeNpy(`${stem}.${o.project}.npy`, projection.data, [projection.rows, 2]);
          written.push(`${stem}.${o.project}.npy`);
        }
      } else {
        const doc = {
          checkpoint,
          dataset,
          split: data.split,
          layer: emb.layer,
          classes: data.classes,
          shape: [embedding.rows, embedding.cols],
          labels: Array.from(labels),
          embedding: matrixRows(embedding.data, embedding.rows, embedding.cols),
          ...(projection ? { projection: { method: o.project, points: matrixRows(projection.data, projection.rows, 2) } } : {}),
          ...(clusters ? { clusters: Array.from(clusters.labels) } : {}),
        };
        writeFileSync(o.out, `${JSON.stringify(doc)}\n`);
      }
      const { labels: _assigned, ...clusterScores } = clusters ?? { labels: null };
      const summary = {
        rows: embedding.rows,
        features: embedding.cols,
        layer: emb.layer,
        split: data.split,
        seconds: embedSeconds,
        written,
        ...(clusters ? { clusters: clusterScores } : {}),
      };
      if (o.json) {
        process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
        return;
      }
      process.stdout.write(
        `${embedding.rows.toLocaleString('en-US')} embeddings of ${embedding.cols} features (input of layer '${emb.layer}', ${data.split}) in ${embedSeconds.toFixed(2)} s\n`,
      );
      if (clusters?.accuracy !== undefined) {
        process.stdout.write(
          `k-means k = ${clusters.k}: accuracy ${clusters.accuracy.toFixed(4)} · NMI ${clusters.nmi!.toFixed(4)} · ARI ${clusters.ari!.toFixed(4)}\n`,
        );
      }
      process.stdout.write(`wrote ${written.join(', ')}\n`);
    });
}
