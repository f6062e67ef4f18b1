"""``python -m coursekit.train``: the course's models trained on a folder of your own clips.

    python -m coursekit.train --data DIR --model lstm --epochs 20 --out run/
    torchrun --nproc_per_node=4 -m coursekit.train --data DIR ... --out run/     # 4 GPUs
    python -m coursekit.train --data DIR ... --out run/ --resume run/last.pt     # continue

DIR holds one sub-folder per class (UCF101's layout), or ``train/`` and ``val/`` folders
that each hold one sub-folder per class. A thin layer over the rest of coursekit.train:
``VideoFolder`` reads the clips, ``fit`` trains, ``saving`` writes and resumes. Under torchrun
every process runs this same program on its share of each batch (DistributedDataParallel);
only the first one (rank 0) prints and writes files. Files written in ``--out``:

    best.pt        the epoch with the best validation accuracy: load_checkpoint("best.pt")
    last.pt        the last finished epoch, with what resuming needs (optimizer, schedule,
                   random state): --resume run/last.pt continues as if never stopped
    history.json   History.to_dict() of the run: losses, accuracies, seconds per epoch
    curves.png     plot_history of the run
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from pathlib import Path

import torch
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, DistributedSampler, Subset

from coursekit import set_seed
from coursekit.data import VideoFolder
from coursekit.models import (
    FrameAverageClassifier,
    GRUVideoClassifier,
    LSTMVideoClassifier,
    ManualRNNVideoClassifier,
    TransformerVideoClassifier,
)
from coursekit.train.distributed import (
    ShardSampler,
    is_main_process,
    rank,
    start_processes,
    stop_processes,
    world_size,
)
from coursekit.train.evaluation import pick_device
from coursekit.train.history import History
from coursekit.train.loop import adam, fit, one_cycle
from coursekit.train.saving import EpochSaver, finish, resume

__all__ = ["MODELS", "main"]

#: The models by the short names ``--model`` takes.
MODELS = {"average": FrameAverageClassifier, "rnn": ManualRNNVideoClassifier,
          "lstm": LSTMVideoClassifier, "gru": GRUVideoClassifier,
          "transformer": TransformerVideoClassifier}

def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.train",
        description="Train one of coursekit's video classifiers on a folder of clips, on one "
                    "process, or on several under torchrun (DistributedDataParallel).",
        epilog="Several GPUs: torchrun --nproc_per_node=NUM_GPUS -m coursekit.train ... "
               "(--batch-size is per process: the batch of one step is batch-size x processes)."
               " Several machines: torchrun --nnodes=2 --nproc_per_node=NUM_GPUS "
               "--rdzv-backend=c10d --rdzv-endpoint=HOST:29500 -m coursekit.train ...")
    data = parser.add_argument_group("data")
    data.add_argument("--data", required=True, type=Path, metavar="DIR",
                      help="folder of clips: one sub-folder per class, or train/ and val/ "
                           "folders each with one sub-folder per class")
    data.add_argument("--frames", type=int, default=16, metavar="T",
                      help="frames per clip, taken evenly from those decoded (default 16)")
    data.add_argument("--frame-size", type=int, default=112, metavar="SIZE",
                      help="frames are resized to SIZE x SIZE pixels (default 112)")
    data.add_argument("--step", type=int, default=1, metavar="STEP",
                      help="decode every STEP-th frame of a file (default 1)")
    data.add_argument("--max-frames", type=int, default=None, metavar="N",
                      help="decode at most N frames of a file, from its start (default: all)")
    data.add_argument("--val-fraction", type=float, default=0.2, metavar="F",
                      help="without train/ and val/ folders: the share of each class's clips "
                           "kept for validation (default 0.2; 0 for none)")
    data.add_argument("--workers", type=int, default=2, metavar="N",
                      help="DataLoader processes decoding clips in parallel, per training "
                           "process (default 2; 0 decodes in the training process)")
    data.add_argument("--cache-mb", type=float, default=0, metavar="MB",
                      help="keep decoded clips in memory, up to MB per loader worker "
                           "(default 0: no cache)")
    model = parser.add_argument_group("model")
    model.add_argument("--model", choices=MODELS, default="lstm",
                       help="average: CNN + mean over frames; rnn: the lecture's RNN; lstm, "
                            "gru: nn.LSTM, nn.GRU; transformer (default lstm)")
    model.add_argument("--feat-dim", type=int, default=128, metavar="D",
                       help="the CNN's features per frame (default 128)")
    model.add_argument("--hidden-dim", type=int, default=64, metavar="H",
                       help="size of the recurrent memory (default 64)")
    model.add_argument("--motion", action="store_true",
                       help="the CNN also sees each frame's change since the previous frame")
    training = parser.add_argument_group("training")
    training.add_argument("--epochs", type=int, required=True, metavar="N",
                          help="passes over the training clips, in all (a resumed run trains "
                               "the epochs that remain)")
    training.add_argument("--batch-size", type=int, default=8, metavar="B",
                          help="clips per batch in each process (default 8)")
    training.add_argument("--lr", type=float, default=2e-3,
                          help="Adam's learning rate, the peak with --schedule onecycle "
                               "(default 2e-3)")
    training.add_argument("--schedule", choices=("constant", "onecycle"), default="constant",
                          help="learning rate: constant, or one cycle over all epochs")
    training.add_argument("--weight-decay", type=float, default=0.0)
    training.add_argument("--seed", type=int, default=0,
                          help="weights, split and shuffling (default 0)")
    training.add_argument("--device", default=None,
                          help="cpu, cuda, mps (default: cuda if there is a GPU, then mps, "
                               "then cpu)")
    training.add_argument("--amp", choices=("auto", "off", "bfloat16", "float16"),
                          default="auto",
                          help="mixed precision; auto: bfloat16 on a GPU that has it, else "
                               "float16 on a GPU, off on a CPU")
    output = parser.add_argument_group("output")
    output.add_argument("--out", required=True, type=Path, metavar="DIR",
                        help="folder for best.pt, last.pt, history.json, curves.png")
    output.add_argument("--resume", type=Path, default=None, metavar="LAST_PT",
                        help="the last.pt of an interrupted run, to continue it")
    args = parser.parse_args(argv)
    for name in ("frames", "frame_size", "step", "epochs", "batch_size"):
        minimum = 0 if name == "epochs" else 1
        if getattr(args, name) < minimum:
            parser.error(f"--{name.replace('_', '-')} must be at least {minimum}")
    if not 0 <= args.val_fraction < 1:
        parser.error("--val-fraction must be in [0, 1), e.g. 0.2")
    if args.workers < 0:
        parser.error("--workers must be 0 or more")
    return args


def main(argv=None) -> int:
    """Run the trainer with the command-line arguments ``argv``; returns the exit status."""
    args = parse_args(argv)
    device = start_processes(pick_device(args.device))
    try:
        train(args, device)
    finally:
        stop_processes()
    return 0


def train(args: argparse.Namespace, device: torch.device) -> History:
    """Data, model, optimizer (restored with --resume), then fit; rank 0 writes the files."""
    set_seed(args.seed)
    with _said_plainly():
        train_set, val_set, classes = video_folders(args)
        train_loader, val_loader = loaders(train_set, val_set, args, device)
    model = build_model(args, len(classes)).to(device)
    optimizer = adam(model, args.lr, args.weight_decay)
    scheduler = one_cycle(optimizer, train_loader, args.epochs) \
        if args.schedule == "onecycle" and args.epochs else None
    amp = mixed_precision(args.amp, device)
    scaler = torch.amp.GradScaler(device.type) if amp == "float16" else None
    history = None
    if args.resume is not None:
        with _said_plainly():
            history = resume(args, model, optimizer, scheduler, scaler)
    done = history.epochs if history is not None else 0
    if is_main_process():
        args.out.mkdir(parents=True, exist_ok=True)
        print(f"{len(train_set)} training clips, {len(val_set) if val_set else 0} validation "
              f"clips, {len(classes)} classes; {type(model).__name__} on {world_size()} x "
              f"{device}, mixed precision {amp or 'off'}; epochs {done + 1} to {args.epochs}")
    trained = model if world_size() == 1 else DistributedDataParallel(
        model, device_ids=[device] if device.type == "cuda" else None)
    bar = is_main_process() and sys.stderr.isatty()  # no bar in a log file
    saver = EpochSaver(args, model, optimizer, scheduler, scaler, classes, bar)
    history = fit(trained, train_loader, val_loader, epochs=args.epochs - done, schedule=None,
                  device=device, progress=bar, optimizer=optimizer, history=history,
                  on_epoch_end=saver, scheduler=scheduler, amp=amp, scaler=scaler)
    if is_main_process():
        finish(args, history, len(train_set))
    return history


@contextlib.contextmanager
def _said_plainly():
    """A folder, file or option to fix: its message and exit status 1, not a traceback."""
    try:
        yield
    except (OSError, ValueError) as error:
        raise SystemExit(f"python -m coursekit.train: error: {error}") from None


# --- Data -----------------------------------------------------------------------------------------


def video_folders(args) -> tuple:
    """-> (training set, validation set or None, class names), from train/ and val/ or a split.

    Without train/ and val/ folders, ``--val-fraction`` of each class's clips (picked with
    ``--seed``) are kept for validation.
    """
    options = dict(num_frames=args.frames, frame_size=args.frame_size, step=args.step,
                   max_frames=args.max_frames, cache_bytes=args.cache_mb * 1e6)
    root = Path(args.data)
    if (root / "train").is_dir() and (root / "val").is_dir():
        train_set, val_set = (VideoFolder(root / split, **options) for split in ("train", "val"))
        if train_set.classes != val_set.classes:
            raise ValueError(f"{root}: train/ has the classes {train_set.classes} but val/ has "
                             f"{val_set.classes}; give both the same class folders")
        return train_set, val_set, train_set.classes
    clips = VideoFolder(root, **options)
    train_indices, val_indices = split_by_class(clips.labels, args.val_fraction, args.seed)
    val_subset = Subset(clips, val_indices) if val_indices else None
    return Subset(clips, train_indices), val_subset, clips.classes


def split_by_class(labels: torch.Tensor, fraction: float, seed: int) -> tuple[list, list]:
    """labels: (N,) -> (training indices, validation indices): ``fraction`` of each class."""
    generator = torch.Generator().manual_seed(seed)
    train, val = [], []
    for label in labels.unique().tolist():
        members = (labels == label).nonzero().flatten()
        members = members[torch.randperm(len(members), generator=generator)].tolist()
        count = round(fraction * len(members)) if len(members) > 1 else 0
        val += members[:count]
        train += members[count:]
    return sorted(train), sorted(val)


def loaders(train_set, val_set, args, device: torch.device) -> tuple:
    """DataLoaders: each process gets its share (DistributedSampler, shuffled per epoch)."""
    if val_set is not None and len(val_set) < world_size():
        raise ValueError(f"{len(val_set)} validation clips for {world_size()} processes: "
                         "give every process at least one (more clips, or --val-fraction 0)")
    options = dict(batch_size=args.batch_size, num_workers=args.workers,
                   pin_memory=device.type == "cuda", persistent_workers=args.workers > 0)
    sampler: DistributedSampler = DistributedSampler(  # also with one process
        train_set, num_replicas=world_size(), rank=rank(), shuffle=True, seed=args.seed)
    train_loader = DataLoader(train_set, sampler=sampler, **options)
    val_loader = None if val_set is None else DataLoader(
        val_set, sampler=ShardSampler(val_set), **options)
    return train_loader, val_loader


# --- Model and precision -------------------------------------------------------------------------


def build_model(args, num_classes: int):
    """The ``--model`` classifier for frames of ``--frame-size`` pixels."""
    cls = MODELS[args.model]
    options: dict = dict(feat_dim=args.feat_dim, frame_size=args.frame_size,
                         motion=args.motion)
    if cls is TransformerVideoClassifier:
        options["max_frames"] = max(64, args.frames)  # the longest clip it accepts
    elif cls is not FrameAverageClassifier:
        options["hidden_dim"] = args.hidden_dim
    return cls(num_classes, **options)


def mixed_precision(choice: str, device: torch.device) -> str | None:
    """--amp -> fit's amp: None, "bfloat16" or "float16"."""
    if choice == "off":
        return None
    if choice == "auto":
        if device.type != "cuda":
            return None
        return "bfloat16" if torch.cuda.is_bf16_supported() else "float16"
    return choice


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
