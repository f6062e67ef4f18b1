"""Training-step speed of LSTMVideoClassifier: the lecture's frame-by-frame loop vs batched.

Prints one JSON line per measurement (not a test: numbers depend on the machine).
    python benchmarks/speed.py
A training step is forward + backward + Adam update on one batch. For each variant it prints
milliseconds per video, the speed-up over the loop, and the achieved GFLOP/s as a fraction of
this machine's float32 matmul GFLOP/s (the best a dense kernel reaches here).
Targets: batched at least 5x the loop per video at notebook scale (64 x 64, 16 frames,
batch 32); at the lecture's scale (220 x 220, 20 frames) about half the matmul GFLOP/s.
"""

import copy
import json
import time

import torch
from torch.utils.flop_counter import FlopCounterMode

from coursekit.models import LSTMVideoClassifier

SCALES = {
    "notebook": dict(batch=32, frames=16, size=64),
    "lecture": dict(batch=4, frames=20, size=220),
}


def matmul_gflops(n=2048, repeats=5) -> float:
    a, b = torch.randn(n, n), torch.randn(n, n)
    a @ b
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * n**3 * repeats / (time.perf_counter() - start) / 1e9


def train_step(model, forward, videos, labels, optimizer):
    optimizer.zero_grad()
    loss = torch.nn.functional.cross_entropy(forward(videos), labels)
    loss.backward()
    optimizer.step()


def step_flops(model, videos, labels) -> int:
    """Floating-point operations of one forward + backward (counted by PyTorch)."""
    with FlopCounterMode(display=False) as counter:
        torch.nn.functional.cross_entropy(model(videos), labels).backward()
    model.zero_grad()
    return counter.get_total_flops()


def seconds_per_step(model, forward, videos, labels, repeats):
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    train_step(model, forward, videos, labels, optimizer)  # warm up
    start = time.perf_counter()
    for _ in range(repeats):
        train_step(model, forward, videos, labels, optimizer)
    return (time.perf_counter() - start) / repeats


def variants(size):
    torch.manual_seed(0)
    model = LSTMVideoClassifier(num_classes=10, frame_size=(size, size))
    fast = copy.deepcopy(model).to(memory_format=torch.channels_last)
    return {"loop": (model, model.forward_loop), "batched": (model, model),
            "batched_channels_last": (fast, fast)}


def run(scale, batch, frames, size, peak, repeats=3):
    videos = torch.rand(batch, frames, 3, size, size)
    labels = torch.randint(0, 10, (batch,))
    found = variants(size)
    flops = step_flops(found["batched"][0], videos, labels)
    loop_seconds = None
    for name, (model, forward) in found.items():
        seconds = seconds_per_step(model, forward, videos, labels, repeats)
        loop_seconds = loop_seconds or seconds
        gflops = flops / seconds / 1e9
        print(json.dumps({
            "scale": scale, "shape": [batch, frames, 3, size, size], "variant": name,
            "ms_per_video": round(seconds / batch * 1000, 2),
            "speedup_vs_loop": round(loop_seconds / seconds, 2),
            "gflops": round(gflops, 1), "fraction_of_matmul": round(gflops / peak, 2),
        }), flush=True)


if __name__ == "__main__":
    peak = matmul_gflops()
    print(json.dumps({"matmul_gflops": round(peak, 1), "threads": torch.get_num_threads()}))
    for scale, shape in SCALES.items():
        run(scale, peak=peak, **shape)
