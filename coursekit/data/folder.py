"""VideoFolder: your own labelled clips on disk, one sub-folder per class (as UCF101 has them)."""

from __future__ import annotations

from pathlib import Path

import torch
from PIL import Image
from torch.utils.data import Dataset

from coursekit.models import as_frame_size, is_count
from coursekit.video import VIDEO_SUFFIXES, load_video, save_gif, to_uint8


class UnreadableClipError(ValueError):
    """A clip file of a VideoFolder that cannot be read: damaged, not a video, or gone.

    Raised only for a problem with the file itself, never for a bad argument or a failing
    transform, so ``VideoFolder.unreadable()`` lists only files that need attention. It is a
    ValueError, so ``except ValueError`` catches it too.
    """


class VideoFolder(Dataset):
    """Labelled clips on disk, one sub-folder per class (the layout of UCF101)::

        root/
            jump/  clip_01.mp4  clip_02.gif ...
            run/   clip_07.avi ...

    Every clip is read with ``coursekit.video.load_video`` when it is asked for (never all at
    once: a data set of 13,000 clips holds one clip per loader worker in memory), resized to
    ``frame_size`` and cut down to ``num_frames`` frames taken evenly from start to end (a
    clip shorter than that repeats frames). For long videos, ``step`` and ``max_frames``
    decode less: every step-th frame, and no more than max_frames of them, from the start.
    ``transform`` then gets the whole clip, so a ``torchvision.transforms.v2`` random crop or
    flip treats all its frames the same way.
    Files count as clips by their suffix (``coursekit.video.VIDEO_SUFFIXES``); a sub-folder of
    image files counts as one clip too.

    A file that cannot be read does not stop the data set: the error (an
    ``UnreadableClipError``) is raised when that clip is asked for, names the file, and every
    other clip still loads. Call ``unreadable()`` before a long training to list the bad files
    at once. Bad arguments are refused by the constructor, and an error from ``transform`` is
    raised as it is: neither is ever blamed on a file.

    Args:
        root: folder with one sub-folder per class (hidden folders are ignored).
        num_frames: T, frames per clip.
        frame_size: (H, W) or an int for square frames.
        transform: optional callable applied to each (T, C, H, W) clip.
        step: decode every ``step``-th frame of each file (1: every frame).
        max_frames: stop decoding a file after this many kept frames (None: to its end); the
            ``num_frames`` frames are then taken evenly from those.
        cache_bytes: keep decoded clips (before ``transform``) in memory, up to this many
            bytes (0: no cache; a clip of T x 3 x H x W takes 12 T H W bytes). Clips are
            kept as they are first read until the bound is reached, then no more; each
            DataLoader worker process has its own cache, so the memory used is up to
            cache_bytes per worker.

    Items:
        ``(video, label)``: video (T, C, H, W) float32 in [0, 1] with C = 3, label an int;
        ``classes[label]`` is the name of its folder, ``files[i]`` the path of clip i.
    """

    def __init__(self, root, *, num_frames: int, frame_size, transform=None, step: int = 1,
                 max_frames: int | None = None, cache_bytes: float = 0):
        _check_folder_options(num_frames, transform)  # before any file is touched
        _check_reading_options(step, max_frames, cache_bytes)
        self.num_frames, self.transform = int(num_frames), transform
        self.step, self.max_frames = int(step), None if max_frames is None else int(max_frames)
        self._cache: dict[int, torch.Tensor] = {}
        self.cache_bytes, self._cached_bytes = cache_bytes, 0
        self.frame_size = as_frame_size(frame_size)  # (H, W); a clear error naming frame_size
        self.root = Path(root)
        if not self.root.is_dir():
            raise FileNotFoundError(f"VideoFolder: no folder at {str(self.root)!r}")
        folders = sorted(p for p in self.root.iterdir() if p.is_dir() and p.name[0] != ".")
        if not folders:
            raise ValueError(
                f"VideoFolder: {self.root} has no class folders; put each class's clips in "
                f"its own sub-folder, e.g. {self.root / 'jump' / 'clip_01.mp4'}"
            )
        self.classes = [folder.name for folder in folders]
        self.files, labels = [], []
        for label, folder in enumerate(folders):
            for path in sorted(folder.iterdir()):
                if path.name[0] != "." and (path.is_dir() or path.suffix.lower() in VIDEO_SUFFIXES):
                    self.files.append(path)
                    labels.append(label)
        if not self.files:
            raise ValueError(
                f"VideoFolder: the class folders of {self.root} ({', '.join(self.classes)}) "
                f"hold no clips; expected files ending in {', '.join(sorted(VIDEO_SUFFIXES))}"
            )
        self.labels = torch.tensor(labels)

    def __len__(self) -> int:
        return len(self.files)

    def __getitem__(self, index: int):
        """-> (video: (T, C, H, W) float32 in [0, 1], label: int)"""
        video = self._cache.get(index)
        if video is None:
            video = self._read(index)  # the frames kept by step and max_frames
            picked = torch.linspace(0, len(video) - 1, self.num_frames).round().long()
            video = video[picked]
            self._keep(index, video)
        if self.transform is not None:
            video = self.transform(video)  # an error here is the transform's, not the file's
        return video, int(self.labels[index])

    def _keep(self, index: int, video: torch.Tensor) -> None:
        """Cache clip ``index`` if it fits within cache_bytes."""
        size = video.numel() * video.element_size()
        if self._cached_bytes + size <= self.cache_bytes:
            self._cache[index] = video
            self._cached_bytes += size

    def _read(self, index: int) -> torch.Tensor:
        """The frames of clip ``index`` kept by step and max_frames, resized -> (T_file, C, H, W).

        Raises UnreadableClipError only for a problem with the file: the size is checked
        first, outside the ``try``, so a bad setting is never blamed on the file.
        """
        path, size = self.files[index], as_frame_size(self.frame_size)
        try:
            return load_video(path, size=size, step=self.step, max_frames=self.max_frames)
        except (ValueError, OSError) as error:
            raise self._unreadable(index, error) from None

    def _unreadable(self, index: int, error: Exception) -> UnreadableClipError:
        """The error for clip ``index``, whose file failed with ``error``, with a fix that fits."""
        path = self.files[index]
        fix = ("check that it is still there and that you may read it"  # OSError: gone, locked
               if isinstance(error, OSError) else  # ValueError: damaged, or not a video
               "re-encode it (e.g. as .mp4) or move it out of its class folder")
        return UnreadableClipError(
            f"VideoFolder: cannot read clip {index} of {len(self)}, {path}: {error}. The other "
            f"clips are fine; {fix} (unreadable() lists every bad file)"
        )

    def unreadable(self) -> list:
        """Try to read every clip file; return the paths of those that cannot be read.

        Slow: it decodes every file. Only the files are tried (the transform is not run), and
        a bad setting such as ``frame_size`` raises its own error instead of listing every file.
        """
        bad = []
        for index, path in enumerate(self.files):
            try:
                self._read(index)
            except UnreadableClipError:
                bad.append(path)
        return bad

    def __repr__(self) -> str:
        return (f"VideoFolder({str(self.root)!r}: {len(self)} clips, {len(self.classes)} "
                f"classes, {self.num_frames} frames of {self.frame_size[0]} x "
                f"{self.frame_size[1]})")


def _check_reading_options(step, max_frames, cache_bytes) -> None:
    """VideoFolder's step, max_frames and cache_bytes, checked before any file is read."""
    if not is_count(step) or step < 1:
        raise ValueError(f"VideoFolder: step must be a positive int (1 reads every frame), got "
                         f"step={step!r}")
    if max_frames is not None and (not is_count(max_frames) or max_frames < 1):
        raise ValueError(f"VideoFolder: max_frames must be a positive int or None (read to the "
                         f"end), got max_frames={max_frames!r}")
    if isinstance(cache_bytes, bool) or not isinstance(cache_bytes, (int, float)) or not (
            cache_bytes >= 0):
        raise ValueError(f"VideoFolder: cache_bytes must be a number of bytes >= 0 (0: no "
                         f"cache), got cache_bytes={cache_bytes!r}; e.g. cache_bytes=2e9")


def _check_folder_options(num_frames, transform) -> None:
    """VideoFolder's num_frames and transform, checked before any file is read."""
    if not is_count(num_frames) or num_frames < 1:
        raise ValueError(f"VideoFolder: num_frames must be a positive int, got "
                         f"num_frames={num_frames!r}; e.g. num_frames=8")
    if isinstance(transform, type):
        raise ValueError(f"VideoFolder: transform={transform.__name__} is a class; pass an "
                         f"instance of it, e.g. transform={transform.__name__}()")
    if transform is not None and not callable(transform):
        raise ValueError(f"VideoFolder: transform must be None or a callable applied to each "
                         f"(T, C, H, W) clip, got transform={transform!r}; to apply several, "
                         "chain them: v2.Compose([...])")


def save_video_folder(clips, root, *, formats=(".gif",), fps: float = 10) -> Path:
    """Write a data set's clips as files in VideoFolder's layout: root/<class>/clip_0001.gif.

    To try ``python -m coursekit.train`` or ``VideoFolder`` without a data set of your own:
    ``save_video_folder(MovingShapes(60, frame_size=32), "shapes/train")``.

    Args:
        clips: a data set of ``(video: (T, C, H, W) float in [0, 1], label)`` with a
            ``classes`` list (MovingShapes, Heartbeats, VideoFolder).
        root: the folder to write (made if missing).
        formats: the kinds of file to write, taken in turn: ".gif", ".mp4" (H.264 with PyAV;
            H and W should be even) or "frames" (a folder of PNG images).
        fps: frames per second of playback.

    Returns:
        ``Path(root)``.
    """
    root = Path(root)
    for index in range(len(clips)):
        video, label = clips[index]
        folder = root / clips.classes[int(label)]
        folder.mkdir(parents=True, exist_ok=True)
        kind = formats[index % len(formats)]
        name = folder / f"clip_{index:04d}"
        if kind == ".gif":
            save_gif(video, name.with_suffix(".gif"), fps=fps)
        elif kind == ".mp4":
            _save_mp4(video, name.with_suffix(".mp4"), fps)
        elif kind == "frames":
            name.mkdir(exist_ok=True)
            for t, frame in enumerate(to_uint8(video).numpy()):
                Image.fromarray(frame).save(name / f"frame_{t + 1}.png")
        else:
            raise ValueError(f'formats holds {kind!r}; choose among ".gif", ".mp4", "frames"')
    return root


def _save_mp4(video: torch.Tensor, path: Path, fps: float) -> None:
    """(T, C, H, W) -> an H.264 MP4 file (lossy, like every video file you will train on)."""
    import av

    frames = to_uint8(video).numpy()  # (T, H, W, 3)
    with av.open(str(path), mode="w") as container:
        stream = container.add_stream("libx264", rate=round(fps))
        stream.height, stream.width = frames.shape[1:3]
        stream.pix_fmt = "yuv420p"
        for frame in frames:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(stream.encode())  # flush the encoder
