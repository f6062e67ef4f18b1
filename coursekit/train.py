"""Training video classifiers: fit, evaluate, checkpoints, and the plots that go with them.

The trainer the lecture leaves as an exercise, written once:

    history = fit(model, train_loader, val_loader, epochs=5)   # Ctrl-C stops cleanly
    results = evaluate(model, test_loader)                      # loss, accuracy, predictions
    save_checkpoint(model, "best.pt", classes=train_set.classes)
    model, extra = load_checkpoint("best.pt")

A loader yields batches ``(videos: (B, T, C, H, W), labels: (B,))``; the model maps videos to
logits (B, K). Nothing here is specific to videos: any classifier and loader of that kind works.

Checkpoints from someone else: ``load_checkpoint`` reads tensors and plain values only
(``torch.load(..., weights_only=True)``) and builds nothing but the coursekit models listed in
``LOADABLE_MODELS``, from plain numbers and strings. So loading a file cannot run code or write
files (with torch >= 2.10). It can give you a model with bad weights (wrong predictions), and a
huge file costs memory.
"""

from __future__ import annotations

import copy
import math
import pickle
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F
from torch.torch_version import TorchVersion

from coursekit import set_seed
from coursekit.models import (
    CNN,
    FrameAverageClassifier,
    GRUVideoClassifier,
    LSTMVideoClassifier,
    ManualRNNVideoClassifier,
    TransformerVideoClassifier,
)
from coursekit.viewers import FrameGrid

__all__ = [
    "LOADABLE_MODELS",
    "History",
    "evaluate",
    "fit",
    "load_checkpoint",
    "pick_device",
    "plot_confusion",
    "confusion_counts",
    "plot_history",
    "save_checkpoint",
    "set_seed",
]


def pick_device(device=None) -> torch.device:
    """The device to train on: ``device`` if given, else cuda, then mps (Apple), then cpu."""
    if device is not None:
        return torch.device(device)
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


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

    train_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    best_epoch: int | None = None
    interrupted: bool = False
    stopped: str | None = None

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def to_dict(self) -> dict:
        """Plain lists and numbers, so a checkpoint can store it."""
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> History:
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


_PER_EPOCH = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds")


class _StopTraining(Exception):
    """Raised inside fit when training cannot go on (a NaN or inf loss); fit returns cleanly."""


def fit(model: nn.Module, train_loader, val_loader=None, *, epochs: int, lr: float = 2e-3,
        weight_decay: float = 0.0, max_grad_norm: float = 1.0, device=None,
        progress: bool = True, optimizer: torch.optim.Optimizer | None = None,
        history: History | None = None, on_epoch_end=None) -> History:
    """Train ``model`` with Adam and cross-entropy for ``epochs`` epochs; return the History.

    Args:
        model: maps videos (B, T, C, H, W) to logits (B, K).
        train_loader: yields ``(videos, labels)`` batches, labels (B,) ints in [0, K).
        val_loader: optional; measured after every epoch, and picks the weights kept.
        epochs: number of passes over ``train_loader``.
        lr: Adam's learning rate (ignored when ``optimizer`` is given).
        weight_decay: Adam's L2 penalty (ignored when ``optimizer`` is given).
        max_grad_norm: gradients are scaled down when their norm exceeds this (clipping
            keeps one bad batch from wrecking a recurrent network); None turns it off.
        device: "cpu", "cuda", ...; None picks cuda, then mps, then cpu.
        progress: show a progress bar per epoch with the running loss and accuracy.
        optimizer: an optimizer over ``model.parameters()``, e.g. to resume training with
            the state saved in a checkpoint; None creates Adam(lr, weight_decay).
        history: a History to continue (resuming), made with a validation set if and only
            if ``val_loader`` is given; None starts a new one.
        on_epoch_end: optional ``callback(history)``, called after every epoch.

    Returns:
        The History. The model ends with the weights of its best epoch: highest validation
        accuracy (ties: lower validation loss) with a validation set, lowest training loss
        without. Ctrl-C (KeyboardInterrupt) stops training cleanly: fit returns the history
        of the finished epochs with the best weights loaded (the starting weights if no epoch
        finished). A NaN or inf loss (training or validation) stops training too, without
        raising: fit prints why (epoch, batch, likely cause: NaN or inf in the videos, a
        learning rate too high, no gradient clipping), keeps that text in ``history.stopped``
        and returns with the best weights. An epoch with a NaN or inf loss is never the best,
        and no step is taken on a batch whose loss is NaN or inf.
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative int, got {epochs!r}")
    _check_history(history, val_loader is not None)
    device = pick_device(device)
    model.to(device)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history = history if history is not None else History()
    history.interrupted, history.stopped = False, None
    best_weights, best_score = _copy_weights(model), _best_score(history)
    first = history.epochs
    try:
        for epoch in range(first, first + epochs):
            start = time.perf_counter()
            train = _train_one_epoch(model, train_loader, optimizer, max_grad_norm, device,
                                     progress, epoch, first + epochs)
            val = evaluate(model, val_loader, device=device) if val_loader is not None else None
            _record_epoch(history, *train, val, time.perf_counter() - start)
            score = _epoch_score(history, epoch)
            if _is_better(score, best_score):
                best_score, best_weights, history.best_epoch = score, _copy_weights(model), epoch
            if progress:
                print(_epoch_summary(history, epoch))
            if on_epoch_end is not None:
                on_epoch_end(history)
            if score is None:
                raise _StopTraining(_non_finite_validation(history, epoch))
    except KeyboardInterrupt:
        _drop_unfinished_epoch(history, val_loader is not None)
        history.interrupted = True
        print(f"Interrupted after {history.epochs} finished epochs; the model keeps "
              f"{_kept_weights(history)}.")
    except _StopTraining as stop:
        history.stopped = f"{stop} The model keeps {_kept_weights(history)}."
        print(history.stopped)
    model.load_state_dict(best_weights)
    return history


def _kept_weights(history: History) -> str:
    """Which weights fit leaves in the model, 1-based as printed."""
    if history.best_epoch is None:
        return "the starting weights"
    return f"the weights of epoch {history.best_epoch + 1}"


def _check_history(history: History | None, with_val: bool) -> None:
    """A History to continue needs one entry per epoch in each list this run fills."""
    if history is None:
        return
    lengths = {name: len(getattr(history, name)) for name in _PER_EPOCH}
    expected = {name: 0 if name.startswith("val_") and not with_val else history.epochs
                for name in _PER_EPOCH}
    if lengths != expected:
        raise ValueError(
            f"cannot continue this History: its lists have lengths {lengths}, but continuing it "
            f"{'with' if with_val else 'without'} a validation set needs {expected}. Continue it "
            "with the same kind of loaders it was made with (val_loader given or not), or start "
            "a new one (history=None)"
        )


def _record_epoch(history: History, loss, accuracy, val: dict | None, seconds: float) -> None:
    """Append one finished epoch (training and validation) to every per-epoch list at once."""
    history.train_loss.append(loss)
    history.train_accuracy.append(accuracy)
    if val is not None:
        history.val_loss.append(val["loss"])
        history.val_accuracy.append(val["accuracy"])
    history.seconds.append(seconds)


def _drop_unfinished_epoch(history: History, with_val: bool) -> None:
    """After Ctrl-C in the middle of ``_record_epoch``: cut the lists to the epochs in all."""
    lists = [getattr(history, name) for name in _PER_EPOCH
             if with_val or not name.startswith("val_")]
    finished = min(len(values) for values in lists)
    for values in lists:
        del values[finished:]


def _train_one_epoch(model, loader, optimizer, max_grad_norm, device, progress, epoch, last):
    """One pass over ``loader``; returns the mean loss and the accuracy over its batches.

    Raises _StopTraining (before any step on that batch) when a batch's loss is NaN or inf,
    and when the weights hold NaN or inf at the end of the epoch.
    """
    from tqdm.auto import tqdm

    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    total = len(loader) if hasattr(loader, "__len__") else None
    bar = tqdm(loader, desc=f"epoch {epoch + 1}/{last}", total=total, disable=not progress,
               leave=False)
    try:
        for batch, (videos, labels) in enumerate(bar, start=1):
            videos, labels = videos.to(device), labels.to(device)
            loss, hits = _train_step(model, videos, labels, optimizer, max_grad_norm)
            if not math.isfinite(loss):
                raise _StopTraining(_non_finite_loss(loss, videos, epoch, batch, optimizer,
                                                     max_grad_norm))
            total_loss += loss * len(labels)
            correct += hits
            seen += len(labels)
            bar.set_postfix(loss=f"{total_loss / seen:.3f}", accuracy=f"{correct / seen:.1%}")
    finally:
        bar.close()
    if seen == 0:
        raise ValueError("the training loader gave no batch: is the data set empty?")
    _check_finite_weights(model, epoch)
    return total_loss / seen, correct / seen


def _train_step(model, videos, labels, optimizer, max_grad_norm) -> tuple[float, int]:
    """One gradient step on a batch -> (loss, correct predictions); no step if the loss is NaN."""
    logits = model(videos)  # (B, K)
    loss = F.cross_entropy(logits, labels)
    if not torch.isfinite(loss):
        return loss.item(), 0
    optimizer.zero_grad()
    loss.backward()
    if max_grad_norm is not None:
        nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    optimizer.step()
    return loss.item(), (logits.argmax(dim=1) == labels).sum().item()


def _non_finite_loss(loss, videos, epoch, batch, optimizer, max_grad_norm) -> str:
    """Why a batch's loss is NaN or inf: NaN/inf in its videos, or weights that diverged."""
    where = f"Training stopped: the loss is {loss} at epoch {epoch + 1}, batch {batch}."
    if not torch.isfinite(videos).all():
        return where + (" The videos of that batch hold NaN or inf values: find and fix them in "
                        "the data set (torch.isfinite(videos).all() should be True).")
    lr = optimizer.param_groups[0]["lr"]
    clipping = ("gradient clipping is off (max_grad_norm=None; try 1.0)" if max_grad_norm is None
                else f"gradients are clipped at max_grad_norm={max_grad_norm}")
    return where + (f" Its videos are finite, so the weights diverged: the learning rate lr={lr:g} "
                    f"is likely too high (try 10 times smaller); {clipping}.")


def _check_finite_weights(model: nn.Module, epoch: int) -> None:
    if not all(torch.isfinite(p).all() for p in model.parameters()):
        raise _StopTraining(
            f"Training stopped: the weights hold NaN or inf values after epoch {epoch + 1}, "
            "though every loss was finite: the learning rate is likely too high (try 10 times "
            "smaller; gradient clipping, max_grad_norm=1.0, also helps)."
        )


def _non_finite_validation(history: History, epoch: int) -> str:
    return (f"Training stopped: the validation loss is {history.val_loss[epoch]} at epoch "
            f"{epoch + 1}, though every training loss was finite: check the validation clips for "
            "NaN or inf values (torch.isfinite(videos).all() should be True).")


def _epoch_score(history: History, epoch: int):
    """Bigger is better: (val accuracy, -val loss) with a validation set, else (-train loss,).

    None if a value is NaN or inf: such an epoch is never the best (NaN compares False).
    """
    if history.val_accuracy:
        score = (history.val_accuracy[epoch], -history.val_loss[epoch])
    else:
        score = (-history.train_loss[epoch],)
    return score if all(math.isfinite(value) for value in score) else None


def _is_better(score, best_score) -> bool:
    return score is not None and (best_score is None or score > best_score)


def _best_score(history: History):
    return None if history.best_epoch is None else _epoch_score(history, history.best_epoch)


def _epoch_summary(history: History, epoch: int) -> str:
    text = (f"epoch {epoch + 1}: train loss {history.train_loss[epoch]:.3f}, "
            f"accuracy {history.train_accuracy[epoch]:.1%}")
    if history.val_accuracy:
        text += (f" | val loss {history.val_loss[epoch]:.3f}, "
                 f"accuracy {history.val_accuracy[epoch]:.1%}")
    return text + f" | {history.seconds[epoch]:.1f} s"


def _copy_weights(model: nn.Module) -> dict:
    return copy.deepcopy(model.state_dict())


@torch.no_grad()
def evaluate(model: nn.Module, loader, *, device=None) -> dict:
    """Run ``model`` over every batch of ``loader`` without training it.

    Returns a dict:
        loss: float, mean cross-entropy per clip.
        accuracy: float in [0, 1].
        logits: (N, K) float32 on the CPU, N = number of clips in the loader.
        predictions: (N,) int64, the arg-max class of each clip.
        labels: (N,) int64, the true classes.
    """
    device = pick_device(device) if device is not None else _model_device(model)
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
    predictions = logits.argmax(dim=1)
    return {
        "loss": F.cross_entropy(logits, labels).item(),
        "accuracy": (predictions == labels).float().mean().item(),
        "logits": logits,
        "predictions": predictions,
        "labels": labels,
    }


def _model_device(model: nn.Module) -> torch.device:
    parameter = next(model.parameters(), None)
    return parameter.device if parameter is not None else torch.device("cpu")


# --- Checkpoints ---------------------------------------------------------------------------------

#: The only models ``load_checkpoint`` builds from a file: coursekit's frame encoder and video
#: classifiers, whose ``config`` holds their constructor arguments. A file names its model with
#: a string that is looked up among these classes, never imported. Any other model (ManualLSTM,
#: SelfAttention, your own) loads with ``load_checkpoint(path, model=...)``.
LOADABLE_MODELS = (CNN, FrameAverageClassifier, ManualRNNVideoClassifier, LSTMVideoClassifier,
                   GRUVideoClassifier, TransformerVideoClassifier)

# The names a file may give: "coursekit.models.LSTMVideoClassifier" (what save_checkpoint
# writes) and "coursekit.models.classifiers.LSTMVideoClassifier" (what it wrote before).
_LOADABLE = {name: cls for cls in LOADABLE_MODELS
             for name in (f"coursekit.models.{cls.__name__}", f"{cls.__module__}.{cls.__name__}")}

_CHECKPOINT_TYPES = {"model_class": str, "config": dict, "state_dict": dict, "extra": dict}
_PLAIN_TYPES = (bool, int, float, str, type(None))
_SAFE_TORCH = (2, 10)  # older torch.load(weights_only=True) can be tricked into running code


def save_checkpoint(model: nn.Module, path, **extra) -> Path:
    """Save the weights, the class and constructor arguments of ``model``, and any extras.

    Args:
        model: a coursekit model (its ``config`` dict holds its constructor arguments), or
            any module (then ``load_checkpoint`` needs the model built for it).
        path: file to write, e.g. "best.pt".
        **extra: anything else worth keeping, made of tensors, numbers, strings, lists and
            dicts: ``classes=train_set.classes`` (the class names), ``history=history``,
            ``optimizer=optimizer`` (its state, to resume training exactly), ...

    Returns:
        The path written.
    """
    for key, value in extra.items():
        if isinstance(value, History):
            extra[key] = value.to_dict()
        elif isinstance(value, torch.optim.Optimizer):
            extra[key] = value.state_dict()
    checkpoint = {
        "model_class": _class_name(model),
        "config": dict(getattr(model, "config", {}) or {}),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "extra": extra,
    }
    path = Path(path)
    torch.save(checkpoint, path)
    return path


def _class_name(model: nn.Module) -> str:
    """The stored name: coursekit.models.<Name> for a loadable model, else module.QualName."""
    cls = type(model)
    if cls in LOADABLE_MODELS:
        return f"coursekit.models.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def load_checkpoint(path, model: nn.Module | None = None, *, device=None):
    """Load a checkpoint written by ``save_checkpoint``.

    Args:
        path: the checkpoint file.
        model: the model to load the weights into; None rebuilds the coursekit model the
            checkpoint names (one of ``LOADABLE_MODELS``), with the constructor arguments
            it stored.
        device: where to put the model; None keeps it on the CPU (or where ``model`` is).

    Returns:
        ``(model, extra)``: the model with the saved weights, in eval mode, and the dict of
        extras given to ``save_checkpoint`` (a saved History comes back as a History).

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is empty, damaged, not a checkpoint, names a model that is not
            in ``LOADABLE_MODELS``, has a config that is not plain data, or holds weights
            that do not fit the model. The message names the file and what is wrong.

    A file from someone else: it is read with ``torch.load(..., weights_only=True)``, which
    rebuilds tensors and plain values only; the model is built only if it is one of
    ``LOADABLE_MODELS``, from plain numbers and strings, after checking (without allocating
    memory) that it fits the stored weights. So loading cannot run code or write files (with
    torch >= 2.10; older torch has known holes in weights_only, and you get a warning). It
    can give you bad weights and misleading extras (wrong predictions, wrong class names),
    and a huge file costs as much memory.
    """
    path = Path(path)
    checkpoint = _read_checkpoint(path)
    if model is None:
        model = _build(checkpoint, path)
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        raise ValueError(
            f"{path}: the saved weights do not fit this {type(model).__name__} (saved from a "
            f"{checkpoint['model_class'][:100]} with {checkpoint['config']}):\n{error}"
        ) from None
    if device is not None:
        model.to(pick_device(device))
    return model.eval(), _extras(checkpoint["extra"], path)


def _read_checkpoint(path: Path) -> dict:
    """torch.load(weights_only=True), errors that name the file, then the layout check."""
    _warn_if_old_torch()
    if not path.exists():
        where = path if path.is_absolute() else f"{path} (in the folder {Path.cwd()})"
        raise FileNotFoundError(f"no checkpoint file at {where}; check the name and the folder")
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not a checkpoint file")
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is empty (0 bytes): saving it was cut short; save it again")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # damaged, foreign or refused: pickle, zip, EOF errors
        raise ValueError(f"{path} cannot be read as a checkpoint: {_why_unreadable(error)}") \
            from None
    _check_layout(checkpoint, path)
    return checkpoint


def _why_unreadable(error: Exception) -> str:
    if isinstance(error, pickle.UnpicklingError):
        return ("it holds Python objects other than tensors and plain values, which could run "
                "code when loaded, so torch.load(weights_only=True) refuses them")
    reason = (str(error).splitlines() or [""])[0][:150]
    return f"it is truncated, damaged or not a PyTorch file ({type(error).__name__}: {reason})"


def _warn_if_old_torch() -> None:
    if TorchVersion(torch.__version__) < _SAFE_TORCH:
        warnings.warn(
            f"torch {torch.__version__} is older than 2.10: its torch.load(weights_only=True) has "
            "known flaws a crafted file can use to run code. Load only checkpoints you trust, or "
            "upgrade: pip install -U torch", stacklevel=4)


def _check_layout(checkpoint, path: Path) -> None:
    """The dict save_checkpoint writes: model_class, config, state_dict (tensors), extra."""
    if isinstance(checkpoint, dict) and checkpoint and all(
            isinstance(value, torch.Tensor) for value in checkpoint.values()):
        raise ValueError(
            f"{path} holds weights only (a state_dict), not a save_checkpoint file: build the "
            f"model and use model.load_state_dict(torch.load({str(path)!r}, weights_only=True))")
    if not isinstance(checkpoint, dict) or not _CHECKPOINT_TYPES.keys() <= checkpoint.keys():
        got = f"keys {sorted(map(str, checkpoint))[:8]}" if isinstance(checkpoint, dict) else (
            f"a {type(checkpoint).__name__}")
        raise ValueError(f"{path} is not a checkpoint written by save_checkpoint: expected a dict "
                         f"with keys {list(_CHECKPOINT_TYPES)}, got {got}")
    for key, kind in _CHECKPOINT_TYPES.items():
        if not isinstance(checkpoint[key], kind):
            raise ValueError(f"{path}: its {key} should be a {kind.__name__}, got a "
                             f"{type(checkpoint[key]).__name__}; the file is damaged or crafted")
    if not all(isinstance(name, str) and isinstance(value, torch.Tensor)
               for name, value in checkpoint["state_dict"].items()):
        raise ValueError(f"{path}: its state_dict should map names to tensors; the file is "
                         "damaged or crafted")


def _build(checkpoint: dict, path: Path) -> nn.Module:
    """The model the file names, if it is one of LOADABLE_MODELS; checked, then built."""
    cls = _loadable_class(checkpoint["model_class"], path)
    config = _plain_config(checkpoint["config"], path)
    _check_fits(cls, config, checkpoint["state_dict"], path)  # before allocating anything
    return _construct(cls, config, path)


def _loadable_class(model_class: str, path: Path) -> type[nn.Module]:
    """Look the stored name up in LOADABLE_MODELS: nothing is imported or called."""
    cls = _LOADABLE.get(model_class)
    if cls is None:
        names = ", ".join(allowed.__name__ for allowed in LOADABLE_MODELS)
        raise ValueError(
            f"{path} names the model class {model_class[:100]!r}; load_checkpoint builds only "
            f"coursekit's {names}. If this is your own model and you trust the file, build the "
            f"model and pass it: load_checkpoint({str(path)!r}, model=MyModel(...))"
        )
    return cls


def _plain_config(config: dict, path: Path) -> dict:
    """The constructor arguments, if they are plain data (numbers, strings, lists of them)."""
    for key, value in config.items():
        if not isinstance(key, str) or not _is_plain(value):
            raise ValueError(
                f"{path}: config[{key!r}] holds a {type(value).__name__}; a checkpoint's config "
                "holds only numbers, strings, booleans, None and lists or tuples of them. This "
                "file was not written by save_checkpoint: do not use it"
            )
    return config


def _is_plain(value, depth: int = 0) -> bool:
    if isinstance(value, (list, tuple)):
        return depth < 4 and all(_is_plain(item, depth + 1) for item in value)
    return type(value) in _PLAIN_TYPES


def _construct(cls: type[nn.Module], config: dict, path: Path) -> nn.Module:
    try:
        return cls(**config)
    except Exception as error:  # the constructor's own checks: TypeError, ValueError, ...
        raise ValueError(f"{path}: cannot build {cls.__name__}(**{config}): {error}") from None


def _check_fits(cls: type[nn.Module], config: dict, state_dict: dict, path: Path) -> None:
    """Build on the meta device (shapes, no memory) and compare with the stored weights.

    So a small file cannot ask for a huge model: the model built after this check needs
    about as much memory as the weights in the file.
    """
    with torch.device("meta"):
        skeleton = _construct(cls, config, path)
    expected = {name: tuple(t.shape) for name, t in skeleton.state_dict().items()}
    stored = {name: tuple(t.shape) for name, t in state_dict.items()}
    if expected != stored:
        raise ValueError(f"{path}: the saved weights do not fit the {cls.__name__} its config "
                         f"describes ({config}): {_shape_differences(expected, stored)}")
    built = sum(t.numel() for t in [*skeleton.parameters(), *skeleton.buffers()])
    if built > 2 * sum(t.numel() for t in state_dict.values()):
        raise ValueError(f"{path}: its config {config} asks for a {cls.__name__} of {built:,} "
                         "numbers, far more than the weights it stores; the file is crafted")


def _shape_differences(expected: dict, stored: dict) -> str:
    """The first names whose shapes differ, or that only one side has."""
    names = sorted(expected.keys() | stored.keys())
    differences = [f"{name} saved {stored.get(name, 'missing')}, model has "
                   f"{expected.get(name, 'nothing')}"
                   for name in names if expected.get(name) != stored.get(name)]
    more = f" and {len(differences) - 3} more" if len(differences) > 3 else ""
    return "; ".join(differences[:3]) + more


def _extras(extra: dict, path: Path) -> dict:
    """The extras, with a saved History turned back into a History."""
    extra = dict(extra)
    if isinstance(extra.get("history"), dict):
        try:
            extra["history"] = History.from_dict(extra["history"])
        except TypeError as error:
            raise ValueError(f"{path}: extra['history'] is not a saved History ({error})") \
                from None
    return extra


# --- Plots ---------------------------------------------------------------------------------------


def plot_history(history: History, *, title: str | None = None):
    """Learning curves: loss and accuracy per epoch, training and validation.

    Returns:
        A matplotlib Figure (a notebook shows it; ``fig.savefig(path)`` writes it).
    """
    fig = FrameGrid(figsize=(7, 2.8))
    loss_ax, accuracy_ax = fig.subplots(1, 2)
    epochs = range(1, history.epochs + 1)
    loss_ax.plot(epochs, history.train_loss, "o-", label="train")
    accuracy_ax.plot(epochs, history.train_accuracy, "o-", label="train")
    if history.val_accuracy:
        loss_ax.plot(epochs, history.val_loss, "s-", label="validation")
        accuracy_ax.plot(epochs, history.val_accuracy, "s-", label="validation")
    loss_ax.set(xlabel="epoch", ylabel="cross-entropy loss")
    accuracy_ax.set(xlabel="epoch", ylabel="accuracy", ylim=(0, 1.02))
    accuracy_ax.legend(loc="lower right")
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def confusion_counts(labels, predictions, num_classes: int) -> torch.Tensor:
    """labels, predictions: (N,) ints -> counts (K, K): [i, j] = clips of class i predicted j."""
    labels, predictions = torch.as_tensor(labels), torch.as_tensor(predictions)
    flat = torch.bincount(labels * num_classes + predictions, minlength=num_classes ** 2)
    return flat.view(num_classes, num_classes)


def plot_confusion(labels, predictions, classes, *, title: str | None = None, size=(4.5, 4)):
    """Confusion matrix: row = true class, column = predicted class, count in each cell.

    Args:
        labels, predictions: (N,) ints, e.g. ``evaluate(...)["labels"]`` and ``["predictions"]``.
        classes: the K class names.

    Returns:
        A matplotlib Figure.
    """
    k = len(classes)
    counts = confusion_counts(labels, predictions, k)
    fig = FrameGrid(figsize=size)
    ax = fig.subplots()
    ax.imshow(counts.numpy(), cmap="Blues")
    for row in range(k):
        for col in range(k):
            value = int(counts[row, col])
            if value:
                dark = value > counts.max().item() / 2
                ax.text(col, row, value, ha="center", va="center", fontsize=8,
                        color="white" if dark else "black")
    ax.set_xticks(range(k), classes, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(k), classes, fontsize=8)
    ax.set(xlabel="predicted", ylabel="true")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig
