"""Data for the lecture: the bouncing basketball, a real time series, data sets made on the fly.

Nothing here downloads anything: every clip and series is generated from a seed, or read from
the sample files shipped with the package (``coursekit.DATA_DIR``: the repository's ``data/``
folder). Modules:

    samples     the basketball clip and ball trajectories (physics), the CO2 series (T, 1)
    synthetic   what the synthetic data sets share (seeds, caching, argument checks)
    shapes      MovingShapes: classes in time-reversed pairs, told apart only by frame order
    heartbeats  Heartbeats: a beating heart, the rhythm is the class
    folder      VideoFolder: your own labelled clips, one sub-folder per class

Every data set yields ``(video, label)`` with video (T, C, H, W) float32 in [0, 1].
Run ``python -m coursekit.data`` to rewrite ``data/basketball.gif`` from ``basketball_clip()``.
"""

from .folder import UnreadableClipError, VideoFolder, save_video_folder
from .heartbeats import Heartbeats
from .samples import (
    GRAVITY,
    ball_trajectories,
    basketball_clip,
    bouncing_ball,
    co2_monthly,
    render_ball,
)
from .shapes import MovingShapes
from .synthetic import MIN_FRAME_SIZE, SyntheticClips

__all__ = [
    "Heartbeats", "MovingShapes", "UnreadableClipError", "VideoFolder",
    "ball_trajectories", "basketball_clip", "bouncing_ball", "co2_monthly", "save_video_folder",
]
