"""``load_video``: any clip coursekit reads -> a (T, C, H, W) float tensor, within a memory bound.

The readers (``pillow``, ``pyav``, ``folders``) open the source; this module checks the
options, refuses a clip too large for memory before decoding it, resizes and stacks the frames.
"""

from __future__ import annotations

import math
import numbers
import os
from contextlib import closing
from itertools import islice
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from coursekit.models import as_frame_size, is_count

from .folders import open_frame_folder
from .formats import Clip
from .pillow import open_image
from .pyav import open_video_file

BYTES_PER_VALUE = 4  # float32
FALLBACK_MEMORY = 8 * 10**9  # assumed when the OS does not report its memory (e.g. Windows)


class VideoTooLargeError(MemoryError):
    """The clip would not fit in the memory ``load_video`` may use (see its ``max_bytes``)."""


def load_video(source, *, max_frames=None, step=1, size=None, max_bytes=None) -> torch.Tensor:
    """Read a clip from a file or a folder of frames.

    Args:
        source: path (str or Path) to an animated GIF / APNG / WebP (an APNG's default
            image is skipped when it is not part of the animation), a video file (MP4, MOV,
            AVI, WebM, MKV, ...), a single image, or a folder of image files taken in natural
            order (``frame_2.png`` before ``frame_10.png``).
        max_frames: stop after this many kept frames (None: keep going to the end).
        step: keep every ``step``-th frame (1: every frame).
        size: ``(H, W)`` to resize every frame to, or an int for square frames.
        max_bytes: the most memory the returned tensor may take, in bytes (None: a quarter of
            this machine's physical memory, or of 8 GB where the OS does not report it).

    Returns:
        video: (T, C, H, W) float32 in [0, 1], C = 3, upright as a player shows it (video
        rotation metadata and EXIF orientation applied), 16-bit images scaled by 1/65535.

    Raises:
        VideoTooLargeError: (a ``MemoryError``) the clip would take more than ``max_bytes`` as
            a float32 tensor, T x 3 x H x W x 4 bytes after ``max_frames``, ``step`` and
            ``size``. This is checked before decoding when the file says how many frames it
            holds, and as frames are decoded otherwise; the message says how to read less.
        ValueError: a bad option, or a file or folder that holds no readable frames.

    Only the kept frames are held in memory: decoding stops once ``max_frames`` are kept. A file
    that is cut short gives the frames that decoded, with a warning.
    """
    path = Path(source)
    step, max_frames, size = _check_options(step, max_frames, size)
    bound = _memory_bound(max_bytes)
    if not path.exists():
        raise FileNotFoundError(f"no file or folder at {str(path)!r}")
    clip = _open(path, step)
    with clip.source, closing(clip.frames):
        kept = _kept_count(clip.num_frames, step, max_frames)
        if kept is not None:
            height, width = size or (clip.height, clip.width)
            _check_memory(path, kept, height, width, bound)
        arrays = []
        for frame in islice(clip.frames, max_frames):
            arrays.append(_resize(frame, size))
            height, width = arrays[0].shape[:2]
            _check_memory(path, len(arrays), height, width, bound, so_far=True)
    if not arrays:
        raise ValueError(f"{path}: no frames could be read")
    _check_same_size(arrays, path)
    return _stack(arrays)


def _open(path: Path, step: int) -> Clip:
    """A folder of frames, else an image or animation (Pillow), else a video file (PyAV)."""
    if path.is_dir():
        return open_frame_folder(path, step)
    clip = open_image(path, step)
    return clip if clip is not None else open_video_file(path, step)


# --- Options and the memory bound -------------------------------------------------------------


def _check_options(step, max_frames, size) -> tuple[int, int | None, tuple[int, int] | None]:
    """-> (step, max_frames or None, (H, W) or None) as ints, or a ValueError naming the option."""
    if not is_count(step) or step < 1:
        raise ValueError(f"step must be a positive int (1 keeps every frame), got {step!r}")
    if max_frames is not None and (not is_count(max_frames) or max_frames < 1):
        raise ValueError(f"max_frames must be a positive int or None, got {max_frames!r}")
    if isinstance(size, np.ndarray):  # e.g. np.array([112, 112]): as a list of its ints
        size = size.tolist()
    size = None if size is None else as_frame_size(size, name="size")
    return int(step), None if max_frames is None else int(max_frames), size


def _memory_bound(max_bytes: float | None) -> tuple[float, str]:
    """The most bytes the clip may take, and where that number comes from."""
    if max_bytes is None:
        memory = _physical_memory()
        return memory / 4, f"a quarter of this machine's {_in_units(memory)} of memory"
    if (isinstance(max_bytes, (bool, np.bool_)) or not isinstance(max_bytes, numbers.Real)
            or not max_bytes > 0):
        raise ValueError(
            f"max_bytes must be a positive number of bytes (e.g. 2e9 for 2 GB) or None for a "
            f"quarter of this machine's memory, got {max_bytes!r}"
        )
    return max_bytes, "max_bytes"


def _physical_memory() -> int:
    """Bytes of RAM on this machine, or FALLBACK_MEMORY where the OS does not say."""
    try:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):  # no os.sysconf on Windows
        return FALLBACK_MEMORY
    return memory if memory > 0 else FALLBACK_MEMORY


def _kept_count(num_frames, step, max_frames):
    if num_frames is None:
        return None
    kept = -(-num_frames // step)  # every step-th frame, starting with the first
    return kept if max_frames is None else min(kept, max_frames)


def _check_memory(path, frames, height, width, bound, so_far=False):
    """Raise VideoTooLargeError if a (frames, 3, height, width) float32 tensor exceeds bound."""
    max_bytes, origin = bound
    frame_bytes = 3 * height * width * BYTES_PER_VALUE
    if frames * frame_bytes <= max_bytes:
        return
    fit = int(max_bytes // frame_bytes)
    fewer = "max_frames= or step= to keep fewer frames"
    if fit >= 1 and not so_far:
        fewer = f"max_frames={fit} or step={math.ceil(frames / fit)} to keep fewer frames"
    raise VideoTooLargeError(
        f"{path}: {'the frames read so far' if so_far else 'this clip'} would take "
        f"{_in_units(frames * frame_bytes)} as a ({frames}, 3, {height}, {width}) float32 "
        f"tensor, more than the {_in_units(max_bytes)} allowed ({origin}). Read less of it: "
        f"{fewer}, or size=(H, W) for smaller frames (size=(224, 224) would take "
        f"{_in_units(frames * 3 * 224 * 224 * BYTES_PER_VALUE)}); or pass a larger max_bytes= "
        "if the machine has the memory"
    )


def _in_units(num_bytes) -> str:
    if num_bytes >= 1e9:
        return f"{num_bytes / 1e9:.1f} GB"
    return f"{num_bytes / 1e6:.1f} MB"


# --- From frames to the clip tensor ---------------------------------------------------------


def _resize(array: np.ndarray, size) -> np.ndarray:
    """(H, W, 3) -> (size[0], size[1], 3), same dtype, bilinear (Pillow's resize)."""
    if size is None or array.shape[:2] == size:
        return array
    height, width = size
    if array.dtype == np.uint8:
        return np.array(Image.fromarray(array).resize((width, height), Image.Resampling.BILINEAR))
    channels = [np.asarray(Image.fromarray(array[..., c].astype(np.float32))
                           .resize((width, height), Image.Resampling.BILINEAR))
                for c in range(3)]
    return np.stack(channels, axis=-1).round().astype(array.dtype)


def _check_same_size(arrays, path):
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        sizes = sorted(f"{h} x {w}" for h, w, _ in shapes)
        raise ValueError(
            f"{path}: frames have different sizes ({', '.join(sizes)}); "
            "pass size=(H, W) to resize them all to one size"
        )


def _stack(arrays) -> torch.Tensor:
    """T arrays (H, W, 3), uint8 or uint16 -> (T, 3, H, W) float32 in [0, 1], filled in place."""
    height, width, _ = arrays[0].shape
    video = torch.empty(len(arrays), 3, height, width)
    for t, array in enumerate(arrays):
        if array.dtype == np.uint8:
            video[t] = torch.from_numpy(array).permute(2, 0, 1)
            video[t].div_(255.0)
        else:  # 16-bit
            video[t] = torch.from_numpy(array.astype(np.float32) / 65535.0).permute(2, 0, 1)
    return video
