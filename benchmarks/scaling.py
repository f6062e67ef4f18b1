"""Throughput of python -m coursekit.train on 1 and 2 CPU processes (torchrun, gloo).

Prints one JSON line per run (not a test: the numbers depend on the machine and its load).
    python benchmarks/scaling.py [--clips 96] [--frame-size 64] [--epochs 3] [--rounds 2]
It writes a folder of MovingShapes clips as GIF files (train/ and a small val/), then trains
the LSTM classifier on it three ways, with the same global batch of 8 clips per step:
    1 process x 2 threads    python -m coursekit.train, one process using both cores
    1 process x 1 thread     the same, limited to one core (the baseline of a process)
    2 processes x 1 thread   torchrun --nproc_per_node=2, batch 4 per process, DDP
clips_per_second is training clips per second of epoch time (training, validation on a few
clips, and decoding the GIFs in a DataLoader worker), from history.json, the first epoch
left out (warm-up). load says how busy the machine was (the load average before the run).
Shared machines: the three runs are repeated in interleaved rounds (--rounds), so a busy
moment hurts all of them alike; a last line per run gives the best round and the range.

What to expect on a CPU: a process already uses every core through PyTorch's threads, so
splitting the same cores among processes gains little or loses (the gradients are also
exchanged every step); the DDP runs here check that torchrun works, not that it speeds up a
laptop. On GPUs each process has its own GPU, and a step of B clips per GPU takes about as
long as on one GPU, so throughput grows nearly linearly with the number of GPUs until the
data loading (decoding clips: --workers) or the gradient exchange (small models, slow links
between machines) becomes the limit.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

from coursekit.data import MovingShapes
from coursekit.data.folder import save_video_folder

CLASSES = ["moves right", "moves left", "grows", "shrinks"]


def write_clips(root: Path, count: int, frame_size: int) -> None:
    with warnings.catch_warnings():  # GIF: a shape standing still repeats a frame
        warnings.simplefilter("ignore")
        for split, clips, seed in (("train", count, 1), ("val", max(count // 8, 4), 2)):
            shapes = MovingShapes(clips, num_frames=16, frame_size=frame_size, seed=seed,
                                  classes=CLASSES)
            save_video_folder(shapes, root / split)


def run(data: Path, out: Path, processes: int, threads: int, args) -> dict:
    batch = 8 // processes
    trainer = ["--data", str(data), "--out", str(out), "--epochs", str(args.epochs),
               "--frames", "16", "--frame-size", str(args.frame_size), "--batch-size",
               str(batch), "--workers", "1", "--model", "lstm"]
    launcher = [sys.executable, "-m", "coursekit.train"] if processes == 1 else [
        sys.executable, "-m", "torch.distributed.run", "--standalone",
        f"--nproc_per_node={processes}", "-m", "coursekit.train"]
    env = dict(os.environ, OMP_NUM_THREADS=str(threads), OMP_WAIT_POLICY="PASSIVE")
    if sys.platform == "linux":
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")
    load = os.getloadavg()[0]
    subprocess.run(launcher + trainer, env=env, check=True, capture_output=True)
    history = json.loads((out / "history.json").read_text())
    seconds = history["seconds"][1:] or history["seconds"]
    clips = len([p for p in (data / "train").rglob("*.gif")])
    return {"processes": processes, "threads_per_process": threads, "batch_per_process": batch,
            "clips_per_second": round(clips * len(seconds) / sum(seconds), 1),
            "epoch_seconds": [round(s, 2) for s in history["seconds"]], "load": round(load, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=96, help="training clips (default 96)")
    parser.add_argument("--frame-size", type=int, default=64)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    runs = ((1, 2), (1, 1), (2, 1))  # (processes, threads per process)
    speeds: dict = {key: [] for key in runs}
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "clips"
        write_clips(data, args.clips, args.frame_size)
        for round_ in range(args.rounds):
            for processes, threads in runs:
                out = Path(folder) / f"run_{processes}x{threads}_{round_}"
                result = run(data, out, processes, threads, args)
                speeds[processes, threads].append(result["clips_per_second"])
                print(json.dumps(result), flush=True)
    for (processes, threads), values in speeds.items():
        print(json.dumps({"processes": processes, "threads_per_process": threads,
                          "best_clips_per_second": max(values),
                          "range": [min(values), max(values)]}))


if __name__ == "__main__":
    main()
