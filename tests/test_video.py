"""coursekit.video: every format load_video reads, its options, its errors, and save_gif."""

import wave

import av
import numpy as np
import pytest
import torch
from PIL import GifImagePlugin, Image

from coursekit.video import load_video, save_gif


def moving_square(num_frames=6, size=(40, 48)):
    """(T, 3, H, W) uint8: a white square walking right over a fixed two-colour background."""
    h, w = size
    video = torch.zeros(num_frames, 3, h, w, dtype=torch.uint8)
    video[:, 0, :, : w // 2] = 200  # red left half, blue right half
    video[:, 2, :, w // 2 :] = 150
    for t in range(num_frames):
        video[t, :, 10:20, 4 + 5 * t : 14 + 5 * t] = 255
    return video


def write_frames(video, path, **options):
    """Save a (T, 3, H, W) uint8 tensor with Pillow, format from the suffix."""
    images = [Image.fromarray(f.permute(1, 2, 0).numpy()) for f in video]
    images[0].save(path, save_all=True, append_images=images[1:], **options)
    return path


def write_video(path, codec, num_frames=12, size=(48, 64), pix_fmt="yuv420p"):
    """Encode a clip with PyAV: a bright bar moving down a dark frame; returns (T, 3, H, W)."""
    h, w = size
    frames = np.full((num_frames, h, w, 3), 30, dtype=np.uint8)
    for t in range(num_frames):
        frames[t, 2 * t : 2 * t + 8] = (220, 180, 40)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = w, h, pix_fmt
        for frame in frames:
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return torch.from_numpy(frames).permute(0, 3, 1, 2)


def as_uint8(video):
    return (video * 255).round().to(torch.uint8)


# --- Pillow formats ---------------------------------------------------------------------------


def test_gif_round_trip_gives_shape_range_and_pixels(tmp_path):
    video = torch.rand(5, 3, 24, 32)
    path = save_gif(video, tmp_path / "clip.gif", fps=5)
    loaded = load_video(path)
    assert loaded.shape == (5, 3, 24, 32)
    assert loaded.dtype == torch.float32
    assert 0 <= loaded.min() and loaded.max() <= 1
    assert (loaded - video).abs().mean() < 0.06  # 256-colour palette per frame


def test_gif_delta_frames_are_composited_like_a_viewer(tmp_path):
    # Pillow writes frames 1.. as small sub-rectangles holding only what changed.
    video = moving_square()
    path = write_frames(video, tmp_path / "square.gif", duration=100, loop=0)
    with Image.open(path) as gif:
        gif.seek(1)
        assert gif.tile[0][1][2] - gif.tile[0][1][0] < video.shape[-1]  # a sub-rectangle
    assert torch.equal(as_uint8(load_video(path)), video)


def test_gif_disposal_restore_background_and_transparency(tmp_path):
    # Each frame: one sprite on a transparent background, disposed (cleared) after showing.
    frames = []
    for t in range(3):
        frame = Image.new("P", (30, 20), 0)
        frame.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255] + [0] * 756)
        frame.paste(t + 1, (10 * t, 5, 10 * t + 8, 15))
        frames.append(frame)
    path = tmp_path / "sprites.gif"
    frames[0].save(path, save_all=True, append_images=frames[1:], disposal=2,
                   transparency=0, duration=100, optimize=False)
    video = as_uint8(load_video(path))
    for t in range(3):
        lit = video[t].amax(dim=0) > 0
        assert lit[5:15, 10 * t : 10 * t + 8].all()  # this frame's sprite is shown...
        assert lit.sum() == 80  # ...and nothing left over from the frames before it
    assert video[2, 2, 10, 22] == 255 and video[2, 0, 10, 22] == 0  # frame 2's sprite is blue


def test_gif_local_palettes_keep_each_frames_colours(tmp_path):
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0)]
    video = torch.tensor(colours, dtype=torch.uint8).view(4, 3, 1, 1).expand(4, 3, 8, 8)
    path = write_frames(video.contiguous(), tmp_path / "colours.gif", duration=100)
    assert torch.equal(as_uint8(load_video(path)), video)


def test_apng_and_lossless_webp(tmp_path):
    video = moving_square()
    for name, options in [("clip.png", {}), ("clip.webp", {"lossless": True})]:
        path = write_frames(video, tmp_path / name, duration=100, **options)
        assert torch.equal(as_uint8(load_video(path)), video), name


def test_grayscale_and_palette_images_become_rgb(tmp_path):
    Image.fromarray(np.arange(64, dtype=np.uint8).reshape(8, 8)).save(tmp_path / "gray.png")
    Image.new("P", (8, 8), 0).save(tmp_path / "pal.png")
    gray = load_video(tmp_path / "gray.png")
    assert gray.shape == (1, 3, 8, 8)
    assert torch.equal(gray[:, 0], gray[:, 1]) and torch.equal(gray[:, 1], gray[:, 2])
    assert load_video(tmp_path / "pal.png").shape == (1, 3, 8, 8)


# --- Video files through PyAV -----------------------------------------------------------------


@pytest.mark.parametrize(
    "name, codec, pix_fmt",
    [
        ("clip.mp4", "libx264", "yuv420p"),
        ("clip.mov", "mjpeg", "yuvj420p"),
        ("clip.avi", "mpeg4", "yuv420p"),
        ("clip.webm", "libvpx-vp9", "yuv420p"),
        ("clip.mkv", "ffv1", "yuv444p"),
    ],
)
def test_video_files(tmp_path, name, codec, pix_fmt):
    truth = write_video(tmp_path / name, codec, pix_fmt=pix_fmt)
    video = load_video(tmp_path / name)
    assert video.shape == truth.shape
    assert (as_uint8(video).float() - truth.float()).abs().mean() < 12  # lossy codecs


def test_video_step_max_frames_and_size(tmp_path):
    truth = write_video(tmp_path / "clip.mkv", "ffv1", num_frames=12, pix_fmt="yuv444p")
    video = load_video(tmp_path / "clip.mkv", step=3, max_frames=3, size=(24, 32))
    assert video.shape == (3, 3, 24, 32)
    full = load_video(tmp_path / "clip.mkv", size=(24, 32))
    assert torch.equal(video, full[0:9:3])
    assert truth.shape[0] == 12


# --- Folders of frames ------------------------------------------------------------------------


def test_folder_is_read_in_natural_order(tmp_path):
    for t in [1, 2, 10, 11, 3]:  # written out of order; "frame_10" sorts after "frame_3"
        Image.new("L", (4, 4), t * 20).save(tmp_path / f"frame_{t}.png")
    (tmp_path / "notes.txt").write_text("not a frame")
    video = as_uint8(load_video(tmp_path))
    assert video[:, 0, 0, 0].tolist() == [20, 40, 60, 200, 220]


def test_folder_with_different_frame_sizes_asks_for_size(tmp_path):
    Image.new("RGB", (8, 8)).save(tmp_path / "a1.png")
    Image.new("RGB", (8, 6)).save(tmp_path / "a2.png")
    with pytest.raises(ValueError, match=r"size=\(H, W\)"):
        load_video(tmp_path)
    assert load_video(tmp_path, size=(5, 7)).shape == (2, 3, 5, 7)


def test_options_step_max_frames_size_on_a_gif(tmp_path):
    path = write_frames(moving_square(num_frames=7), tmp_path / "s.gif", duration=100)
    full = load_video(path)
    assert torch.equal(load_video(path, step=2), full[::2])
    assert torch.equal(load_video(path, step=2, max_frames=2), full[0:4:2])
    assert load_video(path, size=20).shape == (7, 3, 20, 20)
    assert load_video(path, max_frames=100).shape[0] == 7


def test_max_frames_stops_decoding_early(tmp_path, monkeypatch):
    video = torch.rand(120, 3, 16, 16)
    path = save_gif(video, tmp_path / "long.gif")
    seeks = []
    original = GifImagePlugin.GifImageFile.seek
    monkeypatch.setattr(GifImagePlugin.GifImageFile, "seek",
                        lambda self, frame: seeks.append(frame) or original(self, frame))
    assert load_video(path, max_frames=10).shape[0] == 10
    assert max(seeks) <= 10  # frames after the tenth are never decoded


# --- Errors a student can act on ----------------------------------------------------------------


def test_missing_path_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="nothere.gif"):
        load_video(tmp_path / "nothere.gif")


def test_not_an_image_or_video(tmp_path):
    path = tmp_path / "notes.gif"
    path.write_text("these are my notes, not a GIF")
    with pytest.raises(ValueError, match="notes.gif.*not an image or video"):
        load_video(path)


def test_empty_folder(tmp_path):
    with pytest.raises(ValueError, match="no image files"):
        load_video(tmp_path)


def test_corrupt_gif_names_the_file(tmp_path):
    path = tmp_path / "broken.gif"
    path.write_bytes(b"GIF89a" + bytes(range(256)) * 4)
    with pytest.raises(ValueError, match="broken.gif: damaged file"):
        load_video(path)


def test_unreadable_frame_in_a_folder_names_it(tmp_path):
    Image.new("RGB", (4, 4)).save(tmp_path / "f1.png")
    (tmp_path / "f2.png").write_bytes(b"\x89PNG garbage")
    with pytest.raises(ValueError, match="f2.png"):
        load_video(tmp_path)


def test_truncated_gif_returns_the_frames_that_decoded(tmp_path):
    path = save_gif(torch.rand(8, 3, 32, 32), tmp_path / "cut.gif")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) * 2 // 3])
    with pytest.warns(UserWarning, match="truncated"):
        video = load_video(path)
    assert 1 <= video.shape[0] < 8


def test_truncated_video_file_warns_or_raises_a_clear_error(tmp_path):
    write_video(tmp_path / "clip.mp4", "libx264", num_frames=30)
    data = (tmp_path / "clip.mp4").read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    try:
        video = load_video(cut)
    except ValueError as error:
        assert "cut.mp4" in str(error)
    else:
        assert 0 < video.shape[0] <= 30


def test_audio_only_file_has_no_video_stream(tmp_path):
    path = tmp_path / "beep.wav"
    with wave.open(str(path), "wb") as sound:
        sound.setnchannels(1), sound.setsampwidth(2), sound.setframerate(8000)
        sound.writeframes(bytes(1600))
    with pytest.raises(ValueError, match="beep.wav.*no video stream"):
        load_video(path)


@pytest.mark.parametrize("options, message", [
    ({"step": 0}, "step"), ({"max_frames": 0}, "max_frames"), ({"size": (10,)}, "size"),
    ({"size": (0, 5)}, "size"), ({"step": 1.5}, "step"),
])
def test_bad_options(tmp_path, options, message):
    path = save_gif(torch.rand(2, 3, 4, 4), tmp_path / "a.gif")
    with pytest.raises(ValueError, match=message):
        load_video(path, **options)


# --- save_gif --------------------------------------------------------------------------------


def test_save_gif_accepts_uint8_and_one_channel(tmp_path):
    video = moving_square()
    assert torch.equal(as_uint8(load_video(save_gif(video, tmp_path / "u8.gif"))), video)
    gray = torch.rand(3, 1, 10, 12)
    loaded = load_video(save_gif(gray, tmp_path / "gray.gif"))
    assert loaded.shape == (3, 3, 10, 12)
    assert (loaded - gray).abs().max() < 0.01  # 256 grey levels fit the palette exactly


def test_save_gif_speed_is_fps(tmp_path):
    path = save_gif(torch.rand(3, 3, 8, 8), tmp_path / "a.gif", fps=4)
    with Image.open(path) as gif:
        assert gif.info["duration"] == 250 and gif.info["loop"] == 0


def test_save_gif_rejects_channels_last_with_the_fix(tmp_path):
    with pytest.raises(ValueError, match=r"permute\(0, 3, 1, 2\)"):
        save_gif(torch.rand(4, 16, 16, 3), tmp_path / "a.gif")
    with pytest.raises(ValueError, match="fps"):
        save_gif(torch.rand(4, 3, 16, 16), tmp_path / "a.gif", fps=0)


def test_save_gif_warns_that_repeated_frames_merge(tmp_path):
    video = torch.rand(3, 3, 8, 8)
    video[2] = video[1]
    with pytest.warns(UserWarning, match=r"frames \[2\] repeat"):
        path = save_gif(video, tmp_path / "rep.gif")
    assert load_video(path).shape[0] == 2
