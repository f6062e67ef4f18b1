"""Video classifiers: the lecture's CNN on every frame, then a model over time.

Every classifier takes one video (T, C, H, W) -> logits (1, K), or a batch of videos
(B, T, C, H, W) -> logits (B, K), and is built the same way::

    Classifier(num_classes=5, *, feat_dim=128, hidden_dim=64, frame_size=(220, 220),
               in_channels=3, motion=False, <its own options>)  # hidden_dim: recurrent ones

The hierarchy says what each kind of model is:

- ``VideoClassifier``: encode all B * T frames with the CNN in one call (time folded into
  the batch), then ``over_time``: features (B, T, D) -> logits (B, K).
- ``RecurrentVideoClassifier``: a memory updated frame by frame, ``step``, and a Linear on
  the last memory, ``head``; ``forward_loop`` is the lecture's frame-by-frame loop, kept for
  teaching: it computes the same logits as ``forward``, only slower.
- ``TransformerVideoClassifier`` (in ``attention``): every frame attends to every other
  frame at once, so it has no loop.
"""

from __future__ import annotations

import abc

import torch
from torch import nn

from .cnn import CNN, Rebuildable, check_videos
from .motion import add_motion, motion_channels

__all__ = [
    "FrameAverageClassifier",
    "GRUVideoClassifier",
    "LSTMVideoClassifier",
    "ManualRNNVideoClassifier",
    "RecurrentVideoClassifier",
    "VideoClassifier",
]


class VideoClassifier(Rebuildable, nn.Module, abc.ABC):
    """What every video classifier shares: the CNN on each frame, then a model over time.

    A subclass says how a sequence of frame features becomes logits (``over_time``) and
    stores each constructor argument as an attribute of the same name (``config`` reads
    them back for checkpoints).

    Args:
        num_classes: K, the number of classes.
        feat_dim: D, size of each frame's feature vector (the CNN's output).
        frame_size: (H, W) of the frames, or one int for square frames.
        in_channels: C, colour channels of a frame.
        motion: False (the lecture's way): the CNN sees each frame alone. True: it also sees
            how the frame changed since the previous one (``add_motion``: 2 C + 2 channels
            in all), so even a model without memory sees which way things move.

    Shape:
        video: (T, C, H, W) or (B, T, C, H, W) float in [0, 1] -> logits: (1, K) or (B, K)
    """

    def __init__(self, num_classes: int = 5, *, feat_dim: int = 128, frame_size=(220, 220),
                 in_channels: int = 3, motion: bool = False):
        super().__init__()
        cnn_channels = motion_channels(in_channels) if motion else in_channels
        self.cnn = CNN(in_channels=cnn_channels, feat_dim=feat_dim, frame_size=frame_size)
        self.num_classes, self.feat_dim, self.in_channels = num_classes, feat_dim, in_channels
        self.motion = bool(motion)
        self.frame_size = self.cnn.frame_size  # (H, W) ints, checked by the CNN

    @abc.abstractmethod
    def over_time(self, features: torch.Tensor) -> torch.Tensor:
        """features: (B, T, D), one vector per frame -> logits: (B, K), one row per clip."""

    def as_batch(self, video: torch.Tensor) -> torch.Tensor:
        """Check one video (T, C, H, W) or a batch -> (B, T, C, H, W) on the model's device.

        The input follows the parameters: moved to their device and converted to their dtype
        (a float64 clip becomes float32), so only a real mistake in the input is an error.
        """
        videos = check_videos(video, self.in_channels, self.frame_size)
        weight = self.cnn.fc.weight
        return videos.to(device=weight.device, dtype=weight.dtype)

    def cnn_input(self, video: torch.Tensor) -> torch.Tensor:
        """What the CNN sees: (B, T, C, H, W) frames, or (B, T, 2 C + 2, H, W) with motion."""
        videos = self.as_batch(video)
        return add_motion(videos) if self.motion else videos

    def encode(self, video: torch.Tensor) -> torch.Tensor:
        """video: (T, C, H, W) or (B, T, C, H, W) -> features: (B, T, D), one CNN call."""
        videos = self.cnn_input(video)
        batch, time = videos.shape[:2]
        features = self.cnn(videos.flatten(0, 1))  # (B * T, C, H, W) -> (B * T, D)
        return features.view(batch, time, -1)

    def forward(self, video: torch.Tensor) -> torch.Tensor:
        """video: (T, C, H, W) or (B, T, C, H, W) -> logits: (1, K) or (B, K)."""
        return self.over_time(self.encode(video))


class RecurrentVideoClassifier(VideoClassifier):
    """A video classifier with a memory: the lecture's CNN + RNN.

    A subclass says how one frame's features update the memory (``step``, which starts
    from None, meaning zeros) and how the last memory becomes logits (``head``).
    ``over_time`` runs ``step`` over the frames; a subclass built on nn.LSTM or nn.GRU
    replaces it with one call of that layer.

    Args:
        num_classes, feat_dim, frame_size, in_channels, motion: as for ``VideoClassifier``.
        hidden_dim: size of the memory h.
    """

    def __init__(self, num_classes: int = 5, *, feat_dim: int = 128, hidden_dim: int = 64,
                 frame_size=(220, 220), in_channels: int = 3, motion: bool = False):
        super().__init__(num_classes, feat_dim=feat_dim, frame_size=frame_size,
                         in_channels=in_channels, motion=motion)
        self.hidden_dim = hidden_dim

    @abc.abstractmethod
    def step(self, x_t: torch.Tensor, state):
        """x_t: (B, D), one frame's features; state: the memory so far, None at the start.

        Returns the new state (its shape depends on the model, e.g. h: (B, hidden_dim)).
        """

    @abc.abstractmethod
    def head(self, state) -> torch.Tensor:
        """state: the memory after the last frame -> logits: (B, K)."""

    def over_time(self, features: torch.Tensor) -> torch.Tensor:
        """features: (B, T, D) -> logits: (B, K), one step per frame."""
        state = None
        for x_t in features.unbind(dim=1):  # (B, D)
            state = self.step(x_t, state)
        return self.head(state)

    def forward_loop(self, video: torch.Tensor) -> torch.Tensor:
        """The lecture's way: one clip at a time, one frame at a time. Same logits, slower.

        video: (T, C, H, W) or (B, T, C, H, W) -> logits: (1, K) or (B, K)
        """
        logits = []
        for clip in self.cnn_input(video):  # (T, C, H, W)
            state = None  # the memory starts empty (zeros)
            for frame in clip:  # (C, H, W)
                x_t = self.cnn(frame.unsqueeze(0))  # a batch of one frame -> (1, D)
                state = self.step(x_t, state)
            logits.append(self.head(state))  # (1, K)
        return torch.cat(logits)


class FrameAverageClassifier(VideoClassifier):
    """The simplest video baseline: the same CNN on every frame, pooled over time, a Linear.

    Pooling ("mean" or "max") ignores the order of the frames, so this model cannot tell a
    clip from the same clip reversed or shuffled. It has no memory, hence no frame loop.

    Args:
        num_classes, feat_dim, frame_size, in_channels, motion: as for ``VideoClassifier``.
        pool: "mean" or "max", over the T frames' features.

    Shape:
        video: (T, C, H, W) or (B, T, C, H, W) -> logits: (1, K) or (B, K)
    """

    def __init__(self, num_classes: int = 5, *, feat_dim: int = 128, frame_size=(220, 220),
                 in_channels: int = 3, motion: bool = False, pool: str = "mean"):
        if pool not in ("mean", "max"):
            raise ValueError(f'pool must be "mean" or "max", got pool={pool!r}')
        super().__init__(num_classes, feat_dim=feat_dim, frame_size=frame_size,
                         in_channels=in_channels, motion=motion)
        self.pool = pool
        self.final = nn.Linear(feat_dim, num_classes)

    def over_time(self, features: torch.Tensor) -> torch.Tensor:
        """features: (B, T, D) -> logits: (B, K): pool over T, then the Linear."""
        pooled = features.mean(dim=1) if self.pool == "mean" else features.amax(dim=1)
        return self.final(pooled)


class ManualRNNVideoClassifier(RecurrentVideoClassifier):
    """The lecture's step 2: h = tanh(Wx(x_t) + Wh(h)) over the frame features, then Linear.

    A plain recurrence: no gate decides what to keep (the lecture says "gating"; there is none).

    Shape:
        video: (T, C, H, W) or (B, T, C, H, W) -> logits: (1, K) or (B, K)
    """

    def __init__(self, num_classes: int = 5, *, feat_dim: int = 128, hidden_dim: int = 64,
                 frame_size=(220, 220), in_channels: int = 3, motion: bool = False):
        super().__init__(num_classes, feat_dim=feat_dim, hidden_dim=hidden_dim,
                         frame_size=frame_size, in_channels=in_channels, motion=motion)
        self.Wx = nn.Linear(feat_dim, hidden_dim)
        self.Wh = nn.Linear(hidden_dim, hidden_dim)
        self.final = nn.Linear(hidden_dim, num_classes)

    def step(self, x_t, h):  # x_t: (B, D), h: (B, hidden) or None for zeros
        if h is None:
            h = x_t.new_zeros(x_t.shape[0], self.hidden_dim)
        return torch.tanh(self.Wx(x_t) + self.Wh(h))

    def head(self, h):  # (B, hidden) -> (B, K)
        return self.final(h)


class LSTMVideoClassifier(RecurrentVideoClassifier):
    """The lecture's step 2bis: nn.LSTM over the frame features, Linear on the last h.

    The LSTM's state is (h, c), in that order, each (num_layers, B, hidden): batch_first
    changes the input and output tensors, not the state.

    Shape:
        video: (T, C, H, W) or (B, T, C, H, W) -> logits: (1, K) or (B, K)
    """

    def __init__(self, num_classes: int = 5, *, feat_dim: int = 128, hidden_dim: int = 64,
                 frame_size=(220, 220), in_channels: int = 3, motion: bool = False):
        super().__init__(num_classes, feat_dim=feat_dim, hidden_dim=hidden_dim,
                         frame_size=frame_size, in_channels=in_channels, motion=motion)
        self.final = nn.Linear(hidden_dim, num_classes)
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


class GRUVideoClassifier(RecurrentVideoClassifier):
    """Like the LSTM classifier, with nn.GRU: one state h of shape (num_layers, B, hidden).

    Shape:
        video: (T, C, H, W) or (B, T, C, H, W) -> logits: (1, K) or (B, K)
    """

    def __init__(self, num_classes: int = 5, *, feat_dim: int = 128, hidden_dim: int = 64,
                 frame_size=(220, 220), in_channels: int = 3, motion: bool = False):
        super().__init__(num_classes, feat_dim=feat_dim, hidden_dim=hidden_dim,
                         frame_size=frame_size, in_channels=in_channels, motion=motion)
        self.final = nn.Linear(hidden_dim, num_classes)
        self.gru = nn.GRU(feat_dim, hidden_dim, num_layers=1, batch_first=True)

    def over_time(self, features):  # (B, T, D) -> (B, K), the whole sequence in one call
        _, h = self.gru(features)
        return self.final(h[-1])

    def step(self, x_t, h):  # x_t: (B, D); h: (num_layers, B, hidden) or None for zeros
        _, h = self.gru(x_t.unsqueeze(1), h)
        return h

    def head(self, h):  # (num_layers, B, hidden) -> (B, K)
        return self.final(h[-1])

