"""Checks for the exercises of notebook 06, training on videos where time matters
(06_training.ipynb).

The numbers the notebook reads after training: the accuracy, the confusion matrix, and the
accuracy within MovingShapes' time-reversed pairs; and one epoch of training itself, checked
on a linear layer and three tiny batches. Apart from that epoch, nothing here trains: each check
runs the student's function on fresh logits and labels from a local random generator (the
notebook's random state is untouched), compares with what ``coursekit.train.evaluate``,
``plot_confusion`` and ``MovingShapes.pair_accuracy`` compute, and names the usual mistake:
the arg-max over the wrong dim, a count or a percentage instead of a fraction, a transposed
matrix, repeated pairs counted once, a tie counted as a win.
"""

from __future__ import annotations

import copy
import numbers

import torch

from coursekit.checks import (
    Mismatch,
    Mistakes,
    agrees,
    call,
    check,
    expect,
    expect_close,
    expect_shape,
    known_mistake,
    shape_of,
)
from coursekit.data import MovingShapes
from coursekit.train import confusion_counts

__all__ = ["check_accuracy", "check_confusion_matrix", "check_train_epoch",
           "check_within_pair_accuracy"]


def _number(got, what: str) -> float:
    """``got`` as a float, if it is a Python number; else say what was returned."""
    if isinstance(got, torch.Tensor):
        shown = f"{got.item():.4g}" if got.numel() == 1 else f"of shape {shape_of(got)}"
        raise Mismatch(f"{what} should return a Python float, got a tensor {shown}. Hint: "
                       "turn a one-element tensor into a float with .item()")
    if isinstance(got, bool) or not isinstance(got, numbers.Real):
        raise Mismatch(f"{what} should return a float between 0 and 1, got "
                       f"{type(got).__name__} {got!r:.60}")
    return float(got)


def _fraction(count: int, total: int) -> str:
    return f"{count}/{total} = {count / total:.3f}"


# --- Exercise 1: accuracy ---------------------------------------------------------------------


def _labels_with_hits(generator, predictions: torch.Tensor, num_classes: int, hits: int):
    """Labels (B,) that agree with ``predictions`` on the first ``hits`` clips only."""
    shift = torch.randint(1, num_classes, predictions.shape, generator=generator)
    labels = (predictions + shift) % num_classes  # never the prediction...
    labels[:hits] = predictions[:hits]  # ... except on the first ``hits`` clips
    return labels


def _accuracy_mistakes(logits: torch.Tensor, labels: torch.Tensor, hits: int) -> Mistakes:
    """The numbers a count, a percentage, an error rate or an arg-max over clips give."""
    batch, num_classes = logits.shape
    expected = hits / batch
    mistakes = [
        (f"that is the number of correct clips; divide by the number of clips B = {batch}", hits),
        ("that is a percentage; return a fraction between 0 and 1", 100 * expected),
        ("that is the error rate; count the clips whose arg-max IS the label", 1 - expected),
    ]
    if batch == num_classes:  # otherwise an arg-max over dim 0 cannot be compared with labels
        mistakes.append(("the arg-max ran over the clips (dim 0); take it over the classes, "
                         "logits.argmax(dim=1)",
                         (logits.argmax(dim=0) == labels).float().mean().item()))
    return mistakes


@check("accuracy")
def check_accuracy(accuracy):
    """accuracy(logits, labels): (B, K) float, (B,) int64 -> float in [0, 1].

    The fraction of clips whose largest logit is at the true class, as ``evaluate`` computes
    it; tried on B = K (so an arg-max over the wrong dim gives a value, not an error),
    B != K, and a batch of one.
    """
    generator = torch.Generator().manual_seed(612)
    for batch, num_classes, hits in [(5, 5, 2), (7, 4, 3), (1, 3, 1)]:
        logits = torch.randn(batch, num_classes, generator=generator)
        labels = _labels_with_hits(generator, logits.argmax(dim=1), num_classes, hits)
        what = f"accuracy(logits {shape_of(logits)}, labels {shape_of(labels)})"
        got = _number(call(accuracy, logits.clone(), labels.clone()), what)
        if agrees(got, hits / batch, atol=1e-6):
            continue
        hint = known_mistake(got, _accuracy_mistakes(logits, labels, hits), atol=1e-6)
        raise Mismatch(f"{what} should be {_fraction(hits, batch)}, got {got:.4g}. Hint: "
                       + (hint or "(logits.argmax(dim=1) == labels).float().mean().item()"))
    return ("matches evaluate's accuracy on a (5, 5) batch, a (7, 4) batch and a single clip, "
            "and returns a float")


# --- Exercise 2: confusion_matrix -------------------------------------------------------------


def _confusion_matrix_mistakes(expected: torch.Tensor) -> Mistakes:
    """The matrices (K, K) that a transpose, a += on repeated pairs, or fractions give."""
    return [
        ("the matrix is transposed: rows are the true classes (labels), columns the "
         "predictions, counts[label, prediction]", expected.T),
        ("counts[labels, predictions] += 1 adds 1 once per distinct (label, prediction) pair, "
         "however often it repeats: loop over the clips, or use "
         "counts.index_put_((labels, predictions), ones, accumulate=True)", expected > 0),
        ("return the counts (whole numbers), not the fraction of each row",
         expected / expected.sum(dim=1, keepdim=True).clamp(min=1)),
    ]


@check("confusion_matrix")
def check_confusion_matrix(confusion_matrix):
    """confusion_matrix(predictions, labels, num_classes): (N,), (N,), K -> counts (K, K).

    counts[i, j] is the number of clips of true class i predicted as class j (a row per true
    class, as ``plot_confusion`` draws it). Tried on a non-symmetric matrix with repeated
    pairs, a class that never appears, and a single clip.
    """
    generator = torch.Generator().manual_seed(602)
    cases = [(20, 3, 3), (8, 4, 3), (1, 2, 2)]  # (N, K, classes that appear)
    for size, num_classes, present in cases:
        labels = torch.randint(0, present, (size,), generator=generator)
        predictions = torch.randint(0, present, (size,), generator=generator)
        what = (f"confusion_matrix(predictions {shape_of(predictions)}, labels {shape_of(labels)}, "
                f"num_classes={num_classes})")
        got = call(confusion_matrix, predictions.clone(), labels.clone(), num_classes)
        expected = confusion_counts(labels, predictions, num_classes)
        expect_shape(got, expected.shape, what, hint=(
            f"make it num_classes x num_classes: class {num_classes - 1} never appears here, "
            "so the largest label + 1 is too small" if present < num_classes else
            "one row and one column per class"))
        if torch.equal(got.double(), expected.double()):
            continue
        hint = known_mistake(got, _confusion_matrix_mistakes(expected)) or (
            "for every clip, counts[label, prediction] += 1")
        raise Mismatch(f"{what} should be {expected.tolist()}, got {_rounded(got)}. Hint: {hint}")
    return ("rows are true classes and columns predictions, repeated pairs counted, on a "
            "3-class batch of 20, a class that never appears, and a single clip")


def _rounded(matrix: torch.Tensor) -> list:
    """A small matrix as nested lists, fractions to 2 decimals."""
    if matrix.is_floating_point() and not torch.equal(matrix, matrix.round()):
        return [[round(value, 2) for value in row] for row in matrix.tolist()]
    return matrix.long().tolist()


# --- Exercise 3: within_pair_accuracy ---------------------------------------------------------


def _within_pair_accuracy_mistakes(logits: torch.Tensor, labels: torch.Tensor) -> Mistakes:
    """The numbers a wrong twin, the plain accuracy, ties as wins or a percentage give."""
    rows = torch.arange(len(labels))
    true_logit = logits[rows, labels]
    next_class = (labels + 1).clamp(max=logits.shape[1] - 1)
    return [
        ("the twin of an odd class 2k + 1 is 2k, one below it; labels ^ 1 gives the twin of "
         "both", (true_logit > logits[rows, next_class]).float().mean().item()),
        ("that is the plain accuracy (arg-max == label); compare only the two logits of the "
         "pair", (logits.argmax(dim=1) == labels).float().mean().item()),
        ("a tie is not a win: a model that gives both classes of a pair the same logit cannot "
         "tell them apart, use > not >=",
         (true_logit >= logits[rows, labels ^ 1]).float().mean().item()),
        ("that is a percentage; return a fraction between 0 and 1",
         100 * MovingShapes.pair_accuracy(logits, labels)),
    ]


@check("within_pair_accuracy")
def check_within_pair_accuracy(within_pair_accuracy):
    """within_pair_accuracy(logits, labels): (N, K), (N,) -> float in [0, 1], K even.

    The fraction of clips whose logit for the true class is strictly above the logit for its
    time-reversed twin (2k <-> 2k + 1), compared with ``MovingShapes.pair_accuracy``. Tried
    on random logits with odd and even labels, on all-zero logits (a tie is no win), and on
    a single clip of class 1.
    """
    generator = torch.Generator().manual_seed(618)
    random_labels = torch.tensor([0, 1, 2, 3, 4, 3, 1, 0, 2, 1])  # class 5 only later
    cases = [
        (torch.randn(10, 6, generator=generator), random_labels),
        (torch.zeros(4, 6), torch.tensor([0, 1, 4, 5])),  # a model that cannot decide
        (torch.randn(1, 2, generator=generator), torch.tensor([1])),
    ]
    for logits, labels in cases:
        zeros = "all-zero " if not logits.any() else ""
        what = f"within_pair_accuracy({zeros}logits {shape_of(logits)}, labels {labels.tolist()})"
        got = _number(call(within_pair_accuracy, logits.clone(), labels.clone()), what)
        expected = MovingShapes.pair_accuracy(logits, labels)
        if agrees(got, expected, atol=1e-6):
            continue
        hint = known_mistake(got, _within_pair_accuracy_mistakes(logits, labels), atol=1e-6)
        hint = hint or "twin = labels ^ 1; count logits[i, labels[i]] > logits[i, twin[i]]"
        raise Mismatch(f"{what} should be {expected:.3f}, got {got:.4g}. Hint: {hint}")
    return ("matches MovingShapes.pair_accuracy on random logits with odd and even labels, on "
            "all-zero logits (ties count as misses) and on a single clip")


# --- Exercise 4: train_epoch -------------------------------------------------------------------


def _tiny_task(generator):
    """A linear video classifier, a copy of it, and 3 batches of videos: sizes 4, 4, 2.

    The last batch is smaller, so a mean of the batches' losses differs from the mean over
    clips; the videos are (B, T, C, H, W) = (B, 2, 1, 2, 2), as in the notebook.
    """
    linear = torch.nn.utils.skip_init(torch.nn.Linear, 8, 3)  # no draw from the global RNG
    model = torch.nn.Sequential(torch.nn.Flatten(), linear)
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.copy_(torch.randn(parameter.shape, generator=generator))
    batches = [(torch.rand(size, 2, 1, 2, 2, generator=generator),
                torch.randint(0, 3, (size,), generator=generator)) for size in (4, 4, 2)]
    return model, batches


def _weights(model) -> torch.Tensor:
    return torch.cat([parameter.detach().flatten() for parameter in model.parameters()])


def _reference_epoch(model, batches, *, zero_grad=True):
    """The right loop (or, zero_grad=False, the usual mistake) -> (weights, losses, sizes)."""
    model = copy.deepcopy(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    losses, sizes = [], []
    for videos, labels in batches:
        loss = torch.nn.functional.cross_entropy(model(videos), labels)
        if zero_grad:
            optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        sizes.append(len(labels))
    return _weights(model), losses, sizes


def _train_epoch_weight_mistakes(model, batches) -> Mistakes:
    """The weights that a loop without zero_grad ends with."""
    return [
        ("without optimizer.zero_grad() each backward adds its gradients to the previous "
         "batches' ones", _reference_epoch(model, batches, zero_grad=False)[0]),
    ]


def _train_epoch_loss_mistakes(losses, sizes) -> Mistakes:
    """The numbers a mean of batch means, a last loss, or a sum of losses give."""
    total = sum(loss * size for loss, size in zip(losses, sizes, strict=True))
    return [
        ("that is the mean of the batches' losses; the last batch is smaller, so weight each "
         "batch's loss by its number of clips, len(labels), and divide by the number of clips",
         sum(losses) / len(losses)),
        ("that is the last batch's loss; return the mean over the whole epoch", losses[-1]),
        (f"that is the sum over clips; divide by the number of clips, {sum(sizes)}", total),
        ("that is the sum of the batches' losses; return the mean loss per clip", sum(losses)),
    ]


@check("train_epoch")
def check_train_epoch(train_epoch):
    """train_epoch(model, loader, optimizer) -> float: one pass, one step per batch.

    Tried on a linear classifier of (B, 2, 1, 2, 2) videos with plain SGD (lr 0.5) and three
    batches of 4, 4 and 2 clips, the model handed over in eval mode (as after ``model.eval()``):
    the weights must end where one ``zero_grad``, ``backward``, ``step`` per batch
    takes them, the model must be in training mode, and the number returned must be the
    mean cross-entropy per clip over the epoch.
    """
    model, batches = _tiny_task(torch.Generator().manual_seed(606))
    expected_weights, losses, sizes = _reference_epoch(model, batches)
    student_model = copy.deepcopy(model).eval()
    optimizer = torch.optim.SGD(student_model.parameters(), lr=0.5)
    what = "train_epoch(model, loader of 3 batches, SGD(lr=0.5))"
    got = call(train_epoch, student_model, batches, optimizer)
    weights = _weights(student_model)
    expect(not torch.equal(weights, _weights(model)), f"after {what} the weights have not "
           "changed. Hint: for every batch call optimizer.zero_grad(), loss.backward(), "
           "optimizer.step(), in that order (zero_grad after backward wipes the gradients)")
    expect_close(weights, expected_weights, f"the weights after {what}",
                 hint=known_mistake(weights, _train_epoch_weight_mistakes(model, batches)))
    expect(student_model.training, f"after {what} the model is still in eval mode. Hint: "
           "call model.train() at the start: a model may come in eval mode (after "
           "model.eval() for testing), and layers such as dropout and batch norm behave "
           "differently in the two modes")
    got = _number(got, what)
    expected = sum(loss * size for loss, size in zip(losses, sizes, strict=True)) / sum(sizes)
    if not agrees(got, expected, atol=1e-5):
        hint = known_mistake(got, _train_epoch_loss_mistakes(losses, sizes), atol=1e-5)
        raise Mismatch(f"{what} should return the mean loss per clip, {expected:.4f}, got "
                       f"{got:.4g}. Hint: " + (hint or "add loss.item() * len(labels) for "
                                               "every batch, then divide by the number of clips"))
    return ("one zero_grad, backward, step per batch (the weights match), training mode set, "
            "and the mean loss per clip over batches of 4, 4 and 2 clips")
