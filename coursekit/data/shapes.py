"""MovingShapes: a shape that moves, grows, turns or fades; each class has its time-reversed twin.

Within a pair of classes only the order of the frames differs, so a model that ignores order
scores 50 % within a pair. The drawing is plain PyTorch on a pixel grid.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch

from .synthetic import SyntheticClips, pixel_grid, uniform


class MovingShapes(SyntheticClips):
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
        frame_size: H = W, side of the square frames in pixels (at least 16), or (H, H).
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
        hue, background = uniform(generator, 0, 1), uniform(generator, 0.0, 0.35)
        radius = S * uniform(generator, 0.12, 0.18)
        low, high = 1.25 * radius + 1, S - 1.25 * radius - 1  # the whole shape stays in frame
        travel = (high - low) * uniform(generator, 0.5, 0.9)  # pixels moved, first to last
        start = low + (high - low - travel) * uniform(generator, 0, 1)
        across = uniform(generator, low, high)
        centre = (uniform(generator, low, high), uniform(generator, low, high))
        angle0 = uniform(generator, 0, 2 * math.pi)
        turn = math.radians(uniform(generator, 120, 240))  # total turn, first to last frame
        fade_from = uniform(generator, 0.0, 0.15)
        noise = uniform(generator, 0.01, 0.08) * torch.randn(T, 3, S, S, generator=generator)

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
    rows, cols = pixel_grid(size)
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
