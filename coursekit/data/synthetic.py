"""What the synthetic data sets share: one seed per clip, clips drawn when asked for.

``MovingShapes`` (``shapes.py``) and ``Heartbeats`` (``heartbeats.py``) subclass
``SyntheticClips`` and only say how to draw one clip; this module checks their arguments,
draws the labels and seeds, and keeps drawn clips in memory when they fit.
"""

from __future__ import annotations

from contextlib import contextmanager

import torch
from torch.utils.data import Dataset

from coursekit.models import as_frame_size, is_count

#: Smallest frame side the synthetic data sets draw: the CNN halves a frame three times
#: (16 -> 8 -> 4 -> 2), and below 16 pixels the shapes are a handful of pixels.
MIN_FRAME_SIZE = 16


class SyntheticClips(Dataset):
    """Base of the synthetic data sets: one seed per clip, clips drawn when asked for.

    The constructor draws every label and one seed per clip, all from ``seed``; ``dataset[i]``
    then draws clip i from its own seed, so the same (seed, index) always gives the same clip.
    A drawn clip is kept in memory for the next epoch when the whole data set takes at most
    ``cache_bytes`` (512 MB: 600 clips of 16 x 64 x 64 fit, 1,000 do not and are drawn again
    each time they are asked for, about 2 ms each).

    A subclass sets ``classes`` (the class names, K of them) and ``min_frames``, and defines
    ``draw(generator, label) -> (T, C, H, W)``.

    Args:
        num_videos: N, number of clips (labels are balanced over the classes).
        num_frames: T, frames per clip.
        frame_size: H = W, side of the square frames in pixels (at least 16); a square pair
            such as (64, 64) is fine too.
        seed: the same seed gives the same clips and labels.

    Items:
        ``(video, label)``: video (T, C, H, W) float32 in [0, 1], label an int in [0, K).
    """

    classes: list[str] = []
    min_frames = 2
    cache_bytes = 512 * 2**20
    _cache: dict[int, torch.Tensor] | None  # clips made so far, or None: too big to keep

    def __init__(self, num_videos: int, *, num_frames: int, frame_size: int, seed: int = 0):
        frame_size = _check_clip_options(type(self).__name__, num_videos, num_frames,
                                         frame_size, self.min_frames, seed)
        self.num_frames, self.frame_size, self.seed = int(num_frames), frame_size, int(seed)
        generator = torch.Generator().manual_seed(self.seed)
        balanced = torch.arange(num_videos) % len(self.classes)  # as many clips per class
        #: labels: (N,) int64, the class of every clip.
        self.labels = balanced[torch.randperm(num_videos, generator=generator)]
        self.seeds = torch.randint(0, 2**62, (num_videos,), generator=generator)
        clip_bytes = 4 * num_frames * 3 * frame_size**2  # float32
        self._cache = {} if num_videos * clip_bytes <= self.cache_bytes else None

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index: int):
        """-> (video: (T, C, H, W) float32 in [0, 1], label: int)"""
        if not -len(self) <= index < len(self):
            raise IndexError(f"index {index} is out of range for {len(self)} clips")
        index, label = index % len(self), int(self.labels[index])
        if self._cache is None:
            return self.make_clip(index, label), label
        if index not in self._cache:
            self._cache[index] = self.make_clip(index, label)
        return self._cache[index].clone(), label  # a copy: changing it leaves the cache intact

    def make_clip(self, index: int, label: int) -> torch.Tensor:
        """Clip ``index``'s random draw, shown as class ``label`` -> (T, C, H, W)."""
        generator = torch.Generator().manual_seed(int(self.seeds[index]))
        with _one_thread():
            return self.draw(generator, label)

    def draw(self, generator: torch.Generator, label: int) -> torch.Tensor:
        """Draw one clip from ``generator`` as class ``label`` -> (T, C, H, W); subclasses do."""
        raise NotImplementedError(f"{type(self).__name__} must define draw(generator, label)")

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({len(self)} clips of {self.num_frames} x 3 x "
                f"{self.frame_size} x {self.frame_size}, {len(self.classes)} classes)")


def _check_clip_options(name: str, num_videos, num_frames, frame_size, min_frames: int,
                        seed) -> int:
    """The errors a student meets first: no clips, too few frames, frames too small, no seed.

    Returns the side of the square frames, an int.
    """
    if not is_count(num_videos) or num_videos < 1:
        raise ValueError(f"{name} needs at least 1 clip, got num_videos={num_videos!r}; "
                         f"ask for a few hundred, e.g. {name}(600)")
    if not is_count(num_frames) or num_frames < min_frames:
        raise ValueError(f"{name} needs num_frames >= {min_frames} for its classes to "
                         f"differ in time, got num_frames={num_frames!r}")
    side = _square_side(frame_size)
    if side is None or side < MIN_FRAME_SIZE:
        raise ValueError(
            f"{name} draws square frames of at least {MIN_FRAME_SIZE} x {MIN_FRAME_SIZE} pixels "
            f"(the CNN halves them three times), got frame_size={frame_size!r}; "
            "use frame_size=32 or more"
        )
    if not is_count(seed):
        raise ValueError(f"{name}'s seed must be an int (the same seed gives the same clips), "
                         f"got seed={seed!r}; e.g. seed=0")
    return side


def _square_side(frame_size) -> int | None:
    """The side of square frames given as n or (n, n); None for anything else."""
    try:
        height, width = as_frame_size(frame_size)
    except ValueError:  # the caller's message names the synthetic data set and the fix
        return None
    return height if height == width else None


@contextmanager
def _one_thread():
    """Run PyTorch on one thread for a moment, then restore the thread count.

    Drawing a clip is many small operations: extra threads only wait for each other, and on a
    busy machine made drawing 1,000 clips of 16 x 64 x 64 take 30 s instead of 1 s.
    """
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


def uniform(generator: torch.Generator, low: float, high: float) -> float:
    """One number drawn uniformly from [low, high) with ``generator``."""
    return low + (high - low) * torch.rand((), generator=generator).item()


def pixel_grid(size: int):
    """(1, H, 1) row and (1, 1, W) column coordinates of the pixel centres, H = W = size."""
    coords = torch.arange(size, dtype=torch.float32) + 0.5
    return coords.view(1, size, 1), coords.view(1, 1, size)
