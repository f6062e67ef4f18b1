"""The checks of notebook 05's exercises: right answers pass, the usual mistakes are named."""

import pytest
import torch

from coursekit.checks.classifiers import (
    check_fold_time,
    check_lstm_over_time,
    check_rnn_over_time,
    check_unfold_time,
)


def fold_time(videos):
    return videos.flatten(0, 1)


def unfold_time(features, B, T):
    return features.view(B, T, -1)


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


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda v: v.transpose(0, 1).reshape(-1, *v.shape[2:]),
     ["right shape", "clips and frames are mixed", "no transpose or permute"]),
    (lambda v: v.permute(1, 0, 2, 3, 4).flatten(0, 1), ["row t * B + b instead of b * T + t"]),
    (lambda v: v.flatten(1, 2), ["should have shape (6, 3, 4, 5), got (2, 9, 4, 5)",
                                 "folded T and C"]),
    (lambda v: v.flatten(0, 1).flatten(1), ["got (6, 60)", "keep every frame whole"]),
    (lambda v: v[0], ["should have shape (6, 3, 4, 5), got (3, 3, 4, 5)", "flatten(0, 1)"]),
    (lambda v: v.flatten(0, 1) * 0.5, ["not rows of the input"]),
], ids=["transposed", "permuted", "time-and-channels", "flat-frames", "first-clip", "darker"])
def test_fold_time_rejects(wrong, words):
    _rejects(check_fold_time, wrong, words)


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda f, B, T: f.view(T, B, -1).transpose(0, 1),
     ["[b, t] does not hold row b * T + t", "clips and frames are mixed"]),
    (lambda f, B, T: f.view(T, B, -1), ["should have shape (2, 3, 4), got (3, 2, 4)",
                                        "the batch comes first"]),
    (lambda f, B, T: f.view(B, -1), ["got (2, 12)", "keep the feature size D"]),
    (lambda f, B, T: f.view(B, T, -1).flip(1), ["the input rows came out in the order"]),
], ids=["transposed", "time-first", "flat", "reversed"])
def test_unfold_time_rejects(wrong, words):
    _rejects(check_unfold_time, wrong, words)


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
    output, (cell, hidden) = model.lstm(features)  # the lecture's names: hidden is really c
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
