"""History: what happened during training, one entry per finished epoch."""

from __future__ import annotations

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
