"""Data made on the fly: the bouncing basketball, and data sets whose labels live in time.

Nothing here downloads anything: every clip and series is generated from a seed.
Run ``python -m coursekit.data`` to rewrite ``data/basketball.gif`` from ``basketball_clip()``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

import torch
from torch.utils.data import Dataset

from coursekit.models.classifiers import _as_size

__all__ = [
    "Heartbeats", "MovingShapes", "UnreadableClipError", "VideoFolder",
    "ball_trajectories", "basketball_clip", "bouncing_ball", "co2_monthly",
]

GRAVITY = 9.81  # m/s^2


# --- The basketball: a thrown ball under gravity, bouncing on the floor ----------------------


def bouncing_ball(
    num_steps: int,
    *,
    position=(0.4, 1.9),
    velocity=(1.2, 0.0),
    dt: float = 0.06,
    restitution: float = 0.8,
    radius: float = 0.12,
    width: float = 2.5,
) -> torch.Tensor:
    """Positions of one ball thrown in a room of the given width, floor at y = 0.

    Returns:
        positions: (T, 2) float32, columns (x, y) in metres, T = num_steps.
    """
    start = torch.tensor([list(position)], dtype=torch.float64)
    speed = torch.tensor([list(velocity)], dtype=torch.float64)
    path = _simulate(start, speed, num_steps, dt, restitution, radius, width)
    return path[0].float()


def ball_trajectories(num_series: int, num_steps: int, *, seed: int = 0, dt: float = 0.06):
    """Many balls thrown from random heights with random speeds.

    Returns:
        positions: (N, T, 2) float32, columns (x, y) in metres, N = num_series.
    """
    _check_count("num_series", num_series)
    generator = torch.Generator().manual_seed(seed)

    def uniform(low, high):
        return low + (high - low) * torch.rand(num_series, generator=generator)

    start = torch.stack([uniform(0.3, 1.0), uniform(0.8, 2.0)], dim=1).double()
    speed = torch.stack([uniform(0.3, 1.5), uniform(-1.0, 2.0)], dim=1).double()
    return _simulate(start, speed, num_steps, dt, 0.8, 0.12, 2.5).float()


def _simulate(position, velocity, num_steps, dt, restitution, radius, width, substeps=20):
    """Integrate (N, 2) balls for num_steps steps of dt -> (N, T, 2), bouncing off the room."""
    _check_count("num_steps", num_steps)
    position, velocity = position.clone(), velocity.clone()
    h = dt / substeps
    path = [position.clone()]
    for _ in range(num_steps - 1):
        for _ in range(substeps):
            velocity[:, 1] -= GRAVITY * h
            position += velocity * h
            _bounce(position[:, 1], velocity[:, 1], radius, math.inf, restitution)  # floor
            _bounce(position[:, 0], velocity[:, 0], radius, width - radius, 1.0)  # walls
        path.append(position.clone())
    return torch.stack(path, dim=1)


def _check_count(name: str, value) -> None:
    """A number of steps, series or pixels must be a positive int: say so, naming the argument."""
    if not _is_int(value) or value < 1:
        raise ValueError(f"{name} must be a positive int (at least 1), got {name}={value!r}")


def _is_int(value) -> bool:
    """A Python int, not a bool: True would silently count as 1."""
    return isinstance(value, int) and not isinstance(value, bool)


def _bounce(coordinate, speed, low, high, restitution):
    """Reflect, in place, every ball whose coordinate left [low, high]; damp its speed."""
    for limit, out in ((low, coordinate < low), (high, coordinate > high)):
        coordinate[out] = 2 * limit - coordinate[out]
        speed[out] = -restitution * speed[out]


def basketball_clip(num_frames: int = 20, size: int = 220) -> torch.Tensor:
    """The course's sample clip: a basketball dropped into a gym, bouncing once.

    Returns:
        video: (T, C, H, W) float32 in [0, 1], T = num_frames, C = 3, H = W = size.
    """
    _check_count("num_frames", num_frames)
    positions = bouncing_ball(num_frames)
    return render_ball(positions, size=size)


def render_ball(positions: torch.Tensor, *, size: int = 220, radius: float = 0.12,
                width: float = 2.5) -> torch.Tensor:
    """Draw a ball at each (x, y) position in metres in front of a wall above a wooden floor.

    Args:
        positions: (T, 2) ball centres in metres.

    Returns:
        video: (T, 3, size, size) float32 in [0, 1].
    """
    _check_count("size", size)
    floor_row = 0.84 * size
    scale = size / width  # pixels per metre
    x_px = positions[:, 0] * scale
    y_px = floor_row - positions[:, 1] * scale
    rows = torch.arange(size, dtype=torch.float32).view(1, size, 1)
    cols = torch.arange(size, dtype=torch.float32).view(1, 1, size)
    frames = _gym(size, floor_row).expand(len(positions), 3, size, size).clone()
    _draw_shadow(frames, rows, cols, x_px, positions[:, 1], floor_row, radius * scale)
    _draw_ball(frames, rows, cols, x_px, y_px, radius * scale, angle=positions[:, 0] / radius)
    return frames.clamp_(0, 1)


def _gym(size: int, floor_row: float) -> torch.Tensor:
    """(3, H, W) background: a blue-grey wall fading down to a wooden floor with planks."""
    rows = torch.arange(size, dtype=torch.float32).view(size, 1) / size
    wall = torch.tensor([0.80, 0.85, 0.93]).view(3, 1, 1) - 0.12 * rows
    wood = torch.tensor([0.78, 0.56, 0.33]).view(3, 1, 1)
    planks = 0.05 * (torch.arange(size).view(1, size) % 37 < 2).float()
    floor = (wood - planks).expand(3, size, size)
    is_floor = (torch.arange(size).view(size, 1) >= floor_row).float()
    return is_floor * floor + (1 - is_floor) * wall.expand(3, size, size)


def _draw_shadow(frames, rows, cols, x_px, height_m, floor_row, r_px):
    """Darken an ellipse on the floor under each ball, fainter when the ball is high."""
    spread = (r_px * (1 + 0.3 * height_m)).view(-1, 1, 1)
    inside = ((cols - x_px.view(-1, 1, 1)) / spread) ** 2 + ((rows - floor_row - 3) / 4) ** 2
    strength = (0.35 / (1 + height_m)).view(-1, 1, 1)
    frames *= 1 - strength.unsqueeze(1) * (inside < 1).float().unsqueeze(1)


def _draw_ball(frames, rows, cols, x_px, y_px, r_px, angle):
    """Paint a shaded orange ball with two dark seams that turn as it moves."""
    dx, dy = cols - x_px.view(-1, 1, 1), rows - y_px.view(-1, 1, 1)
    inside = (dx**2 + dy**2 <= r_px**2).unsqueeze(1)
    light = 1.15 - 0.45 * ((dx + 0.4 * r_px) ** 2 + (dy + 0.4 * r_px) ** 2).sqrt() / r_px
    colour = torch.tensor([0.93, 0.45, 0.10]).view(1, 3, 1, 1) * light.unsqueeze(1)
    cos, sin = torch.cos(angle).view(-1, 1, 1), torch.sin(angle).view(-1, 1, 1)
    seam = ((dx * cos + dy * sin).abs() < 1.2) | ((dx * sin - dy * cos).abs() < 1.2)
    colour = torch.where(seam.unsqueeze(1), torch.full_like(colour, 0.12), colour)
    frames.copy_(torch.where(inside, colour, frames))


# --- A real time series ------------------------------------------------------------------------


def co2_monthly():
    """Monthly mean CO2 at Mauna Loa, 1958-03 to 2001-12 (see data/README.md for the source).

    Returns:
        months: list of T "YYYY-MM" strings.
        co2: (T, 1) float32, parts per million (a (T, V) time series with V = 1).
    """
    from coursekit import DATA_DIR

    lines = (DATA_DIR / "co2_monthly.csv").read_text().split()[1:]
    months = [line.split(",")[0] for line in lines]
    values = [float(line.split(",")[1]) for line in lines]
    return months, torch.tensor(values).unsqueeze(1)


# --- Data sets whose labels live in time ---------------------------------------------------------

#: Smallest frame side the synthetic data sets draw: the CNN halves a frame three times
#: (16 -> 8 -> 4 -> 2), and below 16 pixels the shapes are a handful of pixels.
MIN_FRAME_SIZE = 16


def _check_clip_options(name: str, num_videos, num_frames, frame_size, min_frames: int, seed):
    """The errors a student meets first: no clips, too few frames, frames too small, no seed."""
    if not _is_int(num_videos) or num_videos < 1:
        raise ValueError(f"{name} needs at least 1 clip, got num_videos={num_videos!r}; "
                         f"ask for a few hundred, e.g. {name}(600)")
    if not isinstance(num_frames, int) or num_frames < min_frames:
        raise ValueError(f"{name} needs num_frames >= {min_frames} for its classes to "
                         f"differ in time, got num_frames={num_frames!r}")
    if not isinstance(frame_size, int) or frame_size < MIN_FRAME_SIZE:
        raise ValueError(
            f"{name} draws square frames of at least {MIN_FRAME_SIZE} x {MIN_FRAME_SIZE} pixels "
            f"(the CNN halves them three times), got frame_size={frame_size!r}; "
            "use frame_size=32 or more"
        )
    if not _is_int(seed):
        raise ValueError(f"{name}'s seed must be an int (the same seed gives the same clips), "
                         f"got seed={seed!r}; e.g. seed=0")


class _SyntheticClips(Dataset):
    """Shared by the synthetic data sets: one seed per clip, clips drawn when asked for.

    The constructor draws every label and one seed per clip, all from ``seed``; ``dataset[i]``
    then draws clip i from its own seed, so the same (seed, index) always gives the same clip.
    A drawn clip is kept in memory for the next epoch when the whole data set takes at most
    ``cache_bytes`` (512 MB: 600 clips of 16 x 64 x 64 fit, 1,000 do not and are drawn again
    each time they are asked for, about 2 ms each).
    """

    classes: list[str] = []
    min_frames = 2
    cache_bytes = 512 * 2**20

    def __init__(self, num_videos: int, *, num_frames: int, frame_size: int, seed: int = 0):
        _check_clip_options(type(self).__name__, num_videos, num_frames, frame_size,
                            self.min_frames, seed)
        self.num_frames, self.frame_size, self.seed = num_frames, frame_size, seed
        generator = torch.Generator().manual_seed(seed)
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

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({len(self)} clips of {self.num_frames} x 3 x "
                f"{self.frame_size} x {self.frame_size}, {len(self.classes)} classes)")


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


def _uniform(generator, low: float, high: float) -> float:
    return low + (high - low) * torch.rand((), generator=generator).item()


def _pixel_grid(size: int):
    """(1, H, 1) row and (1, 1, W) column coordinates of the pixel centres."""
    coords = torch.arange(size, dtype=torch.float32) + 0.5
    return coords.view(1, size, 1), coords.view(1, 1, size)


class MovingShapes(_SyntheticClips):
    """One coloured shape on a noisy background; the classes come in time-reversed pairs.

    Class 2k + 1 is class 2k played backwards: "moves left" is "moves right" reversed,
    "shrinks" is "grows" reversed, and so on. Every clip is drawn the same way whatever its
    label (shape, colour, size, start, speed, background and noise are random), then the odd
    classes are flipped in time. So a clip of class 2k + 1 looks exactly like a clip of class
    2k played backwards, and within a pair **only the order of the frames** tells the two
    classes apart: any model that ignores order is at chance (50 %) within a pair.

    Args:
        num_videos: N, number of clips (labels are balanced over the classes).
        num_frames: T, frames per clip.
        frame_size: H = W, side of the square frames in pixels (at least 16).
        seed: the same seed gives the same clips and labels.
        classes: the class names to keep, in whole pairs, e.g. ``["moves right",
            "moves left", "grows", "shrinks"]`` for an easier task; None keeps all 10.

    Items:
        ``(video, label)``: video (T, C, H, W) float32 in [0, 1] with C = 3, label an int
        in [0, K), K = len(classes); ``classes[label]`` names it.
    """

    all_classes = ["moves right", "moves left", "moves down", "moves up", "grows", "shrinks",
                   "turns clockwise", "turns anticlockwise", "fades in", "fades out"]
    shapes = ["square", "triangle", "bar", "ellipse"]  # none looks the same when turned a bit

    def __init__(self, num_videos: int, *, num_frames: int = 16, frame_size: int = 64,
                 seed: int = 0, classes=None):
        pairs = _whole_pairs(self.all_classes, classes)
        self.classes = [name for k in pairs for name in self.all_classes[2 * k: 2 * k + 2]]
        self._motions = pairs  # the motion drawn for pair k of this data set
        super().__init__(num_videos, num_frames=num_frames, frame_size=frame_size, seed=seed)

    @staticmethod
    def pair_accuracy(logits: torch.Tensor, labels: torch.Tensor) -> float:
        """Accuracy within the reversed pairs: is the true class scored above its reverse?

        logits: (N, K), labels: (N,) -> the fraction of clips whose logit for the true class
        2k (or 2k + 1) beats the logit for the reverse, 2k + 1 (or 2k). Chance is 0.5.
        """
        rows = torch.arange(len(labels))
        return (logits[rows, labels] > logits[rows, labels ^ 1]).float().mean().item()

    def draw(self, generator: torch.Generator, label: int) -> torch.Tensor:
        """Draw one clip from ``generator`` as class ``label`` -> (T, C, H, W).

        The random numbers drawn do not depend on the label: the clip is drawn as class 2k
        and played backwards for class 2k + 1.
        """
        forward = self._draw_forward(generator, motion=self._motions[label // 2])
        return forward.flip(0) if label % 2 else forward

    def _draw_forward(self, generator, motion: int) -> torch.Tensor:
        """Draw the even class of pair ``motion`` (0 move x, 1 move y, 2 grow, 3 turn, 4 fade)."""
        T, S = self.num_frames, self.frame_size
        shape = int(torch.randint(len(self.shapes), (), generator=generator))
        hue, background = _uniform(generator, 0, 1), _uniform(generator, 0.0, 0.35)
        radius = S * _uniform(generator, 0.12, 0.18)
        low, high = 1.25 * radius + 1, S - 1.25 * radius - 1  # the whole shape stays in frame
        travel = (high - low) * _uniform(generator, 0.5, 0.9)  # pixels moved, first to last
        start = low + (high - low - travel) * _uniform(generator, 0, 1)
        across = _uniform(generator, low, high)
        centre = (_uniform(generator, low, high), _uniform(generator, low, high))
        angle0 = _uniform(generator, 0, 2 * math.pi)
        turn = math.radians(_uniform(generator, 120, 240))  # total turn, first to last frame
        fade_from = _uniform(generator, 0.0, 0.15)
        noise = _uniform(generator, 0.01, 0.08) * torch.randn(T, 3, S, S, generator=generator)

        ramp = torch.linspace(0, 1, T)  # (T,): 0 at the first frame, 1 at the last
        x, y = torch.full((T,), centre[0]), torch.full((T,), centre[1])
        if motion == 0:
            x, y = start + travel * ramp, torch.full((T,), across)
        elif motion == 1:
            x, y = torch.full((T,), across), start + travel * ramp
        size = radius * (0.45 + 0.55 * ramp) if motion == 2 else torch.full((T,), radius)
        per_frame = min(turn / max(T - 1, 1), math.radians(30))  # below the shapes' symmetry
        angle = angle0 + per_frame * (T - 1) * ramp if motion == 3 else torch.full((T,), angle0)
        alpha = fade_from + (1 - fade_from) * ramp if motion == 4 else torch.ones(T)

        mask = _shape_mask(self.shapes[shape], S, x, y, size, angle)  # (T, H, W)
        colour = _hue_to_rgb(hue).view(1, 3, 1, 1)
        cover = (alpha.view(T, 1, 1) * mask).unsqueeze(1)  # (T, 1, H, W)
        video = background * (1 - cover) + colour * cover + noise
        return video.clamp_(0, 1)


def _whole_pairs(all_classes: list, wanted) -> list:
    """Indices k of the pairs (2k, 2k + 1) of ``all_classes`` named in ``wanted`` (None: all)."""
    if wanted is None:
        return list(range(len(all_classes) // 2))
    wanted = _class_names(all_classes, wanted)
    unknown = [name for name in wanted if name not in all_classes]
    if unknown:
        raise ValueError(f"unknown classes {unknown!r}; choose among {all_classes}")
    pairs = sorted({all_classes.index(name) // 2 for name in wanted})
    missing = [all_classes[2 * k + side] for k in pairs for side in (0, 1)
               if all_classes[2 * k + side] not in wanted]
    if missing:
        raise ValueError(f"classes come in time-reversed pairs; add {missing} to classes")
    return pairs


def _class_names(all_classes: list, wanted) -> list:
    """``classes=`` as a list of names; a single string, a number or an empty list is refused."""
    names = [] if isinstance(wanted, str) or not isinstance(wanted, Iterable) else list(wanted)
    if not names:
        raise ValueError(f"classes must be a list of class names, got classes={wanted!r}; "
                         f"e.g. classes={all_classes[:2]}; choose among {all_classes}")
    return names


def _hue_to_rgb(hue: float) -> torch.Tensor:
    """A bright, fully saturated colour of the given hue in [0, 1) -> (3,)."""
    offsets = torch.tensor([0.0, 4.0, 2.0])
    rgb = ((hue * 6 + offsets) % 6 - 3).abs() - 1
    return 0.25 + 0.75 * rgb.clamp(0, 1)


def _shape_mask(shape: str, size: int, x, y, radius, angle) -> torch.Tensor:
    """Anti-aliased masks of one shape, one per frame.

    Args:
        x, y, radius, angle: (T,) centre and size in pixels, turn in radians, per frame.

    Returns:
        mask: (T, H, W) float32 in [0, 1], 1 inside the shape.
    """
    rows, cols = _pixel_grid(size)
    dx, dy = cols - x.view(-1, 1, 1), rows - y.view(-1, 1, 1)  # (T, H, W)
    cos, sin = torch.cos(angle).view(-1, 1, 1), torch.sin(angle).view(-1, 1, 1)
    u, v = dx * cos + dy * sin, dy * cos - dx * sin  # coordinates along the shape's own axes
    r = radius.view(-1, 1, 1)
    if shape == "square":
        level = torch.maximum(u.abs(), v.abs()) / (0.85 * r)
    elif shape == "triangle":
        sides = [u * math.cos(a) + v * math.sin(a) for a in (math.pi / 2, 7 * math.pi / 6,
                                                              11 * math.pi / 6)]
        level = torch.stack(sides).amax(dim=0) / (0.55 * r)
    elif shape == "bar":
        level = torch.maximum(u.abs() / r, v.abs() / (0.4 * r))
    else:  # ellipse
        level = ((u / r) ** 2 + (v / (0.5 * r)) ** 2).sqrt()
    return ((1 - level) * r + 0.5).clamp_(0, 1)  # about one pixel of soft edge


class Heartbeats(_SyntheticClips):
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
        frame_size: H = W, side of the square frames in pixels (at least 16).
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
        scale = S * _uniform(generator, 0.22, 0.3)  # pixels per unit of the heart curve
        centre = [_uniform(generator, 0.4, 0.6) * S for _ in range(2)]
        background, contrast = _uniform(generator, 0.05, 0.2), _uniform(generator, 0.5, 0.75)
        noise = _uniform(generator, 0.02, 0.06) * torch.randn(T, 1, S, S, generator=generator)
        beats = self._beat_times(generator, self.classes[label], duration=T / self.fps)

        time = torch.arange(T, dtype=torch.float32) / self.fps  # (T,) seconds
        squeeze = _contraction(time, beats)  # (T,) in [0, 1]
        mask = _heart_mask(S, centre, scale * (1 - 0.4 * squeeze))  # (T, H, W)
        brightness = (contrast * (0.6 + 0.4 * squeeze)).view(T, 1, 1, 1)
        video = background + brightness * mask.unsqueeze(1) + noise  # (T, 1, H, W)
        return video.clamp_(0, 1).expand(T, 3, S, S).contiguous()

    def _beat_times(self, generator, rhythm: str, duration: float) -> torch.Tensor:
        """Times in seconds of the beats from a little before the clip to its end."""
        if rhythm == "arrhythmia":
            short = [_uniform(generator, 0.3, 0.5) for _ in range(int(duration) + 2)]
            long = [_uniform(generator, 0.9, 1.4) for _ in range(int(duration) + 2)]
            gaps = [gap for pair in zip(short, long, strict=True) for gap in pair]
            if _uniform(generator, 0, 1) < 0.5:
                gaps = gaps[1:]
        else:
            low, high = self.beats_per_minute[rhythm]
            gaps = [60 / _uniform(generator, low, high)] * (int(duration / 0.3) + 3)
        times = torch.tensor(gaps).cumsum(0)
        return times - times[0] * _uniform(generator, 0, 1) - gaps[0]  # random phase


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
    rows, cols = _pixel_grid(size)
    s = scale.view(-1, 1, 1)
    x = (cols - centre[0]) / s
    y = (centre[1] - rows) / s + 0.1  # y points up; the curve's centre sits a little low
    level = (x**2 + y**2 - 1) ** 3 - x**2 * y**3
    return torch.sigmoid(-level * 8)


# --- Real clips from a folder -------------------------------------------------------------------

#: File types VideoFolder takes as clips (what load_video reads); sub-folders of frames also count.
VIDEO_SUFFIXES = {".gif", ".webp", ".png", ".apng", ".mp4", ".m4v", ".mov", ".avi", ".webm",
                  ".mkv", ".mpg", ".mpeg"}


class UnreadableClipError(ValueError):
    """A clip file of a VideoFolder that cannot be read: damaged, not a video, or gone.

    Raised only for a problem with the file itself, never for a bad argument or a failing
    transform, so ``VideoFolder.unreadable()`` lists only files that need attention. It is a
    ValueError, so ``except ValueError`` catches it too.
    """


class VideoFolder(Dataset):
    """Labelled clips on disk, one sub-folder per class (the layout of UCF101)::

        root/
            jump/  clip_01.mp4  clip_02.gif ...
            run/   clip_07.avi ...

    Every clip is read with ``coursekit.video.load_video`` when it is asked for, resized to
    ``frame_size`` and cut down to ``num_frames`` frames taken evenly from start to end (a
    clip shorter than that repeats frames). ``transform`` then gets the whole clip, so a
    ``torchvision.transforms.v2`` random crop or flip treats all its frames the same way.

    A file that cannot be read does not stop the data set: the error (an
    ``UnreadableClipError``) is raised when that clip is asked for, names the file, and every
    other clip still loads. Call ``unreadable()`` before a long training to list the bad files
    at once. Bad arguments are refused by the constructor, and an error from ``transform`` is
    raised as it is: neither is ever blamed on a file.

    Args:
        root: folder with one sub-folder per class (hidden folders are ignored).
        num_frames: T, frames per clip.
        frame_size: (H, W) or an int for square frames.
        transform: optional callable applied to each (T, C, H, W) clip.

    Items:
        ``(video, label)``: video (T, C, H, W) float32 in [0, 1] with C = 3, label an int;
        ``classes[label]`` is the name of its folder, ``files[i]`` the path of clip i.
    """

    def __init__(self, root, *, num_frames: int, frame_size, transform=None):
        _check_folder_options(num_frames, transform)  # before any file is touched
        self.num_frames, self.transform = num_frames, transform
        self.frame_size = _as_size(frame_size)  # (H, W); a clear error naming frame_size
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"VideoFolder: no folder at {str(self.root)!r}")
        folders = sorted(p for p in self.root.iterdir() if p.is_dir() and p.name[0] != ".")
        if not folders:
            raise ValueError(
                f"VideoFolder: {self.root} has no class folders; put each class's clips in "
                f"its own sub-folder, e.g. {self.root / 'jump' / 'clip_01.mp4'}"
            )
        self.classes = [folder.name for folder in folders]
        self.files, labels = [], []
        for label, folder in enumerate(folders):
            for path in sorted(folder.iterdir()):
                if path.name[0] != "." and (path.is_dir() or path.suffix.lower() in VIDEO_SUFFIXES):
                    self.files.append(path)
                    labels.append(label)
        if not self.files:
            raise ValueError(
                f"VideoFolder: the class folders of {self.root} ({', '.join(self.classes)}) "
                f"hold no clips; expected files ending in {', '.join(sorted(VIDEO_SUFFIXES))}"
            )
        self.labels = torch.tensor(labels)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int):
        """-> (video: (T, C, H, W) float32 in [0, 1], label: int)"""
        video = self._read(index)  # every frame of the file
        picked = torch.linspace(0, len(video) - 1, self.num_frames).round().long()
        video = video[picked]
        if self.transform is not None:
            video = self.transform(video)  # an error here is the transform's, not the file's
        return video, int(self.labels[index])

    def _read(self, index: int) -> torch.Tensor:
        """All frames of clip ``index``, resized to frame_size -> (T_file, C, H, W).

        Raises UnreadableClipError only for a problem with the file: the size is checked
        first, outside the ``try``, so a bad setting is never blamed on the file.
        """
        from coursekit.video import load_video

        path, size = self.files[index], _as_size(self.frame_size)
        try:
            return load_video(path, size=size)
        except (ValueError, OSError) as error:
            raise self._unreadable(index, error) from None

    def _unreadable(self, index: int, error: Exception) -> UnreadableClipError:
        """The error for clip ``index``, whose file failed with ``error``, with a fix that fits."""
        path = self.files[index]
        fix = ("check that it is still there and that you may read it"  # OSError: gone, locked
               if isinstance(error, OSError) else  # ValueError: damaged, or not a video
               "re-encode it (e.g. as .mp4) or move it out of its class folder")
        return UnreadableClipError(
            f"VideoFolder: cannot read clip {index} of {len(self)}, {path}: {error}. The other "
            f"clips are fine; {fix} (unreadable() lists every bad file)"
        )

    def unreadable(self) -> list:
        """Try to read every clip file; return the paths of those that cannot be read.

        Slow: it decodes every file. Only the files are tried (the transform is not run), and
        a bad setting such as ``frame_size`` raises its own error instead of listing every file.
        """
        bad = []
        for index, path in enumerate(self.files):
            try:
                self._read(index)
            except UnreadableClipError:
                bad.append(path)
        return bad

    def __repr__(self) -> str:
        return (f"VideoFolder({str(self.root)!r}: {len(self)} clips, {len(self.classes)} "
                f"classes, {self.num_frames} frames of {self.frame_size[0]} x "
                f"{self.frame_size[1]})")


def _check_folder_options(num_frames, transform) -> None:
    """VideoFolder's num_frames and transform, checked before any file is read."""
    if not _is_int(num_frames) or num_frames < 1:
        raise ValueError(f"VideoFolder: num_frames must be a positive int, got "
                         f"num_frames={num_frames!r}; e.g. num_frames=8")
    if isinstance(transform, type):
        raise ValueError(f"VideoFolder: transform={transform.__name__} is a class; pass an "
                         f"instance of it, e.g. transform={transform.__name__}()")
    if transform is not None and not callable(transform):
        raise ValueError(f"VideoFolder: transform must be None or a callable applied to each "
                         f"(T, C, H, W) clip, got transform={transform!r}; to apply several, "
                         "chain them: v2.Compose([...])")


def _write_sample_clip():
    from coursekit import DATA_DIR
    from coursekit.video import save_gif

    path = save_gif(basketball_clip(), DATA_DIR / "basketball.gif", fps=10)
    print(f"wrote {path}")


if __name__ == "__main__":
    _write_sample_clip()
