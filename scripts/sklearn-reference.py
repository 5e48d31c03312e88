#!/usr/bin/env python3
"""Reference values from scikit-learn for Simmer's unsupervised tests and the Fashion-MNIST check.

Run with Debian's python3-sklearn (`/usr/bin/python3`):

  /usr/bin/python3 scripts/sklearn-reference.py
      writes test/fixtures/sklearn/small.json from a small deterministic dataset (the unit tests compare against it).
  /usr/bin/python3 scripts/sklearn-reference.py --fashion-mnist [/usr/share/datasets/fashion-mnist]
      runs KMeans (k-means++, n_init=10) and PCA(50) on the 60,000 training images and writes
      test/fixtures/sklearn/fashion-mnist.json (scripts/unsupervised-check.ts compares Simmer against it).
  /usr/bin/python3 scripts/sklearn-reference.py --tsne
      writes test/fixtures/sklearn/tsne.json: exact TSNE of the small dataset and the trustworthiness of its layout.

The small dataset is made from integers only (no RNG shared with TypeScript is needed): the test rebuilds it with the
same formula, see `small_dataset` here and `smallDataset` in test/unsupervised/fixture.ts.
"""

import gzip
import json
import os
import platform
import sys
import time

import numpy as np
import sklearn
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.decomposition import PCA
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_score

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "..", "test", "fixtures", "sklearn")


def small_dataset():
    """120 points in 6-D: 4 well-separated blobs of 30 points, offsets from a fixed integer hash (exact in float32)."""
    n_per, k, d = 30, 4, 6
    rows, labels = [], []
    for c in range(k):
        for i in range(n_per):
            row = []
            for j in range(d):
                h = (c * 7919 + i * 104729 + j * 1299709) % 1000  # integer hash in [0, 1000)
                centre = 10.0 * ((c * (j + 1)) % 3) + (5.0 if j == c else 0.0)
                row.append(centre + (h - 500) / 250.0)
            rows.append(row)
            labels.append(c)
    return np.array(rows, dtype=np.float64), np.array(labels, dtype=np.int64)


def clustering_accuracy(labels, clusters):
    """Best one-to-one matching of clusters to classes (Hungarian), as a fraction of points."""
    k = max(labels.max(), clusters.max()) + 1
    counts = np.zeros((k, k), dtype=np.int64)
    for y, c in zip(labels, clusters):
        counts[c, y] += 1
    rows, cols = linear_sum_assignment(-counts)
    return float(counts[rows, cols].sum()) / len(labels)


def small_fixture():
    x, y = small_dataset()
    pca = PCA(n_components=4, svd_solver="full").fit(x)
    km = KMeans(n_clusters=4, n_init=10, random_state=0).fit(x)
    # Fixed label vectors for the metric functions (no clustering involved), including unequal cluster counts.
    a = [0, 0, 0, 1, 1, 1, 2, 2, 2, 0, 1, 2, 0, 0, 1, 2, 2, 1, 0, 2]
    b = [0, 0, 1, 1, 1, 2, 2, 2, 0, 0, 1, 3, 0, 3, 1, 2, 2, 1, 0, 2]
    c = [1, 1, 1, 0, 0, 0, 3, 3, 3, 1, 0, 3, 1, 1, 0, 3, 3, 0, 1, 3]  # a permuted: every score is 1
    silhouette_x = x[:40]
    silhouette_labels = [0 if i < 15 else (1 if i < 30 else 2) for i in range(40)]
    return {
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "dataset": "small_dataset() in scripts/sklearn-reference.py: 120 x 6, 4 blobs",
        "pca": {
            "n_components": 4,
            "explained_variance": pca.explained_variance_.tolist(),
            "explained_variance_ratio": pca.explained_variance_ratio_.tolist(),
            "singular_values": pca.singular_values_.tolist(),
            "mean": pca.mean_.tolist(),
            "components": pca.components_.tolist(),
        },
        "kmeans": {
            "k": 4,
            "inertia": float(km.inertia_),
            "accuracy": clustering_accuracy(y, km.labels_),
            "nmi": float(normalized_mutual_info_score(y, km.labels_)),
        },
        "metrics": {
            "a": a,
            "b": b,
            "c": c,
            "nmi_ab": float(normalized_mutual_info_score(a, b)),
            "ari_ab": float(adjusted_rand_score(a, b)),
            "nmi_ac": float(normalized_mutual_info_score(a, c)),
            "ari_ac": float(adjusted_rand_score(a, c)),
            "silhouette_labels": silhouette_labels,
            "silhouette": float(silhouette_score(silhouette_x, silhouette_labels)),
            "silhouette_true": float(silhouette_score(x, y)),
        },
    }


def tsne_fixture():
    from sklearn.manifold import TSNE, trustworthiness

    x, _ = small_dataset()
    x = x.astype(np.float32)
    out = {"sklearn": sklearn.__version__, "numpy": np.__version__, "dataset": "small_dataset(), as float32", "perplexity": 30, "runs": []}
    for seed in range(3):
        tsne = TSNE(n_components=2, perplexity=30, init="pca", learning_rate="auto", method="exact", random_state=seed)
        y = tsne.fit_transform(x)
        out["runs"].append(
            {
                "random_state": seed,
                "kl_divergence": float(tsne.kl_divergence_),
                "embedding": y.astype(np.float64).round(6).tolist(),
                "trustworthiness": {str(k): float(trustworthiness(x, y, n_neighbors=k)) for k in (5, 10)},
            }
        )
    return out


def read_idx(path):
    with gzip.open(path, "rb") if path.endswith(".gz") else open(path, "rb") as f:
        data = f.read()
    ndim = data[3]
    dims = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def fashion_fixture(folder):
    images = read_idx(os.path.join(folder, "train-images-idx3-ubyte.gz"))
    labels = read_idx(os.path.join(folder, "train-labels-idx1-ubyte.gz")).astype(np.int64)
    x = (images.reshape(len(images), -1).astype(np.float32)) / np.float32(255)
    out = {"sklearn": sklearn.__version__, "numpy": np.__version__, "machine": platform.processor() or platform.machine(), "n": len(x), "d": x.shape[1]}

    km_runs = []
    for seed in range(3):
        t = time.perf_counter()
        km = KMeans(n_clusters=10, init="k-means++", n_init=10, random_state=seed).fit(x)
        seconds = time.perf_counter() - t
        km_runs.append(
            {
                "random_state": seed,
                "seconds": seconds,
                "inertia": float(km.inertia_),
                "n_iter": int(km.n_iter_),
                "accuracy": clustering_accuracy(labels, km.labels_),
                "nmi": float(normalized_mutual_info_score(labels, km.labels_)),
                "ari": float(adjusted_rand_score(labels, km.labels_)),
            }
        )
        print("kmeans", km_runs[-1], flush=True)
    out["kmeans"] = km_runs

    pca_runs = {}
    for solver in ["full", "randomized"]:
        t = time.perf_counter()
        pca = PCA(n_components=50, svd_solver=solver, random_state=0).fit(x)
        pca_runs[solver] = {
            "seconds": time.perf_counter() - t,
            "explained_variance": pca.explained_variance_.tolist(),
            "explained_variance_ratio": pca.explained_variance_ratio_.tolist(),
        }
        print("pca", solver, pca_runs[solver]["seconds"], pca.explained_variance_ratio_[:5], flush=True)
    out["pca"] = pca_runs
    return out


def write(name, obj):
    os.makedirs(FIXTURES, exist_ok=True)
    path = os.path.join(FIXTURES, name)
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    print("wrote", os.path.relpath(path))


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--fashion-mnist":
        folder = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
        write("fashion-mnist.json", fashion_fixture(folder))
    elif len(sys.argv) > 1 and sys.argv[1] == "--tsne":
        write("tsne.json", tsne_fixture())
    else:
        write("small.json", small_fixture())
