"""Heartbeats: a beating heart seen as in a cardiac MRI clip, the rhythm being the class.

The lecture's example task is cardiac MRI clips labelled by condition, with no data set given;
these clips stand in for it. Only the timing of the beats differs between the classes.
"""

from __future__ import annotations

import torch

from .synthetic import SyntheticClips, pixel_grid, uniform


class Heartbeats(SyntheticClips):
    """A beating heart seen for a few seconds, as in a cardiac MRI clip; the rhythm is the class.

    Each clip shows a bright heart-shaped blob on a dark, noisy background. At every beat the
    heart contracts (it shrinks and brightens), then relaxes. The classes are rhythms:

    - normal: regular, 60 to 90 beats per minute;
    - tachycardia: regular and fast, 130 to 180 beats per minute;
    - bradycardia: regular and slow, 35 to 50 beats per minute;
    - arrhythmia: irregular, early beats: gaps of 0.3 to 0.5 s and of 0.9 to 1.4 s alternate.

    Phase, size, position, contrast and noise are random and do not depend on the label.
    Clips are filmed at ``fps`` = 8 frames per second: 16 frames are 2 seconds.

    Args:
        num_videos: N, number of clips (labels are balanced over the 4 classes).
        num_frames: T, frames per clip (at least 10, so that a slow heart beats once).
        frame_size: H = W, side of the square frames in pixels (at least 16), or (H, H).
        seed: the same seed gives the same clips and labels.

    Items:
        ``(video, label)``: video (T, C, H, W) float32 in [0, 1] with C = 3 (grey), label an
        int in [0, K), K = 4; ``classes[label]`` names it.
    """

    classes = ["normal", "tachycardia", "bradycardia", "arrhythmia"]
    fps = 8
    min_frames = 10
    beats_per_minute = {"normal": (60, 90), "tachycardia": (130, 180), "bradycardia": (35, 50)}

    def __init__(self, num_videos: int, *, num_frames: int = 16, frame_size: int = 64,
                 seed: int = 0):
        super().__init__(num_videos, num_frames=num_frames, frame_size=frame_size, seed=seed)

    def draw(self, generator: torch.Generator, label: int) -> torch.Tensor:
        """Draw one clip from ``generator`` as class ``label`` -> (T, C, H, W)."""
        T, S = self.num_frames, self.frame_size
        scale = S * uniform(generator, 0.22, 0.3)  # pixels per unit of the heart curve
        centre = [uniform(generator, 0.4, 0.6) * S for _ in range(2)]
        background, contrast = uniform(generator, 0.05, 0.2), uniform(generator, 0.5, 0.75)
        noise = uniform(generator, 0.02, 0.06) * torch.randn(T, 1, S, S, generator=generator)
        beats = self.beat_times(generator, self.classes[label], duration=T / self.fps)

        time = torch.arange(T, dtype=torch.float32) / self.fps  # (T,) seconds
        squeeze = _contraction(time, beats)  # (T,) in [0, 1]
        mask = _heart_mask(S, centre, scale * (1 - 0.4 * squeeze))  # (T, H, W)
        brightness = (contrast * (0.6 + 0.4 * squeeze)).view(T, 1, 1, 1)
        video = background + brightness * mask.unsqueeze(1) + noise  # (T, 1, H, W)
        return video.clamp_(0, 1).expand(T, 3, S, S).contiguous()

    def beat_times(self, generator: torch.Generator, rhythm: str,
                   duration: float) -> torch.Tensor:
        """Times of the beats of one ``rhythm``, drawn with ``generator`` for a clip.

        rhythm: one of ``classes``; duration: the clip's length in seconds -> beats: (M,)
        float32, in seconds, from a little before the clip's start (a random phase) past its end.
        """
        if rhythm == "arrhythmia":
            short = [uniform(generator, 0.3, 0.5) for _ in range(int(duration) + 2)]
            long = [uniform(generator, 0.9, 1.4) for _ in range(int(duration) + 2)]
            gaps = [gap for pair in zip(short, long, strict=True) for gap in pair]
            if uniform(generator, 0, 1) < 0.5:
                gaps = gaps[1:]
        else:
            low, high = self.beats_per_minute[rhythm]
            gaps = [60 / uniform(generator, low, high)] * (int(duration / 0.3) + 3)
        times = torch.tensor(gaps).cumsum(0)
        return times - times[0] * uniform(generator, 0, 1) - gaps[0]  # random phase


def _contraction(time: torch.Tensor, beats: torch.Tensor, tau: float = 0.12) -> torch.Tensor:
    """How contracted the heart is at each time, 0 relaxed to 1: a quick squeeze per beat.

    time: (T,) seconds, beats: (M,) seconds -> (T,) in [0, 1].
    """
    since = (time.view(-1, 1) - beats.view(1, -1)) / tau  # (T, M), in units of tau
    pulse = torch.where(since > 0, since * torch.exp(1 - since), torch.zeros_like(since))
    return pulse.sum(dim=1).clamp(max=1)


def _heart_mask(size: int, centre, scale: torch.Tensor) -> torch.Tensor:
    """Heart shapes (x^2 + y^2 - 1)^3 - x^2 y^3 <= 0, one per frame, soft edged.

    scale: (T,) pixels per unit -> mask: (T, H, W) float32 in [0, 1].
    """
    rows, cols = pixel_grid(size)
    s = scale.view(-1, 1, 1)
    x = (cols - centre[0]) / s
    y = (centre[1] - rows) / s + 0.1  # y points up; the curve's centre sits a little low
    level = (x**2 + y**2 - 1) ** 3 - x**2 * y**3
    return torch.sigmoid(-level * 8)
