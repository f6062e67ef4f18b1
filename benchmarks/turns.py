"""The turning pair alone: can the LSTM classifier learn which way a shape turns?

On the default MovingShapes every model stays near chance on "turns clockwise" against
"turns anticlockwise" (``headline.py`` prints the per-class accuracy), unless it is built with
``motion=True`` (``headline.py --motion``), whose motion channels this script predates. This
script trains the LSTM classifier on those two classes only (800 / 200 / 300 clips of
16 x 64 x 64, seeds 1, 2, 3 as in ``headline.py``; fit's defaults, batches of 16) in three
variants:

    frames       the classifier as the notebooks build it
    differences  each frame followed by its difference from the previous frame: 6 channels,
                 so the CNN sees the motion of every pixel
    pooled       differences, and the CNN's last feature map also max-pooled over all
                 positions (a second Linear), so a motion seen anywhere gives the same feature

Prints one JSON line per (variant, seed): test accuracy (chance 50 %), the training accuracy
after each epoch, CPU seconds. Not a test: a run of 12 epochs takes about 2 CPU minutes on
one thread.
    python benchmarks/turns.py                              # every variant, seed 0, 12 epochs
    python benchmarks/turns.py --variants frames --epochs 40
"""

import argparse
import json
import os
import time

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # idle threads sleep: see speed.py

import torch  # noqa: E402  (after OMP_WAIT_POLICY, which OpenMP reads when torch loads)
from headline import SPLIT  # noqa: E402  (the same clips and seeds as the headline numbers)
from torch import nn  # noqa: E402
from torch.utils.data import DataLoader, Dataset  # noqa: E402

import coursekit  # noqa: E402
from coursekit.data import MovingShapes  # noqa: E402
from coursekit.models import LSTMVideoClassifier  # noqa: E402
from coursekit.train import evaluate, fit  # noqa: E402

TURNS = ["turns clockwise", "turns anticlockwise"]


class WithDifferences(Dataset):
    """Each clip (T, 3, H, W) -> (T, 6, H, W): the frame, then (frame - previous + 1) / 2."""

    def __init__(self, clips):
        self.clips = clips

    def __len__(self):
        return len(self.clips)

    def __getitem__(self, index):
        video, label = self.clips[index]
        previous = torch.cat([video[:1], video[:-1]])  # the first frame has no motion
        return torch.cat([video, (video - previous + 1) / 2], dim=1), label


class PooledCNN(nn.Module):
    """The classifier's CNN plus its last feature map max-pooled over positions.

    frames: (B, C, H, W) -> features (B, D): cnn.fc(flattened map) + Linear(pooled map).
    """

    def __init__(self, cnn):
        super().__init__()
        self.cnn = cnn
        self.pooled_fc = nn.Linear(cnn.conv3.out_channels, cnn.feat_dim)

    @property
    def fc(self):  # the classifier reads its dtype and device from cnn.fc
        return self.cnn.fc

    def forward(self, frames):
        cnn = self.cnn
        x = cnn.prepare(frames)
        for conv in (cnn.conv1, cnn.conv2, cnn.conv3):
            x = torch.relu(conv(x))
        return cnn.fc(x.flatten(1)) + self.pooled_fc(x.amax(dim=(2, 3)))


def run(variant: str, seed: int, epochs: int) -> dict:
    """Train one variant on the turning pair -> its JSON line."""
    sets = {part: MovingShapes(n, seed=s, classes=TURNS) for part, (n, s) in SPLIT.items()}
    if variant != "frames":
        sets = {part: WithDifferences(clips) for part, clips in sets.items()}
    coursekit.set_seed(seed)
    model = LSTMVideoClassifier(num_classes=2, frame_size=(64, 64),
                                in_channels=3 if variant == "frames" else 6)
    if variant == "pooled":
        model.cnn = PooledCNN(model.cnn)
    cpu = time.process_time()
    history = fit(model, DataLoader(sets["train"], batch_size=16, shuffle=True),
                  DataLoader(sets["val"], batch_size=100), epochs=epochs, progress=False)
    cpu = time.process_time() - cpu
    test = evaluate(model, DataLoader(sets["test"], batch_size=100))
    return {"variant": variant, "seed": seed, "epochs": epochs,
            "test_accuracy": round(test["accuracy"], 4),
            "train_accuracy": [round(value, 3) for value in history.train_accuracy],
            "cpu_seconds": round(cpu, 1)}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", nargs="*", default=["frames", "differences", "pooled"],
                        choices=["frames", "differences", "pooled"])
    parser.add_argument("--seeds", nargs="*", type=int, default=[0])
    parser.add_argument("--epochs", type=int, default=12)
    args = parser.parse_args()
    torch.set_num_threads(1)
    for variant in args.variants:
        for seed in args.seeds:
            print(json.dumps(run(variant, seed, args.epochs)), flush=True)


if __name__ == "__main__":
    main()
