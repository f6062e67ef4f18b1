"""The headline numbers: each video classifier on the default MovingShapes, three seeds.

The default data set is what ``MovingShapes(n)`` gives with no other argument: all 10 classes
(5 time-reversed pairs), 16 frames of 64 x 64. Split as notebook 06 splits it, one seed per
part: 800 training clips (seed 1), 200 validation clips (seed 2), 300 test clips (seed 3).
Each model is built the obvious way, ``Model(num_classes=10, frame_size=(64, 64))`` (its
defaults: feat_dim 128, hidden_dim 64), and trained with ``fit``'s defaults (Adam, constant
learning rate 2e-3, gradient clipping at 1) on batches of 16: what a student writes in three
lines. ``--schedule onecycle`` tries fit's one-cycle learning rate (lr is then its peak).
``--motion`` builds each model with ``motion=True``: its CNN also sees each frame's change
since the previous frame (``coursekit.models.add_motion``), one argument more.

Prints one JSON line per (model, seed), not a test (the numbers depend on the machine):
model, seed, epochs, wall-clock seconds of training (validation included, drawing the
clips too: the 800 training clips do not fit the data set's memory cache, so they are drawn
again every epoch), the CPU seconds of the process (steadier than wall-clock seconds on a
shared machine, with one thread), the test accuracy over the 10 classes and within the
reversed pairs (is the true class scored above its reverse? chance 50 %) of the weights
``fit`` keeps (best validation accuracy), the test accuracy of each class (which motions it
learnt), the validation accuracy after each epoch, and the parameter count. Then one
summary line per model: mean, min and max over the seeds.
    python benchmarks/headline.py                          # all models, seeds 0 1 2
    python benchmarks/headline.py --models LSTM --epochs 8 --schedule onecycle
    python benchmarks/headline.py --models LSTM "frame average" --motion
    python benchmarks/headline.py --turn-oracle            # no training: see turn_oracle
Targets: the LSTM at 95 % or more on all 10 classes; the frame baseline at about 50 %
within the pairs (it scores a clip and its reverse the same).
"""

import argparse
import json
import math
import os
import statistics
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # idle threads sleep: see speed.py

import torch  # noqa: E402  (after OMP_WAIT_POLICY, which OpenMP reads when torch loads)
from torch.utils.data import DataLoader  # noqa: E402

import coursekit  # noqa: E402
from coursekit.data import MovingShapes  # noqa: E402
from coursekit.models import (  # noqa: E402
    FrameAverageClassifier,
    GRUVideoClassifier,
    LSTMVideoClassifier,
    ManualRNNVideoClassifier,
    TransformerVideoClassifier,
)
from coursekit.train import evaluate, fit  # noqa: E402

MODELS = {
    "frame average": FrameAverageClassifier,
    "manual RNN": ManualRNNVideoClassifier,
    "LSTM": LSTMVideoClassifier,
    "GRU": GRUVideoClassifier,
    "transformer": TransformerVideoClassifier,
}
SPLIT = {"train": (800, 1), "val": (200, 2), "test": (300, 3)}  # clips, seed


def data_loaders(train_clips, batch_size):
    """The default MovingShapes, split as notebook 06 does -> train, val, test loaders."""
    sizes = dict(SPLIT, train=(train_clips, SPLIT["train"][1]))
    sets = {part: MovingShapes(clips, seed=seed) for part, (clips, seed) in sizes.items()}
    return (DataLoader(sets["train"], batch_size=batch_size, shuffle=True),
            DataLoader(sets["val"], batch_size=100), DataLoader(sets["test"], batch_size=100))


def run(model_name, seed, args):
    train_loader, val_loader, test_loader = data_loaders(args.train_clips, args.batch_size)
    coursekit.set_seed(seed)  # the initial weights and the order of the batches
    model = MODELS[model_name](num_classes=10, frame_size=(64, 64), motion=args.motion)
    schedule = None if args.schedule == "none" else args.schedule
    wall, cpu = time.perf_counter(), time.process_time()
    history = fit(model, train_loader, val_loader, epochs=args.epochs, lr=args.lr,
                  schedule=schedule, progress=False)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    results = evaluate(model, test_loader)  # the weights fit kept: best validation accuracy
    line = {
        "model": model_name, "motion": args.motion, "seed": seed, "epochs": args.epochs,
        "lr": args.lr, "schedule": schedule, "batch_size": args.batch_size,
        "train_clips": args.train_clips,
        "threads": torch.get_num_threads(), "seconds": round(wall, 1),
        "cpu_seconds": round(cpu, 1),
        "test_accuracy": round(results["accuracy"], 4),
        "within_pair_accuracy": round(
            MovingShapes.pair_accuracy(results["logits"], results["labels"]), 4),
        "per_class_accuracy": per_class(results),
        "best_epoch": history.best_epoch + 1,
        "val_accuracy": [round(value, 3) for value in history.val_accuracy],
        "parameters": sum(p.numel() for p in model.parameters()),
        "load_average": round(os.getloadavg()[0], 1),
    }
    print(json.dumps(line), flush=True)
    return line


def per_class(results) -> dict:
    """Test accuracy of each class, by name: which motions the model has learnt."""
    predictions, labels = results["logits"].argmax(dim=1), results["labels"]
    return {name: round((predictions[labels == k] == k).float().mean().item(), 3)
            for k, name in enumerate(MovingShapes.all_classes)}


def turn_oracle(num_clips: int = 200) -> float:
    """Do the turning clips carry their direction? A hand-made answer, no training.

    Each frame's orientation (mod pi) comes from the second moments of the pixels that differ
    from the background; the clip's class is the sign of the summed change over the frames.
    Squares and triangles have equal second moments in every direction, so it sees only the
    bars and ellipses turn: about 75 % is the most it can score. -> the fraction right.
    """
    turns = ["turns clockwise", "turns anticlockwise"]
    clips = MovingShapes(num_clips, seed=SPLIT["test"][1], classes=turns)
    right = 0
    for video, label in clips:  # (T, C, H, W), 0 or 1
        grey = video.mean(dim=1)  # (T, H, W)
        shape = ((grey - grey.flatten(1).median(dim=1).values.view(-1, 1, 1)).abs() > 0.15)
        rows, cols = torch.meshgrid(*[torch.arange(grey.shape[-1], dtype=torch.float32)] * 2,
                                    indexing="ij")
        weight = shape.float() / shape.sum(dim=(1, 2), keepdim=True)
        dx = cols - (weight * cols).sum(dim=(1, 2), keepdim=True)
        dy = rows - (weight * rows).sum(dim=(1, 2), keepdim=True)
        xx, yy, xy = ((weight * a * b).sum(dim=(1, 2)) for a, b in [(dx, dx), (dy, dy), (dx, dy)])
        angle = 0.5 * torch.atan2(2 * xy, xx - yy)  # (T,), mod pi
        change = torch.remainder(angle.diff() + math.pi / 2, math.pi) - math.pi / 2
        right += int(change.sum() < 0) == label  # rows grow downwards: clockwise is > 0
    return right / len(clips)


def summary(lines):
    """Mean, min and max over the seeds of one model's lines."""
    line = {"model": lines[0]["model"], "motion": lines[0]["motion"],
            "seeds": [one["seed"] for one in lines]}
    for key in ("test_accuracy", "within_pair_accuracy", "seconds", "cpu_seconds"):
        values = [one[key] for one in lines]
        line[key] = {"mean": round(statistics.mean(values), 4), "min": min(values),
                     "max": max(values)}
    return line


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="*", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--seeds", nargs="*", type=int, default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=12)
    parser.add_argument("--lr", type=float, default=2e-3, help="fit's lr")
    parser.add_argument("--schedule", default="none", choices=["none", "onecycle"])
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--motion", action="store_true",
                        help="build the models with motion=True (frames and their change)")
    parser.add_argument("--train-clips", type=int, default=SPLIT["train"][0],
                        help="more clips than the default 800 to see what data size buys")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch.set_num_threads; 1 as in the notebooks")
    parser.add_argument("--turn-oracle", action="store_true",
                        help="only print how often a hand-made orientation estimate tells the "
                             "two turning classes apart (no training)")
    args = parser.parse_args()
    if args.turn_oracle:
        print(json.dumps({"turn_oracle_accuracy": round(turn_oracle(), 3)}))
        return
    torch.set_num_threads(args.threads)
    for model_name in args.models:
        lines = [run(model_name, seed, args) for seed in args.seeds]
        print(json.dumps({"summary": summary(lines)}), flush=True)


if __name__ == "__main__":
    main()
