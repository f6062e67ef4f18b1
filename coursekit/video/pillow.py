"""Reading with Pillow: animated GIF, APNG and WebP files, and still images.

Frames are composited the way a viewer shows them; an APNG's default image that is not part of
the animation (a poster frame) is skipped; a still image is turned upright by its EXIF
orientation; 16-bit grey images are kept at 16 bits (``load_video`` scales 65535 to 1.0).
"""

from __future__ import annotations

from collections.abc import Generator
from itertools import count
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

from .formats import Clip, damaged_file, warn_truncated

#: Pillow's modes for 16-bit grey images; "I" is how old Pillow reads a 16-bit PNG.
GREY16_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N"}


def open_image(path: Path, step: int) -> Clip | None:
    """Open an image or animation with Pillow; None if Pillow does not know the format.

    Returns a Clip yielding every step-th frame as (H, W, 3) uint8 (uint16 for 16-bit grey).
    """
    try:
        image = Image.open(path)
    except UnidentifiedImageError:
        return None  # not an image: maybe a video file, for PyAV
    except Exception as error:  # a damaged header
        raise ValueError(f"{path}: cannot read this file ({error!r})") from None
    first = _first_animation_frame(image)
    try:
        num_frames = getattr(image, "n_frames", 1) - first  # GIF: scans the file, decodes nothing
    except Exception:  # a damaged GIF: find out while decoding
        num_frames = None
    frames = _pillow_frames(image, path, first, step, still=num_frames == 1)
    return Clip(frames, num_frames, image.height, image.width, image)


def _first_animation_frame(image: Image.Image) -> int:
    """1 for an APNG whose default image is a poster outside the animation, else 0."""
    if not image.info.get("default_image") or getattr(image, "n_frames", 1) < 2:
        return 0
    # The animation starts on a transparent black canvas (APNG spec); Pillow would start it on
    # the poster, so have Pillow clear the whole canvas when it leaves the poster.
    # The ignores: private PngImageFile attributes (set in its seek()), not in Image's types.
    image.dispose_op = PngImagePlugin.Disposal.OP_BACKGROUND  # type: ignore[attr-defined]
    image.dispose_extent = (0, 0, *image.size)  # type: ignore[attr-defined]
    return 1


def _pillow_frames(image, path, first, step, still) -> Generator[np.ndarray, None, None]:
    """Yield every step-th composited frame a viewer shows (Pillow seeks lazily)."""
    decoded = kept = 0
    try:
        for index in count(first):
            try:
                image.seek(index)
            except EOFError:
                return
            image.load()
            decoded += 1
            if (decoded - 1) % step == 0:
                kept += 1
                yield image_to_array(ImageOps.exif_transpose(image) if still else image)
    except Exception as error:  # Pillow signals damage with many types (OSError, IndexError...)
        if decoded == 0:
            raise damaged_file(path, repr(error)) from None
        what = f"file is truncated or damaged after frame {decoded - 1} ({error})"
        warn_truncated(path, what, kept)


def image_to_array(image: Image.Image) -> np.ndarray:
    """One PIL image -> (H, W, 3) uint8, or uint16 for 16-bit grey; transparent shows black."""
    if image.mode in GREY16_MODES:
        return _grey16_to_array(image)
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        image = Image.alpha_composite(Image.new("RGBA", rgba.size, (0, 0, 0, 255)), rgba)
    return np.array(image.convert("RGB"))  # writable, so torch.from_numpy accepts it


def _grey16_to_array(image: Image.Image) -> np.ndarray:
    """16-bit grey image -> (H, W, 3) uint16; convert("RGB") would saturate it at 255."""
    grey = np.asarray(image)  # native uint16 for "I;16", big-endian for "I;16B", int32 for "I"
    transparent = grey == image.info.get("transparency", -1)  # PNG: one grey value, see-through
    grey = np.clip(grey, 0, 65535).astype(np.uint16)
    grey[transparent] = 0
    return np.repeat(grey[..., None], 3, axis=2)
