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


# ── W6 / W7: the U-Net denoiser (src/models/unet.ts, layer for layer; docs/bench.md) ──────────────────────────────


def group_norm(channels, groups=8):
    g = min(groups, channels)
    while channels % g:
        g -= 1
    return nn.GroupNorm(g, channels)


def zero_(m):
    nn.init.zeros_(m.weight)
    nn.init.zeros_(m.bias)
    return m


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb):
        super().__init__()
        self.norm1, self.conv1 = group_norm(cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.emb_proj = nn.Linear(emb, cout)
        self.norm2, self.conv2 = group_norm(cout), zero_(nn.Conv2d(cout, cout, 3, padding=1))
        self.skip = None if cin == cout else nn.Conv2d(cin, cout, 1)

    def forward(self, x, emb):
        h = self.conv1(F.silu(self.norm1(x)))
        h = h + self.emb_proj(emb)[:, :, None, None]
        h = self.conv2(F.silu(self.norm2(h)))
        return (x if self.skip is None else self.skip(x)) + h


class SpatialSelfAttention(nn.Module):
    def __init__(self, channels, heads):
        super().__init__()
        self.heads = heads
        self.norm = group_norm(channels)
        self.qkv = nn.Conv2d(channels, 3 * channels, 1)
        self.proj = zero_(nn.Conv2d(channels, channels, 1))

    def forward(self, x):
        n, c, h, w = x.shape
        d = c // self.heads
        qkv = self.qkv(self.norm(x)).reshape(n, 3 * self.heads, d, h * w).transpose(2, 3)
        q, k, v = qkv.split(self.heads, dim=1)
        att = torch.softmax(q @ k.transpose(2, 3) / math.sqrt(d), dim=-1)
        y = (att @ v).transpose(2, 3).reshape(n, c, h, w)
        return x + self.proj(y)


def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000) * torch.arange(half, dtype=torch.float64) / half)
    angle = t.to(torch.float64)[:, None] * freqs[None, :]
    return torch.cat([torch.sin(angle), torch.cos(angle)], dim=1).float()


class UNet(nn.Module):
    def __init__(self, base=32, mults=(1, 2, 4), classes=10, time_features=128, emb=512, heads=4):
        super().__init__()
        self.time_features = time_features
        self.time1, self.time2 = nn.Linear(time_features, emb), nn.Linear(emb, emb)
        self.label = nn.Embedding(classes + 1, emb)
        widths = [m * base for m in mults]
        self.in_conv = nn.Conv2d(1, base, 3, padding=1)
        self.down, self.downsample = nn.ModuleList(), nn.ModuleList()
        ch = base
        for i, wd in enumerate(widths):
            self.down.append(ResBlock(ch, wd, emb))
            ch = wd
            if i < len(widths) - 1:
                self.downsample.append(nn.Conv2d(ch, ch, 3, stride=2, padding=1))
        self.mid1, self.attn, self.mid2 = ResBlock(ch, ch, emb), SpatialSelfAttention(ch, heads), ResBlock(ch, ch, emb)
        self.up, self.upsample_conv = nn.ModuleList(), nn.ModuleList()
        for i in range(len(widths) - 1, -1, -1):
            self.up.append(ResBlock(ch + widths[i], widths[i], emb))
            ch = widths[i]
            if i > 0:
                self.upsample_conv.append(nn.Conv2d(ch, widths[i - 1], 3, padding=1))
                ch = widths[i - 1]
        self.out_norm, self.out_conv = group_norm(ch), zero_(nn.Conv2d(ch, 1, 3, padding=1))

    def forward(self, x, t, y):
        emb = F.silu(self.time2(F.silu(self.time1(timestep_embedding(t, self.time_features)))) + self.label(y))
        h = self.in_conv(x)
        skips = []
        for i, block in enumerate(self.down):
            h = block(h, emb)
            skips.append(h)
            if i < len(self.downsample):
                h = self.downsample[i](h)
        h = self.mid2(self.attn(self.mid1(h, emb)), emb)
        for j, block in enumerate(self.up):
            h = block(torch.cat([h, skips[-1 - j]], 1), emb)
            if j < len(self.upsample_conv):
                h = self.upsample_conv[j](F.interpolate(h, scale_factor=2, mode="nearest"))
        return self.out_conv(F.silu(self.out_norm(h)))


def linear_alpha_bar(steps=1000):
    betas = torch.linspace(1e-4, 0.02, steps, dtype=torch.float64)
    return torch.cumprod(1 - betas, 0)


def w6(seed):
    torch.manual_seed(seed)
    return UNet()


def run_unet_train(spec):
    batch = spec.get("batch", 64)
    x, y = load("train")
    model = w6(spec.get("seed", 0))
    model.train()
    opt = torch.optim.Adam(model.parameters(), lr=2e-4)
    alpha_bar = linear_alpha_bar()
    it = batches(x, y, batch, spec.get("seed", 0))

    def train_step():
        _, _, xb, yb = next(it)
        n = xb.shape[0]
        t = torch.randint(0, 1000, (n,))
        eps = torch.randn_like(xb)
        ab = alpha_bar[t].float()[:, None, None, None]
        xt = ab.sqrt() * (2 * xb - 1) + (1 - ab).sqrt() * eps
        labels = torch.where(torch.rand(n) < 0.1, torch.full_like(yb, 10), yb)
        opt.zero_grad()
        F.mse_loss(model(xt, t, labels), eps).backward()
        opt.step()
        return n

    for _ in range(spec.get("warmupSteps", 2)):
        train_step()
    steps = images = 0
    hi = spec.get("maxSteps") or 20
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    while keep_going(steps, t0, spec.get("minSteps", 1), hi, spec["budgetS"]):
        images += train_step()
        steps += 1
    s = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    notes = [f"extrapolated from {steps} steps (time budget)"] if steps < (spec.get("maxSteps") or 0) else []
    figures = {"images/s": [images / s], "images/CPU-s": [images / cpu], "parameters": [sum(p.numel() for p in model.parameters())]}
    return figures, notes, None


def ddim_sample(model, alpha_bar, n, steps, guidance, gen):
    """DiffusionModel.sample's DDIM (eta 0) with guidance: trailing timesteps, x0 clipped to [-1, 1]."""
    labels = torch.arange(n) % 10
    both = torch.cat([labels, torch.full_like(labels, 10)])
    x = torch.randn(n, 1, 28, 28, generator=gen)
    ts = [round(1000 - i * 1000 / steps) - 1 for i in range(steps)]
    for k, t in enumerate(ts):
        ab = float(alpha_bar[t])
        ab_prev = float(alpha_bar[ts[k + 1]]) if k + 1 < len(ts) else 1.0
        out = model(torch.cat([x, x]), torch.full((2 * n,), t), both)
        cond, uncond = out[:n], out[n:]
        eps = uncond + guidance * (cond - uncond)
        x0 = ((x - math.sqrt(1 - ab) * eps) / math.sqrt(ab)).clamp(-1, 1)
        eps = (x - math.sqrt(ab) * x0) / math.sqrt(1 - ab)
        x = math.sqrt(ab_prev) * x0 + math.sqrt(1 - ab_prev) * eps
    return (x * 0.5 + 0.5).clamp(0, 1)


def run_unet_sample(spec):
    n = spec.get("batch", 100)
    steps = spec.get("samplerSteps", 25)
    model = w6(spec.get("seed", 0))
    model.eval()
    alpha_bar = linear_alpha_bar()
    gen = torch.Generator().manual_seed(1)
    samples, per_cpu = [], []
    with torch.no_grad():
        ddim_sample(model, alpha_bar, n, 1, 2.0, gen)
        for _ in range(spec.get("passes", 1)):
            cpu0 = time.process_time()
            t0 = time.perf_counter()
            ddim_sample(model, alpha_bar, n, steps, 2.0, gen)
            samples.append(n / (time.perf_counter() - t0))
            per_cpu.append(n / (time.process_time() - cpu0))
    return {"images/s": samples, "images/CPU-s": per_cpu}, [], None


JOBS = {
    "sgemm": run_sgemm,
    "mlp-train": run_mlp_train,
    "cnn-train": run_cnn_train,
    "cnn-accuracy": run_cnn_accuracy,
    "cnn-infer": run_cnn_infer,
    "unet-train": run_unet_train,
    "unet-sample": run_unet_sample,
}


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
