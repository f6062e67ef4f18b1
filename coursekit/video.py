"""Videos as tensors: read clips from files into (T, C, H, W) tensors, and write them back.

A frame is an image, a (C, H, W) tensor; a clip of T frames is a (T, C, H, W) tensor of
float32 values in [0, 1], with C = 3 (RGB). ``load_video`` reads:

- animated GIF, APNG and WebP files, and single images, with Pillow. Frames are composited the
  way a viewer shows them; an APNG's default image that is not part of the animation (a poster
  frame) is skipped, as browsers and ffmpeg skip it. A still image is turned upright by its EXIF
  orientation, as a photo viewer does.
- video files such as MP4, MOV, AVI, WebM and MKV, with PyAV (FFmpeg). Frames are turned upright
  by the rotation a phone stores in the file (the display matrix), so a clip filmed upright loads
  upright, with the H and W a player shows. YUV is converted to RGB with accurate rounding and
  interpolated chroma, which is closer to the source than FFmpeg's fast default.
- folders of numbered image files (``frame_2.png`` before ``frame_10.png``), each turned upright
  by its EXIF orientation.

16-bit grey images (Pillow modes "I;16", "I;16B", "I") are scaled so that 65535 is 1.0; 16-bit
colour PNGs are read by Pillow at 8 bits per channel. A file cut short (an interrupted download
or copy) gives the frames that decoded and a warning, or, when nothing decodes, a "damaged file"
error. Before decoding, ``load_video`` estimates the tensor's size and raises
``VideoTooLargeError`` if it would exceed ``max_bytes`` (by default a quarter of the machine's
memory). ``save_gif`` writes a clip as a looping GIF.
"""

from __future__ import annotations

import math
import numbers
import os
import re
import warnings
from collections.abc import Iterator
from contextlib import AbstractContextManager, closing, nullcontext
from itertools import count, islice
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
from PIL import Image, ImageOps, PngImagePlugin, UnidentifiedImageError

__all__ = ["load_video", "save_gif", "to_uint8", "VideoTooLargeError"]

IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".webp", ".tif", ".tiff", ".ppm"}
GREY16_MODES = {"I", "I;16", "I;16B", "I;16L", "I;16N"}  # "I" is how old Pillow reads 16-bit PNG
BYTES_PER_VALUE = 4  # float32
FALLBACK_MEMORY = 8 * 10**9  # assumed when the OS does not report its memory (e.g. Windows)
VIDEO_SIGNATURES = [(4, b"ftyp", "an MP4/MOV"), (0, b"\x1a\x45\xdf\xa3", "a Matroska/WebM"),
                    (8, b"AVI ", "an AVI")]  # (offset, bytes, kind): how each file starts


class VideoTooLargeError(MemoryError):
    """The clip would not fit in the memory ``load_video`` may use (see its ``max_bytes``)."""


class Clip(NamedTuple):
    """A source opened, its header read, nothing decoded yet."""

    frames: Iterator[np.ndarray]  # every step-th frame: (H, W, 3) uint8, or uint16 for 16-bit
    num_frames: int | None  # all frames in the source, from its header; None if unknown
    height: int
    width: int
    source: AbstractContextManager  # the open image or container, to close when done


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
    clip = _open_folder(path, step) if path.is_dir() else _open_file(path, step)
    with clip.source, closing(clip.frames):
        kept = _kept_count(clip.num_frames, step, max_frames)
        if kept is not None:
            _check_memory(path, kept, *(size or (clip.height, clip.width)), bound)
        arrays = []
        for frame in islice(clip.frames, max_frames):
            arrays.append(_resize(frame, size))
            _check_memory(path, len(arrays), *arrays[0].shape[:2], bound, so_far=True)
    if not arrays:
        raise ValueError(f"{path}: no frames could be read")
    _check_same_size(arrays, path)
    return _stack(arrays)


# --- Options and the memory bound -------------------------------------------------------------


def _is_int(value) -> bool:
    """True for 3 or np.int64(3), False for 3.0 and for True (a bool is an int in Python)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _check_options(step, max_frames, size):
    if not _is_int(step) or step < 1:
        raise ValueError(f"step must be a positive int (1 keeps every frame), got {step!r}")
    if max_frames is not None and (not _is_int(max_frames) or max_frames < 1):
        raise ValueError(f"max_frames must be a positive int or None, got {max_frames!r}")
    return int(step), None if max_frames is None else int(max_frames), _check_size(size)


def _check_size(size):
    if size is None:
        return None
    if _is_int(size):
        size = (size, size)
    if (isinstance(size, (str, bytes)) or not hasattr(size, "__len__") or len(size) != 2
            or not all(_is_int(s) and s > 0 for s in size)):
        raise ValueError(
            f"size must be (H, W) with two positive ints, or one int for square frames, "
            f"got {size!r}; e.g. size=(112, 112)"
        )
    return int(size[0]), int(size[1])


def _memory_bound(max_bytes) -> tuple[float, str]:
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
        return np.array(Image.fromarray(array).resize((width, height), Image.BILINEAR))
    channels = [Image.fromarray(array[..., c].astype(np.float32)).resize((width, height),
                                                                         Image.BILINEAR)
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


def _damaged(path: Path, reason: str) -> ValueError:
    return ValueError(f"{path}: damaged file, no frame could be decoded ({reason})")


def _warn_truncated(path: Path, what: str, kept: int):
    warnings.warn(
        f"{path}: {what}; returning the {kept} frames that decoded",
        stacklevel=4,  # _warn_truncated, the frame generator, load_video, its caller
    )


# --- Pillow: animated GIF / APNG / WebP and still images -------------------------------------


def _open_file(path: Path, step: int) -> Clip:
    try:
        image = Image.open(path)
    except UnidentifiedImageError:
        return _open_av(path, step)
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
    image.dispose_op = PngImagePlugin.Disposal.OP_BACKGROUND
    image.dispose_extent = (0, 0, *image.size)
    return 1


def _pillow_frames(image, path, first, step, still) -> Iterator[np.ndarray]:
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
                yield _image_to_array(ImageOps.exif_transpose(image) if still else image)
    except Exception as error:  # Pillow signals damage with many types (OSError, IndexError...)
        if decoded == 0:
            raise _damaged(path, repr(error)) from None
        what = f"file is truncated or damaged after frame {decoded - 1} ({error})"
        _warn_truncated(path, what, kept)


def _image_to_array(image: Image.Image) -> np.ndarray:
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


# --- PyAV: MP4, MOV, AVI, WebM, MKV, ... --------------------------------------------------------


def _open_av(path: Path, step: int) -> Clip:
    import av

    try:
        container = av.open(str(path))
    except av.FFmpegError as error:
        raise _unopenable(path, error) from None
    if not container.streams.video:
        has_streams = len(container.streams) > 0  # an index cut short may list none at all
        container.close()
        if not has_streams:
            raise _unopenable(path, "the file lists no streams")
        raise ValueError(f"{path}: the file has no video stream (audio only?)")
    stream = container.streams.video[0]
    start, end, rate = _timing(container, stream)
    num_frames = round((end - start) * rate) if end is not None and rate else None
    frames = _decode_av(container, path, step, end, rate)
    return Clip(frames, num_frames, stream.codec_context.height, stream.codec_context.width,
                container)


def _unopenable(path: Path, error) -> ValueError:
    """A clear error for a file FFmpeg cannot open: damaged video, or not a video at all."""
    with open(path, "rb") as file:
        head = file.read(12)
    for offset, magic, kind in VIDEO_SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return _damaged(path, f"it starts like {kind} file but FFmpeg cannot open it: a copy "
                            "or download that stopped early lacks the index video files often "
                            "keep at the end, such as an MP4's moov atom")
    return ValueError(f"{path}: not an image or video file that coursekit can read ({error})")


def _timing(container, stream):
    """(start, end, frame rate) of the video stream, in seconds and frames per second.

    ``end`` comes from the file's header or index (None if it has none), so a file cut short
    still says where its video should end.
    """
    import av

    rate = float(stream.average_rate or stream.guessed_rate or 0) or None
    start = float((stream.start_time or 0) * stream.time_base)
    ends = []
    if stream.duration:  # MP4, MOV, AVI, ...
        ends.append(start + float(stream.duration * stream.time_base))
    elif "DURATION" in stream.metadata:  # Matroska / WebM written by FFmpeg: the end time
        hours, minutes, seconds = stream.metadata["DURATION"].split(":")
        ends.append(int(hours) * 3600 + int(minutes) * 60 + float(seconds))
    elif len(container.streams) == 1 and container.duration:  # no audio to make it longer
        ends.append(((container.start_time or 0) + container.duration) / av.time_base)
    if stream.frames and rate and "mp4" not in container.format.name:
        ends.append(start + stream.frames / rate)  # MP4/MOV count frames an edit list hides
    return start, max(ends, default=None), rate


def _decode_av(container, path: Path, step: int, end, rate) -> Iterator[np.ndarray]:
    """Yield every step-th frame as (H, W, 3) uint8 RGB, upright; warn if the file is cut."""
    import av

    decoded = kept = 0
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    options = _rgb_options()
    try:
        for frame in container.decode(stream):
            decoded += 1
            if (decoded - 1) % step == 0:
                kept += 1
                yield _upright(frame.to_ndarray(format="rgb24", **options), frame)
    except (av.FFmpegError, ValueError) as error:
        if decoded == 0:
            raise _damaged(path, str(error)) from None
        what = f"video is truncated or damaged after frame {decoded - 1} ({error})"
        _warn_truncated(path, what, kept)
        return
    if decoded == 0:
        raise _damaged(path, "the video stream holds no frames")
    shortfall = _shortfall(frame, end, rate)
    if shortfall:
        _warn_truncated(path, shortfall, kept)


def _rgb_options() -> dict:
    """YUV -> RGB with accurate rounding and interpolated chroma (FFmpeg's fast default is not)."""
    from av.video.reformatter import Interpolation

    try:
        flags = Interpolation.BILINEAR | Interpolation.ACCURATE_RND | Interpolation.FULL_CHR_H_INT
    except AttributeError:  # an older PyAV names only the scaling algorithms: its default
        return {}
    return {"interpolation": flags}


def _shortfall(last, end, rate) -> str | None:
    """Say so if the decoded frames stop short of the end the file's header gives."""
    if end is None or not rate or last.pts is None:
        return None
    last_end = float((last.pts + (last.duration or 0)) * last.time_base)
    if not last.duration:
        last_end += 1 / rate
    if (end - last_end) * rate <= 0.75:  # a trimmed MP4 can fall short by half a frame
        return None
    return (f"video is truncated: its header says it runs until {end:.2f} s, "
            f"but its frames stop at {last_end:.2f} s")


def _upright(rgb: np.ndarray, frame) -> np.ndarray:
    """Turn and mirror (H, W, 3) as the frame's display matrix says a player should show it."""
    from av.sidedata.sidedata import Type

    data = frame.side_data.get(Type.DISPLAYMATRIX)
    if data is None:
        return rgb
    matrix = np.frombuffer(bytes(data), dtype=np.int32)[[0, 1, 3, 4]] / 65536
    a, b, c, d = np.round(matrix).astype(int)
    if np.abs(matrix - (a, b, c, d)).max() > 0.01 or abs(a * d - b * c) != 1:
        degrees = math.degrees(math.atan2(-matrix[1], matrix[0]))  # counter-clockwise
        warnings.warn(f"the video asks to be turned by {degrees:.0f} degrees, not a multiple "
                      "of 90; its frames are returned as stored", stacklevel=4)
        return rgb
    if a == 0:  # a quarter turn: x' = c * y, y' = b * x
        rgb, rows, columns = rgb.transpose(1, 0, 2), b, c
    else:  # x' = a * x, y' = d * y
        rows, columns = d, a
    return np.ascontiguousarray(rgb[::rows, ::columns])


# --- Folders of frames ---------------------------------------------------------------------------


def natural_key(name: str):
    """Sort key that puts ``frame_2`` before ``frame_10``."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def _open_folder(folder: Path, step: int) -> Clip:
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


def _read_each(files) -> Iterator[np.ndarray]:
    for file in files:
        try:
            with Image.open(file) as image:
                array = _image_to_array(ImageOps.exif_transpose(image))
        except Exception as error:  # UnidentifiedImageError, OSError, damaged data...
            raise ValueError(f"{file}: not a readable image ({error!r})") from None
        yield array


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
        video: (T, C, H, W) float in [0, 1] or uint8, C = 1 or 3, T >= 1.
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
    if 0 in frames.shape:
        raise ValueError(
            f"video has shape {tuple(video.shape)}: a GIF needs at least one frame of at least "
            "1 x 1 pixels; check how the clip was sliced or filtered"
        )
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
