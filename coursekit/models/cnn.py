"""The lecture's frame encoder (CNN), and the checks every video model runs on its input.

``CNN`` turns a batch of frames (B, C, H, W) into feature vectors (B, D). ``check_videos``
turns one video (T, C, H, W) or a batch (B, T, C, H, W) into a checked (B, T, C, H, W)
tensor, with an error that says what was given and the fix for each usual mistake.
``Rebuildable`` gives a model a ``config``, its constructor arguments, so a checkpoint
can rebuild it: ``type(model)(**model.config)``.
"""

from __future__ import annotations

import inspect
import numbers

import torch
from torch import nn

__all__ = [
    "CNN",
    "CONV_LAYERS",
    "Rebuildable",
    "as_frame_size",
    "check_videos",
    "conv_output_size",
    "is_count",
]

#: The lecture's three convolutions: (out_channels, kernel, stride, padding).
CONV_LAYERS = ((16, 5, 2, 2), (32, 3, 2, 1), (64, 3, 2, 1))


def conv_output_size(frame_size) -> tuple[int, int]:
    """(H, W) of the CNN's last feature map for frames of ``frame_size`` = (H, W).

    Each convolution maps n pixels to (n + 2 * padding - kernel) // stride + 1:
    220 -> 110 -> 55 -> 28, so 64 * 28 * 28 = 50176 features reach the Linear layer.
    """
    height, width = frame_size
    for _, kernel, stride, padding in CONV_LAYERS:
        height = (height + 2 * padding - kernel) // stride + 1
        width = (width + 2 * padding - kernel) // stride + 1
    return height, width


def is_count(value) -> bool:
    """True for a non-bool integral: 3 or numpy.int64(3); False for 3.5, True, "3"."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def as_frame_size(value, name: str = "frame_size") -> tuple[int, int]:
    """A frame size as (H, W) ints: one int n means square (n, n) frames.

    value: an int n, or a pair (H, W) of positive ints (numpy ints are fine) -> (H, W).
    Bools, floats and strings are refused with a ValueError naming ``name``.
    """
    size = (value, value) if is_count(value) else value
    sides = list(size) if isinstance(size, (tuple, list)) else []  # torch.Size is a tuple
    if len(sides) != 2 or not all(is_count(side) and side >= 1 for side in sides):
        raise ValueError(f"{name} must be two positive ints (H, W), or one int for square "
                         f"frames, got {name}={value!r}; e.g. {name}=(64, 64)")
    return int(sides[0]), int(sides[1])


class Rebuildable:
    """A model that stores each constructor argument as an attribute of the same name.

    The scikit-learn convention: ``__init__(self, num_classes=5, *, feat_dim=128)`` sets
    ``self.num_classes`` and ``self.feat_dim``, so ``config`` can read every argument back
    and the arguments are written once, in the signature. ``save_checkpoint`` stores
    ``config``; ``type(model)(**model.config)`` builds the same architecture again.
    """

    @property
    def config(self) -> dict:
        """The constructor arguments as plain data: ``{name: self.<name>}``, ints as int."""
        config = {}
        for name in inspect.signature(type(self)).parameters:
            if name not in vars(self):
                # Not an AttributeError: nn.Module would replace it with "has no attribute
                # 'config'", and getattr(model, "config", {}) would save an empty config.
                raise TypeError(
                    f"{type(self).__name__}.__init__ takes the argument {name!r} but does not "
                    f"store it as self.{name}, so config cannot record it; add "
                    f"`self.{name} = {name}` to __init__"
                )
            config[name] = _plain(vars(self)[name])
        return config


def _plain(value):
    """numpy numbers as Python numbers, lists as tuples: data a checkpoint may hold."""
    if isinstance(value, (tuple, list)):
        return tuple(_plain(item) for item in value)
    if is_count(value):
        return int(value)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return float(value)
    return value


class CNN(Rebuildable, nn.Module):
    """The lecture's frame encoder: three Conv2d + ReLU, flatten, one Linear.

    Args:
        in_channels: C, colour channels of a frame.
        feat_dim: D, size of the feature vector of one frame.
        frame_size: (H, W) of the frames, or one int for square frames; the Linear's input
            size is computed from it.

    Shape:
        frames: (B, C, H, W) float -> features: (B, D)

    On the CPU the frames are stored channels-last in memory, (B, H, W, C) order, the layout
    the CPU convolution kernels (oneDNN) run fastest on: same numbers, same shapes, faster
    training (``benchmarks/speed.py`` measures it). Set ``cnn.channels_last = False`` to compare.
    """

    channels_last = True

    def __init__(self, in_channels: int = 3, feat_dim: int = 128, frame_size=(220, 220)):
        super().__init__()
        self.in_channels, self.feat_dim = in_channels, feat_dim
        self.frame_size = as_frame_size(frame_size)
        (c1, k1, s1, p1), (c2, k2, s2, p2), (c3, k3, s3, p3) = CONV_LAYERS
        self.conv1 = nn.Conv2d(in_channels, c1, k1, s1, p1)
        self.conv2 = nn.Conv2d(c1, c2, k2, s2, p2)
        self.conv3 = nn.Conv2d(c2, c3, k3, s3, p3)
        height, width = conv_output_size(self.frame_size)
        self.flat_size = c3 * height * width
        self.fc = nn.Linear(self.flat_size, feat_dim)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
        """frames: (B, C, H, W) float in [0, 1] -> features: (B, D)."""
        x = self.prepare(frames)  # checked; channels-last in memory on the CPU
        x = torch.relu(self.conv1(x))
        x = torch.relu(self.conv2(x))
        x = torch.relu(self.conv3(x))
        return self.fc(x.flatten(1))

    def prepare(self, frames: torch.Tensor) -> torch.Tensor:
        """Check a batch of frames (B, C, H, W), match the weights' dtype, choose the layout.

        Float frames of another dtype (float64, float16) are converted to the weights' dtype.
        An empty batch (B = 0) gives empty features (0, D), as PyTorch's layers do.
        """
        if not isinstance(frames, torch.Tensor) or frames.ndim != 4:
            shape = tuple(frames.shape) if hasattr(frames, "shape") else type(frames).__name__
            raise ValueError(f"CNN expects a batch of frames (B, C, H, W), got shape {shape}; "
                             "for one frame (C, H, W) use frame.unsqueeze(0)")
        _check_frames(frames, self.conv1.in_channels, self.frame_size)  # channels, layout, size
        frames = frames.to(self.fc.weight.dtype)  # float64 -> float32: no copy if it matches
        if self.channels_last and frames.device.type == "cpu":
            frames = frames.contiguous(memory_format=torch.channels_last)  # memory order only
        return frames


def check_videos(video: torch.Tensor, channels: int, frame_size) -> torch.Tensor:
    """Validate one video (T, C, H, W) or a batch (B, T, C, H, W); return it as (B, T, C, H, W).

    Each mistake gets its own error saying what was given and the fix: wrong rank, integer
    pixels, channels-last layout, wrong channel count, wrong frame size, no clips or no frames.
    """
    if not isinstance(video, torch.Tensor) or video.ndim not in (4, 5):
        shape = tuple(video.shape) if hasattr(video, "shape") else type(video).__name__
        raise ValueError(
            f"expected one video (T, C, H, W) or a batch (B, T, C, H, W), got shape {shape}"
        )
    _check_frames(video, channels, frame_size)
    _check_not_empty(video)
    return video if video.ndim == 5 else video.unsqueeze(0)


def _check_frames(frames: torch.Tensor, channels: int, frame_size) -> None:
    """Validate the float dtype and the (..., C, H, W) end of a frames or video tensor."""
    if not frames.is_floating_point():
        raise ValueError(
            f"got a video of dtype {frames.dtype}; the models expect float pixels in [0, 1]: "
            "use video.float() / 255 (load_video already returns float)"
        )
    _check_channels(frames, channels)
    if tuple(frames.shape[-2:]) != tuple(frame_size):
        height, width = frames.shape[-2:]
        raise ValueError(
            f"frames are {height} x {width} but the model was built for frame_size={frame_size}; "
            f"resize the frames (load_video(..., size={frame_size})) or build the model "
            f"with frame_size=({height}, {width})"
        )


def _check_channels(video: torch.Tensor, channels: int) -> None:
    """C, at dim -3, must be ``channels``; say how to fix a channels-last, grey or RGBA input."""
    if video.shape[-3] != channels and video.shape[-1] == channels:
        fix = "video.permute(0, 3, 1, 2)" if video.ndim == 4 else "videos.permute(0, 1, 4, 2, 3)"
        raise ValueError(
            f"got a {tuple(video.shape)} tensor that looks channels-last (..., H, W, C); "
            f"coursekit expects (..., C, H, W): use {fix}"
        )
    if video.shape[-3] != channels:
        got = video.shape[-3]
        fix = {1: "for a grey clip, repeat its channel: video.repeat_interleave(3, dim=-3)",
               4: "for RGBA frames, drop the alpha channel: video[..., :3, :, :]"}.get(got, "")
        raise ValueError(
            f"expected {channels} channels at dim -3 of (..., C, H, W), got {got} "
            f"in a {tuple(video.shape)} tensor" + (f"; {fix}" if channels == 3 and fix else "")
        )


def _check_not_empty(video: torch.Tensor) -> None:
    """A batch needs B >= 1 clips and a clip T >= 1 frames: there is nothing to classify else."""
    shape = tuple(video.shape)
    if video.ndim == 5 and shape[0] == 0:
        raise ValueError(
            f"got a batch of 0 clips, shape {shape} (B = 0): there is nothing to classify; "
            "check the indices or slice that made the batch (videos[i:j] needs i < j)"
        )
    if shape[-4] == 0:
        clips = "clips" if video.ndim == 5 else "a clip"
        raise ValueError(
            f"got {clips} of 0 frames, shape {shape} (T = 0): there is nothing to classify; "
            "check how the frames were picked (video[start:stop] needs start < stop)"
        )
