"""History: what happened during training, one entry per finished epoch."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

__all__ = ["PER_EPOCH", "History"]

#: The History lists that get one value per finished epoch (the val_ ones only with a
#: validation set).
PER_EPOCH = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds")


@dataclass
class History:
    """What happened during training, one entry per finished epoch.

    Lists of floats: ``train_loss``, ``train_accuracy`` (averaged over the epoch's batches, as
    the weights changed), ``val_loss``, ``val_accuracy`` (measured after the epoch, empty
    without a validation set) and ``seconds`` (wall-clock time of each epoch, validation
    included). An epoch is recorded in all of them at once, when its training and validation
    are done, so the lists always have the same length. ``best_epoch`` (0-based, an index into
    those lists; None before any) is the epoch whose weights the model kept; ``interrupted``
    says whether Ctrl-C stopped the training; ``stopped`` is None, or why training stopped
    early (a NaN or inf loss).
    """

    train_loss: list[float] = field(default_factory=list)
    train_accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    best_epoch: int | None = None
    interrupted: bool = False
    stopped: str | None = None

    @property
    def epochs(self) -> int:
        """The number of finished epochs (the length of every per-epoch list)."""
        return len(self.train_loss)

    def to_dict(self) -> dict:
        """Plain lists and numbers, so a checkpoint can store it."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> History:
        """The History that ``to_dict`` gave ``data``; TypeError for an unknown key."""
        return cls(**data)

    # --- What fit does with it, an epoch at a time ------------------------------------------

    def check_continuable(self, with_val: bool) -> None:
        """ValueError unless fit can continue this History: one entry per finished epoch in
        each list the run fills (the val_ lists only ``with_val``, a validation set)."""
        lengths = {name: len(getattr(self, name)) for name in PER_EPOCH}
        expected = {name: 0 if name.startswith("val_") and not with_val else self.epochs
                    for name in PER_EPOCH}
        if lengths != expected:
            raise ValueError(
                f"cannot continue this History: its lists have lengths {lengths}, but continuing "
                f"it {'with' if with_val else 'without'} a validation set needs {expected}. "
                "Continue it with the same kind of loaders it was made with (val_loader given or "
                "not), or start a new one (history=None)"
            )

    def record_epoch(self, loss: float, accuracy: float, val: dict | None,
                     seconds: float) -> None:
        """Append one finished epoch (training, and validation if ``val``) to every list."""
        self.train_loss.append(loss)
        self.train_accuracy.append(accuracy)
        if val is not None:
            self.val_loss.append(val["loss"])
            self.val_accuracy.append(val["accuracy"])
        self.seconds.append(seconds)

    def drop_unfinished_epoch(self, with_val: bool) -> None:
        """After Ctrl-C in the middle of ``record_epoch``: cut the lists to the epochs in all."""
        lists = [getattr(self, name) for name in PER_EPOCH
                 if with_val or not name.startswith("val_")]
        finished = min(len(values) for values in lists)
        for values in lists:
            del values[finished:]

    def epoch_score(self, epoch: int) -> tuple[float, ...] | None:
        """Bigger is better: (val accuracy, -val loss) with a validation set, else
        (-train loss,). None if a value is NaN or inf: such an epoch is never the best."""
        if self.val_accuracy:
            score: tuple[float, ...] = (self.val_accuracy[epoch], -self.val_loss[epoch])
        else:
            score = (-self.train_loss[epoch],)
        return score if all(math.isfinite(value) for value in score) else None

    def kept_weights(self) -> str:
        """Which weights fit leaves in the model, 1-based as printed."""
        if self.best_epoch is None:
            return "the starting weights"
        return f"the weights of epoch {self.best_epoch + 1}"

    def epoch_line(self, epoch: int) -> str:
        """The line fit prints after ``epoch`` (0-based): losses, accuracies, seconds."""
        text = (f"epoch {epoch + 1}: train loss {self.train_loss[epoch]:.3f}, "
                f"accuracy {self.train_accuracy[epoch]:.1%}")
        if self.val_accuracy:
            text += (f" | val loss {self.val_loss[epoch]:.3f}, "
                     f"accuracy {self.val_accuracy[epoch]:.1%}")
        return text + f" | {self.seconds[epoch]:.1f} s"

    def __repr__(self) -> str:
        ending = ", stopped early (see .stopped)" if self.stopped else ""
        ending += ", interrupted" if self.interrupted else ""
        return f"History({self._summary()}{ending})"

    def _summary(self) -> str:
        if not self.epochs:
            return "no epoch finished"
        last = self.epochs - 1
        epochs = f"{self.epochs} epoch" + ("s" if self.epochs > 1 else "")
        text = (f"{epochs} in {sum(self.seconds):.1f} s, last: train loss "
                f"{self.train_loss[last]:.3f}, train accuracy {self.train_accuracy[last]:.1%}")
        if self.val_accuracy:
            text += f", val accuracy {self.val_accuracy[last]:.1%}"
        kept = "the starting weights" if self.best_epoch is None else f"epoch {self.best_epoch + 1}"
        return text + f"; weights kept: {kept}"  # 1-based
