"""Checks for the exercises of notebook 05, CNN + RNN for videos (05_cnn_rnn.ipynb).

Running the CNN on all B * T frames of a batch in one call (time folded into the batch, then
unfolded into clips), reading each padded clip's last real step, the lecture's recurrence
written as a loop, and reading an LSTM's answer from h, not c. Each check runs the student's
function on fresh tensors from a local random generator, and on small models built under
``torch.random.fork_rng``, so the notebook's random state is untouched. It compares with the
course's own answer (``reshape``, the LSTM run on the unpadded clip, the model's batched
``over_time``) and names the usual mistake: clips and frames mixed by a transpose, one CNN
call per clip or per frame, padding read as if it were a frame, frames read backwards, the
cell state c read instead of h, the batch taken for time.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from coursekit.checks import (
    Mistakes,
    call,
    check,
    expect,
    expect_close,
    expect_shape,
    known_mistake,
    shape_of,
)
from coursekit.models import CNN, LSTMVideoClassifier, ManualRNNVideoClassifier

__all__ = ["check_encode_frames", "check_last_real_step", "check_rnn_over_time",
           "check_lstm_over_time"]

FEATURES, HIDDEN, CLASSES = 6, 5, 3
FRAME = (6, 8)  # (H, W) of the checks' frames: small, and not square


# --- Exercise 1: encode_frames ----------------------------------------------------------------


class _CountingCNN(CNN):
    """The course's CNN, noting how many frames each call received (``calls``)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.calls: list = []

    def forward(self, frames):
        self.calls.append(tuple(frames.shape)[0] if hasattr(frames, "shape") else None)
        return super().forward(frames)


def _counting_cnn(seed: int) -> _CountingCNN:
    """A small untrained CNN, built without touching the notebook's random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        cnn = _CountingCNN(in_channels=3, feat_dim=FEATURES, frame_size=FRAME)
    return cnn.eval()


def _encode_frames_mistakes(cnn: CNN, videos: torch.Tensor) -> Mistakes:
    """The features (B, T, D) of folds and unfolds that mix clips and frames."""
    batch, time = videos.shape[:2]
    mixed = ("clips and frames are mixed, in the order a transpose of B and T gives. Fold "
             "with videos.reshape(B * T, C, H, W) and unfold with features.reshape(B, T, -1): "
             "B and T in the order they come, no transpose or permute")
    return [
        (mixed, cnn(videos.transpose(0, 1).flatten(0, 1)).view(batch, time, -1)),
        (mixed, cnn(videos.flatten(0, 1)).view(time, batch, -1).transpose(0, 1)),
    ]


def _encode_shape_hint(got, batch: int, time: int) -> str:
    shape = tuple(got.shape) if isinstance(got, torch.Tensor) else None
    if shape == (batch * time, FEATURES):
        return ("that is one row per frame, (B * T, D): unfold it into clips, "
                "features.reshape(B, T, -1)")
    if shape == (time, batch, FEATURES):
        return "that is (T, B, D); the batch comes first: features.reshape(B, T, -1)"
    if shape is not None and shape[:2] == (batch, time) and shape[2:] != (FEATURES,):
        return "run the CNN on the frames: cnn(frames) turns (B * T, C, H, W) into (B * T, D)"
    return ("fold, encode, unfold: frames = videos.reshape(B * T, C, H, W); "
            "cnn(frames).reshape(B, T, -1)")


def _calls_hint(calls: list, batch: int, time: int) -> str:
    if len(calls) == batch:
        where = "once per clip"
    elif len(calls) == batch * time:
        where = "once per frame"
    else:
        where = "with frames " + " + ".join(str(n) for n in calls)
    return (f"the features are right, but the CNN was called {len(calls)} times ({where}); "
            f"fold time into the batch so that one call sees all B * T = {batch * time} "
            "frames")


@check("encode_frames")
def check_encode_frames(encode_frames):
    """encode_frames(cnn, videos): (B, T, C, H, W) -> (B, T, D), all frames in one CNN call.

    Tried on a batch with B != T, one clip (B = 1) and one-frame clips (T = 1), with a small
    CNN that counts its calls; every frame is different, so a mix of clips and frames is seen.
    """
    generator = torch.Generator().manual_seed(501)
    cnn = _counting_cnn(seed=501)
    for batch, time in [(2, 3), (1, 4), (3, 1)]:
        videos = torch.rand(batch, time, 3, *FRAME, generator=generator)
        what = f"encode_frames(cnn, videos {shape_of(videos)})"
        cnn.calls.clear()
        with torch.no_grad():
            got = call(encode_frames, cnn, videos.clone())
            calls = list(cnn.calls)
            expected = cnn(videos.flatten(0, 1)).view(batch, time, -1)
            mistakes = _encode_frames_mistakes(cnn, videos)
        expect_shape(got, expected.shape, what, hint=_encode_shape_hint(got, batch, time))
        expect_close(got, expected, what, hint=known_mistake(got, mistakes) or (
            "features[b, t] must be cnn(frame t of clip b)"))
        expect(calls == [batch * time], f"{what}: {_calls_hint(calls, batch, time)}")
    return ("features[b, t] is frame t of clip b, from one CNN call on all B * T frames, for "
            "videos (2, 3, 3, 6, 8), one clip (B = 1) and one-frame clips (T = 1)")


# --- Exercise 2: last_real_step ---------------------------------------------------------------


def _lstm(seed: int) -> nn.LSTM:
    """A small untrained nn.LSTM (batch_first), built without touching the random state."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        lstm = nn.LSTM(FEATURES, HIDDEN, batch_first=True)
    return lstm.eval()


def _last_real_step_mistakes(output: torch.Tensor, lengths: torch.Tensor) -> Mistakes:
    """The rows (B, hidden) read at the padded end, one step late, or at the first step."""
    clips = torch.arange(len(lengths))
    late = lengths.clamp(max=output.shape[1] - 1)
    return [
        ("output[:, -1] is the last step of the padded batch: for a clip shorter than T it "
         "comes after the clip's end, once padding has changed the memory. Read step "
         "lengths[b] - 1 of clip b", output[:, -1]),
        ("one step too late: a clip of length L has its frames at steps 0 .. L - 1, so its "
         "last real step is lengths[b] - 1", output[clips, late]),
        ("that is the first step, output[:, 0]; the last real step of clip b is "
         "lengths[b] - 1", output[:, 0]),
    ]


def _last_step_shape_hint(got, batch: int, time: int) -> str:
    shape = tuple(got.shape) if isinstance(got, torch.Tensor) else None
    if shape == (batch, batch, HIDDEN):
        return ("output[:, lengths - 1] gives every clip every length, (B, B, hidden); pair "
                "clip b with its own length: output[torch.arange(B), lengths - 1]")
    if shape == (batch, time, HIDDEN):
        return ("lengths count time steps, dim 1 of output (B, T, hidden), not clips: "
                "output[torch.arange(B), lengths - 1]")
    return "one row per clip: output[torch.arange(B), lengths - 1] is (B, hidden)"


@check("last_real_step")
def check_last_real_step(last_real_step):
    """last_real_step(output, lengths): (B, T, hidden), (B,) -> (B, hidden), step lengths[b] - 1.

    ``output`` comes from an nn.LSTM run on zero-padded clips; the answer must equal h[-1] of
    the same LSTM run on each clip's real frames alone. Tried on clips shorter than T, one
    padded clip (B = 1) and clips with no padding.
    """
    generator = torch.Generator().manual_seed(502)
    lstm = _lstm(seed=502)
    for lengths, time in [([3, 1, 4], 5), ([2], 4), ([5, 2, 5, 3], 5)]:
        lengths = torch.tensor(lengths)
        features = torch.randn(len(lengths), time, FEATURES, generator=generator)
        for b, length in enumerate(lengths.tolist()):
            features[b, length:] = 0.0  # padding after the clip's end
        with torch.no_grad():
            output, _ = lstm(features)
            alone = [lstm(features[b:b + 1, :length])[1][0][-1, 0]
                     for b, length in enumerate(lengths.tolist())]
            got = call(last_real_step, output.clone(), lengths.clone())
        expected = torch.stack(alone)
        what = (f"last_real_step(output {shape_of(output)}, lengths {lengths.tolist()})")
        expect_shape(got, expected.shape, what,
                     hint=_last_step_shape_hint(got, len(lengths), time))
        expect_close(got, expected, what, hint=known_mistake(
            got, _last_real_step_mistakes(output, lengths)) or (
            "row b must be output[b, lengths[b] - 1]"))
    return ("row b equals h[-1] of the LSTM run on clip b's real frames alone, for lengths "
            "[3, 1, 4] padded to T = 5, one padded clip (B = 1) and clips with no padding")


# --- Exercises 3 and 4: models ----------------------------------------------------------------

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
         "classify h[-1] (the lecture's LSTM_pt "
         "wrapper swaps these two names)", model.final(c[-1])),
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
