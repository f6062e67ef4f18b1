"""From clip tensors back to pixels: ``to_uint8`` for 8-bit frames, ``save_gif`` for a file."""

from __future__ import annotations

import warnings

import torch
from PIL import Image


def to_uint8(video: torch.Tensor) -> torch.Tensor:
    """(T, C, H, W) float in [0, 1] or uint8 -> (T, H, W, C) uint8 on the CPU, C = 3.

    Floats are clamped to [0, 1], times 255, rounded to the nearest integer (half to even);
    uint8 pixels pass through unchanged; one grey channel is repeated into three.
    """
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
