"""python -m coursekit.train: the trainer for folders of clips, its files, resuming, precision.

The data: a tiny VideoFolder written in the test (MovingShapes clips saved as GIF, MP4 and
folders of PNG frames, train/ and val/ splits). Each run takes a second or two.
"""

import json
import warnings
from pathlib import Path

import pytest
import torch

import coursekit.train.loop
from coursekit.data import MovingShapes, UnreadableClipError, VideoFolder
from coursekit.data.folder import save_video_folder
from coursekit.models import LSTMVideoClassifier, TransformerVideoClassifier
from coursekit.train import History, evaluate, fit, load_checkpoint, save_checkpoint
from coursekit.train.cli import main, parse_args, split_by_class
from coursekit.train.distributed import ShardSampler
from coursekit.video import load_video

CLASSES = ["moves right", "moves left"]
FORMATS = (".gif", ".mp4", "frames")


def write_folder(root, train=12, val=4):
    """root/train and root/val, each with one sub-folder per class, clips in three formats."""
    with warnings.catch_warnings():  # GIF: a shape standing still repeats a frame
        warnings.simplefilter("ignore")
        for split, count, seed in (("train", train, 1), ("val", val, 2)):
            clips = MovingShapes(count, num_frames=8, frame_size=32, seed=seed, classes=CLASSES)
            save_video_folder(clips, root / split, formats=FORMATS)
    return root


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_folder(tmp_path_factory.mktemp("clips"))


def command(data, out, *more):
    """A small, quick run: 8 frames of 32 x 32, small model, decoding in this process."""
    return ["--data", str(data), "--out", str(out), "--frames", "8", "--frame-size", "32",
            "--feat-dim", "16", "--hidden-dim", "16", "--batch-size", "4", "--workers", "0",
            "--lr", "5e-3", *map(str, more)]


def saved_weights(path):
    return torch.load(path, weights_only=True)["state_dict"]


def test_help_documents_every_option(capsys):
    with pytest.raises(SystemExit) as exit_:
        parse_args(["--help"])
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    for option in ("--data", "--epochs", "--out", "--model", "--frames", "--frame-size",
                   "--batch-size", "--workers", "--amp", "--resume", "--cache-mb", "--motion",
                   "torchrun"):
        assert option in text


def test_the_trainer_writes_its_files_and_load_checkpoint_reads_them(folder, tmp_path, capsys):
    out = tmp_path / "run"
    # two loader workers (one per loader) decoding clips, with a cache of 1 MB each
    assert main(command(folder, out, "--epochs", 3, "--model", "lstm", "--workers", 1,
                        "--cache-mb", 1)) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "best.pt", "curves.png", "history.json", "last.pt"]
    printed = capsys.readouterr().out
    assert "epoch 3: train loss" in printed and "clips/s" in printed

    history = History.from_dict(json.loads((out / "history.json").read_text()))
    assert history.epochs == 3 and len(history.val_accuracy) == 3
    model, extra = load_checkpoint(out / "best.pt")
    assert isinstance(model, LSTMVideoClassifier) and extra["classes"] == sorted(CLASSES)
    assert extra["history"].best_epoch == history.best_epoch
    val = VideoFolder(folder / "val", num_frames=8, frame_size=32)
    measured = evaluate(model, torch.utils.data.DataLoader(val, batch_size=4))
    assert measured["accuracy"] == pytest.approx(history.val_accuracy[history.best_epoch])
    assert (out / "curves.png").read_bytes()[:4] == b"\x89PNG"
    resumable = torch.load(out / "last.pt", weights_only=True)["extra"]  # data, no code
    assert {"optimizer", "scheduler", "rng", "history", "options"} <= resumable.keys()
    assert isinstance(resumable["rng"], torch.Tensor) and resumable["options"]["epochs"] == 3


class Interrupt:
    """train_one_epoch that presses Ctrl-C at the start of epoch ``at`` (0-based)."""

    def __init__(self, monkeypatch, at):
        self.train_one_epoch, self.at = coursekit.train.loop.train_one_epoch, at
        monkeypatch.setattr(coursekit.train.loop, "train_one_epoch", self)

    def __call__(self, *args, epoch, **kwargs):
        if epoch == self.at:
            raise KeyboardInterrupt
        return self.train_one_epoch(*args, epoch=epoch, **kwargs)


@pytest.mark.parametrize("model, schedule", [("lstm", "onecycle"), ("transformer", "constant")])
def test_resuming_an_interrupted_run_equals_an_uninterrupted_one(folder, tmp_path, monkeypatch,
                                                                  model, schedule):
    # onecycle: the schedule must resume mid-cycle; transformer: its dropout draws random
    # numbers, so the random state must be restored too
    options = ["--model", model, "--schedule", schedule, "--epochs", 3]
    main(command(folder, tmp_path / "straight", *options))

    with monkeypatch.context() as patch:
        Interrupt(patch, at=2)
        main(command(folder, tmp_path / "stopped", *options))
    stopped = load_checkpoint(tmp_path / "stopped" / "last.pt")[1]["history"]
    assert stopped.epochs == 2

    last = tmp_path / "stopped" / "last.pt"
    main(command(folder, tmp_path / "stopped", *options, "--resume", last))
    straight = History.from_dict(json.loads((tmp_path / "straight" / "history.json").read_text()))
    resumed = History.from_dict(json.loads((tmp_path / "stopped" / "history.json").read_text()))
    assert resumed.epochs == 3
    assert resumed.train_loss == pytest.approx(straight.train_loss, abs=1e-6)
    assert resumed.val_loss == pytest.approx(straight.val_loss, abs=1e-6)
    a, b = saved_weights(tmp_path / "straight" / "last.pt"), saved_weights(last)
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(b[name], a[name], rtol=0, atol=1e-6)


def test_a_resumed_run_without_its_random_state_would_differ(folder, tmp_path, monkeypatch):
    """The transformer's dropout: the check above can fail when the random state is lost."""
    options = ["--model", "transformer", "--epochs", 2]
    main(command(folder, tmp_path / "straight", *options))
    with monkeypatch.context() as patch:
        Interrupt(patch, at=1)
        main(command(folder, tmp_path / "stopped", *options))
    with monkeypatch.context() as patch:
        patch.setattr(torch, "set_rng_state", lambda state: None)  # forget it
        main(command(folder, tmp_path / "stopped", *options, "--resume",
                     tmp_path / "stopped" / "last.pt"))
    a = saved_weights(tmp_path / "straight" / "last.pt")
    b = saved_weights(tmp_path / "stopped" / "last.pt")
    assert any(not torch.allclose(a[name], b[name], atol=1e-6) for name in a)


def test_a_run_stopped_while_saving_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    model = LSTMVideoClassifier(2, feat_dim=8, hidden_dim=8, frame_size=16)
    save_checkpoint(model, tmp_path / "last.pt", classes=CLASSES)

    def stopped_halfway(checkpoint, path):
        Path(path).write_bytes(b"PK\x03\x04 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(torch, "save", stopped_halfway)
    with pytest.raises(KeyboardInterrupt):
        save_checkpoint(model, tmp_path / "last.pt", classes=["other"])
    assert load_checkpoint(tmp_path / "last.pt")[1]["classes"] == CLASSES


def test_resuming_with_other_options_is_refused_with_what_changed(folder, tmp_path):
    main(command(folder, tmp_path / "run", "--epochs", 1))
    last = tmp_path / "run" / "last.pt"
    with pytest.raises(SystemExit, match="--hidden-dim 16 -> 32"):
        main(command(folder, tmp_path / "run", "--epochs", 2, "--resume", last)
             + ["--hidden-dim", "32"])
    with pytest.raises(SystemExit, match="no training state"):
        main(command(folder, tmp_path / "run", "--epochs", 2, "--resume",
                     tmp_path / "run" / "best.pt"))


def test_a_missing_folder_is_an_error_message_not_a_traceback(tmp_path):
    # SystemExit("message"): Python prints the message alone and exits with status 1
    with pytest.raises(SystemExit) as exit_:
        main(["--data", str(tmp_path / "nowhere"), "--epochs", "1", "--out", str(tmp_path)])
    assert str(exit_.value).startswith("python -m coursekit.train: error: VideoFolder: no folder")


def test_a_folder_of_class_folders_is_split_by_class(folder, tmp_path, capsys):
    out = tmp_path / "run"
    main(command(folder / "train", out, "--epochs", 1, "--val-fraction", 0.25))
    assert "8 training clips, 4 validation clips, 2 classes" in capsys.readouterr().out
    assert load_checkpoint(out / "best.pt")[1]["classes"] == sorted(CLASSES)


def test_split_by_class_keeps_the_fraction_of_every_class():
    labels = torch.tensor([0] * 8 + [1] * 4 + [2] * 1)
    train, val = split_by_class(labels, 0.25, seed=0)
    assert sorted(train + val) == list(range(13))
    assert [int((labels[val] == k).sum()) for k in range(3)] == [2, 1, 0]
    assert split_by_class(labels, 0.25, seed=0) == (train, val)
    assert split_by_class(labels, 0.25, seed=1) != (train, val)


def test_shard_sampler_gives_every_clip_to_one_process_once():
    shards = [list(ShardSampler(range(10), num_replicas=3, rank=r)) for r in range(3)]
    assert sorted(sum(shards, [])) == list(range(10))
    assert [len(s) for s in shards] == [4, 3, 3]
    values = torch.arange(4.0)
    assert ShardSampler(range(4), num_replicas=1, rank=0).gather(values) is values


# --- VideoFolder reads lazily: step, max_frames, a bounded cache --------------------------------


def test_video_folder_decodes_only_what_step_and_max_frames_keep(folder):
    some = VideoFolder(folder / "train", num_frames=2, frame_size=32, step=2, max_frames=2)
    assert {path.suffix for path in some.files} == {".gif", ".mp4", ""}  # "": frame folders
    for index, path in enumerate(some.files):
        every = load_video(path, size=32)
        torch.testing.assert_close(some[index][0], every[::2][:2], atol=0, rtol=0)


def test_the_cache_keeps_clips_up_to_its_bound(folder, tmp_path):
    root = write_folder(tmp_path / "clips", train=4, val=2) / "train"
    clip_bytes = 8 * 3 * 32 * 32 * 4
    cached = VideoFolder(root, num_frames=8, frame_size=32, cache_bytes=2.5 * clip_bytes)
    first = [cached[i][0] for i in range(4)]
    for path in cached.files:  # gone: only cached clips can still be read
        for file in [path] if path.is_file() else path.iterdir():
            file.unlink()
    for i in range(2):
        assert torch.equal(cached[i][0], first[i])
    with pytest.raises(UnreadableClipError):
        cached[2]


def test_video_folder_refuses_bad_reading_options(folder):
    with pytest.raises(ValueError, match="step must be a positive int"):
        VideoFolder(folder / "train", num_frames=8, frame_size=32, step=0)
    with pytest.raises(ValueError, match="max_frames must be a positive int or None"):
        VideoFolder(folder / "train", num_frames=8, frame_size=32, max_frames=0)
    with pytest.raises(ValueError, match="cache_bytes must be a number of bytes"):
        VideoFolder(folder / "train", num_frames=8, frame_size=32, cache_bytes=-1)


# --- Mixed precision: bfloat16 and float16 with a GradScaler ------------------------------------


def tiny_run(amp, device="cpu", scaler=None):
    torch.manual_seed(0)
    clips = MovingShapes(8, num_frames=4, frame_size=16, seed=1, classes=CLASSES)
    loader = torch.utils.data.DataLoader(clips, batch_size=4)
    model = LSTMVideoClassifier(2, feat_dim=8, hidden_dim=8, frame_size=16)
    before = [p.detach().clone() for p in model.parameters()]
    history = fit(model, loader, epochs=2, amp=amp, device=device, progress=False,
                  scaler=scaler)
    changed = any(not torch.equal(a, b.cpu()) for a, b in zip(before, model.parameters(),
                                                                strict=True))
    return history, changed


@pytest.mark.parametrize("amp", ["bfloat16", "float16"])
def test_mixed_precision_trains_on_the_cpu_too(amp):
    history, changed = tiny_run(amp)
    assert history.stopped is None and changed
    assert all(torch.isfinite(torch.tensor(history.train_loss)))


def test_float16_steps_through_the_grad_scaler():
    class CountingScaler(torch.amp.GradScaler):
        steps = 0

        def step(self, optimizer, *args, **kwargs):
            CountingScaler.steps += 1
            return super().step(optimizer, *args, **kwargs)

    tiny_run("float16", scaler=CountingScaler("cpu"))
    assert CountingScaler.steps == 4  # 2 epochs x 2 batches


def test_fit_refuses_an_unknown_precision():
    with pytest.raises(ValueError, match='takes None .*"bfloat16" or "float16"'):
        tiny_run("half")


needs_cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


@needs_cuda
@pytest.mark.parametrize("amp", ["bfloat16", "float16"])
def test_mixed_precision_on_a_gpu(amp):
    if amp == "bfloat16" and not torch.cuda.is_bf16_supported():
        pytest.skip("this GPU has no bfloat16")
    history, changed = tiny_run(amp, device="cuda")
    assert history.stopped is None and changed


@needs_cuda
def test_the_trainer_on_a_gpu_with_automatic_mixed_precision(folder, tmp_path, capsys):
    main(command(folder, tmp_path / "run", "--epochs", 1, "--device", "cuda", "--workers", 1))
    assert "mixed precision " in capsys.readouterr().out
    model, _ = load_checkpoint(tmp_path / "run" / "best.pt")  # weights saved on the CPU
    assert next(model.parameters()).device.type == "cpu"


def test_the_transformer_takes_clips_as_long_as_frames(folder, tmp_path):
    main(command(folder, tmp_path / "run", "--epochs", 1, "--model", "transformer",
                 "--frames", 80))
    model, _ = load_checkpoint(tmp_path / "run" / "best.pt")
    assert isinstance(model, TransformerVideoClassifier) and model.max_frames == 80


def test_motion_gives_the_cnn_each_frames_change_and_the_checkpoint_keeps_it(folder, tmp_path):
    out = tmp_path / "run"
    assert main(command(folder, out, "--epochs", 1, "--model", "gru", "--motion")) == 0
    model, _ = load_checkpoint(out / "best.pt")
    assert model.motion and model.cnn.conv1.in_channels == 8  # 3 colours, 3 changes, 2 flows
