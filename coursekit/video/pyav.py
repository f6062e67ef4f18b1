"""Reading video files (MP4, MOV, AVI, WebM, MKV, ...) with PyAV, the Python binding of FFmpeg.

Frames are turned upright by the rotation a phone stores in the file (the display matrix), so a
clip filmed upright loads upright, with the H and W a player shows. YUV is converted to RGB with
accurate rounding and interpolated chroma, closer to the source than FFmpeg's fast default. A
file cut short gives the frames that decoded and a warning.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Generator
from pathlib import Path

import numpy as np

from .formats import Clip, damaged_file, warn_truncated

#: How each kind of video file starts: (offset, bytes, kind), to recognise a damaged one.
VIDEO_SIGNATURES = [(4, b"ftyp", "an MP4/MOV"), (0, b"\x1a\x45\xdf\xa3", "a Matroska/WebM"),
                    (8, b"AVI ", "an AVI")]


def open_video_file(path: Path, step: int) -> Clip:
    """Open a video file with PyAV and read its header; nothing is decoded yet.

    Returns a Clip yielding every step-th frame as (H, W, 3) uint8 RGB, upright. Raises a
    ValueError for a file FFmpeg cannot open or one without a video stream.
    """
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
    frames = _decode(container, path, step, end, rate)
    return Clip(frames, num_frames, stream.codec_context.height, stream.codec_context.width,
                container)


def _unopenable(path: Path, error) -> ValueError:
    """A clear error for a file FFmpeg cannot open: damaged video, or not a video at all."""
    with open(path, "rb") as file:
        head = file.read(12)
    for offset, magic, kind in VIDEO_SIGNATURES:
        if head[offset : offset + len(magic)] == magic:
            return damaged_file(path, f"it starts like {kind} file but FFmpeg cannot open it: a "
                                "copy or download that stopped early lacks the index video "
                                "files often keep at the end, such as an MP4's moov atom")
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


def _decode(container, path: Path, step: int, end, rate) -> Generator[np.ndarray, None, None]:
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
            raise damaged_file(path, str(error)) from None
        what = f"video is truncated or damaged after frame {decoded - 1} ({error})"
        warn_truncated(path, what, kept)
        return
    if decoded == 0:
        raise damaged_file(path, "the video stream holds no frames")
    shortfall = _shortfall(frame, end, rate)
    if shortfall:
        warn_truncated(path, shortfall, kept)


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
