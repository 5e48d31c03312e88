/**
 * Learning without labels: k-means (k-means++, restarts, mini-batch), PCA, clustering metrics (Hungarian-matched
 * accuracy, NMI, ARI, silhouette), and reading a dataset as one matrix. The heavy work is SGEMM on the engine.
 * @example
 *   const { x, labels } = await datasetMatrix(await loadDataset('fashion-mnist'));
 *   const z = new PCA({ nComponents: 50 }).fitTransform(x);
 *   const km = kmeans(z, { k: 10, nInit: 10, seed: 0 });
 *   clusteringAccuracy(labels!, km.labels).accuracy;
 */
export * from './data.ts';
export * from './eigen.ts';
export * from './hungarian.ts';
export * from './kmeans.ts';
export { kmeansPlusPlus, randomRows } from './kmeans-init.ts';
export { asMatrix, type Matrix, matrixTensor, rowSquaredNorms } from './matrix.ts';
export * from './metrics.ts';
export * from './minibatch-kmeans.ts';
export * from './pca.ts';
export * from './tsne.ts';
