"""The lecture's frame encoder (CNN) and the video classifiers built on it.

Every classifier takes one video (T, C, H, W) -> logits (1, K), or a batch of videos
(B, T, C, H, W) -> logits (B, K). ``forward`` sends all B * T frames through the CNN in one
call (time folded into the batch), then runs over time; ``forward_loop`` is the lecture's
frame-by-frame loop, kept for teaching: it computes the same logits, only slower.
"""

from __future__ import annotations

import numbers

import torch
from torch import nn

__all__ = [
    "CNN",
    "FrameAverageClassifier",
    "GRUVideoClassifier",
    "LSTMVideoClassifier",
    "ManualRNNVideoClassifier",
    "VideoClassifier",
]

# The lecture's three convolutions: (out_channels, kernel, stride, padding).
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


class CNN(nn.Module):
    """The lecture's frame encoder: three Conv2d + ReLU, flatten, one Linear.

    Args:
        in_channels: C, colour channels of a frame.
        feat_dim: D, size of the feature vector of one frame.
        frame_size: (H, W) of the frames; the Linear's input size is computed from it.

    Shape:
        frames: (B, C, H, W) -> features: (B, D)

    On the CPU the frames are stored channels-last in memory, (B, H, W, C) order, the layout
    the CPU convolution kernels (oneDNN) run fastest on: same numbers, same shapes, faster
    training (``benchmarks/speed.py`` measures it). Set ``cnn.channels_last = False`` to compare.
    """

    channels_last = True

    def __init__(self, in_channels: int = 3, feat_dim: int = 128, frame_size=(220, 220)):
        super().__init__()
        self.frame_size = _as_size(frame_size)
        self.config = dict(in_channels=in_channels, feat_dim=feat_dim, frame_size=self.frame_size)
        (c1, k1, s1, p1), (c2, k2, s2, p2), (c3, k3, s3, p3) = CONV_LAYERS
        self.conv1 = nn.Conv2d(in_channels, c1, k1, s1, p1)
        self.conv2 = nn.Conv2d(c1, c2, k2, s2, p2)
        self.conv3 = nn.Conv2d(c2, c3, k3, s3, p3)
        height, width = conv_output_size(self.frame_size)
        self.flat_size = c3 * height * width
        self.fc = nn.Linear(self.flat_size, feat_dim)

    def forward(self, frames: torch.Tensor) -> torch.Tensor:
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


def _as_size(frame_size) -> tuple[int, int]:
    """frame_size as (H, W) ints: one int n means square (n, n) frames."""
    size = (frame_size, frame_size) if _is_int(frame_size) else frame_size
    sides = list(size) if isinstance(size, (tuple, list)) else []  # torch.Size is a tuple
    if len(sides) != 2 or not all(_is_int(side) and side >= 1 for side in sides):
        raise ValueError(f"frame_size must be two positive ints (H, W), or one int for square "
                         f"frames, got frame_size={frame_size!r}; e.g. frame_size=(64, 64)")
    return int(sides[0]), int(sides[1])


def _is_int(value) -> bool:
    """True for 3 or numpy.int64(3); False for 3.5, True, "3"."""
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


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


class VideoClassifier(nn.Module):
    """What every video classifier shares: a CNN on each frame, then a model over time.

    Subclasses say how to summarise a sequence of frame features (``over_time``) and, for
    the lecture's loop, how one frame updates a state (``step``, starting from None) and
    how the last state becomes logits (``head``).
    """

    def __init__(self, feat_dim: int, frame_size, in_channels: int = 3):
        super().__init__()
        self.cnn = CNN(in_channels, feat_dim, frame_size)
        self.in_channels = in_channels

    def as_batch(self, video: torch.Tensor) -> torch.Tensor:
        """Check one video (T, C, H, W) or a batch -> (B, T, C, H, W) on the model's device.

        The input follows the parameters: moved to their device and converted to their dtype
        (a float64 clip becomes float32), so only a real mistake in the input is an error.
        """
        videos = check_videos(video, self.in_channels, self.cnn.frame_size)
        weight = self.cnn.fc.weight
        return videos.to(device=weight.device, dtype=weight.dtype)

    def encode(self, video: torch.Tensor) -> torch.Tensor:
        """video: (T, C, H, W) or (B, T, C, H, W) -> features: (B, T, D), one CNN call."""
        videos = self.as_batch(video)
        batch, time = videos.shape[:2]
        features = self.cnn(videos.flatten(0, 1))  # (B * T, C, H, W) -> (B * T, D)
        return features.view(batch, time, -1)

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        """video: (T, C, H, W) or (B, T, C, H, W) -> logits: (1, K) or (B, K)."""
        return self.over_time(self.encode(video))

    def forward_loop(self, video: torch.Tensor) -> torch.Tensor:
        """The lecture's way: one clip at a time, one frame at a time. Same logits, slower.

        video: (T, C, H, W) or (B, T, C, H, W) -> logits: (1, K) or (B, K)
        """
        logits = []
        for clip in self.as_batch(video):  # (T, C, H, W)
            state = None  # the memory starts empty (zeros)
            for frame in clip:  # (C, H, W)
                x_t = self.cnn(frame.unsqueeze(0))  # a batch of one frame -> (1, D)
                state = self.step(x_t, state)
            logits.append(self.head(state))  # (1, K)
        return torch.cat(logits)


class FrameAverageClassifier(VideoClassifier):
    """The simplest video baseline: the same CNN on every frame, pooled over time, a Linear.

    Pooling ("mean" or "max") ignores the order of the frames, so this model cannot tell a
    clip from the same clip reversed or shuffled.

    Shape:
        video: (T, C, H, W) or (B, T, C, H, W) -> logits: (1, K) or (B, K)
    """

    def __init__(self, num_classes: int, feat_dim: int = 128, frame_size=(220, 220),
                 pool: str = "mean"):
        if pool not in ("mean", "max"):
            raise ValueError(f'pool must be "mean" or "max", got {pool!r}')
        super().__init__(feat_dim, frame_size)
        self.config = dict(num_classes=num_classes, feat_dim=feat_dim,
                           frame_size=tuple(self.cnn.frame_size), pool=pool)
        self.pool = pool
        self.final = nn.Linear(feat_dim, num_classes)

    def over_time(self, features):  # (B, T, D) -> (B, K)
        pooled = features.mean(dim=1) if self.pool == "mean" else features.amax(dim=1)
        return self.final(pooled)

    def step(self, x_t, state):  # state: (sum or max so far, frames seen)
        if state is None:
            return x_t, 1
        seen, count = state
        return (seen + x_t if self.pool == "mean" else torch.maximum(seen, x_t)), count + 1

    def head(self, state):
        seen, count = state
        return self.final(seen / count if self.pool == "mean" else seen)


class ManualRNNVideoClassifier(VideoClassifier):
    """The lecture's step 2: h = tanh(Wx(x_t) + Wh(h)) over the frame features, then Linear.

    Shape:
        video: (T, C, H, W) or (B, T, C, H, W) -> logits: (1, K) or (B, K)
    """

    def __init__(self, num_classes: int = 5, feat_dim: int = 128, hidden_dim: int = 64,
                 frame_size=(220, 220)):
        super().__init__(feat_dim, frame_size)
        self.config = dict(num_classes=num_classes, feat_dim=feat_dim, hidden_dim=hidden_dim,
                           frame_size=tuple(self.cnn.frame_size))
        self.Wx = nn.Linear(feat_dim, hidden_dim)
        self.Wh = nn.Linear(hidden_dim, hidden_dim)
        self.final = nn.Linear(hidden_dim, num_classes)

    def step(self, x_t, h):  # x_t: (B, D), h: (B, hidden) or None for zeros
        if h is None:
            h = x_t.new_zeros(x_t.shape[0], self.Wh.in_features)
        return torch.tanh(self.Wx(x_t) + self.Wh(h))

    def over_time(self, features):  # (B, T, D) -> (B, K)
        h = None
        for x_t in features.unbind(dim=1):
            h = self.step(x_t, h)
        return self.head(h)

    def head(self, h):
        return self.final(h)


class _BuiltinRNNClassifier(VideoClassifier):
    """Shared by the LSTM and GRU classifiers: the CNN, the stored config and the final Linear."""

    def __init__(self, num_classes: int = 5, feat_dim: int = 128, hidden_dim: int = 64,
                 frame_size=(220, 220)):
        super().__init__(feat_dim, frame_size)
        self.config = dict(num_classes=num_classes, feat_dim=feat_dim, hidden_dim=hidden_dim,
                           frame_size=tuple(self.cnn.frame_size))
        self.final = nn.Linear(hidden_dim, num_classes)


class LSTMVideoClassifier(_BuiltinRNNClassifier):
    """The lecture's step 2bis: nn.LSTM over the frame features, Linear on the last h.

    The LSTM's state is (h, c), in that order, each (num_layers, B, hidden): batch_first
    changes the input and output tensors, not the state.

    Shape:
        video: (T, C, H, W) or (B, T, C, H, W) -> logits: (1, K) or (B, K)
    """

    def __init__(self, num_classes: int = 5, feat_dim: int = 128, hidden_dim: int = 64,
                 frame_size=(220, 220)):
        super().__init__(num_classes, feat_dim, hidden_dim, frame_size)
        self.lstm = nn.LSTM(feat_dim, hidden_dim, num_layers=1, batch_first=True)

    def over_time(self, features):  # (B, T, D) -> (B, K), the whole sequence in one call
        _, (h, c) = self.lstm(features)  # (h, c) start at zeros
        return self.final(h[-1])

    def step(self, x_t, state):  # x_t: (B, D); state: (h, c) or None for zeros
        _, (h, c) = self.lstm(x_t.unsqueeze(1), state)  # a sequence of length 1
        return h, c  # carried to the next frame in the same order, (h, c)

    def head(self, state):
        h, c = state  # each (num_layers, B, hidden)
        return self.final(h[-1])  # the last layer's hidden state h, not the cell state c


class GRUVideoClassifier(_BuiltinRNNClassifier):
    """Like the LSTM classifier, with nn.GRU: one state h of shape (num_layers, B, hidden).

    Shape:
        video: (T, C, H, W) or (B, T, C, H, W) -> logits: (1, K) or (B, K)
    """

    def __init__(self, num_classes: int = 5, feat_dim: int = 128, hidden_dim: int = 64,
                 frame_size=(220, 220)):
        super().__init__(num_classes, feat_dim, hidden_dim, frame_size)
        self.gru = nn.GRU(feat_dim, hidden_dim, num_layers=1, batch_first=True)

    def over_time(self, features):  # (B, T, D) -> (B, K)
        _, h = self.gru(features)
        return self.final(h[-1])

    def step(self, x_t, h):  # x_t: (B, D); h: (num_layers, B, hidden) or None for zeros
        _, h = self.gru(x_t.unsqueeze(1), h)
        return h

    def head(self, h):
        return self.final(h[-1])
