"""Checks for the exercises of notebook 01, videos as tensors (01_videos_as_tensors.ipynb).

Each check runs the student's function on fresh clips (a local random generator, so the
notebook's random state is untouched), compares with ``torch.flip``, slicing or
``coursekit.video.to_uint8``, and names the usual mistake: the wrong axis, a frame too few,
a missing scale to 0..255.
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

__all__ = ["check_reverse_clip", "check_keep_every", "check_to_channels_last"]


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


# --- Exercise 1: reverse_clip -----------------------------------------------------------------


def _reverse_clip_mistakes(clip: torch.Tensor) -> Mistakes:
    """The clips a reversal along the wrong axis, or no reversal, returns."""
    time = "not time: reverse dim 0, the first axis of (T, C, H, W)"
    return [
        (f"you reversed the colour channels (dim 1, RGB -> BGR), {time}", clip.flip(1)),
        (f"you turned every frame upside down (dim 2, H), {time}", clip.flip(2)),
        (f"you mirrored every frame left to right (dim 3, W), {time}", clip.flip(3)),
        ("it came back unchanged, frame 0 still first", clip),
    ]


@check("reverse_clip")
def check_reverse_clip(reverse_clip):
    """reverse_clip(video): (T, C, H, W) -> (T, C, H, W), frame T - 1 first and frame 0 last.

    Tried on a 5-frame 6 x 8 clip and a 1-frame clip; the input must not change.
    """
    generator = torch.Generator().manual_seed(101)
    for clip in (_clip(generator, 5), _clip(generator, 1, 4, 4)):
        got = call_on_copy(reverse_clip, clip, noun="clip")
        what = f"reverse_clip(a {tuple(clip.shape)} clip)"
        expect_shape(got, clip.shape, what, hint="return a tensor, not a list of frames: "
                     "torch.stack(frames) or index the clip directly")
        if torch.equal(got, clip.flip(0)):
            continue
        mistake = known_mistake(got, _reverse_clip_mistakes(clip), atol=0)
        expect(not mistake, f"{what}: {mistake}")
        order = _frame_numbers(got, clip)
        raise Mismatch(f"{what}: expected frames {list(range(len(clip)))[::-1]}, got "
                       f"{_name_frames(order)}")
    return "a 5-frame 6 x 8 clip and a 1-frame clip come back last frame first, untouched"


def _name_frames(order: list) -> str:
    if None in order:
        return "frames that are not frames of the clip (were pixels changed?)"
    return str(order)


# --- Exercise 2: keep_every -------------------------------------------------------------------


def _keep_every_mistakes(frames: int, step: int) -> Mistakes:
    """The frame numbers (as ``_frame_numbers`` lists them) the usual wrong slices keep."""
    expected = list(range(0, frames, step))
    return [
        ("frame 0 is always kept, even when step is larger than T", []),
        ("start at frame 0, then every step-th frame: video[::step]",
         list(range(step - 1, frames, step))),
        (f"when T = {frames} is not a multiple of step = {step}, the count rounds up, "
         "ceil(T / step), as video[::step] does", expected[:-1]),
    ]


@check("keep_every")
def check_keep_every(keep_every):
    """keep_every(video, step): (T, C, H, W) -> (ceil(T / step), C, H, W), frames 0, step, ...

    Tried with T = 7 and steps 2 and 3 (T not a multiple of step), step 1, and a step larger
    than T; the input must not change.
    """
    generator = torch.Generator().manual_seed(102)
    seven, three = _clip(generator, 7), _clip(generator, 3, 5, 4)
    for clip, step in [(seven, 2), (seven, 3), (seven, 1), (three, 5)]:
        frames = len(clip)
        what = f"keep_every(a {frames}-frame clip, step={step})"
        expected = list(range(0, frames, step))
        got = call_on_copy(keep_every, clip, step, noun="clip")
        if _same_frame_shape(got, clip):
            order = _frame_numbers(got, clip)
            if order == expected:
                continue
            hint = known_mistake(order, _keep_every_mistakes(frames, step))
            raise Mismatch(with_hint(f"{what} should keep frames {expected}, got "
                                     f"{_name_frames(order)}", hint))
        expect_shape(got, (len(expected),) + tuple(clip.shape[1:]), what,
                     hint="(T, C, H, W) -> (T', C, H, W): keep the layout, pick frames on dim 0")
    return ("keeps frames 0, step, 2 * step, ... for T = 7 with steps 2, 3 and 1, and frame 0 "
            "alone when step 5 is larger than T = 3")


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
