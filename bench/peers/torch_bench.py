"""PyTorch peer of the Simmer benchmark: the workloads of shared/WORKLOADS.md on the same data, model, initialisation
scheme (PyTorch's defaults, which Simmer copies), batch size, optimizer and thread count.

Run by bench/run.ts with Debian's /usr/bin/python3 (python3-torch), one job per process so peak RSS is per system:
    /usr/bin/python3 bench/peers/torch_bench.py '{"kind":"cnn-train","threads":1,"budgetS":10,"maxSteps":235}'
Prints one line `@@RESULT <json>` (the format of bench/protocol.ts). Data: the Fashion-MNIST IDX .gz files, read with
gzip + numpy (no torchvision, no download), pixels scaled to [0, 1].
"""

import gzip
import json
import math
import os
import resource
import sys
import time
import traceback

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

DATA = os.environ.get("SIMMER_BENCH_DATA", "/usr/share/datasets/fashion-mnist")
TRAIN_SIZE = 60000
TEST_SIZE = 10000


def read_idx(name):
    with gzip.open(os.path.join(DATA, name + ".gz")) as f:
        b = f.read()
    ndim = b[3]
    dims = [int.from_bytes(b[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(b, np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(split):
    prefix = "train" if split == "train" else "t10k"
    x = torch.from_numpy(read_idx(prefix + "-images-idx3-ubyte").astype(np.float32) / 255.0).unsqueeze(1)
    y = torch.from_numpy(read_idx(prefix + "-labels-idx1-ubyte").astype(np.int64))
    return x, y


def mlp():
    return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10))


def cnn_small():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(3136, 128), nn.ReLU(), nn.Linear(128, 10),
    )


def recipe(model, seed):
    torch.manual_seed(seed)
    if model == "mlp":
        m = mlp()
        return m, torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9)
    m = cnn_small()
    return m, torch.optim.Adam(m.parameters(), lr=1e-3)


def batches(x, y, batch, seed):
    """Shuffled batches from consecutive epochs, endlessly: (epoch, index in epoch, xb, yb)."""
    g = torch.Generator().manual_seed(seed)
    epoch = 0
    while True:
        perm = torch.randperm(x.shape[0], generator=g)
        for i in range(math.ceil(x.shape[0] / batch)):
            ix = perm[i * batch : (i + 1) * batch]
            yield epoch, i, x[ix], y[ix]
        epoch += 1


def step(model, opt, xb, yb):
    opt.zero_grad()
    loss = F.cross_entropy(model(xb), yb)
    loss.backward()
    opt.step()


def accuracy(model, x, y):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], 256):
            correct += int((model(x[i : i + 256]).argmax(1) == y[i : i + 256]).sum())
    model.train()
    return correct / x.shape[0]


def keep_going(done, t0, lo, hi, budget):
    if done >= hi:
        return False
    return done < lo or time.perf_counter() - t0 < budget


def run_sgemm(spec):
    figures, notes = {}, []
    lo, hi = spec.get("minCalls", 10), spec.get("maxCalls", 10)
    for m, n, k in spec["shapes"]:
        g = torch.Generator().manual_seed(1)
        a = torch.rand(m, k, generator=g) * 2 - 1
        b = torch.rand(k, n, generator=g) * 2 - 1
        c = torch.empty(m, n)
        for _ in range(spec.get("warmupSteps", 2)):
            torch.mm(a, b, out=c)
        samples = []
        t0 = time.perf_counter()
        while keep_going(len(samples), t0, lo, hi, spec["budgetS"]):
            t = time.perf_counter()
            torch.mm(a, b, out=c)
            samples.append(2 * m * n * k / (time.perf_counter() - t) / 1e9)
        figures[f"{m}x{n}x{k}"] = samples
    return figures, notes, None


def run_mlp_train(spec):
    batch = spec.get("batch", 128)
    epoch_steps = math.ceil(TRAIN_SIZE / batch)
    max_steps = spec.get("maxSteps") or epoch_steps
    x, y = load("train")
    model, opt = recipe("mlp", spec.get("seed", 0))
    steps = images = 0
    t0 = time.perf_counter()
    for epoch, _, xb, yb in batches(x, y, batch, spec.get("seed", 0)):
        if epoch > 0:
            break
        step(model, opt, xb, yb)
        steps += 1
        images += xb.shape[0]
        if not keep_going(steps, t0, spec.get("minSteps", 1), max_steps, spec["budgetS"]):
            break
    s = time.perf_counter() - t0
    figures, notes = {"images/s": [images / s]}, []
    if steps == epoch_steps:
        figures["accuracy"] = [accuracy(model, *load("test"))]
    else:
        notes.append(f"extrapolated from {steps} of {epoch_steps} steps; no accuracy")
    return figures, notes, None


def run_cnn_train(spec):
    if spec.get("augment"):
        raise RuntimeError("augmentation is a Simmer DataLoader check; the PyTorch peer does not run it")
    batch = spec.get("batch", 64)
    x, y = load("train")
    model, opt = recipe("cnn-small", spec.get("seed", 0))
    it = batches(x, y, batch, spec.get("seed", 0))
    for _ in range(spec.get("warmupSteps", 3)):
        step(model, opt, *next(it)[2:])
    steps = images = 0
    hi = spec.get("maxSteps") or math.ceil(TRAIN_SIZE / batch)
    t0 = time.perf_counter()
    while keep_going(steps, t0, spec.get("minSteps", 1), hi, spec["budgetS"]):
        _, _, xb, yb = next(it)
        step(model, opt, xb, yb)
        steps += 1
        images += xb.shape[0]
    s = time.perf_counter() - t0
    notes = [f"extrapolated from {steps} steps (time budget)"] if steps < (spec.get("maxSteps") or 0) else []
    return {"images/s": [images / s]}, notes, None


def run_cnn_accuracy(spec):
    batch = spec.get("batch", 64)
    epoch_steps = math.ceil(TRAIN_SIZE / batch)
    eval_every = spec.get("evalEvery") or math.ceil(epoch_steps / 4)
    target = spec.get("target", 0.9)
    min_epochs, max_epochs = spec.get("minEpochs", 2), spec.get("maxEpochs", 4)
    max_steps = spec.get("maxSteps") or max_epochs * epoch_steps
    x, y = load("train")
    tx, ty = load("test")
    model, opt = recipe("cnn-small", spec.get("seed", 0))
    curve, train_seconds, steps, epoch_one, reached = [], 0.0, 0, 0.0, None
    t0 = time.perf_counter()
    for epoch, i, xb, yb in batches(x, y, batch, spec.get("seed", 0)):
        step(model, opt, xb, yb)
        steps += 1
        end_of_epoch = i + 1 == epoch_steps
        if (i + 1) % eval_every == 0 or end_of_epoch or steps == max_steps:
            train_seconds += time.perf_counter() - t0
            if epoch == 0 and end_of_epoch:
                epoch_one = train_seconds
            acc = accuracy(model, tx, ty)
            curve.append({"epoch": steps / epoch_steps, "step": steps, "trainSeconds": train_seconds, "accuracy": acc})
            if reached is None and acc >= target:
                reached = train_seconds
            if steps >= max_steps or (reached is not None and steps / epoch_steps >= min_epochs):
                break
            t0 = time.perf_counter()
    figures, notes = {}, []
    if epoch_one > 0:
        figures["epoch-1 images/s"] = [TRAIN_SIZE / epoch_one]
    at_two = [p for p in curve if p["step"] == 2 * epoch_steps]
    if at_two:
        figures["accuracy after 2 epochs"] = [at_two[0]["accuracy"]]
    if reached is not None:
        figures["seconds to target"] = [reached]
    else:
        notes.append(f"test accuracy did not reach {target} within {steps} steps ({steps / epoch_steps:.2f} epochs)")
    figures["best accuracy"] = [max(p["accuracy"] for p in curve)]
    return figures, notes, curve


def run_cnn_infer(spec):
    batch = spec.get("batch", 256)
    tx, _ = load("test")
    model, _ = recipe("cnn-small", spec.get("seed", 0))
    model.eval()
    max_images = spec.get("maxSteps") or TEST_SIZE
    samples, notes = [], []
    with torch.no_grad():
        model(tx[:batch])
        for _ in range(spec.get("passes", 1)):
            images = 0
            t0 = time.perf_counter()
            for i in range(0, TEST_SIZE, batch):
                xb = tx[i : i + batch]
                model(xb)
                images += xb.shape[0]
                if images >= max_images or (time.perf_counter() - t0 > spec["budgetS"] and images >= batch):
                    break
            samples.append(images / (time.perf_counter() - t0))
            if images < TEST_SIZE:
                notes.append(f"extrapolated from {images} of {TEST_SIZE} images")
                break
    return {"images/s": samples}, notes, None


JOBS = {"sgemm": run_sgemm, "mlp-train": run_mlp_train, "cnn-train": run_cnn_train, "cnn-accuracy": run_cnn_accuracy, "cnn-infer": run_cnn_infer}


def main():
    spec = json.loads(sys.argv[-1])
    threads = int(spec.get("threads", 1))
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:
        pass
    result = {"threads": torch.get_num_threads(), "figures": {}, "notes": [], "info": {"torch": torch.__version__}}
    try:
        figures, notes, curve = JOBS[spec["kind"]](spec)
        result.update(ok=True, figures=figures, notes=notes)
        if curve is not None:
            result["curve"] = curve
    except Exception:
        result.update(ok=False, error=traceback.format_exc())
    result["rssMB"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    sys.stdout.write("@@RESULT " + json.dumps(result) + "\n")


if __name__ == "__main__":
    main()
