"""The file types ``load_video`` reads, and what each reader hands back to it.

Each reader (``pillow``, ``pyav``, ``folders``) opens a source and returns a ``Clip``: the
header read, the frames not decoded yet. A reader that meets a damaged file raises the error of
``damaged_file`` or, when some frames did decode, warns with ``warn_truncated``.
"""

from __future__ import annotations

import warnings
from collections.abc import Generator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import NamedTuple

import numpy as np

#: Image files a folder of frames may hold (``load_video`` on a folder reads these).
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff",
                            ".ppm"})

#: Files ``coursekit.data.VideoFolder`` takes as clips: animations and video files that
#: ``load_video`` reads (a sub-folder of frames counts as a clip too).
VIDEO_SUFFIXES = frozenset({".gif", ".webp", ".png", ".apng", ".mp4", ".m4v", ".mov", ".avi",
                            ".webm", ".mkv", ".mpg", ".mpeg"})


class Clip(NamedTuple):
    """A source opened, its header read, nothing decoded yet.

    frames yields every step-th frame as an (H, W, 3) uint8 array (uint16 for 16-bit grey);
    num_frames counts all frames of the source (None if its header does not say); height and
    width are the frames' size from the header; source is the open image or container, a
    context manager that ``load_video`` closes when done.
    """

    frames: Generator[np.ndarray, None, None]
    num_frames: int | None
    height: int
    width: int
    source: AbstractContextManager


def damaged_file(path: Path, reason: str) -> ValueError:
    """The error for a file of which no frame could be decoded, saying why."""
    return ValueError(f"{path}: damaged file, no frame could be decoded ({reason})")


def warn_truncated(path: Path, what: str, kept: int) -> None:
    """Warn that a file stopped early (``what`` says how) and ``kept`` frames are returned.

    Called from a reader's frame generator, so the warning points at the line that called
    ``load_video``: warn_truncated, the generator, load_video, its caller.
    """
    warnings.warn(f"{path}: {what}; returning the {kept} frames that decoded", stacklevel=4)
