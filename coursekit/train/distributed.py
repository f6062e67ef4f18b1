"""Training on several processes (GPUs or CPU cores) with PyTorch's DistributedDataParallel.

``torchrun --nproc_per_node=N -m coursekit.train ...`` starts N copies of the same program and
tells each its place through environment variables (RANK, LOCAL_RANK, WORLD_SIZE,
MASTER_ADDR, MASTER_PORT). Each process holds a copy of the model and trains on its own
share of every batch; DistributedDataParallel averages the gradients during ``backward``, so
the copies take the same step and stay equal. Nothing here launches processes: torchrun does.

    device = start_processes()           # joins the group torchrun made (gloo or nccl)
    model = DistributedDataParallel(model) if world_size() > 1 else model
    loss_sum, correct, seen = sum_over_processes(loss_sum, correct, seen)
    stop_processes()

Without torchrun (no WORLD_SIZE in the environment) there is one process, and every function
here does what it would do with a group of one: the same code runs on a laptop.
"""

from __future__ import annotations

import os

import torch
import torch.distributed as dist
from torch import nn
from torch.utils.data import Sampler

__all__ = ["ShardSampler", "all_finite", "is_main_process", "launched_by_torchrun", "rank",
           "start_processes", "stop_processes", "sum_over_processes", "unwrap", "world_size"]


def launched_by_torchrun() -> bool:
    """True when torchrun (or another launcher of its kind) started this process."""
    return "WORLD_SIZE" in os.environ and "RANK" in os.environ


def is_distributed() -> bool:
    """True once this process is in a group of processes (``start_processes`` ran)."""
    return dist.is_available() and dist.is_initialized()


def rank() -> int:
    """This process's number, 0 to world_size() - 1; 0 without a group."""
    return dist.get_rank() if is_distributed() else 0


def world_size() -> int:
    """The number of processes training together; 1 without a group."""
    return dist.get_world_size() if is_distributed() else 1


def is_main_process() -> bool:
    """Rank 0: the one process that prints, shows progress and writes files."""
    return rank() == 0


def start_processes(device=None) -> torch.device:
    """Join the group torchrun started, if it did; return the device this process uses.

    Args:
        device: "cpu", "cuda", ... or None (cuda when there is a GPU, else cpu).

    Returns:
        The device: on CUDA, GPU number LOCAL_RANK of this machine (one GPU per process);
        otherwise ``device``. The backend is nccl on CUDA, gloo on the CPU.
    """
    wanted = torch.device(device if device is not None else
                          "cuda" if torch.cuda.is_available() else "cpu")
    if not launched_by_torchrun():
        return wanted
    if wanted.type == "cuda":
        local_rank = int(os.environ.get("LOCAL_RANK", 0))
        if local_rank >= torch.cuda.device_count():
            raise RuntimeError(
                f"process {os.environ['RANK']} is the number {local_rank} on this machine but "
                f"it has {torch.cuda.device_count()} GPUs: start at most one process per GPU "
                "(torchrun --nproc_per_node=<number of GPUs>)")
        wanted = torch.device("cuda", local_rank)
        torch.cuda.set_device(wanted)
    if not is_distributed():
        dist.init_process_group("nccl" if wanted.type == "cuda" else "gloo")
    return wanted


def stop_processes() -> None:
    """Leave the group (every process calls it at the end); nothing without a group."""
    if is_distributed():
        dist.destroy_process_group()


def unwrap(model: nn.Module) -> nn.Module:
    """The model inside a DistributedDataParallel wrapper (the model itself otherwise)."""
    return model.module if isinstance(model, nn.parallel.DistributedDataParallel) else model


def sum_over_processes(*numbers: float) -> list:
    """Each number summed over all processes (the numbers themselves with one process).

    E.g. ``loss_sum, correct, seen = sum_over_processes(loss_sum, correct, seen)``: the
    epoch's totals over the whole data set, the same in every process.
    """
    if not is_distributed():
        return list(numbers)
    totals = torch.tensor(numbers, dtype=torch.float64, device=_collective_device())
    dist.all_reduce(totals)  # sum
    return totals.tolist()


def all_finite(loss: torch.Tensor) -> bool:
    """Is ``loss`` finite in every process? All processes must agree before ``backward``.

    A process that stopped alone would leave the others waiting for its gradients forever.
    """
    finite = bool(torch.isfinite(loss).all())
    if not is_distributed():
        return finite
    flag = torch.tensor([0.0 if finite else 1.0], device=_collective_device())
    dist.all_reduce(flag)  # the number of processes with a NaN or inf loss
    return flag.item() == 0


def _collective_device() -> torch.device:
    """nccl exchanges tensors on the GPU, gloo on the CPU."""
    if dist.get_backend() == "nccl":
        return torch.device("cuda", torch.cuda.current_device())
    return torch.device("cpu")


class ShardSampler(Sampler):
    """Clip i goes to process i % world_size: each clip once, none repeated (for evaluation).

    PyTorch's DistributedSampler repeats a few clips so that every process gets as many; that
    is fine for training, but would count those clips twice in a validation score. Here the
    shards may differ by one clip, and ``gather`` puts the processes' results back together in
    clip order, so ``evaluate`` on N processes returns what it returns on one.

    Args:
        dataset: the data set (only its length is used).
        num_replicas, rank: the number of processes and this one's rank (None: from the group,
            1 and 0 without one).
    """

    def __init__(self, dataset, num_replicas: int | None = None, rank: int | None = None):
        self.size = len(dataset)
        self.num_replicas = world_size() if num_replicas is None else num_replicas
        self.rank = (dist.get_rank() if is_distributed() else 0) if rank is None else rank

    def __iter__(self):
        return iter(range(self.rank, self.size, self.num_replicas))

    def __len__(self) -> int:
        return len(range(self.rank, self.size, self.num_replicas))

    def gather(self, values: torch.Tensor) -> torch.Tensor:
        """This process's results (n_r, ...) -> everyone's, in clip order (N, ...)."""
        if self.num_replicas == 1 or not is_distributed():
            return values
        longest = -(-self.size // self.num_replicas)
        padded = values.new_zeros((longest, *values.shape[1:]))
        padded[:len(values)] = values
        device = _collective_device()
        pieces = [torch.empty_like(padded, device=device) for _ in range(self.num_replicas)]
        dist.all_gather(pieces, padded.to(device))
        # piece r, row i is clip r + i * num_replicas: interleave the rows, drop the padding
        in_order = torch.stack(pieces, dim=1).flatten(0, 1)[:self.size]
        return in_order.to(values.device)
