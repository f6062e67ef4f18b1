"""When training must stop: a NaN or inf loss or weight, and the likely cause, said plainly.

``train_one_epoch`` and ``fit`` raise :class:`TrainingStopped` with one of the messages made
here; ``fit`` catches it, keeps the message in ``history.stopped`` and returns the best weights.
"""

from __future__ import annotations

import torch
from torch import nn

from coursekit.train.history import History

__all__ = ["TrainingStopped", "check_finite_weights", "non_finite_loss",
           "non_finite_validation"]


class TrainingStopped(Exception):
    """Training cannot go on: a loss or the weights became NaN or inf.

    ``train_one_epoch`` raises it, with a message saying where and the likely cause; ``fit``
    catches it, keeps the message in ``history.stopped`` and returns the best weights.
    """


def non_finite_loss(loss: float, videos: torch.Tensor, epoch: int, batch: int,
                    optimizer: torch.optim.Optimizer, max_grad_norm: float | None) -> str:
    """Why a batch's loss is NaN or inf: NaN/inf in its videos (B, T, C, H, W), or weights
    that diverged (then the learning rate and the clipping are named)."""
    where = f"Training stopped: the loss is {loss} at epoch {epoch + 1}, batch {batch}."
    if not torch.isfinite(videos).all():
        return where + (" The videos of that batch hold NaN or inf values: find and fix them in "
                        "the data set (torch.isfinite(videos).all() should be True).")
    group = optimizer.param_groups[0]
    lr = group.get("max_lr", group["lr"])  # with a schedule, its peak: the lr fit was given
    clipping = ("gradient clipping is off (max_grad_norm=None; try 1.0)" if max_grad_norm is None
                else f"gradients are clipped at max_grad_norm={max_grad_norm}")
    return where + (f" Its videos are finite, so the weights diverged: the learning rate lr={lr:g} "
                    f"is likely too high (try 10 times smaller); {clipping}.")


def check_finite_weights(model: nn.Module, epoch: int) -> None:
    """Raise TrainingStopped if any weight of ``model`` is NaN or inf after ``epoch``."""
    if not all(torch.isfinite(p).all() for p in model.parameters()):
        raise TrainingStopped(
            f"Training stopped: the weights hold NaN or inf values after epoch {epoch + 1}, "
            "though every loss was finite: the learning rate is likely too high (try 10 times "
            "smaller; gradient clipping, max_grad_norm=1.0, also helps)."
        )


def non_finite_validation(history: History, epoch: int) -> str:
    """Why an epoch whose training losses were all finite has a NaN or inf validation loss."""
    return (f"Training stopped: the validation loss is {history.val_loss[epoch]} at epoch "
            f"{epoch + 1}, though every training loss was finite: check the validation clips for "
            "NaN or inf values (torch.isfinite(videos).all() should be True).")
