"""Checks for the exercises of notebook 05, CNN + RNN for videos (05_cnn_rnn.ipynb).

Folding time into the batch and back (so the CNN sees all B * T frames in one call), the
lecture's recurrence written as a loop, and reading an LSTM's answer from h, not c. Each check
runs the student's function on fresh tensors from a local random generator, and on small
classifiers built under ``torch.random.fork_rng``, so the notebook's random state is untouched.
It compares with ``reshape`` or with the model's own batched ``over_time``, and names the usual
mistake: clips and frames mixed by a transpose, frames read backwards, the cell state c read
instead of h, the batch taken for time.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from coursekit.checks import (
    Mismatch,
    Mistakes,
    call,
    check,
    expect_close,
    expect_shape,
    known_mistake,
    shape_of,
)
from coursekit.models import LSTMVideoClassifier, ManualRNNVideoClassifier

__all__ = ["check_fold_time", "check_unfold_time", "check_rnn_over_time",
           "check_lstm_over_time"]


def _row_of(item: torch.Tensor, rows: torch.Tensor):
    """The index of the row of ``rows`` equal to ``item``, or None."""
    for index, row in enumerate(rows):
        if torch.equal(item, row):
            return index
    return None


def _order_mistakes(batch: int, time: int) -> Mistakes:
    """The orders of rows (as ``_row_of`` finds them) that mix clips and frames."""
    transposed = [t * batch + b for b in range(batch) for t in range(time)]
    mixed = ("clips and frames are mixed, in the order a transpose of B and T gives (row "
             "t * B + b instead of b * T + t). Reshape B and T as they come, with no transpose "
             "or permute: B * T <-> (B, T)")
    return [
        (mixed, transposed),
        (mixed, sorted(range(batch * time), key=transposed.__getitem__)),
    ]


def _order_hint(got_rows: list, batch: int, time: int) -> str:
    """Why rows came out in the order ``got_rows`` (the input row found at each place)."""
    if None in got_rows:
        return "some rows are not rows of the input: were pixels or features moved?"
    return known_mistake(got_rows, _order_mistakes(batch, time)) or (
        f"the input rows came out in the order {got_rows}, expected 0, 1, 2, ...")


# --- Exercise 1: fold_time --------------------------------------------------------------------


@check("fold_time")
def check_fold_time(fold_time):
    """fold_time(videos): (B, T, C, H, W) -> (B * T, C, H, W), frame t of clip b at row b * T + t.

    Tried on a batch with B != T and non-square frames, one clip (B = 1) and one-frame clips
    (T = 1); every frame is different, so a mix of clips and frames is seen.
    """
    generator = torch.Generator().manual_seed(501)
    for shape in [(2, 3, 3, 4, 5), (1, 4, 3, 2, 3), (3, 1, 1, 5, 4)]:
        videos = torch.rand(*shape, generator=generator)
        batch, time, channels, height, width = shape
        what = f"fold_time(videos {shape})"
        got = call(fold_time, videos.clone())
        expected = videos.reshape(batch * time, channels, height, width)
        expect_shape(got, expected.shape, what, hint=_fold_shape_hint(got, shape))
        if torch.equal(got, expected):
            continue
        rows = [_row_of(frame, expected) for frame in got]
        raise Mismatch(f"{what} has the right shape but not the right frame in every row. "
                       f"Hint: {_order_hint(rows, batch, time)}")
    return ("frame t of clip b lands at row b * T + t for videos (2, 3, 3, 4, 5), one clip "
            "(B = 1) and one-frame clips (T = 1)")


def _fold_shape_hint(got, shape) -> str:
    batch, time, channels, height, width = shape
    if isinstance(got, torch.Tensor) and tuple(got.shape) == (batch, time * channels, height,
                                                              width):
        return "you folded T and C (dims 1 and 2); fold B and T, the first two dims"
    if isinstance(got, torch.Tensor) and got.ndim == 2:
        return "keep every frame whole, (C, H, W): the CNN takes frames (B * T, C, H, W)"
    return "fold the first two dims: videos.reshape(B * T, C, H, W) or videos.flatten(0, 1)"


# --- Exercise 2: unfold_time ------------------------------------------------------------------


@check("unfold_time")
def check_unfold_time(unfold_time):
    """unfold_time(features, B, T): (B * T, D) -> (B, T, D), row b * T + t to [b, t].

    Tried with B != T, one clip (B = 1) and one-frame clips (T = 1); every row is different.
    """
    generator = torch.Generator().manual_seed(502)
    for batch, time, dim in [(2, 3, 4), (1, 5, 3), (4, 1, 2)]:
        features = torch.randn(batch * time, dim, generator=generator)
        what = f"unfold_time(features {shape_of(features)}, B={batch}, T={time})"
        got = call(unfold_time, features.clone(), batch, time)
        expected = features.reshape(batch, time, dim)
        expect_shape(got, expected.shape, what, hint=_unfold_shape_hint(got, batch, time, dim))
        if torch.equal(got, expected):
            continue
        rows = [_row_of(got[b, t], features) for b in range(batch) for t in range(time)]
        raise Mismatch(f"{what} has the right shape but [b, t] does not hold row b * T + t. "
                       f"Hint: {_order_hint(rows, batch, time)}")
    return ("row b * T + t lands at [b, t] for (B, T) = (2, 3), one clip (B = 1) and one-frame "
            "clips (T = 1)")


def _unfold_shape_hint(got, batch: int, time: int, dim: int) -> str:
    if isinstance(got, torch.Tensor) and tuple(got.shape) == (time, batch, dim):
        return "that is (T, B, D); the batch comes first: features.reshape(B, T, D)"
    if isinstance(got, torch.Tensor) and got.ndim == 2:
        return "keep the feature size D as the last dim: features.reshape(B, T, -1)"
    return "features.reshape(B, T, -1) undoes fold_time"


# --- Exercises 3 and 4: models ----------------------------------------------------------------

FEATURES, HIDDEN, CLASSES = 6, 5, 3
SIZES = [(3, 4), (1, 5), (2, 1)]  # (B, T): a batch with B != T, one clip, one frame


def _model(model_class, seed: int):
    """A small untrained classifier, built without touching the notebook's random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = model_class(num_classes=CLASSES, feat_dim=FEATURES, hidden_dim=HIDDEN,
                            frame_size=(8, 8))
    return model.eval()


def _manual_rnn(model: ManualRNNVideoClassifier, features: torch.Tensor, reverse: bool = False,
                squash: bool = True, frames: Sequence[int] | None = None) -> torch.Tensor:
    """The recurrence with a mistake switched on: frames backwards, no tanh, some frames only."""
    h = features.new_zeros(features.shape[0], HIDDEN)
    if frames is None:
        time = features.shape[1]
        frames = range(time - 1, -1, -1) if reverse else range(time)
    for t in frames:
        h = model.Wx(features[:, t]) + model.Wh(h)
        h = torch.tanh(h) if squash else h
    return model.final(h)


def _rnn_over_time_mistakes(model: ManualRNNVideoClassifier,
                            features: torch.Tensor) -> Mistakes:
    """The logits (B, K) of loops that read frames backwards, skip the tanh or forget h."""
    time = features.shape[1]
    return [
        ("you read the frames last to first: go t = 0, 1, ..., T - 1",
         _manual_rnn(model, features, reverse=True)),
        ("the tanh is missing: h = torch.tanh(model.Wx(x_t) + model.Wh(h))",
         _manual_rnn(model, features, squash=False)),
        ("the logits depend on the last frame only: h must carry over from one step to the "
         "next (start at zeros once, before the loop)",
         _manual_rnn(model, features, frames=[time - 1])),
        ("the logits depend on the first frame only: return after the loop, not inside it",
         _manual_rnn(model, features, frames=[0])),
    ]


@check("rnn_over_time")
def check_rnn_over_time(rnn_over_time):
    """rnn_over_time(model, features): (B, T, D) -> logits (B, K), the lecture's loop.

    ``model`` is a ManualRNNVideoClassifier; the answer must equal ``model.over_time``, the
    recurrence of the model's batched forward, on a batch with B != T, one clip (B = 1) and
    one frame (T = 1).
    """
    generator = torch.Generator().manual_seed(503)
    model = _model(ManualRNNVideoClassifier, seed=503)
    for batch, time in SIZES:
        features = torch.randn(batch, time, FEATURES, generator=generator)
        what = f"rnn_over_time(model, features {shape_of(features)})"
        with torch.no_grad():
            got = call(rnn_over_time, model, features.clone())
            expected = model.over_time(features)
            mistakes = _rnn_over_time_mistakes(model, features)
        expect_shape(got, expected.shape, what, hint=_rnn_shape_hint(got, batch, time))
        expect_close(got, expected, what, hint=known_mistake(got, mistakes) or (
            "h starts at zeros (B, hidden); for each t, h = tanh(Wx(features[:, t]) + Wh(h)); "
            "then model.final(h)"))
    return ("equals model.over_time(features), the batched forward after the CNN, for "
            "features (3, 4, 6), one clip (B = 1) and one frame (T = 1)")


def _rnn_shape_hint(got, batch: int, time: int) -> str:
    if isinstance(got, torch.Tensor) and tuple(got.shape) == (batch, HIDDEN):
        return "that is the memory h (B, hidden); return the logits, model.final(h)"
    if isinstance(got, torch.Tensor) and tuple(got.shape)[:1] == (time,):
        return "time is dim 1 of (B, T, D): the frame t of every clip is features[:, t]"
    return "h is (B, hidden) and model.final(h) is (B, K)"


def _lstm_over_time_mistakes(model: LSTMVideoClassifier, features: torch.Tensor) -> Mistakes:
    """The logits (B, K) read from the cell state c, or from the first frame's output."""
    output, (_, c) = model.lstm(features)
    return [
        ("you classified the cell state c. nn.LSTM returns output, (h, c): hidden state first; "
         "classify h[-1] (the lecture's swap)", model.final(c[-1])),
        ("that is the output of the first frame, output[:, 0]; the last frame's is "
         "output[:, -1], which is also h[-1]", model.final(output[:, 0])),
    ]


@check("lstm_over_time")
def check_lstm_over_time(lstm_over_time):
    """lstm_over_time(model, features): (B, T, D) -> logits (B, K), from the last h.

    ``model`` is an LSTMVideoClassifier; the answer must equal ``model.over_time`` on a batch
    with B != T, one clip (B = 1) and one frame (T = 1).
    """
    generator = torch.Generator().manual_seed(504)
    model = _model(LSTMVideoClassifier, seed=504)
    for batch, time in SIZES:
        features = torch.randn(batch, time, FEATURES, generator=generator)
        what = f"lstm_over_time(model, features {shape_of(features)})"
        with torch.no_grad():
            got = call(lstm_over_time, model, features.clone())
            expected = model.over_time(features)
            mistakes = _lstm_over_time_mistakes(model, features)
        expect_shape(got, expected.shape, what, hint=_lstm_shape_hint(got, batch, time))
        expect_close(got, expected, what, hint=known_mistake(got, mistakes) or (
            "output, (h, c) = model.lstm(features); return model.final(h[-1])"))
    return ("equals model.over_time(features) for features (3, 4, 6), one clip (B = 1) and one "
            "frame (T = 1): read from h, the last layer's hidden state")


def _lstm_shape_hint(got, batch: int, time: int) -> str:
    if isinstance(got, torch.Tensor) and tuple(got.shape) == (1, batch, CLASSES):
        return "h is (num_layers, B, hidden); take the last layer: model.final(h[-1])"
    if isinstance(got, torch.Tensor) and tuple(got.shape) == (time, CLASSES):
        return ("with batch_first=True, output is (B, T, hidden): output[-1] is the last clip, "
                "not the last frame; use h[-1] (or output[:, -1])")
    if isinstance(got, torch.Tensor) and tuple(got.shape) == (batch, time, CLASSES):
        return "that is one answer per frame; classify the last one: model.final(h[-1])"
    return "output, (h, c) = model.lstm(features); model.final(h[-1]) is (B, K)"
