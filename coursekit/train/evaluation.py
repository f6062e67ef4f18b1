"""Measuring a model without training it, and choosing where it runs.

    results = evaluate(model, test_loader)   # loss, accuracy, logits, predictions, labels
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

from coursekit.train.distributed import ShardSampler, unwrap

__all__ = ["evaluate", "model_device", "pick_device"]


def pick_device(device=None) -> torch.device:
    """The device to train on: ``device`` if given, else cuda, then mps (Apple), then cpu."""
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


@torch.no_grad()
def evaluate(model: nn.Module, loader, *, device=None) -> dict:
    """Run ``model`` over every batch of ``loader`` without training it.

    Args:
        model: maps videos (B, T, C, H, W) to logits (B, K).
        loader: yields ``(videos, labels)`` batches, labels (B,) ints in [0, K).
        device: where the batches go; None: where the model's weights are.

    On several processes (torchrun), a loader whose sampler is a ``ShardSampler`` gives each
    process a share of the clips; the results are gathered, so every process returns those of
    the whole data set, in order, as one process would.

    Returns a dict:
        loss: float, mean cross-entropy per clip.
        accuracy: float in [0, 1].
        logits: (N, K) float32 on the CPU, N = number of clips in the loader.
        predictions: (N,) int64, the arg-max class of each clip.
        labels: (N,) int64, the true classes.
    """
    model = unwrap(model)  # no DistributedDataParallel: nothing to synchronise here
    device = pick_device(device) if device is not None else model_device(model)
    was_training = model.training
    model.eval()
    all_logits, all_labels = [], []
    for videos, labels in loader:
        all_logits.append(model(videos.to(device)).float().cpu())
        all_labels.append(torch.as_tensor(labels).cpu())
    model.train(was_training)
    if not all_logits:
        raise ValueError("the loader gave no batch: is the data set empty?")
    logits, labels = torch.cat(all_logits), torch.cat(all_labels)
    sampler = getattr(loader, "sampler", None)
    if isinstance(sampler, ShardSampler):  # this process's share -> the whole data set
        logits, labels = sampler.gather(logits), sampler.gather(labels)
    predictions = logits.argmax(dim=1)
    return {
        "loss": F.cross_entropy(logits, labels).item(),
        "accuracy": (predictions == labels).float().mean().item(),
        "logits": logits,
        "predictions": predictions,
        "labels": labels,
    }


def model_device(model: nn.Module) -> torch.device:
    """Where the model's weights are (the CPU for a model without weights)."""
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")
