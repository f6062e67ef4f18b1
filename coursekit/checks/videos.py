"""Checks for the exercises of notebook 01, videos as tensors (01_videos_as_tensors.ipynb).

Each check runs the student's function on fresh clips (a local random generator, so the
notebook's random state is untouched), compares the frames it returns with the frames
expected or with ``coursekit.video.to_uint8``, and names the usual mistake: the wrong axis,
a turning frame shown twice, positions truncated instead of rounded, a missing scale to 0..255.
"""

from __future__ import annotations

import torch

from coursekit.checks import (
    Mismatch,
    Mistakes,
    call_on_copy,
    check,
    expect,
    expect_shape,
    known_mistake,
    with_hint,
)
from coursekit.video import to_uint8

__all__ = ["check_boomerang", "check_sample_frames", "check_to_channels_last"]


def _clip(generator: torch.Generator, frames: int, height: int = 6, width: int = 8,
          channels: int = 3) -> torch.Tensor:
    """A random (T, C, H, W) clip in [0, 1] whose frames all differ."""
    return torch.rand(frames, channels, height, width, generator=generator)


def _frame_numbers(got: torch.Tensor, clip: torch.Tensor) -> list:
    """For each frame of ``got``, its index in ``clip`` (None if it is no frame of the clip)."""
    numbers = []
    for frame in got:
        same = [t for t in range(len(clip)) if torch.equal(frame, clip[t])]
        numbers.append(same[0] if same else None)
    return numbers


# --- Exercise 1: boomerang --------------------------------------------------------------------


def _boomerang_mistakes(frames: int) -> Mistakes:
    """The frame numbers (as ``_frame_numbers`` lists them) the usual wrong answers return."""
    forward = list(range(frames))
    return [
        ("the turning frame T - 1 is shown twice: leave it out of the way back, "
         "video.flip(0)[1:]", forward + forward[::-1]),
        ("the way back should end on frame 0, where the clip started", forward + forward[-2:0:-1]),
        ("the way back plays forward again: reverse it along time (dim 0)",
         forward + forward[:-1]),
        ("the clip is only reversed: play it forward first, then join the way back with "
         "torch.cat(..., dim=0)", forward[::-1]),
    ]


@check("boomerang")
def check_boomerang(boomerang):
    """boomerang(video): (T, C, H, W) -> (2T - 1, C, H, W), frames 0, 1, ..., T - 1, ..., 1, 0.

    Tried on a 4-frame 6 x 8 clip and a 1-frame clip; the input must not change.
    """
    generator = torch.Generator().manual_seed(101)
    for clip in (_clip(generator, 4), _clip(generator, 1, 4, 4)):
        frames = len(clip)
        expected = list(range(frames)) + list(range(frames - 2, -1, -1))
        got = call_on_copy(boomerang, clip, noun="clip")
        what = f"boomerang(a {frames}-frame clip)"
        if _same_frame_shape(got, clip):
            order = _frame_numbers(got, clip)
            if order == expected:
                continue
            hint = known_mistake(order, _boomerang_mistakes(frames))
            raise Mismatch(with_hint(f"{what} should show frames {expected}, got "
                                     f"{_name_frames(order)}", hint))
        expect_shape(got, (len(expected),) + tuple(clip.shape[1:]), what,
                     hint="return one (2T - 1, C, H, W) tensor: join the clips on dim 0, time")
    return ("a 4-frame 6 x 8 clip plays frames [0, 1, 2, 3, 2, 1, 0], a 1-frame clip its "
            "one frame, untouched")


def _name_frames(order: list) -> str:
    if None in order:
        return "frames that are not frames of the clip (were pixels changed?)"
    return str(order)


# --- Exercise 2: sample_frames ----------------------------------------------------------------


def _sample_frames_mistakes(frames: int, count: int) -> Mistakes:
    """The frame numbers (as ``_frame_numbers`` lists them) the usual wrong answers keep."""
    spread = torch.linspace(0, frames - 1, count)
    step = max(frames // count, 1)
    return [
        ("the positions were cut down to whole numbers (.long() or int() truncates): round "
         "them first, .round().long()", spread.long().tolist()),
        ("the first n frames are the start of the clip only: spread the n frames from the "
         "first to the last", list(range(count))),
        (f"video[::T // n] keeps every {step}-th frame, which need not be n frames",
         list(range(0, frames, step))),
        (f"every {step}-th frame, cut to n, misses the end of the clip: the last frame "
         "must be kept", list(range(0, frames, step))[:count]),
        ("spacing T / n never reaches the last frame: space the positions over T - 1, "
         "torch.linspace(0, T - 1, n)", [round(i * frames / count) for i in range(count)]),
    ]


@check("sample_frames")
def check_sample_frames(sample_frames):
    """sample_frames(video, n): (T, C, H, W) -> (n, C, H, W), frames round(i (T - 1) / (n - 1)).

    Tried with (T, n) = (20, 6), (9, 4), (7, 7) and (5, 1); the input must not change.
    """
    generator = torch.Generator().manual_seed(102)
    for frames, count in [(20, 6), (9, 4), (7, 7), (5, 1)]:
        clip = _clip(generator, frames, 5, 4)
        what = f"sample_frames(a {frames}-frame clip, {count})"
        expected = torch.linspace(0, frames - 1, count).round().long().tolist()
        got = call_on_copy(sample_frames, clip, count, noun="clip")
        if _same_frame_shape(got, clip):
            order = _frame_numbers(got, clip)
            if order == expected:
                continue
            hint = known_mistake(order, _sample_frames_mistakes(frames, count))
            raise Mismatch(with_hint(f"{what} should keep frames {expected}, got "
                                     f"{_name_frames(order)}", hint))
        expect_shape(got, (count,) + tuple(clip.shape[1:]), what,
                     hint="(T, C, H, W) -> (n, C, H, W): keep the layout, pick frames on dim 0")
    return ("keeps frames [0, 4, 8, 11, 15, 19] of 20, [0, 3, 5, 8] of 9, all 7 of 7, and "
            "frame 0 alone for n = 1")


def _same_frame_shape(got, clip: torch.Tensor) -> bool:
    return isinstance(got, torch.Tensor) and got.shape[1:] == clip.shape[1:]


# --- Exercise 3: to_channels_last -------------------------------------------------------------


def _to_channels_last_mistakes(clip: torch.Tensor) -> Mistakes:
    """What a reshape in place of a permute returns: the right shape, scrambled pixels."""
    frames, channels, height, width = clip.shape
    return [
        ("reshape or view only relabel the memory: move the channel axis with "
         "video.permute(0, 2, 3, 1)",
         to_uint8(clip).permute(0, 3, 1, 2).reshape(frames, height, width, channels)),
    ]


@check("to_channels_last")
def check_to_channels_last(to_channels_last):
    """to_channels_last(video): (T, C, H, W) float in [0, 1] -> (T, H, W, C) uint8 in 0..255.

    Must equal ``coursekit.video.to_uint8`` (pixels * 255, rounded to the nearest integer) on
    a 4-frame 5 x 7 clip that holds exact 0s and 1s; the input must not change.
    """
    generator = torch.Generator().manual_seed(103)
    clip = _clip(generator, 4, 5, 7)
    clip[0, :, 0, 0], clip[-1, :, -1, -1] = 0.0, 1.0  # the two ends of the range
    expected = to_uint8(clip)  # (T, H, W, C) uint8
    what = f"to_channels_last(a {tuple(clip.shape)} clip)"
    got = call_on_copy(to_channels_last, clip, noun="clip")
    expect_shape(got, expected.shape, what, hint=_layout_hint(got, clip))
    expect(got.dtype == torch.uint8, f"{what} should be of dtype torch.uint8 (one byte per "
           f"pixel value, 0..255), got {got.dtype}. Hint: scale to 0..255, round, then "
           ".to(torch.uint8)")
    expect(got.max() > 1, f"{what} holds only values 0 and 1. Hint: multiply by 255 before "
           ".to(torch.uint8), which cuts off the fraction")
    difference = got.int() - expected.int()
    if not difference.any():
        return ("a (4, 3, 5, 7) float clip becomes (4, 5, 7, 3) uint8, 0.0 -> 0 and 1.0 -> 255, "
                "rounded like coursekit.video.to_uint8")
    if (difference <= 0).all() and difference.min() == -1:  # truncated, whatever the code
        raise Mismatch(f"{what} is 1 too low for {(difference < 0).sum().item()} of "
                       f"{got.numel()} values. Hint: .to(torch.uint8) truncates (0.999 * 255 = "
                       "254.7 -> 254): round first, (video * 255).round()")
    mistake = known_mistake(got, _to_channels_last_mistakes(clip), atol=0)
    expect(not mistake, f"{what} has the right shape but scrambled pixels. Hint: {mistake}")
    raise Mismatch(f"{what} has the right shape and dtype but wrong values: largest difference "
                   f"from coursekit.video.to_uint8 {difference.abs().max().item()} (out of 255)")


def _layout_hint(got, clip: torch.Tensor) -> str:
    if not isinstance(got, torch.Tensor):
        return "return one tensor"
    frames, channels, height, width = clip.shape
    if tuple(got.shape) == (frames, channels, height, width):
        return "it is still (T, C, H, W): move the channels last with video.permute(0, 2, 3, 1)"
    if tuple(got.shape) == (frames, width, height, channels):
        return "you swapped H and W, (T, W, H, C): use video.permute(0, 2, 3, 1)"
    return "(T, C, H, W) -> (T, H, W, C) is video.permute(0, 2, 3, 1)"
