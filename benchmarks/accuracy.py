"""Accuracy reached vs wall-clock seconds, for each video classifier, at notebook 06's scale.

Prints one JSON line per (data set, model) (not a test: numbers depend on the machine), after
two lines timing how long drawing 1,000 clips of 16 x 64 x 64 takes (target: seconds).
    python benchmarks/accuracy.py              # PyTorch's default number of threads
    python benchmarks/accuracy.py --threads 1  # what notebook 06 uses
Each line holds the test accuracy after every epoch with the training seconds spent so far
(validation included, testing not), the test accuracy of the weights fit keeps (best validation
accuracy), the within-pair accuracy for MovingShapes, and the parameter count.
Targets: the LSTM at 95 % or more on MovingShapes; the frame baseline at about 50 % within the
reversed pairs. These are notebook 06's small settings (6 classes, 8 x 32 x 32); for the
default data set (all 10 classes, 16 x 64 x 64, three seeds) run benchmarks/headline.py.
"""

import argparse
import json
import time

import torch
from torch.utils.data import DataLoader

import coursekit
from coursekit.data import Heartbeats, MovingShapes
from coursekit.models import (
    FrameAverageClassifier,
    GRUVideoClassifier,
    LSTMVideoClassifier,
    ManualRNNVideoClassifier,
    RecurrentVideoClassifier,
)
from coursekit.train import evaluate, fit

PAIRS = ["moves right", "moves left", "moves down", "moves up", "grows", "shrinks"]
TASKS = {  # the settings of notebooks/06_training.ipynb
    "MovingShapes": dict(make=MovingShapes, sizes=dict(num_frames=8, frame_size=32,
                                                       classes=PAIRS),
                         train=400, val=100, test=300, epochs=10),
    "Heartbeats": dict(make=Heartbeats, sizes=dict(num_frames=16, frame_size=16),
                       train=400, val=100, test=200, epochs=10),
}
MODELS = {
    "frame average": FrameAverageClassifier,
    "manual RNN": ManualRNNVideoClassifier,
    "LSTM": LSTMVideoClassifier,
    "GRU": GRUVideoClassifier,
}


def run(task_name, model_name):
    task = TASKS[task_name]
    train_set, val_set, test_set = (task["make"](n, seed=seed, **task["sizes"]) for n, seed
                                    in [(task["train"], 1), (task["val"], 2), (task["test"], 3)])
    size = task["sizes"]["frame_size"]
    options = dict(feat_dim=64, frame_size=(size, size))
    if issubclass(MODELS[model_name], RecurrentVideoClassifier):
        options["hidden_dim"] = 64
    coursekit.set_seed(0)
    model = MODELS[model_name](len(train_set.classes), **options)
    train_loader = DataLoader(train_set, batch_size=16, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=100)
    test_loader = DataLoader(test_set, batch_size=100)
    for data in (train_set, val_set, test_set):  # draw every clip once: epoch 1 is not slower
        for index in range(len(data)):
            data[index]
    curve = []  # test accuracy after each epoch (measured outside the timed training)
    history = fit(model, train_loader, val_loader, epochs=task["epochs"], progress=False,
                  on_epoch_end=lambda h: curve.append(evaluate(model, test_loader)["accuracy"]))
    seconds = torch.tensor(history.seconds).cumsum(0).tolist()
    results = evaluate(model, test_loader)  # the weights fit kept: best validation accuracy
    line = {
        "dataset": task_name, "model": model_name, "threads": torch.get_num_threads(),
        "parameters": sum(p.numel() for p in model.parameters()),
        "test_accuracy": round(results["accuracy"], 4),
        "best_epoch": history.best_epoch + 1,
        "train_seconds": round(seconds[-1], 2),
        "curve_seconds_test_accuracy": [[round(s, 2), round(a, 4)]
                                        for s, a in zip(seconds, curve, strict=True)],
    }
    if task_name == "MovingShapes":
        line["within_pair_accuracy"] = round(
            MovingShapes.pair_accuracy(results["logits"], results["labels"]), 4)
    print(json.dumps(line), flush=True)


def generation(num_clips=1000):
    """Seconds to draw 1,000 clips of 16 x 64 x 64 (the data sets' default size)."""
    for make in (MovingShapes, Heartbeats):
        data = make(num_clips, num_frames=16, frame_size=64)
        start = time.perf_counter()
        for index in range(len(data)):
            data[index]
        print(json.dumps({"dataset": make.__name__, "clips": num_clips,
                          "clip_shape": [16, 3, 64, 64], "threads": torch.get_num_threads(),
                          "generation_seconds": round(time.perf_counter() - start, 2)}),
              flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads")
    parser.add_argument("--tasks", nargs="*", default=list(TASKS), choices=list(TASKS))
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    generation()
    for task_name in args.tasks:
        for model_name in MODELS:
            run(task_name, model_name)


if __name__ == "__main__":
    main()
