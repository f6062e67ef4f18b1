"""The checks of notebook 05's exercises: right answers pass, the usual mistakes are named."""

import pytest
import torch

from coursekit.checks.classifiers import (
    check_encode_frames,
    check_last_real_step,
    check_lstm_over_time,
    check_rnn_over_time,
)


def encode_frames(cnn, videos):
    B, T = videos.shape[:2]
    return cnn(videos.flatten(0, 1)).view(B, T, -1)


def last_real_step(output, lengths):
    return torch.stack([output[b, n - 1] for b, n in enumerate(lengths.tolist())])


def _loop(model, features, order=None, squash=torch.tanh):
    h = torch.zeros(features.shape[0], model.Wh.in_features)
    for t in order if order is not None else range(features.shape[1]):
        h = squash(model.Wx(features[:, t]) + model.Wh(h))
    return h


def rnn_over_time(model, features):
    return model.final(_loop(model, features))


def lstm_over_time(model, features):
    output, _ = model.lstm(features)
    return model.final(output[:, -1])  # the last time step of a one-layer LSTM: h[-1]


def _rejects(check, wrong, words):
    verdict = check(wrong)
    assert verdict.status == "failed", verdict
    for word in words:
        assert word in verdict.message, verdict.message


@pytest.mark.parametrize(("check", "answer"), [
    (check_encode_frames, encode_frames), (check_last_real_step, last_real_step),
    (check_rnn_over_time, rnn_over_time), (check_lstm_over_time, lstm_over_time),
], ids=["encode_frames", "last_real_step", "rnn_over_time", "lstm_over_time"])
def test_other_right_answers_pass(check, answer):
    assert check(answer).passed, check(answer)


def _per_clip(cnn, videos):
    return torch.stack([cnn(clip) for clip in videos])


def _per_frame(cnn, videos):
    return torch.stack([torch.cat([cnn(frame[None]) for frame in clip]) for clip in videos])


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda c, v: c(v.transpose(0, 1).flatten(0, 1)).view(*v.shape[:2], -1),
     ["wrong values", "clips and frames are mixed", "no transpose or permute"]),
    (lambda c, v: c(v.flatten(0, 1)).view(v.shape[1], v.shape[0], -1).transpose(0, 1),
     ["wrong values", "clips and frames are mixed"]),
    (_per_clip, ["features are right", "called 2 times (once per clip)", "all B * T = 6"]),
    (_per_frame, ["called 6 times (once per frame)"]),
    (lambda c, v: c(v.flatten(0, 1)), ["should have shape (2, 3, 6), got (6, 6)",
                                       "unfold it into clips"]),
    (lambda c, v: c(v.flatten(0, 1)).view(v.shape[1], v.shape[0], -1),
     ["got (3, 2, 6)", "the batch comes first"]),
    (lambda c, v: v.flatten(2), ["got (2, 3, 144)", "run the CNN on the frames"]),
    (lambda c, v: c(v), ["raised ValueError", "CNN expects a batch of frames (B, C, H, W)"]),
    (lambda c, v: c(v.flatten(0, 1)).view(*v.shape[:2], -1).flip(1),
     ["wrong values", "cnn(frame t of clip b)"]),
], ids=["transposed-fold", "transposed-unfold", "per-clip", "per-frame", "not-unfolded",
        "time-first", "no-cnn", "5d-to-cnn", "reversed"])
def test_encode_frames_rejects(wrong, words):
    _rejects(check_encode_frames, wrong, words)


def _clips(lengths):
    return torch.arange(len(lengths))


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda o, n: o[:, -1], ["wrong values", "output[:, -1] is the last step of the padded"]),
    (lambda o, n: o[_clips(n), n], ["wrong values", "one step too late"]),
    (lambda o, n: o[:, 0], ["wrong values", "the first step"]),
    (lambda o, n: o[:, n - 1], ["should have shape (3, 5), got (3, 3, 5)",
                                "output[torch.arange(B), lengths - 1]"]),
    (lambda o, n: o[n - 1], ["got (3, 5, 5)", "dim 1 of output"]),
    (lambda o, n: o.mean(dim=1), ["wrong values", "output[b, lengths[b] - 1]"]),
    (lambda o, n: o[_clips(n), -n], ["wrong values"]),
], ids=["padded-end", "one-late", "first", "all-pairs", "batch-dim", "mean", "from-end"])
def test_last_real_step_rejects(wrong, words):
    _rejects(check_last_real_step, wrong, words)


def _last_frame_only(model, features):
    return model.final(_loop(model, features, order=[features.shape[1] - 1]))


def _over_the_batch(model, features):
    h = torch.zeros(features.shape[0], model.Wh.in_features)
    for x_t in features:  # iterates over the clips: a shape error for B != T
        h = torch.tanh(model.Wx(x_t) + model.Wh(h))
    return model.final(h)


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda m, f: m.final(_loop(m, f, order=reversed(range(f.shape[1])))),
     ["wrong values", "last to first"]),
    (lambda m, f: m.final(_loop(m, f, squash=lambda x: x)), ["the tanh is missing"]),
    (lambda m, f: m.final(_loop(m, f, squash=torch.relu)), ["wrong values", "h starts at zeros"]),
    (_last_frame_only, ["last frame only", "carry over"]),
    (lambda m, f: m.final(_loop(m, f, order=[0])), ["first frame only"]),
    (lambda m, f: _loop(m, f), ["should have shape (3, 3), got (3, 5)", "model.final(h)"]),
    (_over_the_batch, ["_over_the_batch raised RuntimeError", "must match the size"]),
], ids=["backwards", "no-tanh", "relu", "last-frame", "first-frame", "returns-h", "over-batch"])
def test_rnn_over_time_rejects(wrong, words):
    _rejects(check_rnn_over_time, wrong, words)


def _swapped(model, features):
    output, (cell, hidden) = model.lstm(features)  # LSTM_pt's names: `hidden` is really c
    return model.final(hidden[-1])


@pytest.mark.parametrize(("wrong", "words"), [
    (_swapped, ["wrong values", "cell state c", "output, (h, c)"]),
    (lambda m, f: m.final(m.lstm(f)[0][-1]), ["got (4, 3)", "output[-1] is the last clip"]),
    (lambda m, f: m.final(m.lstm(f)[0][:, 0]), ["first frame", "output[:, -1]"]),
    (lambda m, f: m.final(m.lstm(f)[1][0]), ["got (1, 3, 3)", "h[-1]"]),
    (lambda m, f: m.final(m.lstm(f)[0]), ["got (3, 4, 3)", "one answer per frame"]),
    (lambda m, f: m.final(m.lstm(f)[0].mean(dim=1)), ["wrong values", "model.final(h[-1])"]),
], ids=["reads-c", "last-clip", "first-frame", "all-layers", "every-frame", "mean"])
def test_lstm_over_time_rejects(wrong, words):
    _rejects(check_lstm_over_time, wrong, words)
