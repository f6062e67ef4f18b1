"""Looking at frames: a grid of stills, a player widget, and an animation that survives export.

- ``show_frames``: a matplotlib grid of frames titled "frame t" (prints and exports everywhere),
  drawn on a ``NotebookFigure``: a Figure that shows itself in a notebook.
- ``frame_player``: an ipywidgets player (Play button, slider, image) for JupyterLab.
- ``animate``: an animated image embedded in HTML; unlike widgets it still plays in exported
  HTML, in nbviewer and in the offline slide decks, where no kernel is running.
"""

from __future__ import annotations

import base64
import io
import math
import warnings

import torch
from matplotlib.figure import Figure
from PIL import Image

from coursekit.video import save_gif, to_uint8

__all__ = ["Animation", "NotebookFigure", "animate", "frame_player", "show_frames"]


class NotebookFigure(Figure):
    """A matplotlib Figure that shows itself in a notebook, with or without pyplot.

    Made without pyplot, so pyplot does not manage it: as the last expression of a cell it is
    shown once, as a PNG image (pyplot's inline backend would add a second copy of a figure
    made with ``plt.subplots``), and it is freed with its last reference, not kept open until
    ``plt.close``. ``fig.savefig(path)`` writes it, like any Figure. Build one as a Figure:
    ``fig = NotebookFigure(figsize=(7, 3)); ax = fig.subplots()``.
    """

    def _repr_png_(self) -> bytes:
        """The figure as PNG file bytes, cropped to what is drawn: what a notebook shows."""
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", bbox_inches="tight")
        return buffer.getvalue()


def show_frames(video: torch.Tensor, *, max_frames: int = 10, every: int | None = None,
                ncols: int = 5, title: str | None = None, width: float = 1.6) -> NotebookFigure:
    """A grid of frames, each titled with its index.

    Args:
        video: (T, C, H, W) float in [0, 1] or uint8, C = 1 or 3.
        max_frames: show at most this many frames, spread evenly over the clip.
        every: show every ``every``-th frame instead (still capped at ``max_frames``).
        ncols: frames per row.
        title: optional title above the grid.
        width: width of one frame in inches.

    Returns:
        A matplotlib Figure, one axes per frame shown (a notebook displays it once;
        ``fig.savefig(path)`` writes it).
    """
    frames = to_uint8(video)
    every = every or max(1, math.ceil(len(frames) / max_frames))
    shown = list(range(0, len(frames), every))[:max_frames]
    ncols = min(ncols, len(shown))
    nrows = math.ceil(len(shown) / ncols)
    height = width * frames.shape[1] / frames.shape[2] + 0.3
    fig = NotebookFigure(figsize=(width * ncols, height * nrows + (0.3 if title else 0)))
    axes = fig.subplots(nrows, ncols, squeeze=False).flatten()
    for ax in axes:
        ax.axis("off")
    for ax, t in zip(axes, shown, strict=False):
        ax.imshow(frames[t].numpy())
        ax.set_title(f"frame {t}", fontsize=9)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return fig


def _png(frame: torch.Tensor) -> bytes:
    """(H, W, 3) uint8 -> PNG file bytes."""
    buffer = io.BytesIO()
    Image.fromarray(frame.numpy()).save(buffer, format="PNG")
    return buffer.getvalue()


def frame_player(video: torch.Tensor, fps: float = 10, *, scale: float = 1.0):
    """An interactive player: a Play button linked to a slider, and the current frame.

    Args:
        video: (T, C, H, W) float in [0, 1] or uint8, C = 1 or 3.
        fps: playback speed in frames per second.
        scale: display size relative to the frame size (2.0 shows small frames bigger).

    Returns:
        An ``ipywidgets.VBox`` (needs a running kernel; use ``animate`` for exported pages).
    """
    import ipywidgets as widgets

    if not fps > 0:
        raise ValueError(f"frame_player(video, fps=...) takes the playback speed in frames per "
                         f"second, a number > 0 such as fps=10; got fps={fps!r}")
    frames = to_uint8(video)
    pngs = [_png(frame) for frame in frames]
    last = len(pngs) - 1
    image = widgets.Image(value=pngs[0], format="png", width=round(frames.shape[2] * scale))
    play = widgets.Play(min=0, max=last, interval=round(1000 / fps), description="Play")
    slider = widgets.IntSlider(min=0, max=last, description="frame")
    widgets.jslink((play, "value"), (slider, "value"))

    def show(change):
        image.value = pngs[change["new"]]

    slider.observe(show, names="value")
    return widgets.VBox([image, widgets.HBox([play, slider])])


class Animation:
    """An animated GIF shown inline as HTML; ``.data`` is the GIF file's bytes."""

    def __init__(self, data: bytes, width: int, num_frames: int, fps: float):
        self.data, self.width, self.num_frames, self.fps = data, width, num_frames, fps

    def _repr_html_(self) -> str:
        encoded = base64.b64encode(self.data).decode("ascii")
        return (
            f'<img src="data:image/gif;base64,{encoded}" width="{self.width}" '
            f'alt="animation: {self.num_frames} frames at {self.fps:g} fps" '
            'style="image-rendering: pixelated" class="coursekit-animation"/>'
        )

    def __repr__(self) -> str:
        return f"<Animation: {self.num_frames} frames at {self.fps:g} fps, {len(self.data)} bytes>"


def animate(video: torch.Tensor, fps: float = 10, *, scale: float = 1.0) -> Animation:
    """An animation that needs no kernel: the clip as a looping GIF embedded in the page.

    Args:
        video: (T, C, H, W) float in [0, 1] or uint8, C = 1 or 3.
        fps: playback speed in frames per second.
        scale: display size relative to the frame size.

    Returns:
        An ``Animation``; a notebook shows it playing, and it keeps playing in exported HTML
        and in the offline slide decks.
    """
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # repeated frames merge into a longer one: fine to watch
        warnings.simplefilter("ignore")
        save_gif(video, buffer, fps=fps)
    return Animation(buffer.getvalue(), round(video.shape[-1] * scale), len(video), fps)
