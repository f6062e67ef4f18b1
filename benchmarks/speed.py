"""Training-step speed of LSTMVideoClassifier: the lecture's frame-by-frame loop vs batched.

Prints one JSON line per measurement (not a test: the numbers depend on the machine).
    python benchmarks/speed.py
A training step is forward + backward + Adam update on one batch of videos. Three variants:
    loop                   the lecture's way: one CNN call per frame, one clip at a time
    batched                all B * T frames through the CNN in one call, frames stored NCHW
    batched_channels_last  the same with frames stored channels-last, coursekit's default
                           on the CPU (CNN.channels_last)
For each it prints the milliseconds per video, the speed-up over the loop, and the achieved
GFLOP/s as a fraction of this machine's float32 matmul GFLOP/s (the best a dense kernel
reaches here, measured by this script). FLOPs are counted by PyTorch's FlopCounterMode for
one forward + backward (convolutions and matrix products; the element-wise ReLU, LSTM gates
and Adam update are not counted, so the fractions are slight underestimates). Two last lines
look inside one batched forward + backward at the lecture's scale, what limits it: its
GFLOP/s without the optimizer, the minor page faults it takes (fresh memory for its large
activations) and each kind of operation's share of the time.
Targets: batched at least 5x the loop per video at notebook scale (64 x 64, 16 frames,
batch 32); at the lecture's scale (220 x 220, 20 frames) about half the matmul GFLOP/s.

Shared machines: the variants and the matmul are timed in interleaved rounds and the best
round is kept, so a busy moment hurts all of them alike. OpenMP's default is to spin while
waiting for its other threads, which collapses when other programs hold the cores (the loop,
made of many small parallel regions, suffers most); this script therefore defaults to
OMP_WAIT_POLICY=PASSIVE (idle threads sleep). Run OMP_WAIT_POLICY=ACTIVE python ... to
compare. The load average printed with each line says how busy the machine was.
"""

import os

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # read once, when torch loads OpenMP

import json  # noqa: E402
import resource  # noqa: E402
import time  # noqa: E402

import torch  # noqa: E402
from torch.profiler import ProfilerActivity, profile  # noqa: E402
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

from coursekit.models import LSTMVideoClassifier  # noqa: E402

# scale: (batch B, frames T, frame side H = W, rounds)
SCALES = {"notebook": (32, 16, 64, 3), "lecture": (4, 20, 220, 6)}
NUM_CLASSES = 10


def load() -> float:
    return round(os.getloadavg()[0], 1)


def minor_faults() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def matmul_seconds(n=3072):
    """Seconds of one float32 n x n matrix product, and its FLOPs."""
    a, b = torch.randn(n, n), torch.randn(n, n)
    start = time.perf_counter()
    a @ b
    return time.perf_counter() - start, 2 * n**3


def loss_of(forward, videos, labels):
    return torch.nn.functional.cross_entropy(forward(videos), labels)


def step_flops(model, videos, labels) -> tuple[int, dict]:
    """FLOPs of one forward + backward, in total and by operation (counted by PyTorch)."""
    with FlopCounterMode(display=False) as counter:
        loss_of(model, videos, labels).backward()
    model.zero_grad()
    by_op = {str(op).split(".")[1]: n for op, n in counter.get_flop_counts()["Global"].items()}
    return counter.get_total_flops(), by_op


def build(size, channels_last):
    torch.manual_seed(0)
    model = LSTMVideoClassifier(num_classes=NUM_CLASSES, frame_size=(size, size))
    model.cnn.channels_last = channels_last
    return model


def training_step(model, forward):
    """A function that runs one training step on a batch and returns its wall time."""
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)

    def step(videos, labels) -> float:
        start = time.perf_counter()
        optimizer.zero_grad()
        loss_of(forward, videos, labels).backward()
        optimizer.step()
        return time.perf_counter() - start

    return step


def run(scale, batch, frames, size, rounds):
    """Best-of-`rounds` step time of each variant, and the best matmul seen meanwhile."""
    videos = torch.rand(batch, frames, 3, size, size)
    labels = torch.randint(0, NUM_CLASSES, (batch,))
    lecture, nchw, fast = build(size, False), build(size, False), build(size, True)
    steps = {"loop": training_step(lecture, lecture.forward_loop),
             "batched": training_step(nchw, nchw),
             "batched_channels_last": training_step(fast, fast)}
    for step in steps.values():
        step(videos[:2], labels[:2])  # warm up (the loop's shapes do not depend on B)
    best = dict.fromkeys(steps, float("inf"))
    matmul = 0.0
    for _ in range(rounds):
        for name, step in steps.items():
            best[name] = min(best[name], step(videos, labels))
        seconds, flops = matmul_seconds()
        matmul = max(matmul, flops / seconds / 1e9)
    flops, _ = step_flops(nchw, videos, labels)
    records = [dict(scale=scale, shape=[batch, frames, 3, size, size], variant=name,
                    ms_per_video=round(seconds / batch * 1000, 1),
                    speedup_vs_loop=round(best["loop"] / seconds, 1),
                    gflops=round(flops / seconds / 1e9, 1), load_avg_1min=load())
               for name, seconds in best.items()]
    return records, matmul


def breakdown(batch, frames, size, channels_last, peak):
    """One batched forward + backward: its speed, page faults, and each operation's share."""
    model = build(size, channels_last)
    videos = torch.rand(batch, frames, 3, size, size)
    labels = torch.randint(0, NUM_CLASSES, (batch,))
    total_flops, flops = step_flops(model, videos, labels)
    seconds, faults = float("inf"), 0
    for _ in range(3):  # best of three, unprofiled
        model.zero_grad()
        faults_before, start = minor_faults(), time.perf_counter()
        loss_of(model, videos, labels).backward()
        seconds = min(seconds, time.perf_counter() - start)
        faults = minor_faults() - faults_before
    model.zero_grad()
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        loss_of(model, videos, labels).backward()
    groups = {  # top-level operations, timed with what they call
        "conv_forward": ["aten::convolution"],
        "conv_backward": ["aten::convolution_backward"],
        "linear": ["aten::mm", "aten::addmm"],
        "lstm": ["aten::lstm", "aten::mkldnn_rnn_layer_backward"],
        "relu": ["aten::relu", "aten::threshold_backward"],
    }  # "other": the rest (layout copies, loss, gradient bookkeeping)
    events = {e.key: e for e in prof.key_averages()}
    total = sum(e.self_cpu_time_total for e in events.values())
    shares = {}
    for group, keys in groups.items():
        micros = sum(events[k].cpu_time_total for k in keys if k in events)
        group_flops = sum(flops.get(k.split("::")[1], 0) for k in keys)
        shares[group] = {"share": round(micros / total, 3)}
        if group_flops:  # FlopCounterMode counts convolutions and matrix products only
            shares[group]["gflops"] = round(group_flops / max(micros, 1) / 1e3, 1)
    shares["other"] = {"share": round(1 - sum(s["share"] for s in shares.values()), 3)}
    gflops = total_flops / seconds / 1e9
    # page faults: fresh memory the allocator takes from the system for the big activations
    return dict(ms=round(seconds * 1000, 1), gflops=round(gflops, 1),
                fraction_of_matmul=round(gflops / peak, 2), page_faults=faults,
                page_faults_mb=round(faults * resource.getpagesize() / 1e6), ops=shares)


if __name__ == "__main__":
    start, records, peak = time.perf_counter(), [], 0.0
    for scale, (batch, frames, size, rounds) in SCALES.items():
        found, matmul = run(scale, batch, frames, size, rounds)
        records += found
        peak = max(peak, matmul)
    print(json.dumps(dict(matmul_gflops=round(peak, 1), threads=torch.get_num_threads(),
                          omp_wait_policy=os.environ["OMP_WAIT_POLICY"], load_avg_1min=load())))
    for record in records:
        record["fraction_of_matmul"] = round(record["gflops"] / peak, 2)
        print(json.dumps(record), flush=True)
    batch, frames, size, _ = SCALES["lecture"]
    for channels_last in (False, True):
        found = breakdown(batch, frames, size, channels_last, peak)
        print(json.dumps(dict(breakdown_of="lecture batched forward + backward, no optimizer",
                              channels_last=channels_last, **found, load_avg_1min=load())))
    print(json.dumps(dict(total_seconds=round(time.perf_counter() - start, 1))))
