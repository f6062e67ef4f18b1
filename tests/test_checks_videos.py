"""The checks of notebook 01's exercises: right answers pass, the usual mistakes are named."""

import pytest
import torch

from coursekit.checks.videos import check_keep_every, check_reverse_clip, check_to_channels_last


def reverse_clip(video):
    return video.flip(0)


def keep_every(video, step):
    return video[::step]


def to_channels_last(video):
    return (video * 255).round().to(torch.uint8).permute(0, 2, 3, 1)


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda v: v.flip(1), ["colour channels (dim 1", "reverse dim 0"]),
    (lambda v: v.flip(2), ["upside down", "dim 2"]),
    (lambda v: v.flip(3), ["left to right", "dim 3"]),
    (lambda v: list(v.flip(0)), ["got list", "torch.stack"]),
    (lambda v: v, ["unchanged"]),
    (lambda v: v.roll(1, dims=0), ["expected frames [4, 3, 2, 1, 0], got [4, 0, 1, 2, 3]"]),
    (lambda v: v.flip(0) * 0.5, ["not frames of the clip"]),
], ids=["channels", "height", "width", "list", "identity", "rolled", "darker"])
def test_reverse_clip_rejects(wrong, words):
    verdict = check_reverse_clip(wrong)
    assert verdict.status == "failed"
    for word in words:
        assert word in verdict.message


def test_an_answer_that_writes_into_its_input_is_rejected():
    def in_place(video):
        video[:] = video.flip(0).clone()
        return video

    assert "changed the clip it was given" in check_reverse_clip(in_place).message


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda v, s: v[s - 1::s], ["should keep frames [0, 2, 4, 6], got [1, 3, 5]",
                                "start at frame 0"]),
    (lambda v, s: v[: len(v) // s * s: s], ["got [0, 2, 4]", "ceil(T / step)"]),
    (lambda v, s: v[::s] if s <= len(v) else v[:0],
     ["step=5", "frame 0 is always kept"]),
    (lambda v, s: v[::s].permute(0, 2, 3, 1), ["should have shape (4, 3, 6, 8)", "dim 0"]),
    (lambda v, s: v[:, ::s], ["should have shape (4, 3, 6, 8), got (7, 2, 6, 8)"]),
], ids=["starts-at-step-1", "rounds-down", "empty-for-large-step", "layout", "channels"])
def test_keep_every_rejects(wrong, words):
    verdict = check_keep_every(wrong)
    assert verdict.status == "failed"
    for word in words:
        assert word in verdict.message


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda v: (v * 255).to(torch.uint8).permute(0, 2, 3, 1), ["1 too low", "round first"]),
    (lambda v: v.permute(0, 2, 3, 1), ["torch.uint8", "got torch.float32"]),
    (lambda v: v.to(torch.uint8).permute(0, 2, 3, 1), ["only values 0 and 1", "multiply by 255"]),
    (lambda v: (v * 255).round().to(torch.uint8).reshape(4, 5, 7, 3),
     ["scrambled", "permute(0, 2, 3, 1)"]),
    (lambda v: (v * 255).round().to(torch.uint8).permute(0, 3, 2, 1), ["swapped H and W"]),
    (lambda v: (v * 255).round().to(torch.uint8), ["still (T, C, H, W)"]),
    (lambda v: (v * 256).clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1),
     ["wrong values", "coursekit.video.to_uint8"]),
], ids=["truncates", "float", "no-scale", "reshape", "swapped", "channels-first", "times-256"])
def test_to_channels_last_rejects(wrong, words):
    verdict = check_to_channels_last(wrong)
    assert verdict.status == "failed"
    for word in words:
        assert word in verdict.message
