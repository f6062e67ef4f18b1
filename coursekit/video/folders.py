"""Reading a folder of numbered image files as a clip, in natural order.

``frame_2.png`` comes before ``frame_10.png``; each frame is turned upright by its EXIF
orientation; files that are not images (by suffix, see ``IMAGE_SUFFIXES``) are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Generator
from contextlib import nullcontext
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

from .formats import IMAGE_SUFFIXES, Clip
from .pillow import image_to_array


def natural_key(name: str):
    """Sort key that puts ``frame_2`` before ``frame_10``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def open_frame_folder(folder: Path, step: int) -> Clip:
    """Open a folder of image files; its first file's header gives the frame size.

    Returns a Clip yielding every step-th image as (H, W, 3) uint8 (uint16 for 16-bit grey).
    """
    files = _image_files(folder)
    try:
        with Image.open(files[0]) as image:  # reads the header only
            height, width = image.height, image.width
    except Exception:  # _read_each names the file when it gets there
        return Clip(_read_each(files[::step]), None, 0, 0, nullcontext())
    return Clip(_read_each(files[::step]), len(files), height, width, nullcontext())


def _image_files(folder: Path) -> list[Path]:
    files = sorted(
        (p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES),
        key=lambda p: natural_key(p.name),
    )
    if not files:
        raise ValueError(
            f"{folder}: folder holds no image files "
            f"(looked for {', '.join(sorted(IMAGE_SUFFIXES))})"
        )
    return files


def _read_each(files) -> Generator[np.ndarray, None, None]:
    for file in files:
        try:
            with Image.open(file) as image:
                array = image_to_array(ImageOps.exif_transpose(image))
        except Exception as error:  # UnidentifiedImageError, OSError, damaged data...
            raise ValueError(f"{file}: not a readable image ({error!r})") from None
        yield array
