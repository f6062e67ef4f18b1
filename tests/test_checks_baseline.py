"""The checks of notebook 02's exercises: right answers pass, the usual mistakes are named."""

import math

import pytest
import torch

from coursekit.checks.baseline import (
    check_add_time_channel,
    check_flat_size,
    check_recency_pool,
)
from coursekit.models import CNN


def flat_size(height, width):
    return 64 * math.ceil(height / 8) * math.ceil(width / 8)


def add_time_channel(video):
    frames, _, height, width = video.shape
    time = torch.linspace(0, 1, frames).view(frames, 1, 1, 1).expand(frames, 1, height, width)
    return torch.cat([video, time], dim=1)


def recency_pool(features):
    weights = torch.arange(1.0, features.shape[1] + 1)
    return (features * (weights / weights.sum()).view(1, -1, 1)).sum(dim=1)


def test_flat_size_reference_is_the_cnns_own_linear_size():
    for height, width in [(220, 220), (113, 57)]:
        assert CNN(frame_size=(height, width)).fc.in_features == flat_size(height, width)


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda h, w: 50176, ["flat_size(64, 96) should be 6144 = 64 x 8 x 12, got 50176",
                          "220 x 220 frames only"]),
    (lambda h, w: 64 * (h // 8) * (w // 8), ["got 46656", "rounds up, not down"]),
    (lambda h, w: 64 * math.ceil(h / 8) ** 2, ["flat_size(64, 96)", "not square"]),
    (lambda h, w: math.ceil(h / 8) * math.ceil(w / 8), ["got 784", "64 channels"]),
    (lambda h, w: 64 * h / 8 * w / 8, ["float", "nn.Linear needs an int"]),
    (lambda h, w: torch.tensor(flat_size(h, w)), ["returned a tensor", ".item()"]),
    (lambda h, w: 64 * (h // 8 + 1) * (w // 8 + 1), ["should be 6144", "(n + 2 * padding"]),
    (lambda h, w: str(flat_size(h, w)), ["should return an int, got str"]),
], ids=["hard-coded", "floor", "square", "no-channels", "float", "tensor", "off-by-one", "str"])
def test_flat_size_rejects(wrong, words):
    verdict = check_flat_size(wrong)
    assert verdict.status == "failed"
    for word in words:
        assert word in verdict.message


def _with_time(time_of):
    """An add_time_channel whose time channel is time_of(T): (T,) -> (T, C + 1, H, W)."""
    def answer(video):
        frames, _, height, width = video.shape
        time = time_of(frames).view(frames, 1, 1, 1).expand(frames, 1, height, width)
        return torch.cat([video, time], dim=1)

    return answer


def _time_first(video):
    return add_time_channel(video).roll(1, dims=1)


@pytest.mark.parametrize(("wrong", "words"), [
    (_with_time(lambda t: torch.arange(t) / t), ["[0.0, 0.2, 0.4, 0.6, 0.8]", "not T"]),
    (_with_time(lambda t: torch.arange(t) / (t - 1)), ["NaN", "T - 1 = 0"]),
    (_with_time(lambda t: torch.ones(t)), ["time channel", "wrong values"]),
    (_with_time(lambda t: torch.linspace(1, 0, t)), ["[0.0, 0.25, 0.5, 0.75, 1.0]"]),
    (_time_first, ["should come last"]),
    (lambda v: torch.cat([v, v[:1]], dim=0), ["you added a frame (dim 0)"]),
    (lambda v: v, ["add one channel along dim 1"]),
    (lambda v: torch.cat([v[:, :1] * 0 + 1, add_time_channel(v)[:, 1:]], 1),
     ["first 3 channels should be the clip, unchanged"]),
], ids=["over-T", "nan", "constant", "backwards", "time-first", "frame", "nothing", "overwrites"])
def test_add_time_channel_rejects(wrong, words):
    verdict = check_add_time_channel(wrong)
    assert verdict.status == "failed"
    for word in words:
        assert word in verdict.message


def test_add_time_channel_fails_if_the_baseline_still_cannot_see_order():
    """Time stamped once on each frame and carried along when the clip is reversed."""
    stamped = []

    def carries_time_with_the_frames(video):
        for clip in stamped:
            if torch.equal(video, clip.flip(0)):
                return add_time_channel(clip).flip(0)
        stamped.append(video.clone())
        return add_time_channel(video)

    verdict = check_add_time_channel(carries_time_with_the_frames)
    assert verdict.status == "failed"
    assert "same pooled features for the reversed clip" in verdict.message


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda f: f.mean(dim=1), ["plain mean", "blind to order"]),
    (lambda f: (f * torch.arange(1.0, f.shape[1] + 1).view(1, -1, 1)).sum(1),
     ["divide by the sum of the weights"]),
    (lambda f: recency_pool(f.flip(1)), ["LAST frame should weigh most"]),
    (lambda f: (f * torch.arange(1.0 * f.shape[1]).view(1, -1, 1)).sum(1) / 10,
     ["start the weights at 1"]),
    (lambda f: (f * torch.arange(1.0 * f.shape[1]).view(1, -1, 1)).sum(1)
     / torch.arange(1.0 * f.shape[1]).sum(), ["start the weights at 1"]),
    (lambda f: f.mean(dim=2), ["got (2, 5)", "pooled over D (dim 2)"]),
    (lambda f: recency_pool(f)[0], ["got (4,)", "keep the batch"]),
    (lambda f: f[:, -1], ["wrong values", "(t + 1) / (1 + 2 + ... + T)"]),
], ids=["mean", "unnormalised", "reversed", "from-zero", "from-zero-normalised", "over-D",
        "first-only", "last-frame"])
def test_recency_pool_rejects(wrong, words):
    verdict = check_recency_pool(wrong)
    assert verdict.status == "failed"
    for word in words:
        assert word in verdict.message


def test_a_float64_time_channel_is_named():
    def in_float64(video):
        return add_time_channel(video).double()

    assert "should keep the clip's dtype torch.float32, got torch.float64" in (
        check_add_time_channel(in_float64).message)


def test_recency_pool_accepts_float64_weights():
    def float64_weights(features):
        weights = torch.arange(1, features.shape[1] + 1, dtype=torch.float64)
        return (features * (weights / weights.sum()).view(1, -1, 1)).sum(dim=1)

    assert check_recency_pool(float64_weights).passed
