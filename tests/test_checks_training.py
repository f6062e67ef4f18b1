"""The checks of notebook 06's exercises: right answers pass, the usual mistakes are named."""

import pytest
import torch
from conftest import notebook
from torch.nn import functional as F

from coursekit.checks.training import (
    check_accuracy,
    check_confusion_matrix,
    check_train_epoch,
    check_within_pair_accuracy,
)
from coursekit.course.notebooks import read_notebook


def accuracy(logits, labels):
    return (logits.argmax(dim=1) == labels).float().mean().item()


def confusion_matrix(predictions, labels, num_classes):
    counts = torch.zeros(num_classes, num_classes, dtype=torch.int32)
    counts.index_put_((labels, predictions), torch.ones_like(labels, dtype=torch.int32),
                      accumulate=True)
    return counts


def within_pair_accuracy(logits, labels):
    twins = labels + 1 - 2 * (labels % 2)
    true = logits.gather(1, labels[:, None])
    return (true > logits.gather(1, twins[:, None])).float().mean().item()


def _rejects(check, wrong, words):
    verdict = check(wrong)
    assert verdict.status == "failed", verdict
    for word in words:
        assert word in verdict.message, verdict.message


def _hits(logits, labels):
    return logits.argmax(dim=1) == labels


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda x, y: _hits(x, y).float().mean(), ["got a tensor 0.4", ".item()"]),
    (lambda x, y: _hits(x, y).sum().item(), ["should be 2/5 = 0.400, got 2",
                                              "divide by the number of clips B = 5"]),
    (lambda x, y: 100 * accuracy(x, y), ["got 40", "percentage"]),
    (lambda x, y: 1 - accuracy(x, y), ["got 0.6", "error rate"]),
    (lambda x, y: (x.argmax(dim=0) == y).float().mean().item(),
     ["over the clips (dim 0)", "argmax(dim=1)"]),
    (lambda x, y: (x.max(dim=1).values == y).float().mean().item(),
     ["should be 2/5", "(logits.argmax(dim=1) == labels)"]),
    (lambda x, y: _hits(x, y).tolist(), ["got list"]),
], ids=["tensor", "count", "percent", "error-rate", "dim-0", "max-values", "list"])
def test_accuracy_rejects(wrong, words):
    _rejects(check_accuracy, wrong, words)


def _transposed(predictions, labels, num_classes):
    return confusion_matrix(predictions, labels, num_classes).T


def _indexed_once(predictions, labels, num_classes):
    counts = torch.zeros(num_classes, num_classes, dtype=torch.long)
    counts[labels, predictions] += 1  # a repeated (label, prediction) pair adds 1 only once
    return counts


def _sized_by_the_data(predictions, labels, num_classes):
    size = int(max(predictions.max(), labels.max())) + 1
    return confusion_matrix(predictions, labels, size)


def _row_fractions(predictions, labels, num_classes):
    counts = confusion_matrix(predictions, labels, num_classes).float()
    return counts / counts.sum(dim=1, keepdim=True).clamp(min=1)


@pytest.mark.parametrize(("wrong", "words"), [
    (_transposed, ["should be [[2, 1, 1], [5, 3, 3], [2, 1, 2]], got [[2, 5, 2]",
                   "transposed", "rows are the true classes"]),
    (_indexed_once, ["got [[1, 1, 1], [1, 1, 1], [1, 1, 1]]", "once per distinct",
                     "accumulate=True"]),
    (_sized_by_the_data, ["should have shape (4, 4), got (3, 3)", "class 3 never appears"]),
    (_row_fractions, ["got [[0.5, 0.25, 0.25]", "not the fraction of each row"]),
    (lambda p, y, k: confusion_matrix(p, y, k).tolist(), ["tensor of shape (3, 3), got list"]),
    (lambda p, y, k: confusion_matrix(y, y, k), ["should be [[2, 1, 1]",
                                                 "counts[label, prediction] += 1"]),
], ids=["transposed", "indexed-once", "sized-by-data", "fractions", "list", "labels-twice"])
def test_confusion_matrix_rejects(wrong, words):
    _rejects(check_confusion_matrix, wrong, words)


def test_the_confusion_check_uses_a_matrix_that_is_not_symmetric():
    """Otherwise the transposed matrix, the commonest mistake, would pass."""
    assert check_confusion_matrix(_transposed).status == "failed"


def _pick(logits, classes):
    return logits[torch.arange(len(classes)), classes]


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda x, y: (_pick(x, y) > _pick(x, (y + 1).clamp(max=x.shape[1] - 1))).float().mean()
     .item(), ["should be 0.600, got 0.3", "twin of an odd class", "labels ^ 1"]),
    (lambda x, y: (_pick(x, y) >= _pick(x, y ^ 1)).float().mean().item(),
     ["all-zero logits", "should be 0.000, got 1", "a tie is not a win", "use > not >="]),
    (accuracy, ["got 0.2", "plain accuracy"]),
    (lambda x, y: 100 * within_pair_accuracy(x, y), ["got 60", "percentage"]),
    (lambda x, y: (_pick(x, y) > _pick(x, y ^ 1)).float().mean(), ["got a tensor", ".item()"]),
    (lambda x, y: (_pick(x, y) < _pick(x, y ^ 1)).float().mean().item(),
     ["should be 0.600", "twin = labels ^ 1"]),
    (lambda x, y: (_pick(x, y) > _pick(x, y + 1)).float().mean().item(),
     ["twin of an odd class"]),  # the first case has no label 5, so y + 1 stays in range
], ids=["twin-plus-one", "ties-win", "plain-accuracy", "percent", "tensor", "inverted",
        "unclamped-plus-one"])
def test_within_pair_accuracy_rejects(wrong, words):
    _rejects(check_within_pair_accuracy, wrong, words)


def train_epoch(model, loader, optimizer):
    model.train()
    total, seen = 0.0, 0
    for videos, labels in loader:
        loss = F.cross_entropy(model(videos), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total, seen = total + loss.item() * len(labels), seen + len(labels)
    return total / seen


def _clip_sum(losses, sizes):
    return sum(loss * n for loss, n in zip(losses, sizes, strict=True))


def _epoch(model, loader, optimizer, *, train=True, zero_grad=True, step_first=False,
           loss_of=lambda losses, sizes: _clip_sum(losses, sizes) / sum(sizes)):
    """train_epoch with one of the usual mistakes switched on."""
    if train:
        model.train()
    losses, sizes = [], []
    for videos, labels in loader:
        loss = F.cross_entropy(model(videos), labels)
        if zero_grad:
            optimizer.zero_grad()
        if step_first:
            optimizer.step()
        loss.backward()
        if not step_first:
            optimizer.step()
        losses.append(loss.item())
        sizes.append(len(labels))
    return loss_of(losses, sizes)


def test_the_right_answers_pass():
    for check, answer in [(check_accuracy, accuracy), (check_confusion_matrix, confusion_matrix),
                          (check_within_pair_accuracy, within_pair_accuracy),
                          (check_train_epoch, train_epoch)]:
        assert check(answer).passed, check(answer)


@pytest.mark.parametrize(("options", "words"), [
    (dict(zero_grad=False), ["the weights after", "wrong values", "zero_grad()", "adds"]),
    (dict(step_first=True), ["weights have not changed", "in that order"]),
    (dict(train=False), ["still in eval mode", "model.train()"]),
    (dict(loss_of=lambda losses, sizes: sum(losses) / len(losses)),
     ["should return the mean loss per clip", "mean of the batches' losses", "len(labels)"]),
    (dict(loss_of=lambda losses, sizes: losses[-1]), ["the last batch's loss"]),
    (dict(loss_of=_clip_sum),
     ["the sum over clips", "divide by the number of clips, 10"]),
    (dict(loss_of=lambda losses, sizes: sum(losses)), ["sum of the batches' losses"]),
    (dict(loss_of=lambda losses, sizes: torch.tensor(sum(losses) / 3)), ["got a tensor"]),
], ids=["no-zero-grad", "step-first", "eval-mode", "mean-of-batch-means", "last-loss",
        "sum-over-clips", "sum-of-batch-means", "tensor"])
def test_train_epoch_rejects(options, words):
    def wrong(model, loader, optimizer):
        return _epoch(model, loader, optimizer, **options)

    _rejects(check_train_epoch, wrong, words)


def test_train_epoch_rejects_a_loop_that_never_steps():
    def forward_only(model, loader, optimizer):
        model.train()
        return sum(F.cross_entropy(model(x), y).item() for x, y in loader) / 3

    _rejects(check_train_epoch, forward_only, ["weights have not changed", "optimizer.step()"])


def test_train_epoch_names_what_the_student_code_raised():
    def crashes(model, loader, optimizer):
        for videos, labels in loader:
            F.cross_entropy(model(videos), labels.float())

    verdict = check_train_epoch(crashes)
    assert verdict.status == "failed" and "crashes raised" in verdict.message, verdict


def test_train_epoch_stub_is_not_done():
    def stub(model, loader, optimizer):
        raise NotImplementedError

    assert check_train_epoch(stub).status == "not done"


def test_the_notebook_does_no_training_in_its_exercises():
    """Notebook 06 is near the one-minute budget: its exercise cells must stay instant.

    Exercise 4's check trains a linear layer on 3 tiny batches; no exercise cell calls fit.
    """
    cells = read_notebook(notebook("06"))["cells"]
    start = next(i for i, c in enumerate(cells) if "".join(c["source"]).startswith("## Exercises"))
    code = "".join("".join(c["source"]) for c in cells[start:] if c["cell_type"] == "code")
    assert "fit(" not in code and "DataLoader(" not in code
