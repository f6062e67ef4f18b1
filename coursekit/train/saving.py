"""The trainer command's files: what it saves in ``--out`` and what ``--resume`` reads back.

Every epoch, :class:`EpochSaver` writes ``last.pt`` (weights, optimizer, schedule, random
state: all that resuming needs), ``best.pt`` when the epoch is the best so far, and
``history.json``; :func:`finish` adds ``curves.png`` at the end. :func:`resume` restores a
``last.pt`` after checking that the command's options match the run it continues. Only the
first process (rank 0) writes; the others hold the same weights.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

from coursekit.train.checkpoints import load_checkpoint, save_checkpoint
from coursekit.train.distributed import is_main_process, unwrap, world_size
from coursekit.train.history import History
from coursekit.train.plots import plot_history

__all__ = ["SAME_ON_RESUME", "EpochSaver", "finish", "resume", "write_history"]

# Options a resumed run must share with the run it continues (the others may change, e.g.
# --workers, or --epochs with a constant learning rate to train longer).
SAME_ON_RESUME = ("model", "frames", "frame_size", "feat_dim", "hidden_dim", "schedule", "lr",
                  "weight_decay", "seed", "val_fraction")


def resume(args: argparse.Namespace, model, optimizer, scheduler, scaler) -> History:
    """Restore the state of ``--resume``'s last.pt; return its History to continue."""
    saved_model, extra = load_checkpoint(args.resume)  # weights_only=True: data only
    if "optimizer" not in extra or not isinstance(extra.get("options"), dict):
        raise ValueError(f"{args.resume} has no training state to resume from (best.pt has "
                         "none); resume from the last.pt of the same --out folder")
    saved = extra["options"]
    changed = [f"--{name.replace('_', '-')} {saved.get(name)} -> {getattr(args, name)}"
               for name in SAME_ON_RESUME if saved.get(name) != getattr(args, name)]
    if args.schedule == "onecycle" and saved.get("epochs") != args.epochs:
        changed.append(f"--epochs {saved.get('epochs')} -> {args.epochs} (the cycle is planned "
                       "over all epochs)")
    if changed:
        raise ValueError(f"{args.resume} was trained with other options; resume with the same "
                         f"command plus --resume. Changed: {'; '.join(changed)}")
    model.load_state_dict(saved_model.state_dict())
    optimizer.load_state_dict(extra["optimizer"])
    if scheduler is not None:
        scheduler.load_state_dict(extra["scheduler"])
    if scaler is not None and extra.get("scaler"):
        scaler.load_state_dict(extra["scaler"])
    torch.set_rng_state(extra["rng"])  # e.g. the transformer's dropout goes on as it would
    if extra.get("cuda_rng") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state(extra["cuda_rng"])
    history = extra["history"]
    if history.epochs > args.epochs:
        raise ValueError(f"{args.resume} has finished {history.epochs} epochs, more than "
                         f"--epochs {args.epochs}: ask for more epochs to train longer")
    if is_main_process():
        print(f"resuming from {args.resume}: {history.epochs} epochs done")
    return history


class EpochSaver:
    """fit's ``on_epoch_end``: last.pt every epoch, best.pt when the epoch is the best so far.

    Only rank 0 writes (all processes hold the same weights).
    """

    def __init__(self, args, model, optimizer, scheduler, scaler, classes, bar: bool):
        self.args, self.model, self.optimizer = args, model, optimizer
        self.scheduler, self.scaler, self.classes, self.bar = scheduler, scaler, classes, bar

    def __call__(self, history: History) -> None:
        if not is_main_process():
            return
        epoch = history.epochs - 1
        if not self.bar:  # fit printed the line under its bar; a log file gets it here
            print(history.epoch_line(epoch), flush=True)
        out, model = self.args.out, unwrap(self.model)
        options = {name: value for name, value in vars(self.args).items()
                   if isinstance(value, (int, float, str, bool, type(None)))}
        save_checkpoint(
            model, out / "last.pt", classes=self.classes, history=history, options=options,
            optimizer=self.optimizer, rng=torch.get_rng_state(), cuda_rng=_cuda_rng(model),
            scheduler=self.scheduler.state_dict() if self.scheduler is not None else None,
            scaler=self.scaler.state_dict() if self.scaler is not None else None)
        if history.best_epoch == epoch:
            save_checkpoint(model, out / "best.pt", classes=self.classes, history=history,
                            options=options)
        write_history(history, out / "history.json")


def _cuda_rng(model) -> torch.Tensor | None:
    """The random state of the GPU the model is on (dropout there draws from it), or None."""
    parameter = next(model.parameters())
    return torch.cuda.get_rng_state(parameter.device) if parameter.is_cuda else None


def write_history(history: History, path: Path) -> None:
    path.write_text(json.dumps(history.to_dict(), indent=1) + "\n")


def finish(args, history: History, train_clips: int) -> None:
    """The files that sum up the run, and the lines that say where they are."""
    write_history(history, args.out / "history.json")
    if history.epochs:
        plot_history(history, title=f"{args.model} on {args.data.name}").savefig(
            args.out / "curves.png", dpi=120)
        seconds = sum(history.seconds)
        print(f"{history.epochs} epochs, {train_clips * history.epochs / seconds:.1f} training "
              f"clips/s (epoch time, validation included, {world_size()} process(es))")
    if history.best_epoch is not None:
        print(f"best epoch {history.best_epoch + 1}: {args.out / 'best.pt'}")
    if history.interrupted or history.stopped:
        print(f"to continue: the same command with --resume {args.out / 'last.pt'}")
