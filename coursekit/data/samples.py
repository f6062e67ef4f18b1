"""Samples from the real world: the bouncing basketball (drawn from physics) and the CO2 series.

The ball's clip and trajectories are computed, not downloaded: gravity, a floor that keeps 80 %
of the speed at each bounce, walls, and a drawing in PyTorch, with no randomness unless a seed
is given. The CO2 series is read from ``co2_monthly.csv``, a sample file shipped with the
package (``coursekit.DATA_DIR``: the repository's ``data/`` folder, installed as package data).
"""

from __future__ import annotations

import math

import torch

import coursekit
from coursekit.models import is_count

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
    if not is_count(value) or value < 1:
        raise ValueError(f"{name} must be a positive int (at least 1), got {name}={value!r}")


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
    size = int(size)
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
    """Monthly mean CO2 at Mauna Loa, 1958-03 to 2001-12 (DATA_DIR / "README.md" gives the source).

    Returns:
        months: list of T "YYYY-MM" strings.
        co2: (T, 1) float32, parts per million (a (T, V) time series with V = 1).
    """
    lines = (coursekit.DATA_DIR / "co2_monthly.csv").read_text().split()[1:]
    months = [line.split(",")[0] for line in lines]
    values = [float(line.split(",")[1]) for line in lines]
    return months, torch.tensor(values).unsqueeze(1)
