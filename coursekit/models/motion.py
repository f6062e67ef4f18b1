"""Motion as input: each frame together with how it changed since the frame before.

The lecture's frame baseline has "no motion": a CNN that sees one frame at a time sees where
a shape is, not which way it is moving or turning. A recurrent network can compare the CNN's
features from frame to frame, but on the default MovingShapes it does not learn which way a
shape turns (``benchmarks/headline.py``). ``add_motion`` gives the CNN the change itself,
so that every frame carries its motion:

- the change in time, ``I_t = frame - previous frame``: where something appeared or left;
- the motion along the edges, ``-I_t * dI/dx`` and ``-I_t * dI/dy`` (summed over the colour
  channels): the optical-flow equation ``I_x u + I_y v + I_t = 0`` says which way the
  brightness moved across each edge, and this product points that way. For a shape that
  turns, these arrows go round its centre clockwise or anticlockwise.

A video classifier built with ``motion=True`` calls it before its CNN.
"""

from __future__ import annotations

import torch
from torch.nn import functional as F

__all__ = ["add_motion", "motion_channels"]

#: Scales that keep the change and the motion from being tiny next to the pixels: on
#: MovingShapes both then spread over a few tenths (standard deviation about 0.3).
CHANGE_SCALE, FLOW_SCALE = 4.0, 16.0


def motion_channels(in_channels: int) -> int:
    """Channels ``add_motion`` gives for frames of ``in_channels``: C -> 2 C + 2."""
    return 2 * in_channels + 2


def add_motion(videos: torch.Tensor) -> torch.Tensor:
    """Each frame, its change since the previous frame, and the motion along its edges.

    videos: (B, T, C, H, W) float -> (B, T, 2 C + 2, H, W): channels [0, C) the frames as
    given, [C, 2 C) the change ``4 * (frame t - frame t-1)``, then the horizontal and
    vertical motion along the edges (see the module's docstring). The first frame has no
    previous frame: its change and motion are 0. Playing a clip backwards flips the sign of
    its change, so a model that sees motion can tell a clip from its reverse.
    """
    previous = torch.cat([videos[:, :1], videos[:, :-1]], dim=1)  # frame t - 1 (t = 0: itself)
    change = videos - previous  # (B, T, C, H, W)
    middle = (videos + previous) / 2  # the edges between the two frames
    d_dx = F.pad(middle[..., :, 2:] - middle[..., :, :-2], (1, 1)) / 2  # central differences
    d_dy = F.pad(middle[..., 2:, :] - middle[..., :-2, :], (0, 0, 1, 1)) / 2
    flow_x = -(change * d_dx).sum(dim=2, keepdim=True)  # (B, T, 1, H, W)
    flow_y = -(change * d_dy).sum(dim=2, keepdim=True)
    return torch.cat([videos, CHANGE_SCALE * change, FLOW_SCALE * flow_x,
                      FLOW_SCALE * flow_y], dim=2)
