"""PyTorch peer of bench/conv-shapes.ts: GFLOP per CPU-second of the W6 U-Net's conv shapes, forward,
backward-input and backward-weight (torch.nn.grad's conv2d_input / conv2d_weight run the same kernels autograd does).
    OMP_NUM_THREADS=1 /usr/bin/python3 bench/peers/conv_shapes.py [reps] [threads]
"""
import sys
import time

import torch
import torch.nn.functional as F

# (C, H=W, K, kernel, stride, calls per step) as W6_CONVS in bench/conv-shapes.ts
W6_CONVS = [
    (1, 28, 32, 3, 1, 1), (32, 28, 32, 3, 1, 3), (64, 28, 32, 3, 1, 2), (32, 28, 32, 3, 2, 1), (64, 28, 32, 1, 1, 1),
    (32, 28, 1, 3, 1, 1), (32, 14, 64, 3, 1, 1), (64, 14, 64, 3, 1, 2), (128, 14, 64, 3, 1, 2), (64, 14, 64, 3, 2, 1),
    (32, 14, 64, 1, 1, 1), (128, 14, 64, 1, 1, 1), (64, 7, 128, 3, 1, 1), (128, 7, 128, 3, 1, 6), (256, 7, 128, 3, 1, 1),
    (64, 7, 128, 1, 1, 1), (128, 7, 384, 1, 1, 1), (128, 7, 128, 1, 1, 1), (256, 7, 128, 1, 1, 1),
]


def time_it(fn, reps):
    """The least CPU and the least wall time of one call over `reps` calls after an untimed one."""
    fn()
    cpu = wall = float("inf")
    for _ in range(reps):
        c0, t0 = time.process_time(), time.perf_counter()
        fn()
        cpu, wall = min(cpu, time.process_time() - c0), min(wall, time.perf_counter() - t0)
    return cpu, wall


def main():
    reps = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    torch.set_num_threads(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
    n = 64
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, batch {n}, best of {reps} calls; GFLOP per CPU-second (wall)")
    total_flop = total_cpu = 0.0
    with torch.no_grad():
        for c, hw, k, r, stride, calls in W6_CONVS:
            pad = (r - 1) // 2
            x = torch.rand(n, c, hw, hw) - 0.5
            w = torch.rand(k, c, r, r) - 0.5
            y = F.conv2d(x, w, None, stride, pad)
            gy = torch.rand_like(y) - 0.5
            o = y.shape[2]
            flop = 2 * n * k * c * r * r * o * o
            cells = []
            cpu_sum = 0.0
            for fn in (
                lambda: F.conv2d(x, w, None, stride, pad),
                lambda: torch.nn.grad.conv2d_input(x.shape, w, gy, stride, pad),
                lambda: torch.nn.grad.conv2d_weight(x, w.shape, gy, stride, pad),
            ):
                cpu, wall = time_it(fn, reps)
                cpu_sum += cpu
                cells.append(f"{flop / cpu / 1e9:.1f} ({flop / wall / 1e9:.1f})".ljust(14))
            total_flop += 3 * flop * calls
            total_cpu += cpu_sum * calls
            print(f"{f'{n}x{c}x{hw}x{hw} -> {k} k{r} s{stride}'.ljust(30)}{str(calls).ljust(6)}{''.join(cells)}")
    print(f"all three kernels of every W6 conv, weighted by calls per step: {total_flop / total_cpu / 1e9:.1f} GFLOP/CPU-s, {total_cpu:.3f} CPU-s per step")


main()
