"""VideoFolder: your own labelled clips on disk, one sub-folder per class (as UCF101 has them)."""

from __future__ import annotations

from pathlib import Path

import torch
from torch.utils.data import Dataset

from coursekit.models import as_frame_size, is_count
from coursekit.video import VIDEO_SUFFIXES, load_video


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

    Every clip is read with ``coursekit.video.load_video`` when it is asked for, resized to
    ``frame_size`` and cut down to ``num_frames`` frames taken evenly from start to end (a
    clip shorter than that repeats frames). ``transform`` then gets the whole clip, so a
    ``torchvision.transforms.v2`` random crop or flip treats all its frames the same way.
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

    Items:
        ``(video, label)``: video (T, C, H, W) float32 in [0, 1] with C = 3, label an int;
        ``classes[label]`` is the name of its folder, ``files[i]`` the path of clip i.
    """

    def __init__(self, root, *, num_frames: int, frame_size, transform=None):
        _check_folder_options(num_frames, transform)  # before any file is touched
        self.num_frames, self.transform = int(num_frames), transform
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
        video = self._read(index)  # every frame of the file
        picked = torch.linspace(0, len(video) - 1, self.num_frames).round().long()
        video = video[picked]
        if self.transform is not None:
            video = self.transform(video)  # an error here is the transform's, not the file's
        return video, int(self.labels[index])

    def _read(self, index: int) -> torch.Tensor:
        """All frames of clip ``index``, resized to frame_size -> (T_file, C, H, W).

        Raises UnreadableClipError only for a problem with the file: the size is checked
        first, outside the ``try``, so a bad setting is never blamed on the file.
        """
        path, size = self.files[index], as_frame_size(self.frame_size)
        try:
            return load_video(path, size=size)
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
