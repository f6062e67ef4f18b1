"""Training video classifiers: fit, evaluate, checkpoints, and the plots that go with them.

The trainer the lecture leaves as an exercise, written once:

    history = fit(model, train_loader, val_loader, epochs=5)   # Ctrl-C stops cleanly
    results = evaluate(model, test_loader)                      # loss, accuracy, predictions
    save_checkpoint(model, "best.pt", classes=train_set.classes)
    model, extra = load_checkpoint("best.pt")

A loader yields batches ``(videos: (B, T, C, H, W), labels: (B,))``; the model maps videos to
logits (B, K). Nothing here is specific to videos: any classifier and loader of that kind works.

Modules, all re-exported here:
    loop         fit, train_one_epoch (the gradient steps)
    safety       TrainingStopped: a NaN or inf loss or weight, and why
    evaluation   evaluate, pick_device
    history      History, what fit returns: one entry per finished epoch
    checkpoints  save_checkpoint, load_checkpoint (safe for files from someone else)
    plots        plot_history, plot_confusion, confusion_counts
And two for training beyond the notebooks, on your own clips and on GPUs:
    cli          python -m coursekit.train --data DIR --epochs N --out run/ (--help)
    saving       what that command writes in --out each epoch, and how --resume reads it
    distributed  the few lines torchrun and DistributedDataParallel need
"""

from coursekit import set_seed
from coursekit.train.checkpoints import LOADABLE_MODELS, load_checkpoint, save_checkpoint
from coursekit.train.evaluation import evaluate, pick_device
from coursekit.train.history import History
from coursekit.train.loop import fit, train_one_epoch
from coursekit.train.plots import confusion_counts, plot_confusion, plot_history
from coursekit.train.safety import TrainingStopped

__all__ = [
    "LOADABLE_MODELS",
    "History",
    "TrainingStopped",
    "confusion_counts",
    "evaluate",
    "fit",
    "load_checkpoint",
    "pick_device",
    "plot_confusion",
    "plot_history",
    "save_checkpoint",
    "set_seed",
    "train_one_epoch",
]
