"""Checks for the exercises of notebook 02, the frame baseline (02_frame_baseline.ipynb).

``flat_size`` is compared with the CNN's own computation in ``coursekit.models``; the two
order-aware variants of the baseline (a time channel, a pooling weighted by position) are run
on fresh random clips and features (a local generator, so the notebook's random state is
untouched) and must tell a clip from its reverse.
"""

from __future__ import annotations

import numbers

import torch

from coursekit.checks import (
    Mismatch,
    Mistakes,
    agrees,
    call,
    call_on_copy,
    check,
    expect,
    expect_close,
    expect_shape,
    known_mistake,
    with_hint,
)
from coursekit.models import CNN, CONV_LAYERS, conv_output_size

__all__ = ["check_flat_size", "check_add_time_channel", "check_recency_pool"]

LECTURE_FLAT_SIZE = 50176  # 64 x 28 x 28, hard-coded in the lecture for 220 x 220 frames


def _flat_size(height: int, width: int) -> int:
    """The course's answer: the CNN's last channels times its last feature map's H x W."""
    out_height, out_width = conv_output_size((height, width))
    return CONV_LAYERS[-1][0] * out_height * out_width


# --- Exercise 1: flat_size --------------------------------------------------------------------


def _flat_size_mistakes(height: int, width: int) -> Mistakes:
    """The counts the usual wrong computations give for a height x width frame."""
    channels = CONV_LAYERS[-1][0]
    out_height, out_width = conv_output_size((height, width))
    not_square = ("the frame is not square: use the height for one side, the width for the "
                  "other")
    return [
        ("50176 is the lecture's number for 220 x 220 frames only; compute it from height and "
         "width", LECTURE_FLAT_SIZE),
        ("each convolution here rounds up, not down: 55 -> (55 + 2 * 1 - 3) // 2 + 1 = 28; "
         "apply (n + 2 * padding - kernel) // stride + 1 three times",
         channels * (height // 8) * (width // 8)),
        (not_square, channels * out_height * out_height),
        (not_square, channels * out_width * out_width),
        (f"multiply by the {channels} channels that conv3 outputs", out_height * out_width),
    ]


@check("flat_size")
def check_flat_size(flat_size):
    """flat_size(height, width) -> int, the number of inputs of the CNN's Linear layer.

    Compared with ``coursekit.models`` for 220 x 220 (50176) and non-square, odd and tiny
    frames, where the hard-coded 50176, rounding down or using the height twice go wrong.
    """
    sizes = [(220, 220), (64, 96), (113, 57), (30, 200), (1, 1)]
    for height, width in sizes:
        expected = _flat_size(height, width)
        what = f"flat_size({height}, {width})"
        got = call(flat_size, height, width)
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            raise Mismatch(f"{what} returned a tensor; nn.Linear needs a Python int: use "
                           "int(...) or .item()")
        if isinstance(got, float) and got.is_integer():
            raise Mismatch(f"{what} returned the float {got}; nn.Linear needs an int. Hint: "
                           "use // instead of /, or math.ceil")
        expect(isinstance(got, numbers.Integral) and not isinstance(got, bool),
               f"{what} should return an int, got {type(got).__name__} {got!r:.40}")
        if got != expected:
            hint = known_mistake(got, _flat_size_mistakes(height, width)) or (
                "follow one side through the three convolutions with "
                "(n + 2 * padding - kernel) // stride + 1, then multiply H x W by the channels")
            raise Mismatch(with_hint(f"{what} should be {expected} = "
                                     f"{_as_product(height, width)}, got {got}", hint))
    return ("agrees with coursekit.models.CNN for 220 x 220 (50176), 64 x 96, 113 x 57, "
            "30 x 200 and 1 x 1 frames")


def _as_product(height: int, width: int) -> str:
    out_height, out_width = conv_output_size((height, width))
    return f"{CONV_LAYERS[-1][0]} x {out_height} x {out_width}"


# --- Exercise 2: add_time_channel -------------------------------------------------------------


def _clip(generator: torch.Generator, frames: int, channels: int = 3, height: int = 12,
          width: int = 16) -> torch.Tensor:
    return torch.rand(frames, channels, height, width, generator=generator)


def _time_channel(frames: int, height: int, width: int) -> torch.Tensor:
    """(T, 1, H, W): frame t filled with t / (T - 1), zeros for a single frame."""
    return torch.linspace(0, 1, frames).view(frames, 1, 1, 1).expand(frames, 1, height, width)


def _time_channel_mistakes(frames: int, height: int, width: int) -> Mistakes:
    """The time channels (T, H, W) that the usual wrong formulas fill."""
    over_frames = torch.arange(frames).div(frames).view(frames, 1, 1)
    return [
        ("Divide by T - 1, not T, so the last frame gets 1",
         over_frames.expand(frames, height, width)),
    ]


@check("add_time_channel")
def check_add_time_channel(add_time_channel):
    """add_time_channel(video): (T, C, H, W) -> (T, C + 1, H, W), extra channel t / (T - 1).

    Tried on a 5-frame RGB clip, a 4-frame grey clip (C = 1) and a 1-frame clip (time 0);
    the first C channels must be the clip unchanged. A frame baseline (the lecture's CNN on
    every frame, then a mean over time) fed the result must tell the clip from its reverse.
    """
    generator = torch.Generator().manual_seed(201)
    clips = [_clip(generator, 5), _clip(generator, 4, channels=1), _clip(generator, 1)]
    for clip in clips:
        frames, channels, height, width = clip.shape
        what = f"add_time_channel(a {tuple(clip.shape)} clip)"
        got = call_on_copy(add_time_channel, clip)
        expect_shape(got, (frames, channels + 1, height, width), what,
                     hint=_channel_shape_hint(got, clip))
        expect(got.dtype == clip.dtype, f"{what} should keep the clip's dtype {clip.dtype}, got "
               f"{got.dtype}. Hint: make the time channel with dtype=video.dtype")
        expected_time = _time_channel(frames, height, width)
        if not torch.equal(got[:, :channels], clip):
            expect(not torch.equal(got[:, 1:], clip), f"{what}: the time channel should come "
                   f"last, after the {channels} channels of the clip (torch.cat([video, time], "
                   "dim=1))")
            raise Mismatch(f"{what}: the first {channels} channels should be the clip, "
                           "unchanged")
        time = got[:, channels]
        expect(not time.isnan().any(), f"{what}: the time channel holds NaN. Hint: for a single "
               "frame T - 1 = 0; give it time 0 (torch.linspace(0, 1, T) does)")
        expect_close(time, expected_time[:, 0], f"{what}[:, {channels}] (the time channel)",
                     hint=_time_hint(time, frames))
    _expect_baseline_sees_order(add_time_channel, clips[0])
    return ("the clip's channels kept, a channel t / (T - 1) added for T = 5, 4 (grey) and 1; "
            "with it, the frame baseline's mean of CNN features changes for the reversed clip")


def _channel_shape_hint(got, clip: torch.Tensor) -> str:
    if not isinstance(got, torch.Tensor):
        return "return one tensor"
    frames, channels, height, width = clip.shape
    if tuple(got.shape) == (frames + 1, channels, height, width):
        return "you added a frame (dim 0); add a channel: torch.cat(..., dim=1)"
    if tuple(got.shape) == tuple(clip.shape):
        return "add one channel along dim 1, the C of (T, C, H, W)"
    return "the time channel is (T, 1, H, W), concatenated on dim 1"


def _time_hint(time: torch.Tensor, frames: int) -> str:
    per_frame = [round(v, 3) for v in time.mean(dim=(1, 2)).tolist()]
    wanted = [round(t / max(frames - 1, 1), 3) for t in range(frames)]
    hint = f"frame t gets t / (T - 1) at every pixel: {wanted}; your per-frame means {per_frame}"
    mistake = known_mistake(time, _time_channel_mistakes(*time.shape), atol=1e-3)
    return f"{hint}. {mistake}" if mistake else hint


def _expect_baseline_sees_order(add_time_channel, clip: torch.Tensor) -> None:
    """The frame baseline's pooled features differ for the clip and its reverse."""
    frames, channels, height, width = clip.shape
    with torch.random.fork_rng(devices=[]):  # the CNN's weights, without touching the notebook
        torch.manual_seed(0)
        cnn = CNN(in_channels=channels + 1, feat_dim=8, frame_size=(height, width)).eval()
    with torch.no_grad():
        pooled = [cnn(call(add_time_channel, c)).mean(dim=0) for c in (clip, clip.flip(0))]
    change = (pooled[0] - pooled[1]).abs().max().item()
    expect(change > 1e-5, "with your time channel the frame baseline still gives the same "
           "pooled features for the reversed clip; each frame needs its own time value")


# --- Exercise 3: recency_pool -----------------------------------------------------------------


def _recency_pool(features: torch.Tensor) -> torch.Tensor:
    """The course's answer: (B, T, D) -> (B, D), frame t weighted (t + 1) / (1 + ... + T)."""
    weights = torch.arange(1, features.shape[1] + 1, dtype=features.dtype)
    return (features * (weights / weights.sum()).view(1, -1, 1)).sum(dim=1)


def _recency_pool_mistakes(features: torch.Tensor) -> Mistakes:
    """What the usual wrong poolings return for features (B, T, D)."""
    weights = torch.arange(1, features.shape[1] + 1, dtype=features.dtype).view(1, -1, 1)
    from_zero = torch.arange(features.shape[1], dtype=features.dtype).view(1, -1, 1)
    return [
        ("this is the plain mean, blind to order: weight frame t by t + 1, then divide by "
         "the sum of the weights", features.mean(dim=1)),
        ("divide by the sum of the weights, 1 + 2 + ... + T, so that identical frames pool to "
         "that frame", (features * weights).sum(dim=1)),
        ("start the weights at 1, not 0, so that the first frame counts too",
         (features * from_zero).sum(dim=1) / from_zero.sum()),
        ("the LAST frame should weigh most (T), the first least (1)",
         _recency_pool(features.flip(1))),
    ]


@check("recency_pool")
def check_recency_pool(recency_pool):
    """recency_pool(features): (B, T, D) -> (B, D), frame t weighted (t + 1) / (1 + ... + T).

    Tried on a batch of 2 sequences of 5 frames, on T = 1, and on a sequence of identical
    frames (it must pool to that frame); the reversed sequence must pool differently.
    """
    generator = torch.Generator().manual_seed(202)
    batch = torch.randn(2, 5, 4, generator=generator)
    one_frame = torch.randn(3, 1, 4, generator=generator)
    same_frames = torch.randn(1, 1, 6, generator=generator).expand(1, 4, 6).contiguous()
    for features in (batch, one_frame, same_frames):
        size, frames, dim = features.shape
        what = f"recency_pool(features of shape {tuple(features.shape)})"
        got = call_on_copy(recency_pool, features)
        expect_shape(got, (size, dim), what, hint=_pool_shape_hint(got, features))
        expect(not got.isnan().any(), f"{what} holds NaN. Hint: weights 1, 2, ..., T (not "
               "0, ..., T - 1, which sum to 0 for T = 1)")
        if not agrees(got, _recency_pool(features)):
            hint = known_mistake(got, _recency_pool_mistakes(features.double()), atol=1e-4)
            raise Mismatch(with_hint(f"{what} has the right shape but wrong values", hint or (
                "weights (t + 1) / (1 + 2 + ... + T) for t = 0, ..., T - 1, summed over dim 1")))
    reversed_change = (call(recency_pool, batch.flip(1)) - _recency_pool(batch)).abs().max()
    expect(reversed_change > 1e-4, "recency_pool gives the same result for the reversed "
           "sequence: weight each frame by its position")
    return ("(2, 5, 4) -> (2, 4) weighted 1 : 2 : ... : 5, T = 1 returns the frame, identical "
            "frames pool to that frame, and the reversed sequence pools differently")


def _pool_shape_hint(got, features: torch.Tensor) -> str:
    if not isinstance(got, torch.Tensor):
        return "return one tensor"
    size, frames, dim = features.shape
    if tuple(got.shape) == (size, frames):
        return "you pooled over D (dim 2); pool over time, dim 1 of (B, T, D)"
    if tuple(got.shape) in ((frames, dim), (dim,)):
        return "keep the batch: pool over dim 1 only"
    return "sum the weighted frames over time, dim 1 of (B, T, D)"
