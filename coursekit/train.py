"""Training video classifiers: fit, evaluate, checkpoints, and the plots that go with them.

The trainer the lecture leaves as an exercise, written once:

    history = fit(model, train_loader, val_loader, epochs=5)   # Ctrl-C stops cleanly
    results = evaluate(model, test_loader)                      # loss, accuracy, predictions
    save_checkpoint(model, "best.pt", classes=train_set.classes)
    model, extra = load_checkpoint("best.pt")

A loader yields batches ``(videos: (B, T, C, H, W), labels: (B,))``; the model maps videos to
logits (B, K). Nothing here is specific to videos: any classifier and loader of that kind works.
"""

from __future__ import annotations

import copy
import importlib
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from coursekit import set_seed
from coursekit.viewers import FrameGrid

__all__ = [
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
    included). ``best_epoch`` (0-based, an index into those lists) is the epoch whose weights
    the model kept; ``interrupted`` says whether Ctrl-C stopped the training.
    """

    train_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    best_epoch: int | None = None
    interrupted: bool = False

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
        if not self.epochs:
            return "History(no epoch finished)"
        last = self.epochs - 1
        epochs = f"{self.epochs} epoch" + ("s" if self.epochs > 1 else "")
        text = (f"History({epochs} in {sum(self.seconds):.1f} s, last: train loss "
                f"{self.train_loss[last]:.3f}, train accuracy {self.train_accuracy[last]:.1%}")
        if self.val_accuracy:
            text += f", val accuracy {self.val_accuracy[last]:.1%}"
        stopped = ", interrupted" if self.interrupted else ""
        return text + f"; weights kept: epoch {self.best_epoch + 1}{stopped})"  # 1-based


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
        history: a History to continue (resuming); None starts a new one.
        on_epoch_end: optional ``callback(history)``, called after every epoch.

    Returns:
        The History. The model ends with the weights of its best epoch: highest validation
        accuracy (ties: lower validation loss) with a validation set, lowest training loss
        without. Ctrl-C (KeyboardInterrupt) stops training cleanly: fit returns the history
        so far with the best weights loaded (the starting weights if no epoch finished).
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative int, got {epochs!r}")
    device = pick_device(device)
    model.to(device)
    if optimizer is None:
        optimizer = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    history = history if history is not None else History()
    best_weights, best_score = _copy_weights(model), _best_score(history)
    first = history.epochs
    try:
        for epoch in range(first, first + epochs):
            start = time.perf_counter()
            description = f"epoch {epoch + 1}/{first + epochs}"
            loss, accuracy = _train_one_epoch(model, train_loader, optimizer, max_grad_norm,
                                              device, progress, description)
            history.train_loss.append(loss)
            history.train_accuracy.append(accuracy)
            if val_loader is not None:
                results = evaluate(model, val_loader, device=device)
                history.val_loss.append(results["loss"])
                history.val_accuracy.append(results["accuracy"])
            history.seconds.append(time.perf_counter() - start)
            score = _epoch_score(history, epoch)
            if best_score is None or score > best_score:
                best_score, best_weights, history.best_epoch = score, _copy_weights(model), epoch
            if progress:
                print(_epoch_summary(history, epoch))
            if on_epoch_end is not None:
                on_epoch_end(history)
    except KeyboardInterrupt:
        history.interrupted = True
        print(f"Interrupted after {history.epochs} finished epochs; the model keeps the "
              + ("starting weights." if history.best_epoch is None
                 else f"weights of epoch {history.best_epoch + 1}."))
    model.load_state_dict(best_weights)
    return history


def _train_one_epoch(model, loader, optimizer, max_grad_norm, device, progress, description):
    """One pass over ``loader``; returns the mean loss and the accuracy over its batches."""
    from tqdm.auto import tqdm

    model.train()
    total_loss, correct, seen = 0.0, 0, 0
    total = len(loader) if hasattr(loader, "__len__") else None
    bar = tqdm(loader, desc=description, total=total, disable=not progress, leave=False)
    try:
        for videos, labels in bar:
            videos, labels = videos.to(device), labels.to(device)
            logits = model(videos)  # (B, K)
            loss = F.cross_entropy(logits, labels)
            optimizer.zero_grad()
            loss.backward()
            if max_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
            optimizer.step()
            total_loss += loss.item() * len(labels)
            correct += (logits.argmax(dim=1) == labels).sum().item()
            seen += len(labels)
            bar.set_postfix(loss=f"{total_loss / seen:.3f}", accuracy=f"{correct / seen:.1%}")
    finally:
        bar.close()
    if seen == 0:
        raise ValueError("the training loader gave no batch: is the data set empty?")
    return total_loss / seen, correct / seen


def _epoch_score(history: History, epoch: int):
    """Bigger is better: (val accuracy, -val loss) with a validation set, else -train loss."""
    if history.val_accuracy:
        return (history.val_accuracy[epoch], -history.val_loss[epoch])
    return (-history.train_loss[epoch],)


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
        "model_class": f"{type(model).__module__}.{type(model).__qualname__}",
        "config": dict(getattr(model, "config", {}) or {}),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "extra": extra,
    }
    path = Path(path)
    torch.save(checkpoint, path)
    return path


def load_checkpoint(path, model: nn.Module | None = None, *, device=None):
    """Load a checkpoint written by ``save_checkpoint``.

    Args:
        path: the checkpoint file.
        model: the model to load the weights into; None rebuilds the coursekit model the
            checkpoint names, with the constructor arguments it stored.
        device: where to put the model; None keeps it on the CPU (or where ``model`` is).

    Returns:
        ``(model, extra)``: the model with the saved weights, in eval mode, and the dict of
        extras given to ``save_checkpoint`` (a saved History comes back as a History).

    The file is read with ``torch.load(..., weights_only=True)``: it holds tensors and plain
    values only, so loading it cannot run code hidden in the file.
    """
    checkpoint = torch.load(Path(path), map_location="cpu", weights_only=True)
    if model is None:
        model = _build(checkpoint["model_class"], checkpoint["config"], path)
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        raise ValueError(
            f"{path}: the saved weights do not fit this {type(model).__name__} (saved from a "
            f"{checkpoint['model_class']} with {checkpoint['config']}):\n{error}"
        ) from None
    if device is not None:
        model.to(pick_device(device))
    extra = dict(checkpoint["extra"])
    if isinstance(extra.get("history"), dict):
        extra["history"] = History.from_dict(extra["history"])
    return model.eval(), extra


def _build(model_class: str, config: dict, path) -> nn.Module:
    """Rebuild a coursekit model from its class path and constructor arguments."""
    module_name, _, class_name = model_class.rpartition(".")
    if not module_name.startswith("coursekit.") or not config:
        raise ValueError(
            f"{path} holds a {model_class} without coursekit constructor arguments; build the "
            f"model yourself and pass it: load_checkpoint({str(path)!r}, model=MyModel(...))"
        )
    cls = getattr(importlib.import_module(module_name), class_name)
    return cls(**config)


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
