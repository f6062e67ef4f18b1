"""coursekit.video: every format load_video reads, its options, its errors, and save_gif."""

import os
import struct
import warnings
import wave

import av
import numpy as np
import pytest
import torch
from av.video.reformatter import Interpolation
from conftest import FIXTURES
from PIL import GifImagePlugin, Image

from coursekit.video import VideoTooLargeError, load_video, natural_key, save_gif, to_uint8


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


def write_video(path, codec, num_frames=12, size=(48, 64), pix_fmt="yuv420p", **options):
    """Encode a clip with PyAV: a bright bar moving down a dark frame; returns (T, 3, H, W).

    ``options`` go to the container, e.g. movflags="faststart" puts an MP4's index first.
    """
    h, w = size
    frames = np.full((num_frames, h, w, 3), 30, dtype=np.uint8)
    for t in range(num_frames):
        frames[t, 2 * t : 2 * t + 8] = (220, 180, 40)
    encode(path, codec, frames, pix_fmt, options)
    return torch.from_numpy(frames).permute(0, 3, 1, 2)


def encode(path, codec, frames, pix_fmt, container_options=None, turn=None, **stream_options):
    """Write (T, H, W, 3) uint8 frames with PyAV; ``turn=(degrees, hflip)`` sets a display
    matrix (counter-clockwise degrees, as ffprobe prints them)."""
    h, w = frames.shape[1:3]
    with av.open(str(path), "w", options=container_options or {}) as container:
        stream = container.add_stream(codec, rate=10, options=stream_options)
        stream.width, stream.height, stream.pix_fmt = w, h, pix_fmt
        if turn is not None:
            stream.set_display_rotation(turn[0], hflip=turn[1])
        for frame in frames:  # careful RGB -> YUV, so that tests measure the decoder's side
            yuv = av.VideoFrame.from_ndarray(frame, format="rgb24").reformat(
                format=pix_fmt, interpolation=Interpolation.LANCZOS
                | Interpolation.ACCURATE_RND | Interpolation.FULL_CHR_H_INP)
            container.mux(stream.encode(yuv))
        container.mux(stream.encode())


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


def test_apng_default_image_outside_the_animation_is_skipped(tmp_path):
    # An APNG may carry a poster (default image) that viewers and ffmpeg do not animate.
    video = moving_square()
    poster = Image.new("RGB", (48, 40), (255, 0, 255))
    path = tmp_path / "poster.png"
    frames = [Image.fromarray(f.permute(1, 2, 0).numpy()) for f in video]
    poster.save(path, save_all=True, append_images=frames, default_image=True, duration=100)
    with Image.open(path) as apng:
        assert apng.n_frames == 7 and apng.info["default_image"]  # Pillow counts the poster
    assert torch.equal(as_uint8(load_video(path)), video)


def test_apng_animation_starts_on_a_clear_canvas_not_on_the_poster(tmp_path):
    # The first animated frame is transparent but for a green bar, blended over the canvas.
    frames = []
    for t in range(3):
        frame = Image.new("RGBA", (16, 8), (0, 0, 0, 0))
        frame.paste((0, 255, 0, 255), (4 * t, 0, 4 * t + 4, 8))
        frames.append(frame)
    path = tmp_path / "poster.png"
    Image.new("RGBA", (16, 8), (255, 0, 255, 255)).save(
        path, save_all=True, append_images=frames, default_image=True, duration=100,
        blend=1, disposal=0)  # blend over, keep the canvas between frames
    video = as_uint8(load_video(path))
    assert video.shape == (3, 3, 8, 16)
    assert video[:, 0].max() == 0  # no magenta poster anywhere: its red channel would show
    assert video[0, 1, :, :4].min() == 255 and video[0, 1, :, 4:].max() == 0


def quadrants(height=16, width=32):
    """(H, W, 3) uint8: red | green over blue | white, so any turn or mirror shows."""
    image = np.zeros((height, width, 3), dtype=np.uint8)
    image[: height // 2, : width // 2] = (255, 0, 0)
    image[: height // 2, width // 2 :] = (0, 255, 0)
    image[height // 2 :, : width // 2] = (0, 0, 255)
    image[height // 2 :, width // 2 :] = (255, 255, 255)
    return image


def quadrant_centres(image):
    """The colour in the middle of each quarter of an (H, W, 3) or (3, H, W) image."""
    if image.shape[0] == 3:
        image = image.permute(1, 2, 0).numpy()
    h, w = image.shape[:2]
    return [image[y, x].tolist() for y in (h // 4, 3 * h // 4) for x in (w // 4, 3 * w // 4)]


@pytest.mark.parametrize("orientation, quarter_turns", [(3, 2), (6, -1), (8, 1)])
def test_exif_orientation_turns_still_images_upright(tmp_path, orientation, quarter_turns):
    # A camera stores the sensor's pixels and an EXIF tag (274) saying how to turn them.
    upright = quadrants()
    stored = np.ascontiguousarray(np.rot90(upright, -quarter_turns))
    exif = Image.Exif()
    exif[274] = orientation
    Image.fromarray(stored).save(tmp_path / "photo.png", exif=exif)
    (tmp_path / "frames").mkdir()
    Image.fromarray(stored).save(tmp_path / "frames" / "f1.jpg", exif=exif, quality=95)
    assert torch.equal(as_uint8(load_video(tmp_path / "photo.png"))[0],
                       torch.from_numpy(upright).permute(2, 0, 1))
    from_folder = as_uint8(load_video(tmp_path / "frames"))[0]
    assert from_folder.shape == (3, 16, 32)
    assert np.allclose(quadrant_centres(from_folder), quadrant_centres(upright), atol=8)


@pytest.mark.parametrize("suffix, mode", [(".png", "I;16"), (".tif", "I;16B"), (".tif", "I")])
def test_16_bit_grey_frames_scale_to_0_1(tmp_path, suffix, mode):
    ramps = [np.linspace(0, 65535, 40).round().astype(np.uint16)[None].repeat(6, 0) // (t + 1)
             for t in range(3)]  # (6, 40) gradients, frame t reaching 65535 / (t + 1)
    for t, ramp in enumerate(ramps):
        if mode == "I;16B":
            image = Image.frombytes(mode, (40, 6), ramp.astype(">u2").tobytes())
        else:
            image = Image.fromarray(ramp.astype(np.int32) if mode == "I" else ramp)
        assert image.mode == mode
        image.save(tmp_path / f"f{t}{suffix}")
    video = load_video(tmp_path)
    truth = torch.from_numpy(np.stack(ramps) / 65535).float()
    assert video.shape == (3, 3, 6, 40)
    assert (video - truth[:, None]).abs().max() < 1 / 255
    assert load_video(tmp_path / f"f0{suffix}").max() == 1.0
    small = load_video(tmp_path, size=(3, 20))
    assert small.shape == (3, 3, 3, 20) and 0.45 < small[0].mean() < 0.55


def test_16_bit_colour_png_is_read_at_8_bits(tmp_path):
    rgb = np.full((4, 6, 3), 65535, np.uint16) // np.array([1, 2, 4], np.uint16)  # 1, 1/2, 1/4
    path = tmp_path / "rgb48.png"  # Pillow cannot write 16-bit colour, FFmpeg's PNG encoder can
    with av.open(str(path), "w", format="image2") as container:
        stream = container.add_stream("png", rate=1)
        stream.width, stream.height, stream.pix_fmt = 6, 4, "rgb48be"
        container.mux(stream.encode(av.VideoFrame.from_ndarray(rgb, format="rgb48le")))
        container.mux(stream.encode())
    video = load_video(path)
    assert torch.allclose(video[0, :, 0, 0], torch.tensor([1, 0.5, 0.25]), atol=1 / 255)


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


def test_phone_clip_rotated_by_metadata_loads_upright():
    # Stored 32 wide x 16 tall, with the display matrix of a phone held upright: a quarter
    # turn clockwise (see tests/fixtures/README.md). A player shows it 16 wide x 32 tall.
    video = as_uint8(load_video(FIXTURES / "portrait_phone.mp4"))
    assert video.shape == (3, 3, 32, 16)
    upright = np.rot90(quadrants(), -1)  # numpy turns counter-clockwise for positive k
    for frame in video:
        assert np.allclose(quadrant_centres(frame), quadrant_centres(upright), atol=8)


@pytest.mark.skipif(not hasattr(av.video.stream.VideoStream, "set_display_rotation"),
                    reason="PyAV cannot write a display matrix before version 18")
@pytest.mark.parametrize("degrees, hflip", [(90, False), (180, False), (270, False),
                                            (0, True), (90, True), (270, True)])
def test_display_matrix_turns_and_mirrors_like_a_player(tmp_path, degrees, hflip):
    # What ffmpeg's player shows (checked with ffmpeg 5.1): turn counter-clockwise, then mirror.
    frames = np.stack([quadrants()] * 2)
    encode(tmp_path / "turned.mp4", "libx264", frames, "yuv444p", turn=(degrees, hflip), qp="0")
    shown = np.rot90(quadrants(), degrees // 90)
    shown = shown[:, ::-1] if hflip else shown
    video = as_uint8(load_video(tmp_path / "turned.mp4"))
    assert video.shape[2:] == shown.shape[:2]
    assert np.abs(video[0].permute(1, 2, 0).numpy().astype(int) - shown).max() <= 3


@pytest.mark.skipif(not hasattr(av.video.stream.VideoStream, "set_display_rotation"),
                    reason="PyAV cannot write a display matrix before version 18")
def test_display_matrix_at_45_degrees_warns_and_keeps_the_frames(tmp_path):
    frames = np.stack([quadrants()] * 2)
    encode(tmp_path / "tilted.mp4", "libx264", frames, "yuv444p", turn=(45, False), qp="0")
    with pytest.warns(UserWarning, match="turned by 45 degrees, not a multiple of 90"):
        assert load_video(tmp_path / "tilted.mp4").shape == (2, 3, 16, 32)


def gradient_with_patches(height, width, num_frames=3):
    """(T, H, W, 3) uint8: smooth colour ramps with six saturated patches that move."""
    y, x = np.mgrid[0:height, 0:width]
    frames = []
    for t in range(num_frames):
        frame = np.stack([(x + 3 * t) / width, y / height, (x + y) / (height + width)], -1) * 255
        for i, colour in enumerate([(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0),
                                    (0, 255, 255), (255, 0, 255)]):
            left = 3 + i * (width // 7) + t
            frame[height // 2 : height // 2 + height // 5, left : left + width // 9] = colour
        frames.append(frame.clip(0, 255).round().astype(np.uint8))
    return np.stack(frames)


@pytest.mark.parametrize("pix_fmt, width, most", [
    ("yuv420p", 127, 3.4),  # PyAV's default frame.to_image() gives 3.92 (2.93 now)
    ("yuv420p10le", 128, 3.3),  # default 3.88 (2.83 now)
    ("yuv420p10le", 127, 2.8),  # default 2.73, the same as now: documents the accuracy
])
def test_yuv_to_rgb_is_accurate(tmp_path, pix_fmt, width, most):
    # YUV 4:2:0 stores colour at half resolution, so some error is unavoidable around the
    # patches; PyAV's default conversion adds more (numbers measured with PyAV 18.1).
    source = gradient_with_patches(96, width)
    encode(tmp_path / "clip.mkv", "ffv1", source, pix_fmt)  # lossless: only YUV <-> RGB counts
    video = as_uint8(load_video(tmp_path / "clip.mkv")).permute(0, 2, 3, 1).numpy()
    error = np.abs(video.astype(float) - source).mean()
    assert error < most, f"mean absolute error {error:.2f} of 255"


@pytest.mark.parametrize("name, codec, options", [
    ("cut.mp4", "mpeg4", {"movflags": "faststart"}),  # the index first, as web videos have it
    ("cut.mp4", "libx264", {"movflags": "faststart"}),
    ("cut.webm", "libvpx", {}),
    ("cut.webm", "libvpx-vp9", {}),
    ("cut.mkv", "ffv1", {}),
    ("cut.avi", "mpeg4", {}),
])
def test_truncated_video_warns_and_returns_the_frames_that_decoded(tmp_path, name, codec,
                                                                   options):
    path = tmp_path / name
    noise = np.random.default_rng(0).integers(0, 256, (30, 48, 64, 3), dtype=np.uint8)
    encode(path, codec, noise, "yuv420p", options)  # noise: every frame takes as many bytes
    path.write_bytes(path.read_bytes()[: len(path.read_bytes()) * 6 // 10])
    with pytest.warns(UserWarning, match="truncated") as caught:
        video = load_video(path)
    assert 0 < video.shape[0] < 30
    assert f"returning the {video.shape[0]} frames that decoded" in str(caught[0].message)
    assert caught[0].filename == __file__  # the warning points at the caller's line


def test_video_damaged_midway_warns_and_returns_the_frames_before(tmp_path):
    path = tmp_path / "damaged.mp4"
    noise = np.random.default_rng(0).integers(0, 256, (30, 48, 64, 3), dtype=np.uint8)
    encode(path, "libx264", noise, "yuv420p", {"movflags": "faststart"})
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 2000] = bytes(2000)  # zeros where frames were
    path.write_bytes(data)
    with pytest.warns(UserWarning, match=r"damaged after frame \d+.*returning the \d+ frames"):
        assert 0 < load_video(path).shape[0] < 30


@pytest.mark.parametrize("kept", [0.3, 0.6, 0.9])
def test_mp4_cut_before_or_in_its_index_is_a_damaged_file(tmp_path, kept):
    # By default an MP4 is written front to back with its index (the moov atom) last:
    # here frames take the first 60 % of the file, the index the rest.
    path = tmp_path / "cut.mp4"
    write_video(path, "libx264", num_frames=30)
    path.write_bytes(path.read_bytes()[: round(len(path.read_bytes()) * kept)])
    with pytest.raises(ValueError, match=r"cut.mp4: damaged file.*MP4.*moov"):
        load_video(path)


@pytest.mark.parametrize("name, codec", [("a.mp4", "libx264"), ("a.webm", "libvpx-vp9"),
                                         ("a.avi", "mpeg4"), ("a.mkv", "ffv1")])
def test_complete_videos_do_not_warn(tmp_path, name, codec):
    write_video(tmp_path / name, codec, num_frames=30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_video(tmp_path / name).shape[0] == 30
        assert load_video(tmp_path / name, step=7).shape[0] == 5


def test_trimmed_mp4_does_not_warn():
    # Cut with ffmpeg -c copy: an edit list hides frames the file still counts.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_video(FIXTURES / "trimmed.mp4").shape == (12, 3, 16, 32)


# --- Folders of frames ------------------------------------------------------------------------


def test_folder_is_read_in_natural_order(tmp_path):
    for t in [1, 2, 10, 11, 3]:  # written out of order; "frame_10" sorts after "frame_3"
        Image.new("L", (4, 4), t * 20).save(tmp_path / f"frame_{t}.png")
    (tmp_path / "notes.txt").write_text("not a frame")
    video = as_uint8(load_video(tmp_path))
    assert video[:, 0, 0, 0].tolist() == [20, 40, 60, 200, 220]


def test_natural_key_orders_numbers_by_value():
    names = ["frame_10.png", "Frame_2.png", "frame_1.png", "frame_1b.png"]
    assert sorted(names, key=natural_key) == ["frame_1.png", "frame_1b.png", "Frame_2.png",
                                              "frame_10.png"]


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


def test_audio_only_file_has_no_video_stream(tmp_path):
    path = tmp_path / "beep.wav"
    with wave.open(str(path), "wb") as sound:
        sound.setnchannels(1), sound.setsampwidth(2), sound.setframerate(8000)
        sound.writeframes(bytes(1600))
    with pytest.raises(ValueError, match="beep.wav.*no video stream"):
        load_video(path)


@pytest.mark.parametrize("options, message", [
    ({"step": 0}, "step"), ({"max_frames": 0}, "max_frames"), ({"size": (10,)}, "size"),
    ({"size": (0, 5)}, "size"), ({"step": 1.5}, "step"), ({"size": 3.5}, "size"),
    ({"size": (3.5, 2)}, "size"), ({"size": True}, "size"), ({"size": (True, 4)}, "size"),
    ({"size": "32"}, "size"), ({"max_frames": 2.0}, "max_frames"),
    ({"max_frames": True}, "max_frames"), ({"step": True}, "step"),
    ({"max_bytes": 0}, "max_bytes"), ({"max_bytes": "2GB"}, "max_bytes"),
    ({"max_bytes": True}, "max_bytes"), ({"max_bytes": float("nan")}, "max_bytes"),
    ({"size": np.array([3.5, 2])}, "size"), ({"size": np.int64(0)}, "size"),
    ({"step": np.bool_(True)}, "step"),
])
def test_bad_options(tmp_path, options, message):
    path = save_gif(torch.rand(2, 3, 4, 4), tmp_path / "a.gif")
    with pytest.raises(ValueError, match=f"{message} must be .*got"):
        load_video(path, **options)


def test_numpy_and_torch_integers_are_fine_options(tmp_path):
    path = save_gif(torch.rand(4, 3, 4, 4), tmp_path / "a.gif")
    video = load_video(path, step=np.int64(2), max_frames=torch.tensor(5).item(),
                       size=torch.Size([6, 8]))
    assert video.shape == (2, 3, 6, 8)
    assert load_video(path, size=np.array([3, 5])).shape == (4, 3, 3, 5)


# --- The memory bound -------------------------------------------------------------------------


def huge_gif(path, num_frames=30, side=6000):
    """A small GIF of big frames: Pillow writes the first, one colour; each later frame adds a
    white dot, written by hand as a 1 x 1 sub-image (as GIF encoders store small changes)."""
    first = Image.new("P", (side, side), 0)
    first.putpalette([40, 90, 160, 255, 255, 255])
    first.save(path, format="GIF")
    data = path.read_bytes()[:-1]  # all but the trailer, b";"
    for t in range(1, num_frames):
        data += b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # graphic control: show for 0.1 s
        data += b"\x2c" + struct.pack("<4H", 100 * t, 100 * t, 1, 1) + b"\x00"  # 1 x 1 at t
        data += b"\x02\x02\x4c\x01\x00"  # LZW codes "clear, colour 1, end", 3 bits each
    path.write_bytes(data + b";")
    return path


def pretend_memory(monkeypatch, num_bytes):
    sizes = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": num_bytes // 4096}
    monkeypatch.setattr(os, "sysconf", lambda name: sizes[name])


def test_huge_clip_is_refused_before_decoding(tmp_path, monkeypatch):
    path = huge_gif(tmp_path / "huge.gif")
    assert path.stat().st_size < 100_000
    with Image.open(path) as gif:
        assert gif.n_frames == 30 and gif.size == (6000, 6000)
    pretend_memory(monkeypatch, 16 * 10**9)  # the default bound is a quarter: 4 GB
    decoded = []
    original = GifImagePlugin.GifImageFile.load_prepare
    monkeypatch.setattr(GifImagePlugin.GifImageFile, "load_prepare",
                        lambda self: decoded.append(self.tell()) or original(self))
    with pytest.raises(VideoTooLargeError) as error:
        load_video(path)
    assert decoded == []  # refused before decoding a single frame
    message = str(error.value)
    for words in ["huge.gif", "13.0 GB", "(30, 3, 6000, 6000)", "4.0 GB", "a quarter",
                  "max_frames=9", "step=4", "size=(H, W)", "max_bytes="]:
        assert words in message
    assert isinstance(error.value, MemoryError)
    assert load_video(path, max_frames=1, size=(60, 60)).shape == (1, 3, 60, 60)


def test_max_bytes_bounds_step_size_and_max_frames(tmp_path):
    path = save_gif(torch.rand(10, 3, 20, 30), tmp_path / "a.gif")
    frame_bytes = 3 * 20 * 30 * 4
    with pytest.raises(VideoTooLargeError, match="max_frames=4 or step=3"):
        load_video(path, max_bytes=4 * frame_bytes)
    assert load_video(path, max_bytes=4 * frame_bytes, step=3).shape[0] == 4
    assert load_video(path, max_bytes=4 * frame_bytes, max_frames=4).shape[0] == 4
    assert load_video(path, max_bytes=frame_bytes, size=(10, 30), max_frames=2).shape[0] == 2


def test_memory_bound_is_checked_as_frames_arrive_when_the_file_has_no_count(tmp_path):
    class WriteOnly:  # a pipe, say: the muxer cannot go back to write the duration
        def __init__(self, file):
            self.write = file.write

    path = tmp_path / "stream.mkv"
    with open(path, "wb") as file, av.open(WriteOnly(file), "w", format="matroska") as out:
        stream = out.add_stream("ffv1", rate=10)
        stream.width, stream.height, stream.pix_fmt = 32, 16, "yuv420p"
        for t in range(20):
            frame = np.full((16, 32, 3), 10 * t, dtype=np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode())
    with av.open(str(path)) as container:
        assert not container.duration and not container.streams.video[0].frames
    with pytest.raises(VideoTooLargeError, match=r"frames read so far.*\(6, 3, 16, 32\)"):
        load_video(path, max_bytes=5 * 3 * 16 * 32 * 4)
    assert load_video(path, max_bytes=20 * 3 * 16 * 32 * 4).shape[0] == 20


def test_default_memory_bound_without_sysconf(tmp_path, monkeypatch):
    monkeypatch.delattr(os, "sysconf", raising=False)  # as on Windows: assume 8 GB
    path = huge_gif(tmp_path / "huge.gif")
    with pytest.raises(VideoTooLargeError, match=r"2.0 GB allowed \(a quarter of .* 8.0 GB"):
        load_video(path)


# --- to_uint8 and save_gif ------------------------------------------------------------------


def test_to_uint8_rounds_to_the_nearest_level_and_clamps():
    # 0.2 * 255 = 51.0; 127.5 / 255 -> 128 (half to even); 0.9 * 255 = 229.5 -> 230 (229 if
    # it truncated); 200.7 / 255 -> 201 (200 if it truncated); out of range is clamped.
    values = torch.tensor([0.0, 0.2, 127.5 / 255, 0.9, 200.7 / 255, 1.0, -0.1, 1.2])
    video = values.view(1, 1, 1, -1).expand(2, 3, 1, -1)  # (T, C, H, W) = (2, 3, 1, 8)
    pixels = to_uint8(video)
    assert pixels.shape == (2, 1, 8, 3) and pixels.dtype == torch.uint8
    assert pixels[0, 0, :, 0].tolist() == [0, 51, 128, 230, 201, 255, 0, 255]
    assert torch.equal(pixels[1], pixels[0]) and torch.equal(pixels[..., 2], pixels[..., 0])


def test_to_uint8_keeps_uint8_and_turns_grey_into_three_channels():
    video = torch.randint(0, 256, (3, 3, 4, 5), dtype=torch.uint8)
    assert torch.equal(to_uint8(video), video.permute(0, 2, 3, 1))  # unchanged, channels last
    grey = torch.rand(3, 1, 4, 5)
    pixels = to_uint8(grey)
    assert pixels.shape == (3, 4, 5, 3)
    assert torch.equal(pixels, (grey * 255).round().to(torch.uint8).permute(0, 2, 3, 1)
                       .expand(-1, -1, -1, 3))


@pytest.mark.parametrize("video, message", [
    (torch.rand(3, 8, 8), r"\(T, C, H, W\) tensor, got \(3, 8, 8\)"),
    ([[0.5]], r"\(T, C, H, W\) tensor, got list"),
    (torch.rand(2, 4, 8, 8), "1 or 3 channels.*C = 4"),
])
def test_to_uint8_names_what_it_got(video, message):
    with pytest.raises(ValueError, match=message):
        to_uint8(video)


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


def test_save_gif_of_no_frames_names_the_argument(tmp_path):
    with pytest.raises(ValueError, match=r"video has shape \(0, 3, 8, 8\).*at least one frame"):
        save_gif(torch.rand(0, 3, 8, 8), tmp_path / "a.gif")


def test_save_gif_warns_that_repeated_frames_merge(tmp_path):
    video = torch.rand(3, 3, 8, 8)
    video[2] = video[1]
    with pytest.warns(UserWarning, match=r"frames \[2\] repeat"):
        path = save_gif(video, tmp_path / "rep.gif")
    assert load_video(path).shape[0] == 2
