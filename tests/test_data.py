"""coursekit.data's data sets: reversed pairs, rhythms, determinism, VideoFolder, clear errors."""

import re

import av
import numpy as np
import pytest
import torch
from PIL import Image
from torchvision.transforms import v2

from coursekit.data import (
    Heartbeats,
    MovingShapes,
    UnreadableClipError,
    VideoFolder,
    ball_trajectories,
    basketball_clip,
    bouncing_ball,
)
from coursekit.video import VIDEO_SUFFIXES, load_video, save_gif

# --- MovingShapes ----------------------------------------------------------------------------


def test_moving_shapes_items_are_videos_with_int_labels():
    data = MovingShapes(12, num_frames=6, frame_size=24)
    video, label = data[0]
    assert video.shape == (6, 3, 24, 24) and video.dtype == torch.float32
    assert 0 <= video.min() and video.max() <= 1
    assert isinstance(label, int) and 0 <= label < len(data.classes) == 10
    assert len(data) == 12


def test_labels_are_balanced():
    data = MovingShapes(50, num_frames=4, frame_size=16)
    assert torch.bincount(data.labels).tolist() == [5] * 10


def test_odd_class_is_the_even_class_played_backwards():
    data = MovingShapes(6, num_frames=7, frame_size=20, seed=3)
    for index in range(len(data)):
        for even in range(0, 10, 2):
            forward, backward = data.make_clip(index, even), data.make_clip(index, even + 1)
            assert torch.equal(backward, forward.flip(0))
            assert not torch.equal(backward, forward)  # the frames do change over time


def test_item_is_its_draw_shown_as_its_label():
    data = MovingShapes(5, num_frames=5, frame_size=16, seed=1)
    for index in range(len(data)):
        video, label = data[index]
        assert torch.equal(video, data.make_clip(index, label))


def count_draws(monkeypatch, cls):
    """Count the calls to ``cls.draw`` from now on: -> a list, one entry per clip drawn."""
    draws, draw = [], cls.draw
    monkeypatch.setattr(cls, "draw", lambda self, *args: draws.append(args) or draw(self, *args))
    return draws


def test_drawn_clips_are_kept_and_handed_out_as_copies(monkeypatch):
    draws = count_draws(monkeypatch, MovingShapes)
    data = MovingShapes(3, num_frames=4, frame_size=16)
    threads = torch.get_num_threads()
    video, label = data[0]
    assert torch.get_num_threads() == threads  # drawn on one thread, then put back
    video.zero_()  # changing what we got must not change the data set
    assert torch.equal(data[0][0], data.make_clip(0, label))
    assert torch.equal(data[-1][0], data[2][0])
    assert len(draws) == 3  # clip 0 (then make_clip), clip 2; asked again, from memory
    monkeypatch.setattr(MovingShapes, "cache_bytes", 0)  # too big to keep: drawn every time
    data = MovingShapes(3, num_frames=4, frame_size=16)
    first, again = data[0][0], data[0][0]
    assert torch.equal(first, again) and torch.equal(first, data.make_clip(0, label))
    assert len(draws) == 6  # clip 0 drawn twice, then make_clip


def test_numpy_counts_and_a_square_pair_are_fine():
    expected = MovingShapes(4, num_frames=5, frame_size=16, seed=2)
    data = MovingShapes(np.int64(4), num_frames=np.int64(5), frame_size=(16, np.int64(16)),
                        seed=np.int64(2))
    assert data.frame_size == 16 and isinstance(data.frame_size, int)
    assert torch.equal(data.labels, expected.labels)
    assert all(torch.equal(data[i][0], expected[i][0]) for i in range(4))
    assert Heartbeats(4, num_frames=10, frame_size=[16, 16])[0][0].shape == (10, 3, 16, 16)


def centroid_x(frame):
    """Column of the centre of what differs from the background: (C, H, W) -> float."""
    weight = shape_pixels(frame).float()
    return (weight.sum(dim=0) * torch.arange(frame.shape[-1])).sum() / weight.sum()


def shape_pixels(frame):
    """(C, H, W) -> (H, W) bool: pixels far from the background in some channel."""
    return (frame - frame.flatten(1).median(dim=1).values.view(-1, 1, 1)).abs().amax(dim=0) > 0.4


def test_classes_do_what_their_names_say():
    data = MovingShapes(8, num_frames=8, frame_size=48)
    right, grows = data.classes.index("moves right"), data.classes.index("grows")
    for index in range(len(data)):
        clip = data.make_clip(index, right)
        assert centroid_x(clip[-1]) > centroid_x(clip[0]) + 5
        clip = data.make_clip(index, grows)
        area = [shape_pixels(frame).sum() for frame in clip]
        assert area[-1] > 2 * area[0]


def test_same_seed_same_clips_other_seed_other_clips():
    a, b = MovingShapes(4, num_frames=4, frame_size=16), MovingShapes(4, num_frames=4,
                                                                     frame_size=16)
    c = MovingShapes(4, num_frames=4, frame_size=16, seed=1)
    assert all(torch.equal(a[i][0], b[i][0]) for i in range(4))
    assert torch.equal(a.labels, b.labels)
    assert not torch.equal(a[0][0], c[0][0])


def test_a_subset_of_pairs():
    data = MovingShapes(8, num_frames=4, frame_size=16, classes=["grows", "moves left",
                                                                 "shrinks", "moves right"])
    assert data.classes == ["moves right", "moves left", "grows", "shrinks"]
    assert set(data.labels.tolist()) == {0, 1, 2, 3}
    with pytest.raises(ValueError, match="moves left"):
        MovingShapes(8, classes=["moves right", "grows", "shrinks"])
    with pytest.raises(ValueError, match="unknown"):
        MovingShapes(8, classes=["jumps"])


def test_pair_accuracy_compares_a_class_with_its_reverse():
    logits = torch.tensor([[2.0, 1.0, 9.0, 0.0], [2.0, 1.0, 9.0, 0.0], [0.0, 0.0, 1.0, 3.0]])
    labels = torch.tensor([0, 1, 3])  # right, wrong (1 < 2), right: the 9 does not count
    assert MovingShapes.pair_accuracy(logits, labels) == pytest.approx(2 / 3)


@pytest.mark.parametrize("cls", [MovingShapes, Heartbeats])
def test_clear_errors(cls):
    with pytest.raises(ValueError, match="at least 1 clip"):
        cls(0)
    for frame_size in (8, (8, 8), (32, 48), True, 32.0, "32"):
        with pytest.raises(ValueError, match=re.escape(f"square frames of at least 16 x 16 "
                                                       f"pixels (the CNN halves them three "
                                                       f"times), got frame_size={frame_size!r}")):
            cls(10, frame_size=frame_size)
    with pytest.raises(ValueError, match="num_frames"):
        cls(10, num_frames=1)
    with pytest.raises(IndexError):
        cls(3, num_frames=10, frame_size=16)[3]


@pytest.mark.parametrize("cls", [MovingShapes, Heartbeats])
def test_clear_errors_for_a_bool_count_and_a_missing_seed(cls):
    with pytest.raises(ValueError, match="at least 1 clip, got num_videos=True"):
        cls(True)
    for seed in (None, 1.5, "0"):
        with pytest.raises(ValueError, match=f"seed must be an int.*got seed={seed!r}"):
            cls(10, seed=seed)


@pytest.mark.parametrize("classes", ["moves right", [], 3])
def test_classes_must_be_a_list_of_names(classes):
    message = re.escape(f"list of class names, got classes={classes!r}")
    with pytest.raises(ValueError, match=message):
        MovingShapes(8, classes=classes)


def test_the_ball_functions_name_a_bad_count():
    with pytest.raises(ValueError, match="num_series=0"):
        ball_trajectories(0, 10)
    with pytest.raises(ValueError, match="num_series=-1"):
        ball_trajectories(-1, 10)
    with pytest.raises(ValueError, match="num_steps=2.5"):
        bouncing_ball(2.5)
    with pytest.raises(ValueError, match="num_frames=0"):
        basketball_clip(0)
    for size in (0, -5, 3.5, True):
        with pytest.raises(ValueError, match=f"size must be a positive int.*size={size}"):
            basketball_clip(4, size=size)


def test_the_ball_functions_take_numpy_counts():
    assert torch.equal(bouncing_ball(np.int64(6)), bouncing_ball(6))
    assert ball_trajectories(np.int64(3), np.int64(4)).shape == (3, 4, 2)
    assert torch.equal(basketball_clip(np.int64(2), size=np.int64(32)), basketball_clip(2, 32))


# --- Heartbeats ------------------------------------------------------------------------------


def test_heartbeats_items():
    data = Heartbeats(8, num_frames=12, frame_size=20)
    video, label = data[1]
    assert video.shape == (12, 3, 20, 20) and video.dtype == torch.float32
    assert 0 <= video.min() and video.max() <= 1
    assert torch.equal(video[:, 0], video[:, 1])  # grey, like an MRI
    assert data.classes == ["normal", "tachycardia", "bradycardia", "arrhythmia"]
    assert torch.equal(video, Heartbeats(8, num_frames=12, frame_size=20)[1][0])


def test_heartbeats_rhythms():
    data = Heartbeats(1, num_frames=16, frame_size=16)
    generator = torch.Generator().manual_seed(0)
    for rhythm, (low, high) in data.beats_per_minute.items():
        gaps = data.beat_times(generator, rhythm, duration=2.0).diff()
        assert torch.allclose(gaps, gaps[0])  # regular
        assert low <= 60 / gaps[0] <= high
    gaps = data.beat_times(generator, "arrhythmia", duration=2.0).diff()
    short, long = gaps < 0.6, gaps > 0.8
    assert (short | long).all() and (short[1:] != short[:-1]).all()  # they alternate


def test_the_heart_beats():
    """The heart's size changes over a clip, more often when it beats fast."""
    data = Heartbeats(40, num_frames=16, frame_size=32, seed=0)

    def changes(label):
        sizes = [(clip[:, 0] > clip[:, 0].mean()).flatten(1).sum(1).float()
                 for clip in (data.make_clip(i, label) for i in range(10))]
        return torch.stack([s.diff().abs().sum() for s in sizes]).mean()

    assert changes(1) > changes(0) > changes(2) > 0  # tachycardia > normal > bradycardia


# --- VideoFolder -----------------------------------------------------------------------------


def ramp_clip(num_frames, size=16):
    """(T, 3, H, W): frame t is a flat grey of brightness 10 * t / 255, so t can be read back."""
    values = torch.arange(num_frames, dtype=torch.float32).mul(10 / 255).view(-1, 1, 1, 1)
    return values.expand(num_frames, 3, size, size).clone()


def write_mp4(path, num_frames=10, size=(32, 32)):
    frames = np.zeros((num_frames, *size, 3), dtype=np.uint8)
    frames[:, : size[0] // 2] = (200, 40, 40)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = size[1], size[0], "yuv420p"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())


@pytest.fixture
def folder(tmp_path):
    (tmp_path / "jump").mkdir()
    (tmp_path / "run").mkdir()
    (tmp_path / ".ipynb_checkpoints").mkdir()  # hidden: not a class
    save_gif(ramp_clip(9), tmp_path / "jump" / "a.gif")
    save_gif(ramp_clip(4), tmp_path / "jump" / "b.gif")
    (tmp_path / "jump" / "notes.txt").write_text("not a clip")
    write_mp4(tmp_path / "run" / "c.mp4")
    (tmp_path / "run" / "d.gif").write_bytes(b"GIF89a this is not really a GIF")
    return tmp_path


def test_video_folder_finds_classes_and_clips(folder):
    data = VideoFolder(folder, num_frames=5, frame_size=16)
    assert data.classes == ["jump", "run"]
    assert [p.name for p in data.files] == ["a.gif", "b.gif", "c.mp4", "d.gif"]
    assert data.labels.tolist() == [0, 0, 1, 1]
    video, label = data[2]  # the MP4
    assert video.shape == (5, 3, 16, 16) and video.dtype == torch.float32 and label == 1


def test_video_folder_samples_frames_evenly(folder):
    data = VideoFolder(folder, num_frames=5, frame_size=16)
    times = lambda video: (video[:, 0, 0, 0] * 255 / 10).round().long().tolist()  # noqa: E731
    assert times(data[0][0]) == [0, 2, 4, 6, 8]  # 9 frames -> 5, first and last kept
    assert times(data[1][0]) == [0, 1, 2, 2, 3]  # 4 frames -> 5: one repeats


def test_unreadable_file_names_itself_and_spares_the_rest(folder):
    data = VideoFolder(folder, num_frames=3, frame_size=16)
    with pytest.raises(ValueError, match="d.gif"):
        data[3]
    assert data[0][0].shape == (3, 3, 16, 16)  # the others still load
    assert [p.name for p in data.unreadable()] == ["d.gif"]


def test_transform_treats_every_frame_alike(folder):
    (folder / "run" / "d.gif").unlink()
    torch.manual_seed(0)
    transform = v2.Compose([v2.RandomResizedCrop(8, scale=(0.2, 0.5)), v2.RandomHorizontalFlip()])
    data = VideoFolder(folder, num_frames=4, frame_size=32, transform=transform)
    crops = [data[2][0] for _ in range(6)]  # the MP4: a red top half over black, still
    for video in crops:
        assert video.shape == (4, 3, 8, 8)
        assert torch.allclose(video, video[:1].expand_as(video), atol=0.05)  # same crop in time
    assert any(not torch.allclose(crops[0], other, atol=0.05) for other in crops[1:])


def test_video_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no folder"):
        VideoFolder(tmp_path / "missing", num_frames=4, frame_size=16)
    save_gif(ramp_clip(3), tmp_path / "loose.gif")
    with pytest.raises(ValueError, match="no class folders"):
        VideoFolder(tmp_path, num_frames=4, frame_size=16)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="hold no clips"):
        VideoFolder(tmp_path, num_frames=4, frame_size=16)


@pytest.mark.parametrize("frame_size", [0, -16, 3.5, (0, 10), (16, 16, 3), "16", True, None])
def test_video_folder_refuses_a_bad_frame_size_at_once(folder, frame_size):
    with pytest.raises(ValueError, match=re.escape(f"got frame_size={frame_size!r}")):
        VideoFolder(folder, num_frames=4, frame_size=frame_size)


@pytest.mark.parametrize("num_frames", [0, -1, 2.0, True])
def test_video_folder_refuses_a_bad_num_frames_at_once(folder, num_frames):
    with pytest.raises(ValueError, match=re.escape(f"got num_frames={num_frames!r}")):
        VideoFolder(folder, num_frames=num_frames, frame_size=16)


@pytest.mark.parametrize("transform, fix", [(3, "callable"), (v2.RandomHorizontalFlip, "instance"),
                                            ([v2.RandomHorizontalFlip()], "Compose")])
def test_video_folder_refuses_a_transform_it_cannot_call(folder, transform, fix):
    with pytest.raises(ValueError, match=f"transform.*{fix}"):
        VideoFolder(folder, num_frames=4, frame_size=16, transform=transform)


@pytest.mark.parametrize("frame_size", [[16, 24], (np.int64(16), 24)])
def test_video_folder_takes_a_list_or_numpy_frame_size(folder, frame_size):
    data = VideoFolder(folder, num_frames=3, frame_size=frame_size)
    assert data.frame_size == (16, 24)
    assert data[0][0].shape == (3, 3, 16, 24)


def test_a_failing_transform_is_not_blamed_on_the_files(folder):
    data = VideoFolder(folder, num_frames=3, frame_size=16, transform=v2.RandomCrop(32))
    with pytest.raises(ValueError, match="crop size") as error:
        data[0]
    assert "cannot read" not in str(error.value) and "a.gif" not in str(error.value)
    assert [p.name for p in data.unreadable()] == ["d.gif"]  # not every clip


def test_a_bad_setting_is_not_blamed_on_the_files(folder):
    data = VideoFolder(folder, num_frames=3, frame_size=16)
    data.frame_size = 0  # changed after the constructor checked it
    for attempt in (lambda: data[0], data.unreadable):
        with pytest.raises(ValueError, match="got frame_size=0") as error:
            attempt()
        assert "cannot read" not in str(error.value)


def test_an_unreadable_file_is_never_called_a_file_to_delete(folder):
    data = VideoFolder(folder, num_frames=3, frame_size=16)
    with pytest.raises(UnreadableClipError, match="d.gif.*re-encode") as error:
        data[3]
    assert "delete" not in str(error.value)
    (folder / "jump" / "a.gif").unlink()  # gone since the folder was listed
    with pytest.raises(UnreadableClipError, match="a.gif.*still there"):
        data[0]
    assert [p.name for p in data.unreadable()] == ["a.gif", "d.gif"]


# One small clip per suffix, in the format such a file usually holds: PyAV (container, codec).
PYAV_FORMATS = {".mp4": ("mp4", "mpeg4"), ".m4v": ("ipod", "mpeg4"), ".mov": ("mov", "mpeg4"),
                ".avi": ("avi", "mpeg4"), ".webm": ("webm", "libvpx"),
                ".mkv": ("matroska", "ffv1"), ".mpg": ("mpeg", "mpeg1video"),
                ".mpeg": ("mpeg", "mpeg2video")}
PILLOW_FORMATS = {".gif": "GIF", ".webp": "WEBP", ".png": "PNG", ".apng": "PNG"}


def write_clip(path, num_frames=3, size=(16, 32)):
    """An animation (Pillow) or a video (PyAV) chosen by the suffix of ``path``."""
    frames = [np.full((*size, 3), 60 * t, dtype=np.uint8) for t in range(num_frames)]
    suffix = path.suffix.lower()
    if suffix in PILLOW_FORMATS:
        images = [Image.fromarray(frame) for frame in frames]
        images[0].save(path, format=PILLOW_FORMATS[suffix], save_all=True,
                       append_images=images[1:], duration=100, lossless=True)
        return
    container_format, codec = PYAV_FORMATS[suffix]
    with av.open(str(path), "w", format=container_format) as container:
        stream = container.add_stream(codec, rate=25)  # MPEG-1 allows only standard rates
        stream.width, stream.height, stream.pix_fmt = size[1], size[0], "yuv420p"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())


def test_every_suffix_video_folder_lists_is_a_clip_load_video_reads(tmp_path):
    assert set(VIDEO_SUFFIXES) == PILLOW_FORMATS.keys() | PYAV_FORMATS.keys()
    (tmp_path / "all").mkdir()
    for suffix in sorted(VIDEO_SUFFIXES):
        write_clip(tmp_path / "all" / f"clip{suffix.upper()}")  # suffixes match in any case
    (tmp_path / "all" / "clip.txt").write_text("not a clip")
    data = VideoFolder(tmp_path, num_frames=3, frame_size=(16, 32))
    assert sorted(p.suffix.lower() for p in data.files) == sorted(VIDEO_SUFFIXES)
    assert data.unreadable() == []
    for path in data.files:
        video = load_video(path)
        assert video.shape == (3, 3, 16, 32), path.name
        assert (video[:, 0, 8, 16] * 255 - torch.tensor([0, 60, 120])).abs().max() < 8, path.name
