"""The checks of notebook 01's exercises: right answers pass, the usual mistakes are named."""

import pytest
import torch

from coursekit.checks.videos import check_boomerang, check_sample_frames, check_to_channels_last


def boomerang(video):
    return torch.cat([video, video.flip(0)[1:]])


def sample_frames(video, n):
    return video[torch.linspace(0, len(video) - 1, n).round().long()]


def to_channels_last(video):
    return (video * 255).round().to(torch.uint8).permute(0, 2, 3, 1)


@pytest.mark.parametrize("right", [
    boomerang,
    lambda v: v[list(range(len(v))) + list(range(len(v) - 2, -1, -1))],
    lambda v: torch.cat([v[:-1], v.flip(0)]),
], ids=["cat-flip", "index-list", "cat-other-way"])
def test_boomerang_accepts(right):
    assert check_boomerang(right).passed


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda v: torch.cat([v, v.flip(0)]), ["got [0, 1, 2, 3, 3, 2, 1, 0]", "shown twice"]),
    (lambda v: torch.cat([v, v.flip(0)[1:-1]]), ["should end on frame 0"]),
    (lambda v: torch.cat([v, v[:-1]]), ["plays forward again", "dim 0"]),
    (lambda v: v.flip(0), ["only reversed", "torch.cat"]),
    (lambda v: torch.cat([v, v.flip(1)[1:]]), ["not frames of the clip"]),
    (lambda v: torch.cat([v, v.flip(0)[1:]], dim=1), ["should have shape (7, 3, 6, 8)", "dim 0"]),
    (lambda v: [*v, *v.flip(0)[1:]], ["should be a tensor", "got list"]),
], ids=["turn-twice", "no-last", "forward-twice", "reverse-only", "colours", "dim1", "list"])
def test_boomerang_rejects(wrong, words):
    verdict = check_boomerang(wrong)
    assert verdict.status == "failed"
    for word in words:
        assert word in verdict.message


def test_an_answer_that_writes_into_its_input_is_rejected():
    def in_place(video):
        video[:] = video.flip(0).clone()
        return torch.cat([video.flip(0), video[1:]])

    assert "changed the clip it was given" in check_boomerang(in_place).message


@pytest.mark.parametrize(("wrong", "words"), [
    (lambda v, n: v[torch.linspace(0, len(v) - 1, n).long()],
     ["should keep frames [0, 4, 8, 11, 15, 19], got [0, 3, 7, 11, 15, 19]", "round"]),
    (lambda v, n: v[:n], ["got [0, 1, 2, 3, 4, 5]", "first n frames"]),
    (lambda v, n: v[::len(v) // n], ["got [0, 3, 6, 9, 12, 15, 18]", "need not be n frames"]),
    (lambda v, n: v[::len(v) // n][:n], ["got [0, 3, 6, 9, 12, 15]", "last frame"]),
    (lambda v, n: v[[round(i * len(v) / n) for i in range(n)]],
     ["got [0, 3, 7, 10, 13, 17]", "T - 1"]),
    (lambda v, n: v[torch.linspace(0, len(v), n).round().long()], ["IndexError"]),
    (lambda v, n: sample_frames(v, n).permute(0, 2, 3, 1),
     ["should have shape (6, 3, 5, 4), got (6, 5, 4, 3)", "dim 0"]),
], ids=["truncates", "first-n", "step", "step-cut", "over-T", "past-the-end", "layout"])
def test_sample_frames_rejects(wrong, words):
    verdict = check_sample_frames(wrong)
    assert verdict.status == "failed"
    for word in words:
        assert word in verdict.message


def test_sample_frames_accepts_the_formula_by_hand():
    def by_hand(video, n):
        last = len(video) - 1
        return torch.stack([video[round(i * last / max(n - 1, 1))] for i in range(n)])

    assert check_sample_frames(by_hand).passed
    assert check_sample_frames(sample_frames).passed


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
