"""The plots that go with training: learning curves and a confusion matrix.

Each returns a ``NotebookFigure``: the last expression of a notebook cell shows it once, as an
image, and ``fig.savefig(path)`` writes it.
"""

from __future__ import annotations

import torch

from coursekit.train.history import History
from coursekit.viewers import NotebookFigure

__all__ = ["confusion_counts", "plot_confusion", "plot_history"]


def plot_history(history: History, *, title: str | None = None) -> NotebookFigure:
    """Learning curves: loss and accuracy per epoch, training and validation.

    Args:
        history: what ``fit`` returned (validation curves only if it had a validation set).
        title: optional title above the two plots.

    Returns:
        A matplotlib Figure with two axes, loss and accuracy against the epoch (1-based); a
        notebook shows it, ``fig.savefig(path)`` writes it.
    """
    fig = NotebookFigure(figsize=(7, 2.8))
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
    """labels, predictions: (N,) ints in [0, K) -> counts: (K, K) int64, K = ``num_classes``.

    ``counts[i, j]`` is the number of clips of class i predicted as class j.
    """
    labels, predictions = torch.as_tensor(labels), torch.as_tensor(predictions)
    if labels.shape != predictions.shape or labels.dim() != 1:
        raise ValueError(f"labels and predictions should both be (N,), one class per clip; got "
                         f"{tuple(labels.shape)} and {tuple(predictions.shape)}")
    labels, predictions = (_class_indices(values, name, num_classes) for name, values in
                           (("labels", labels), ("predictions", predictions)))
    flat = torch.bincount(labels * num_classes + predictions, minlength=num_classes ** 2)
    return flat.view(num_classes, num_classes)


def plot_confusion(labels, predictions, classes, *, title: str | None = None,
                   size=(4.5, 4)) -> NotebookFigure:
    """Confusion matrix: row = true class, column = predicted class, count in each cell.

    Args:
        labels, predictions: (N,) ints in [0, K), e.g. ``evaluate(...)["labels"]`` and
            ``["predictions"]``.
        classes: the K class names.
        title: optional title above the matrix.
        size: (width, height) of the figure in inches.

    Returns:
        A matplotlib Figure with one (K, K) image; a notebook shows it.
    """
    k = len(classes)
    counts = confusion_counts(labels, predictions, k)
    fig = NotebookFigure(figsize=size)
    ax = fig.subplots()
    ax.imshow(counts.numpy(), cmap="Blues")
    for row in range(k):
        for col in range(k):
            value = int(counts[row, col])
            if value:
                dark = value > counts.max().item() / 2
                ax.text(col, row, str(value), ha="center", va="center", fontsize=8,
                        color="white" if dark else "black")
    ax.set_xticks(range(k), classes, rotation=60, ha="right", fontsize=8)
    ax.set_yticks(range(k), classes, fontsize=8)
    ax.set(xlabel="predicted", ylabel="true")
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


def _class_indices(values: torch.Tensor, name: str, num_classes: int) -> torch.Tensor:
    """(N,) ints in [0, num_classes) -> int64, or a ValueError naming ``name``."""
    if not len(values):
        return values.long()
    if values.is_floating_point() or values.dtype == torch.bool:
        raise ValueError(f"{name} should be class indices (ints), got {values.dtype} values: "
                         "from logits (N, K), take logits.argmax(dim=1)")
    if not 0 <= int(values.min()) <= int(values.max()) < num_classes:
        raise ValueError(
            f"{name} should be class indices in [0, {num_classes}) for {num_classes} classes, "
            f"got values from {int(values.min())} to {int(values.max())}: give one class name "
            "per class the model predicts (e.g. classes=train_set.classes)")
    return values.long()
