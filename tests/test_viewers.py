"""coursekit.viewers: what each viewer returns, and that it shows the frames it was given."""

import io

import ipywidgets as widgets
import matplotlib.pyplot as plt
import pytest
import torch
from IPython.core.formatters import DisplayFormatter
from matplotlib.figure import Figure
from PIL import Image

from coursekit.video import load_video
from coursekit.viewers import Animation, NotebookFigure, animate, frame_player, show_frames


def clip(num_frames=12, channels=3):
    return torch.linspace(0, 1, num_frames).view(-1, 1, 1, 1).expand(-1, channels, 6, 8)


def titles(fig):
    return [ax.get_title() for ax in fig.axes if ax.get_title()]


def test_show_frames_is_a_titled_grid():
    fig = show_frames(clip(5), title="a clip")
    assert isinstance(fig, Figure)
    assert titles(fig) == [f"frame {t}" for t in range(5)]
    assert fig.get_suptitle() == "a clip"


def test_show_frames_shows_itself_once_as_an_image_in_a_notebook():
    plt.close("all")
    fig = show_frames(clip(3), width=1.0)
    assert isinstance(fig, NotebookFigure)
    assert plt.get_fignums() == []  # not pyplot's: its inline backend draws no second copy
    shown, _ = DisplayFormatter().format(fig)  # what IPython shows for a cell's last value
    image = Image.open(io.BytesIO(shown["image/png"]))
    assert image.format == "PNG" and 100 < image.width < 400  # three 1-inch frames, cropped
    assert shown["text/plain"].startswith("<NotebookFigure size")  # the text-only fallback


def test_a_notebook_figure_is_built_like_any_figure():
    fig = NotebookFigure(figsize=(2, 1))
    fig.subplots().plot([0, 1], [1, 0])
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    assert Image.open(buffer).size == (200, 100)  # 2 x 1 inches at 100 dpi
    shown = Image.open(io.BytesIO(fig._repr_png_()))
    assert shown.format == "PNG" and 150 < shown.width < 250  # cropped to what is drawn


def test_show_frames_spreads_long_clips_and_honours_every():
    assert titles(show_frames(clip(100), max_frames=5)) == [f"frame {t}" for t in range(0, 100, 20)]
    assert titles(show_frames(clip(12), every=4)) == ["frame 0", "frame 4", "frame 8"]


def test_show_frames_takes_uint8_and_grayscale():
    assert len(titles(show_frames((clip(3) * 255).to(torch.uint8)))) == 3
    assert len(titles(show_frames(clip(3, channels=1)))) == 3


def test_show_frames_rejects_channels_last_with_the_fix():
    with pytest.raises(ValueError, match=r"permute\(0, 3, 1, 2\)"):
        show_frames(torch.rand(4, 16, 16, 3))


def test_frame_player_slider_changes_the_frame():
    player = frame_player(clip(4), fps=5)
    assert isinstance(player, widgets.VBox)
    image, controls = player.children
    play, slider = controls.children
    assert isinstance(image, widgets.Image) and isinstance(play, widgets.Play)
    assert play.interval == 200 and slider.max == 3
    first = image.value
    slider.value = 3
    assert image.value != first
    shown = Image.open(io.BytesIO(image.value))
    assert shown.getpixel((0, 0)) == (255, 255, 255)  # the last frame of the ramp is white


@pytest.mark.parametrize("fps", [0, -5])
def test_frame_player_refuses_a_speed_that_is_not_positive(fps):
    with pytest.raises(ValueError, match=rf"frames per second, a number > 0 .*got fps={fps}$"):
        frame_player(clip(4), fps=fps)


def test_animate_embeds_a_gif_of_every_frame(tmp_path):
    video = torch.rand(6, 3, 10, 14)
    animation = animate(video, fps=5, scale=2)
    assert isinstance(animation, Animation)
    html = animation._repr_html_()
    assert html.startswith('<img src="data:image/gif;base64,') and 'width="28"' in html
    path = tmp_path / "a.gif"
    path.write_bytes(animation.data)
    assert load_video(path).shape == (6, 3, 10, 14)
