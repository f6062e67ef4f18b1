"""The training loop: fit (epochs, best weights, Ctrl-C) and one epoch of gradient steps.

What fit records per epoch is kept by ``History`` (history.py); why it stops on a NaN or inf
loss is said by safety.py.

A loader yields batches ``(videos: (B, T, C, H, W), labels: (B,))``; the model maps videos to
logits (B, K). Nothing here is specific to videos: any classifier and loader of that kind works.
"""

from __future__ import annotations

import copy
import time

import torch
from torch import nn
from torch.nn import functional as F

from coursekit.models import is_count
from coursekit.train.distributed import all_finite, is_main_process, sum_over_processes
from coursekit.train.evaluation import evaluate, model_device, pick_device
from coursekit.train.history import History
from coursekit.train.safety import (
    TrainingStopped,
    check_finite_weights,
    non_finite_loss,
    non_finite_validation,
)

__all__ = ["AMP_DTYPES", "TrainingStopped", "fit", "one_cycle", "train_one_epoch"]


SCHEDULES = (None, "onecycle")
#: Mixed precision: the dtype most of the forward pass runs in (``torch.autocast``); None
#: keeps float32. bfloat16 has float32's range, so it needs no loss scaling; float16 does.
AMP_DTYPES = {None: None, "bfloat16": torch.bfloat16, "float16": torch.float16}


def fit(model: nn.Module, train_loader, val_loader=None, *, epochs: int, lr: float = 2e-3,
        schedule: str | None = None, weight_decay: float = 0.0,
        max_grad_norm: float | None = 1.0, device=None, progress: bool = True,
        optimizer: torch.optim.Optimizer | None = None, history: History | None = None,
        on_epoch_end=None, scheduler=None, amp: str | None = None,
        scaler: torch.amp.GradScaler | None = None) -> History:
    """Train ``model`` with Adam and cross-entropy for ``epochs`` epochs; return the History.

    The learning rate is constant by default (``schedule=None``): then fit(epochs=2) followed
    by fit(epochs=1) on the same History trains exactly as fit(epochs=3). With
    ``schedule="onecycle"`` it follows one cycle over the run (PyTorch's ``OneCycleLR``,
    updated after every batch): a warm-up from lr / 25 to ``lr`` over the first 30 % of the
    steps, then a cosine decay to nearly 0 at the last step. Each call of fit runs its own
    cycle over its own ``epochs``, so continuing a History (resuming) starts a new cycle.
    On the default MovingShapes the cycle did not beat the constant rate at the same number
    of epochs (benchmarks/headline.py measures both), hence the constant default.

    Args:
        model: maps videos (B, T, C, H, W) to logits (B, K); or such a model wrapped in
            DistributedDataParallel, one per process under torchrun (see ``cli``).
        train_loader: yields ``(videos, labels)`` batches, labels (B,) ints in [0, K).
        val_loader: optional; measured after every epoch, and picks the weights kept.
        epochs: number of passes over ``train_loader``.
        lr: Adam's learning rate: the constant rate, or the peak of the cycle with
            ``schedule="onecycle"`` (ignored when ``optimizer`` is given).
        schedule: None (a constant learning rate, the default) or "onecycle" (see above).
            With a given ``optimizer``, the cycle peaks at its learning rate (for an
            optimizer that fit already ran a cycle on, e.g. loaded from a checkpoint, the
            peak of that cycle).
        weight_decay: Adam's L2 penalty (ignored when ``optimizer`` is given).
        max_grad_norm: gradients are scaled down when their norm exceeds this (clipping
            keeps one bad batch from wrecking a recurrent network); None turns it off.
        device: "cpu", "cuda", ...; None picks cuda, then mps, then cpu.
        progress: show a progress bar per epoch with the running loss and accuracy.
        optimizer: an optimizer over ``model.parameters()``, e.g. to resume training with
            the state saved in a checkpoint; None creates Adam(lr, weight_decay).
        history: a History to continue (resuming), made with a validation set if and only
            if ``val_loader`` is given; None starts a new one.
        on_epoch_end: optional ``callback(history)``, called after every epoch.
        scheduler: a learning-rate scheduler stepped after every batch, used instead of the
            one ``schedule`` makes, e.g. the cycle of an interrupted run, loaded from its
            checkpoint to resume it where it stopped (``one_cycle`` makes one).
        amp: mixed precision: None (float32, the default), "bfloat16" or "float16" (then a
            GradScaler scales the loss). Meant for GPUs; on a CPU it is slower.
        scaler: the ``torch.amp.GradScaler`` for "float16", e.g. one loaded from a checkpoint;
            None makes one.

    Samplers: when ``train_loader.sampler`` has ``set_epoch`` (PyTorch's
    DistributedSampler), it is called with the epoch's index before each epoch, so every
    epoch has its own shuffled order, the same in every process and after resuming.

    Returns:
        The History. The model ends with the weights of its best epoch: highest validation
        accuracy (ties: lower validation loss) with a validation set, lowest training loss
        without. Ctrl-C (KeyboardInterrupt) stops training cleanly: fit returns the history
        of the finished epochs with the best weights loaded (the starting weights if no epoch
        finished). A NaN or inf loss (training or validation) stops training too, without
        raising: fit prints why (epoch, batch, likely cause: NaN or inf in the videos, a
        learning rate too high, no gradient clipping), keeps that text in ``history.stopped``
        and returns with the best weights. An epoch with a NaN or inf loss is never the best,
        and no step is taken on a batch whose loss is NaN or inf.
    """
    if not is_count(epochs) or epochs < 0:
        raise ValueError(f"fit(..., epochs=...) takes the number of passes over train_loader, "
                         f"a whole number >= 0 such as epochs=5; got {epochs!r}")
    if history is not None:
        history.check_continuable(with_val=val_loader is not None)
    if schedule not in SCHEDULES:
        raise ValueError(f'fit(..., schedule=...) takes None (a constant learning rate, the '
                         f'default) or "onecycle"; got schedule={schedule!r}')
    if amp not in AMP_DTYPES:
        raise ValueError(f'fit(..., amp=...) takes None (float32), "bfloat16" or "float16"; '
                         f'got amp={amp!r}')
    device = pick_device(device)
    model.to(device)
    if optimizer is None:
        optimizer = adam(model, lr, weight_decay)
    if scheduler is None and schedule and epochs:
        scheduler = one_cycle(optimizer, train_loader, epochs)
    if amp == "float16" and scaler is None:
        scaler = torch.amp.GradScaler(device.type)
    history = history if history is not None else History()
    history.interrupted, history.stopped = False, None
    best_weights = copy.deepcopy(model.state_dict())
    best_score = None if history.best_epoch is None else history.epoch_score(history.best_epoch)
    first = history.epochs
    try:
        for epoch in range(first, first + epochs):
            start = time.perf_counter()
            _set_sampler_epoch(train_loader, epoch)
            train = train_one_epoch(model, train_loader, optimizer, scheduler=scheduler,
                                    max_grad_norm=max_grad_norm, device=device,
                                    progress=progress, epoch=epoch, epochs=first + epochs,
                                    amp=amp, scaler=scaler)
            val = evaluate(model, val_loader, device=device) if val_loader is not None else None
            history.record_epoch(*train, val, time.perf_counter() - start)
            score = history.epoch_score(epoch)
            if score is not None and (best_score is None or score > best_score):
                best_score, best_weights = score, copy.deepcopy(model.state_dict())
                history.best_epoch = epoch
            if progress:
                print(history.epoch_line(epoch))
            if on_epoch_end is not None:
                on_epoch_end(history)
            if score is None:
                raise TrainingStopped(non_finite_validation(history, epoch))
    except KeyboardInterrupt:
        history.drop_unfinished_epoch(val_loader is not None)
        history.interrupted = True
        _print_once(f"Interrupted after {history.epochs} finished epochs; the model keeps "
                    f"{history.kept_weights()}.")
    except TrainingStopped as stop:
        history.stopped = f"{stop} The model keeps {history.kept_weights()}."
        _print_once(history.stopped)
    model.load_state_dict(best_weights)
    return history


def train_one_epoch(model: nn.Module, loader, optimizer: torch.optim.Optimizer, *,
                    scheduler=None, max_grad_norm: float | None = 1.0, device=None,
                    progress: bool = True, epoch: int = 0, epochs: int | None = None,
                    amp: str | None = None,
                    scaler: torch.amp.GradScaler | None = None) -> tuple[float, float]:
    """One pass over ``loader``, one gradient step per batch -> (mean loss, accuracy).

    Args:
        model: maps videos (B, T, C, H, W) to logits (B, K); set to training mode here.
        loader: yields ``(videos, labels)`` batches, labels (B,) ints in [0, K).
        optimizer: an optimizer over ``model.parameters()``, e.g. Adam.
        scheduler: optional learning-rate scheduler, stepped after every batch (e.g.
            ``OneCycleLR``); None keeps the optimizer's learning rate.
        max_grad_norm: gradients are scaled down when their norm exceeds this; None: no
            clipping.
        device: where the batches go; None: where the model's weights are.
        progress: show a progress bar with the running loss and accuracy.
        epoch, epochs: this epoch's index (0-based) and the number of epochs, for the bar
            and the messages.
        amp: None (float32), "bfloat16" or "float16": the forward pass runs in that dtype
            under ``torch.autocast`` (mixed precision, for GPUs).
        scaler: a ``torch.amp.GradScaler``, needed with "float16": it scales the loss so that
            small gradients do not round to 0 (see ``_scaled_step``).

    On several processes (DistributedDataParallel), the gradients are averaged over the
    processes during the backward pass, and the returned loss and accuracy are over the clips
    of all processes.

    Returns:
        ``(loss, accuracy)``: floats, the mean cross-entropy and the fraction of clips
        predicted right, over the epoch's batches (measured as the weights changed).

    Raises:
        TrainingStopped: a batch's loss is NaN or inf (no step is taken on it), or the
            weights hold NaN or inf at the end; the message says where and the likely cause.
    """
    from tqdm.auto import tqdm

    device = pick_device(device) if device is not None else model_device(model)
    model.train()
    autocast = torch.autocast(device.type, dtype=AMP_DTYPES[amp], enabled=amp is not None)
    total_loss, correct, seen = 0.0, 0, 0
    desc = f"epoch {epoch + 1}" + (f"/{epochs}" if epochs else "")
    with tqdm(loader, desc=desc, disable=not progress, leave=False) as bar:
        for batch, (videos, labels) in enumerate(bar, start=1):
            videos, labels = videos.to(device), labels.to(device)  # (B, T, C, H, W), (B,)
            with autocast:  # mixed precision if amp is given, else nothing changes
                logits = model(videos)  # (B, K)
                loss = F.cross_entropy(logits, labels)
            if not all_finite(loss):  # in every process, so that all of them stop together
                raise TrainingStopped(non_finite_loss(loss.item(), videos, epoch, batch,
                                                      optimizer, max_grad_norm))
            optimizer.zero_grad()
            if scaler is not None:  # float16: the same step on a scaled loss
                _scaled_step(loss, model, optimizer, scaler, max_grad_norm)
            else:
                loss.backward()
                if max_grad_norm is not None:
                    nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
                optimizer.step()
            if scheduler is not None:
                scheduler.step()  # the learning rate for the next batch
            total_loss += loss.item() * len(labels)
            correct += (logits.argmax(dim=1) == labels).sum().item()
            seen += len(labels)
            bar.set_postfix(loss=f"{total_loss / seen:.3f}", accuracy=f"{correct / seen:.1%}")
    total_loss, correct, seen = sum_over_processes(total_loss, correct, seen)
    if seen == 0:
        raise ValueError("the training loader gave no batch: is the data set empty?")
    check_finite_weights(model, epoch)
    return total_loss / seen, correct / seen


def _scaled_step(loss, model: nn.Module, optimizer, scaler, max_grad_norm) -> None:
    """The gradient step of train_one_epoch with float16 mixed precision (a GradScaler)."""
    scaler.scale(loss).backward()  # loss x a large factor: small float16 gradients survive
    if max_grad_norm is not None:
        scaler.unscale_(optimizer)  # back to the true gradients before clipping them
        nn.utils.clip_grad_norm_(model.parameters(), max_grad_norm)
    scaler.step(optimizer)  # skipped if a gradient overflowed to inf or NaN
    scaler.update()  # a smaller factor after an overflow, a larger one after many good steps


def _set_sampler_epoch(loader, epoch: int) -> None:
    """Tell a DistributedSampler the epoch: its shuffled order depends on it (and its seed)."""
    set_epoch = getattr(getattr(loader, "sampler", None), "set_epoch", None)
    if set_epoch is not None:
        set_epoch(epoch)


def _print_once(text: str) -> None:
    """Print in the main process only (one line, not one per process)."""
    if is_main_process():
        print(text)


def adam(model: nn.Module, lr: float, weight_decay: float = 0.0) -> torch.optim.Adam:
    """The Adam optimizer fit makes (and the trainer command): over all of model's weights.

    foreach: one call updates all the weights at each step. The numbers are those of plain
    Adam, and it is about 10 % faster for the course's small models on a CPU (PyTorch picks
    it by itself only on GPUs).
    """
    return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay,
                            foreach=True)


def one_cycle(optimizer: torch.optim.Optimizer, train_loader, epochs: int):
    """OneCycleLR over ``epochs`` passes of ``train_loader``, peaking at the optimizer's lr.

    What ``fit(..., schedule="onecycle")`` uses; build it yourself to plan a cycle over more
    epochs than one call of fit trains, then resume it with ``scheduler.load_state_dict``.

    An optimizer that already ran a cycle (its ``lr`` is where that cycle left it, not the
    rate it was given) peaks where that cycle did, its ``max_lr``; others at their ``lr``.
    """
    try:
        steps = len(train_loader)
    except TypeError:
        raise ValueError("schedule='onecycle' plans the learning rate over every batch, so it "
                         "needs len(train_loader); this loader has no length: give it one, "
                         "or pass schedule=None for a constant learning rate") from None
    peaks = [group.get("max_lr", group["lr"]) for group in optimizer.param_groups]
    return torch.optim.lr_scheduler.OneCycleLR(  # only the learning rate moves, not Adam's betas
        optimizer, max_lr=peaks, total_steps=max(int(epochs) * steps, 1), cycle_momentum=False)
