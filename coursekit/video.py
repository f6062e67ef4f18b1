"""Videos as tensors: read clips from files into (T, C, H, W) tensors, and write them back.

A frame is an image, a (C, H, W) tensor; a clip of T frames is a (T, C, H, W) tensor of
float32 values in [0, 1], with C = 3 (RGB). ``load_video`` reads animated GIF, APNG and WebP
files (with Pillow), video files such as MP4, MOV, AVI, WebM and MKV (with PyAV), and folders
of numbered image files. ``save_gif`` writes a clip as a looping GIF.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterator
from itertools import islice
from pathlib import Path

import numpy as np
import torch
from PIL import Image, ImageSequence, UnidentifiedImageError

__all__ = ["load_video", "save_gif", "to_uint8"]

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".ppm"}


def load_video(source, *, max_frames=None, step=1, size=None) -> torch.Tensor:
    """Read a clip from a file or a folder of frames.

    Args:
        source: path (str or Path) to an animated GIF / APNG / WebP, a video file
            (MP4, MOV, AVI, WebM, MKV, ...), or a folder of image files taken in
            natural order (``frame_2.png`` before ``frame_10.png``).
        max_frames: stop after this many kept frames (None: keep going to the end).
        step: keep every ``step``-th frame (1: every frame).
        size: ``(H, W)`` to resize every frame to, or an int for square frames.

    Returns:
        video: (T, C, H, W) float32 in [0, 1], C = 3.

    Only the kept frames are held in memory: decoding stops once ``max_frames`` are kept.
    """
    path = Path(source)
    step, max_frames, size = _check_options(step, max_frames, size)
    if not path.exists():
        raise FileNotFoundError(f"no file or folder at {str(path)!r}")
    stop = None if max_frames is None else max_frames * step
    if path.is_dir():
        kept = _read_each(_image_files(path)[:stop:step])
    else:
        kept = islice(_file_frames(path), 0, stop, step)
    arrays = [_to_rgb_array(frame, size) for frame in kept]
    if not arrays:
        raise ValueError(f"{path}: no frames could be read")
    _check_same_size(arrays, path)
    height, width, _ = arrays[0].shape
    video = torch.empty(len(arrays), 3, height, width)
    for t, array in enumerate(arrays):  # fill in place: no second uint8 copy of the clip
        video[t] = torch.from_numpy(array).permute(2, 0, 1)
    return video.div_(255.0)


def _check_options(step, max_frames, size):
    if not isinstance(step, int) or step < 1:
        raise ValueError(f"step must be a positive int (1 keeps every frame), got {step!r}")
    if max_frames is not None and (not isinstance(max_frames, int) or max_frames < 1):
        raise ValueError(f"max_frames must be a positive int or None, got {max_frames!r}")
    if isinstance(size, int):
        size = (size, size)
    if size is not None:
        if len(size) != 2 or not all(isinstance(s, int) and s > 0 for s in size):
            raise ValueError(f"size must be (H, W) with two positive ints, got {size!r}")
        size = tuple(size)
    return step, max_frames, size


def _to_rgb_array(frame: Image.Image, size) -> np.ndarray:
    """One PIL frame -> (H, W, 3) uint8; transparent pixels are shown over black."""
    if frame.mode in ("RGBA", "LA", "PA") or "transparency" in frame.info:
        rgba = frame.convert("RGBA")
        frame = Image.alpha_composite(Image.new("RGBA", rgba.size, (0, 0, 0, 255)), rgba)
    frame = frame.convert("RGB")
    if size is not None and frame.size != (size[1], size[0]):
        frame = frame.resize((size[1], size[0]), Image.BILINEAR)
    return np.array(frame)  # writable, so torch.from_numpy accepts it


def _check_same_size(arrays, path):
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        sizes = sorted(f"{h} x {w}" for h, w, _ in shapes)
        raise ValueError(
            f"{path}: frames have different sizes ({', '.join(sizes)}); "
            "pass size=(H, W) to resize them all to one size"
        )


def _damaged(path: Path, reason: str) -> ValueError:
    return ValueError(f"{path}: damaged file, no frame could be decoded ({reason})")


# --- Pillow: animated GIF / APNG / WebP and still images -------------------------------------


def _file_frames(path: Path) -> Iterator[Image.Image]:
    try:
        image = Image.open(path)
    except UnidentifiedImageError:
        return _av_frames(path)
    except Exception as error:  # a damaged header
        raise ValueError(f"{path}: cannot read this file ({error!r})") from None
    return _pillow_frames(image, path)


def _pillow_frames(image: Image.Image, path: Path) -> Iterator[Image.Image]:
    """Yield the composited frames a viewer shows, one at a time (Pillow seeks lazily)."""
    count = 0
    with image:
        try:
            for frame in ImageSequence.Iterator(image):
                frame.load()
                count += 1
                yield frame
        except Exception as error:  # Pillow signals damage with many types (OSError, IndexError...)
            if count == 0:
                raise _damaged(path, repr(error)) from None
            warnings.warn(
                f"{path}: file is truncated or damaged after frame {count - 1}; "
                f"returning the {count} frames that decoded ({error})",
                stacklevel=4,
            )


# --- PyAV: MP4, MOV, AVI, WebM, MKV, ... --------------------------------------------------------


def _av_frames(path: Path) -> Iterator[Image.Image]:
    import av

    try:
        container = av.open(str(path))
    except av.FFmpegError as error:
        raise ValueError(
            f"{path}: not an image or video file that coursekit can read ({error})"
        ) from None
    if not container.streams.video:
        container.close()
        raise ValueError(f"{path}: the file has no video stream (audio only?)")
    return _decode_av(container, path)


def _decode_av(container, path: Path) -> Iterator[Image.Image]:
    import av

    count = 0
    with container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                count += 1
                yield frame.to_image()
        except (av.FFmpegError, ValueError) as error:
            if count == 0:
                raise _damaged(path, str(error)) from None
            warnings.warn(
                f"{path}: video is truncated or damaged after frame {count - 1}; "
                f"returning the {count} frames that decoded ({error})",
                stacklevel=4,
            )


# --- Folders of frames ---------------------------------------------------------------------------


def natural_key(name: str):
    """Sort key that puts ``frame_2`` before ``frame_10``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


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


def _read_each(files) -> Iterator[Image.Image]:
    for file in files:
        try:
            with Image.open(file) as image:
                image.load()
                yield image
        except Exception as error:  # UnidentifiedImageError, OSError, damaged data...
            raise ValueError(f"{file}: not a readable image ({error!r})") from None


# --- Writing -------------------------------------------------------------------------------------


def to_uint8(video: torch.Tensor) -> torch.Tensor:
    """(T, C, H, W) float in [0, 1] or uint8 -> (T, H, W, C) uint8 on the CPU, C = 3."""
    if not isinstance(video, torch.Tensor) or video.ndim != 4:
        shape = tuple(video.shape) if hasattr(video, "shape") else type(video).__name__
        raise ValueError(f"expected a (T, C, H, W) tensor, got {shape}")
    channels = video.shape[1]
    if channels not in (1, 3) and video.shape[-1] in (1, 3):
        raise ValueError(
            f"got a {tuple(video.shape)} tensor that looks like (T, H, W, C); "
            "coursekit expects (T, C, H, W): use video.permute(0, 3, 1, 2)"
        )
    if channels not in (1, 3):
        raise ValueError(f"expected 1 or 3 channels in (T, C, H, W), got C = {channels}")
    video = video.detach().cpu()
    if video.dtype != torch.uint8:
        video = (video.float().clamp(0, 1) * 255).round().to(torch.uint8)
    return video.expand(-1, 3, -1, -1).permute(0, 2, 3, 1).contiguous()


def save_gif(video: torch.Tensor, path, fps: float = 10):
    """Write a clip as a looping animated GIF.

    Args:
        video: (T, C, H, W) float in [0, 1] or uint8, C = 1 or 3.
        path: where to write the ``.gif`` file (its folder must exist), or a binary file object.
        fps: frames per second of playback.

    Returns:
        ``path``. GIF stores 256 colours per frame, so reading the file back gives the same
        shape and nearly the same pixels. The GIF writer stores consecutive identical frames
        once, shown for longer, so those read back as one frame (a warning says so).
    """
    if not fps > 0:
        raise ValueError(f"fps must be positive, got {fps!r}")
    frames = to_uint8(video)
    repeats = (frames[1:] == frames[:-1]).flatten(1).all(dim=1)
    if repeats.any():
        warnings.warn(
            f"frames {repeats.nonzero().flatten().add(1).tolist()} repeat the frame before them; "
            "the GIF stores each run once, shown longer, so it reads back with fewer frames",
            stacklevel=2,
        )
    images = [Image.fromarray(frame) for frame in frames.numpy()]
    duration = max(20, round(1000 / fps))  # browsers slow down anything faster than 50 fps
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:],
                   duration=duration, loop=0)
    return path
