"""torchrun: the trainer on two processes (DistributedDataParallel, gloo on the CPU).

The tolerance: two processes with batches of 2 see, step by step, the same 4 clips as one
process with batches of 4 (DistributedSampler splits the same shuffled order), and the
gradients are averaged, so the two runs take the same steps up to float32 rounding (the sums
are added in another order). Losses must agree within 1e-4, the weights within 1e-4, and
the validation accuracy exactly (the same clips, gathered back in order).
"""

import json
import os
import subprocess
import sys

import pytest
import torch
from test_train_cli import command, write_folder

from coursekit.train import History, load_checkpoint
from coursekit.train.cli import main

FILES = ["best.pt", "curves.png", "history.json", "last.pt"]


def torchrun(arguments, processes=2):
    env = dict(os.environ, OMP_NUM_THREADS="1", OMP_WAIT_POLICY="PASSIVE")
    if sys.platform == "linux":
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")  # the processes talk over 127.0.0.1
    return subprocess.run(
        [sys.executable, "-m", "torch.distributed.run", "--standalone",
         f"--nproc_per_node={processes}", "-m", "coursekit.train", *arguments],
        env=env, capture_output=True, text=True, timeout=600)


def read_history(out):
    return History.from_dict(json.loads((out / "history.json").read_text()))


def test_two_processes_train_like_one_with_the_same_clips_per_step(tmp_path):
    data = write_folder(tmp_path / "clips", train=12, val=6)
    one, two = tmp_path / "one", tmp_path / "two"
    torch.set_num_threads(1)
    try:
        main(command(data, one, "--epochs", 2, "--batch-size", 4))
    finally:
        torch.set_num_threads(os.cpu_count() or 1)
    result = torchrun(command(data, two, "--epochs", 2, "--batch-size", 2))

    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in two.iterdir()) == FILES  # one set of files, by rank 0
    assert result.stdout.count("training clips, ") == 1  # rank 0 alone prints
    assert "on 2 x cpu" in result.stdout and result.stdout.count("epoch 2: train loss") == 1

    a, b = read_history(one), read_history(two)
    assert b.epochs == 2
    assert b.train_loss == pytest.approx(a.train_loss, abs=1e-4)
    assert b.val_loss == pytest.approx(a.val_loss, abs=1e-4)
    assert b.val_accuracy == a.val_accuracy
    single, _ = load_checkpoint(one / "last.pt")
    double, _ = load_checkpoint(two / "last.pt")
    for (name, x), y in zip(single.state_dict().items(), double.state_dict().values(),
                            strict=True):
        assert_same_weights(x, y, name, steps=6, lr=5e-3)  # 12 clips / 4 per step, 2 epochs


def assert_same_weights(x, y, name, *, steps, lr):
    """Nearly every weight agrees to 1e-4, and none is further apart than Adam can move it.

    Two processes add the same gradients in another order, so a pre-activation at a ReLU's
    edge can fall on the other side in one of them; Adam then moves the weights it feeds
    another way, by at most lr (1 - beta1) / sqrt(1 - beta2) per step each. Different clips
    per step would move nearly every weight apart instead.
    """
    gap = (y - x).abs().flatten()
    agree = (gap <= 1e-4).float().mean().item()
    assert agree >= 0.99, f"{name}: only {agree:.1%} of the weights agree to 1e-4"
    reach = steps * lr * (1 - 0.9) / (1 - 0.999) ** 0.5  # Adam's defaults
    assert gap.max().item() <= 2 * reach, f"{name}: a weight moved {gap.max():.1e} apart"


@pytest.mark.skipif(torch.cuda.device_count() < 2, reason="needs 2 CUDA GPUs")
def test_two_gpus_with_nccl(tmp_path):
    data = write_folder(tmp_path / "clips", train=12, val=6)
    result = torchrun(command(data, tmp_path / "run", "--epochs", 1, "--device", "cuda"))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "on 2 x cuda" in result.stdout
    assert sorted(p.name for p in (tmp_path / "run").iterdir()) == FILES
