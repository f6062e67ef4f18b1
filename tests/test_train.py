"""coursekit.train: fit (history, best weights, Ctrl-C), evaluate, checkpoints, plots."""

import copy
import inspect
import math
import re

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

import coursekit
from coursekit.data import MovingShapes
from coursekit.models import FrameAverageClassifier, LSTMVideoClassifier
from coursekit.train import (
    History,
    TrainingStopped,
    confusion_counts,
    evaluate,
    fit,
    load_checkpoint,
    pick_device,
    plot_confusion,
    plot_history,
    save_checkpoint,
    train_one_epoch,
)
from coursekit.viewers import NotebookFigure

CLASSES = ["moves right", "moves left", "grows", "shrinks"]


def loaders(shuffle=True):
    train = MovingShapes(48, num_frames=4, frame_size=16, seed=1, classes=CLASSES)
    val = MovingShapes(16, num_frames=4, frame_size=16, seed=2, classes=CLASSES)
    return DataLoader(train, batch_size=8, shuffle=shuffle), DataLoader(val, batch_size=16)


def small_lstm(seed=0):
    torch.manual_seed(seed)
    return LSTMVideoClassifier(num_classes=4, feat_dim=16, hidden_dim=16, frame_size=(16, 16))


def weights(model):
    return copy.deepcopy(model.state_dict())


def same_weights(a, b):
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_set_seed_is_the_one_from_coursekit():
    from coursekit import train

    assert train.set_seed is coursekit.set_seed


def test_the_package_exports_every_name_the_single_module_did():
    from coursekit import train

    before = {"LOADABLE_MODELS", "History", "evaluate", "fit", "load_checkpoint", "pick_device",
              "plot_confusion", "confusion_counts", "plot_history", "save_checkpoint", "set_seed"}
    assert before | {"train_one_epoch", "TrainingStopped"} <= set(train.__all__)
    assert all(getattr(train, name) is not None for name in train.__all__)


def test_pick_device():
    assert pick_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else None
    if expected is None:
        mps = getattr(torch.backends, "mps", None)
        expected = "mps" if mps is not None and mps.is_available() else "cpu"
    assert pick_device().type == expected


def test_fit_records_every_epoch_and_keeps_the_best_weights():
    train_loader, val_loader = loaders()
    model = small_lstm()
    seen = []
    history = fit(model, train_loader, val_loader, epochs=4, progress=False,
                  on_epoch_end=lambda h: seen.append(weights(model)))
    assert isinstance(history, History) and history.epochs == 4 and not history.interrupted
    for values in (history.train_loss, history.train_accuracy, history.val_loss,
                   history.val_accuracy, history.seconds):
        assert len(values) == 4
    assert history.train_loss[-1] < history.train_loss[0]  # it learns
    best = max(range(4), key=lambda e: (history.val_accuracy[e], -history.val_loss[e]))
    assert history.best_epoch == best
    assert same_weights(weights(model), seen[best])
    assert evaluate(model, val_loader)["accuracy"] == pytest.approx(history.val_accuracy[best])


def test_same_seed_same_trained_weights():
    results = []
    for _ in range(2):
        coursekit.set_seed(0)  # seeds the model's initial weights and the loader's shuffling
        model = FrameAverageClassifier(num_classes=4, feat_dim=8, frame_size=(16, 16))
        fit(model, loaders()[0], epochs=2, progress=False)
        results.append(weights(model))
    assert same_weights(*results)


def test_ctrl_c_in_a_callback_returns_the_history_so_far():
    train_loader, val_loader = loaders()
    model = small_lstm()
    seen = []

    def stop_after_two(history):
        seen.append(weights(model))
        if history.epochs == 2:
            raise KeyboardInterrupt

    history = fit(model, train_loader, val_loader, epochs=10, progress=False,
                  on_epoch_end=stop_after_two)
    assert history.interrupted and history.epochs == 2 and len(history.val_accuracy) == 2
    assert history.best_epoch in (0, 1)
    assert same_weights(weights(model), seen[history.best_epoch])


class InterruptedLoader:
    """Yields the batches of ``loader``, then Ctrl-C after ``after`` batches in all."""

    def __init__(self, loader, after):
        self.loader, self.after, self.given = loader, after, 0

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for batch in self.loader:
            if self.given == self.after:
                raise KeyboardInterrupt
            self.given += 1
            yield batch


def test_ctrl_c_in_the_middle_of_an_epoch_keeps_the_last_finished_one():
    train_loader, _ = loaders()
    model = small_lstm()
    seen = []
    loader = InterruptedLoader(train_loader, after=len(train_loader) + 2)  # in epoch 2
    history = fit(model, loader, epochs=5, progress=True,
                  on_epoch_end=lambda h: seen.append(weights(model)))
    assert history.interrupted and history.epochs == 1 and history.best_epoch == 0
    assert same_weights(weights(model), seen[0])  # not the half-trained second epoch


def test_ctrl_c_in_the_first_epoch_gives_back_the_starting_weights():
    train_loader, _ = loaders()
    model = small_lstm()
    start = weights(model)
    history = fit(model, InterruptedLoader(train_loader, after=2), epochs=3, progress=False)
    assert history.interrupted and history.epochs == 0 and history.best_epoch is None
    assert same_weights(weights(model), start)


# --- Ctrl-C anywhere leaves a History that prints, plots and resumes ---------------------------

PER_EPOCH = ("train_loss", "train_accuracy", "val_loss", "val_accuracy", "seconds")


def tiny_loaders():
    """4 training batches of 4 clips, 1 validation batch of 8: an epoch takes a few ms."""
    train = MovingShapes(16, num_frames=3, frame_size=16, seed=1, classes=CLASSES)
    val = MovingShapes(8, num_frames=3, frame_size=16, seed=2, classes=CLASSES)
    return DataLoader(train, batch_size=4, shuffle=False), DataLoader(val, batch_size=8)


def tiny_model(seed=0):
    torch.manual_seed(seed)
    return FrameAverageClassifier(num_classes=4, feat_dim=8, frame_size=(16, 16))


def lengths(history):
    return {name: len(getattr(history, name)) for name in PER_EPOCH}


class ListThatStops(list):
    """A History list whose ``append`` is hit by Ctrl-C once, at its ``at``-th call."""

    def __init__(self, at):
        super().__init__()
        self.at, self.calls = at, 0

    def append(self, value):
        self.calls += 1
        if self.calls == self.at:
            raise KeyboardInterrupt
        super().append(value)


def stop_in_second_callback(history):
    if history.epochs == 2:
        raise KeyboardInterrupt


# where Ctrl-C lands -> (fit arguments, epochs finished)
INTERRUPTIONS = {
    "training batch": (lambda train, val: dict(train_loader=InterruptedLoader(train, 5)), 1),
    "first validation": (lambda train, val: dict(val_loader=InterruptedLoader(val, 0)), 0),
    "validation": (lambda train, val: dict(val_loader=InterruptedLoader(val, 1)), 1),
    "on_epoch_end": (lambda train, val: dict(on_epoch_end=stop_in_second_callback), 2),
    "between train_loss and val_loss": (
        lambda train, val: dict(history=History(val_loss=ListThatStops(at=2))), 1),
}


@pytest.mark.parametrize("where", INTERRUPTIONS)
def test_ctrl_c_anywhere_leaves_a_history_that_prints_plots_and_resumes(where):
    train_loader, val_loader = tiny_loaders()
    make_arguments, finished = INTERRUPTIONS[where]
    arguments = dict(train_loader=train_loader, val_loader=val_loader)
    arguments.update(make_arguments(train_loader, val_loader))
    model = tiny_model()
    history = fit(model, epochs=4, progress=False, **arguments)
    assert history.interrupted and history.epochs == finished
    assert set(lengths(history).values()) == {finished}
    assert (history.best_epoch is None) == (finished == 0)
    assert repr(history).endswith("interrupted)")
    fig = plot_history(history)
    assert {len(line.get_xdata()) for ax in fig.axes for line in ax.lines} == {finished}

    history = fit(model, train_loader, val_loader, epochs=1, progress=False, history=history)
    assert not history.interrupted and history.epochs == finished + 1
    assert set(lengths(history).values()) == {finished + 1}


def test_continuing_a_history_with_other_loaders_is_refused():
    train_loader, val_loader = tiny_loaders()
    model = tiny_model()
    history = fit(model, train_loader, val_loader, epochs=1, progress=False)
    with pytest.raises(ValueError, match=r"cannot continue this History.*val_loader given or"):
        fit(model, train_loader, epochs=1, progress=False, history=history)


# --- A NaN or inf loss stops training and keeps the best finite weights ----------------------


class NaNClipLoader:
    """The batches of ``loader``, with a NaN pixel in batch ``at`` (1-based, over all epochs)."""

    def __init__(self, loader, at):
        self.loader, self.at, self.given = loader, at, 0

    def __len__(self):
        return len(self.loader)

    def __iter__(self):
        for videos, labels in self.loader:
            self.given += 1
            if self.given == self.at:
                videos = videos.clone()
                videos[0, 0, 0, 0, 0] = float("nan")
            yield videos, labels


def all_finite(model):
    return all(torch.isfinite(p).all() for p in model.parameters())


def test_a_nan_clip_stops_training_and_keeps_the_best_finite_weights(capsys):
    train_loader, val_loader = tiny_loaders()
    model = tiny_model()
    seen = []
    nan_loader = NaNClipLoader(train_loader, at=len(train_loader) + 3)  # epoch 2, batch 3
    history = fit(model, nan_loader, val_loader, epochs=4, progress=False,
                  on_epoch_end=lambda h: seen.append(weights(model)))
    assert history.stopped.startswith("Training stopped: the loss is nan at epoch 2, batch 3.")
    assert "videos of that batch hold NaN or inf" in history.stopped
    assert history.stopped.endswith("The model keeps the weights of epoch 1.")
    assert history.stopped in capsys.readouterr().out
    assert history.epochs == 1 and history.best_epoch == 0 and not history.interrupted
    assert set(lengths(history).values()) == {1} and "stopped early" in repr(history)
    assert all_finite(model) and same_weights(weights(model), seen[0])


@pytest.mark.parametrize("make_optimizer", [
    pytest.param(lambda parameters: torch.optim.SGD(parameters, lr=1e6), id="SGD lr=1e6"),
    pytest.param(lambda parameters: torch.optim.Adam(parameters, lr=1e8), id="Adam lr=1e8"),
])
def test_a_diverging_learning_rate_stops_training(make_optimizer):
    train_loader, _ = tiny_loaders()
    model = tiny_model()
    history = fit(model, train_loader, epochs=1, progress=False)  # one sane epoch first
    first_epoch = weights(model)
    history = fit(model, train_loader, epochs=3, max_grad_norm=None, progress=False,
                  optimizer=make_optimizer(model.parameters()), history=history)
    assert history.stopped.startswith("Training stopped: the loss is ")
    assert " at epoch 2, batch " in history.stopped
    assert "learning rate lr=" in history.stopped and "max_grad_norm=None" in history.stopped
    assert history.epochs == 1 and history.best_epoch == 0
    assert all(math.isfinite(loss) for loss in history.train_loss)
    assert all_finite(model) and same_weights(weights(model), first_epoch)


def test_a_nan_first_epoch_is_never_the_best():
    train_loader, _ = tiny_loaders()
    model = tiny_model()
    start = weights(model)
    history = fit(model, train_loader, epochs=2, lr=1e8, max_grad_norm=None, progress=False)
    assert "at epoch 1, batch 2" in history.stopped and "lr=1e+08" in history.stopped
    assert history.epochs == 0 and history.best_epoch is None
    assert history.stopped.endswith("The model keeps the starting weights.")
    assert repr(history) == "History(no epoch finished, stopped early (see .stopped))"
    assert same_weights(weights(model), start)


def test_a_nan_validation_loss_is_never_the_best():
    train_loader, val_loader = tiny_loaders()
    model = tiny_model()
    start = weights(model)
    history = fit(model, train_loader, NaNClipLoader(val_loader, at=1), epochs=3, progress=False)
    assert history.epochs == 1 and math.isnan(history.val_loss[0])
    assert history.best_epoch is None and same_weights(weights(model), start)
    assert "the validation loss is nan at epoch 1" in history.stopped


class SGDThatBreaks(torch.optim.SGD):
    """SGD that writes NaN into the first weight at its ``at``-th step, after the loss."""

    def __init__(self, parameters, at):
        super().__init__(parameters, lr=0.01)
        self.at, self.steps = at, 0

    @torch.no_grad()
    def step(self, closure=None):
        super().step(closure)
        self.steps += 1
        if self.steps == self.at:
            self.param_groups[0]["params"][0].fill_(float("nan"))


def test_weights_broken_by_the_last_step_of_an_epoch_are_never_kept():
    train_loader, _ = tiny_loaders()
    model = tiny_model()
    start = weights(model)
    optimizer = SGDThatBreaks(model.parameters(), at=len(train_loader))  # every loss finite
    history = fit(model, train_loader, epochs=2, optimizer=optimizer, progress=False)
    assert "the weights hold NaN or inf values after epoch 1" in history.stopped
    assert history.epochs == 0 and history.best_epoch is None
    assert same_weights(weights(model), start)


# --- train_one_epoch: the gradient steps notebook 06 shows -----------------------------------


def test_train_one_epoch_shows_the_whole_step_in_order():
    source = inspect.getsource(train_one_epoch)  # what coursekit.show_source displays
    step = ["logits = model(videos)", "loss = F.cross_entropy(logits, labels)",
            "optimizer.zero_grad()", "loss.backward()", "nn.utils.clip_grad_norm_(",
            "optimizer.step()"]
    positions = [source.find(line) for line in step]
    assert -1 not in positions and positions == sorted(positions)
    assert "optimizer.step()" in coursekit.show_source(train_one_epoch).data


def test_show_source_refuses_what_has_no_source_with_the_fix():
    with pytest.raises(TypeError, match=r"cannot show the source of <built-in function len>.*"
                                        r"show_source\(ManualLSTM\.step\)"):
        coursekit.show_source(len)


class CountingSGD(torch.optim.SGD):
    def __init__(self, parameters, lr):
        super().__init__(parameters, lr=lr)
        self.steps = 0

    def step(self, closure=None):
        self.steps += 1
        return super().step(closure)


def test_train_one_epoch_with_a_zero_learning_rate_measures_what_evaluate_does():
    train_loader, _ = tiny_loaders()  # 4 batches
    model = tiny_model()
    start = weights(model)
    optimizer = CountingSGD(model.parameters(), lr=0.0)
    loss, accuracy = train_one_epoch(model, train_loader, optimizer, progress=False)
    assert optimizer.steps == len(train_loader) and same_weights(weights(model), start)
    assert model.training and isinstance(loss, float) and isinstance(accuracy, float)
    results = evaluate(model, train_loader)
    assert loss == pytest.approx(results["loss"], rel=1e-5)
    assert accuracy == pytest.approx(results["accuracy"])


def test_train_one_epoch_steps_and_lowers_the_loss():
    train_loader, _ = tiny_loaders()
    model = tiny_model()
    before = evaluate(model, train_loader)["loss"]
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    for epoch in range(3):
        train_one_epoch(model, train_loader, optimizer, epoch=epoch, epochs=3, progress=False)
    assert evaluate(model, train_loader)["loss"] < before


def test_train_one_epoch_takes_no_step_on_a_nan_batch_and_says_why():
    train_loader, _ = tiny_loaders()
    model = tiny_model()
    start = weights(model)
    optimizer = CountingSGD(model.parameters(), lr=0.1)
    with pytest.raises(TrainingStopped, match=r"the loss is nan at epoch 3, batch 1\. The videos"):
        train_one_epoch(model, NaNClipLoader(train_loader, at=1), optimizer, epoch=2,
                        progress=False)
    assert optimizer.steps == 0 and same_weights(weights(model), start)


def test_train_one_epoch_refuses_an_empty_loader():
    with pytest.raises(ValueError, match="gave no batch"):
        train_one_epoch(tiny_model(), [], torch.optim.SGD(tiny_model().parameters(), lr=0.1))


@pytest.mark.parametrize("epochs", [2.0, True, -1, "3"])
def test_fit_refuses_epochs_that_are_not_a_count(epochs):
    train_loader, _ = tiny_loaders()
    with pytest.raises(ValueError, match=rf"epochs=5; got {re.escape(repr(epochs))}$"):
        fit(tiny_model(), train_loader, epochs=epochs, progress=False)


def test_fit_takes_a_numpy_count_of_epochs():
    train_loader, _ = tiny_loaders()
    assert fit(tiny_model(), train_loader, epochs=np.int64(1), progress=False).epochs == 1


def test_evaluate_returns_loss_accuracy_predictions_labels():
    _, val_loader = loaders()
    model = small_lstm().train()
    results = evaluate(model, val_loader)
    assert model.training  # evaluate puts the mode back
    logits, labels = results["logits"], results["labels"]
    assert logits.shape == (16, 4) and labels.shape == (16,)
    assert torch.equal(results["predictions"], logits.argmax(dim=1))
    assert torch.equal(labels, val_loader.dataset.labels)
    assert results["accuracy"] == pytest.approx((results["predictions"] == labels).float().mean())
    assert results["loss"] == pytest.approx(nn.functional.cross_entropy(logits, labels).item())


def test_checkpoint_round_trip(tmp_path):
    train_loader, val_loader = loaders()
    model = small_lstm()
    history = fit(model, train_loader, val_loader, epochs=1, progress=False)
    path = save_checkpoint(model, tmp_path / "best.pt", classes=CLASSES, history=history)
    torch.load(path, weights_only=True)  # plain tensors and values only

    loaded, extra = load_checkpoint(path)  # rebuilt from the stored class and arguments
    assert type(loaded) is LSTMVideoClassifier and loaded.config == model.config
    assert extra["classes"] == CLASSES
    assert isinstance(extra["history"], History) and extra["history"] == history
    videos = next(iter(val_loader))[0]
    model.eval()
    assert torch.equal(loaded(videos), model(videos))


def test_resuming_from_a_checkpoint_continues_the_same_training(tmp_path):
    train_loader, _ = loaders(shuffle=False)
    straight = small_lstm()  # a constant learning rate: each fit call would run its own cycle
    fit(straight, train_loader, epochs=3, schedule=None, progress=False)

    model = small_lstm()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    history = fit(model, train_loader, epochs=2, schedule=None, progress=False,
                  optimizer=optimizer)
    save_checkpoint(model, tmp_path / "run.pt", optimizer=optimizer, history=history)

    resumed, extra = load_checkpoint(tmp_path / "run.pt")
    optimizer = torch.optim.Adam(resumed.parameters(), lr=2e-3)
    optimizer.load_state_dict(extra["optimizer"])
    history = fit(resumed, train_loader, epochs=1, schedule=None, progress=False,
                  optimizer=optimizer, history=extra["history"])
    assert history.epochs == 3
    assert same_weights(weights(resumed), weights(straight))


def test_checkpoint_errors(tmp_path):
    path = save_checkpoint(small_lstm(), tmp_path / "lstm.pt")
    wrong = LSTMVideoClassifier(num_classes=4, feat_dim=16, hidden_dim=32, frame_size=(16, 16))
    with pytest.raises(ValueError, match="do not fit"):
        load_checkpoint(path, model=wrong)
    own = save_checkpoint(nn.Linear(3, 2), tmp_path / "own.pt")
    with pytest.raises(ValueError, match="model=MyModel"):
        load_checkpoint(own)
    linear, _ = load_checkpoint(own, model=nn.Linear(3, 2))
    assert linear.weight.shape == (2, 3)


def test_plots():
    history = History(train_loss=[1.0, 0.5], train_accuracy=[0.4, 0.8], val_loss=[1.1, 0.7],
                      val_accuracy=[0.3, 0.7], seconds=[1.0, 1.0], best_epoch=1)
    fig = plot_history(history)
    assert len(fig.axes) == 2 and len(fig.axes[1].lines) == 2
    fig = plot_confusion(torch.tensor([0, 1, 1, 2]), torch.tensor([0, 1, 2, 2]), ["a", "b", "c"])
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["a", "b", "c"]
    assert ax.images[0].get_array().tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    assert fig._repr_png_()[:4] == b"\x89PNG"


def test_plots_are_notebook_figures_that_pyplot_does_not_show_again():
    plt.close("all")
    history = History(train_loss=[1.0], train_accuracy=[0.4], seconds=[1.0], best_epoch=0)
    figures = [plot_history(history), plot_confusion([0, 1], [1, 1], ["a", "b"])]
    assert all(isinstance(fig, NotebookFigure) for fig in figures)
    assert plt.get_fignums() == []  # so the inline backend does not draw a second copy


def test_confusion_counts():
    counts = confusion_counts([0, 1, 1, 2], [0, 1, 2, 2], 3)
    assert counts.tolist() == [[1, 0, 0], [0, 1, 1], [0, 0, 1]]
    assert confusion_counts([], [], 2).tolist() == [[0, 0], [0, 0]]


@pytest.mark.parametrize(("labels", "predictions", "message"), [
    ([0, 1, 3], [0, 1, 1], r"labels should be class indices in \[0, 3\) .* from 0 to 3: give"),
    ([0, 1, 2], [0, -1, 1], r"predictions should be class indices in \[0, 3\) .* from -1 to 1"),
    ([0, 1, 2], [0, 1], r"both be \(N,\).* got \(3,\) and \(2,\)"),
    ([0, 1, 2], [0.0, 1.0, 2.0], r"predictions should be class indices \(ints\).*argmax"),
])
def test_confusion_counts_refuses_what_is_not_a_class_index(labels, predictions, message):
    with pytest.raises(ValueError, match=message):
        confusion_counts(labels, predictions, 3)
    with pytest.raises(ValueError, match=message):
        plot_confusion(labels, predictions, ["a", "b", "c"])


# --- The learning-rate schedule: constant by default, or one cycle per fit call -----------


class RecordingAdam(torch.optim.Adam):
    """Adam that records the learning rate of every step it takes."""

    def __init__(self, parameters, **options):
        super().__init__(parameters, **options)
        self.lrs = []

    def step(self, closure=None):
        self.lrs.append(self.param_groups[0]["lr"])
        return super().step(closure)


def made_optimizers(monkeypatch):
    """The optimizers fit makes itself, recorded: fit calls torch.optim.Adam."""
    made = []

    def make(parameters, **options):
        made.append(RecordingAdam(parameters, **options))
        return made[-1]

    monkeypatch.setattr(torch.optim, "Adam", make)
    return made


def test_onecycle_warms_up_then_anneals_the_learning_rate(monkeypatch):
    train_loader, _ = tiny_loaders()  # 4 batches
    made = made_optimizers(monkeypatch)
    fit(tiny_model(), train_loader, epochs=5, lr=1e-2, schedule="onecycle", progress=False)
    lrs = made[0].lrs
    assert len(lrs) == 5 * len(train_loader)
    assert lrs[0] == pytest.approx(1e-2 / 25)  # warm-up from lr / 25
    peak = max(range(len(lrs)), key=lrs.__getitem__)
    assert lrs[peak] == pytest.approx(1e-2, rel=0.05) and 0.2 < peak / len(lrs) < 0.4
    assert all(a < b for a, b in zip(lrs[:peak], lrs[1:peak + 1], strict=True))  # up, then down
    assert all(a > b for a, b in zip(lrs[peak:-1], lrs[peak + 1:], strict=True))
    assert lrs[-1] < 1e-2 / 1000  # nearly 0 at the last step


def test_the_learning_rate_is_constant_by_default(monkeypatch):
    assert inspect.signature(fit).parameters["schedule"].default is None
    train_loader, _ = tiny_loaders()
    made = made_optimizers(monkeypatch)
    fit(tiny_model(), train_loader, epochs=2, lr=1e-2, progress=False)
    assert made[0].lrs == [1e-2] * 2 * len(train_loader)


def test_the_schedule_changes_the_trained_weights():
    results = []
    for schedule in ("onecycle", None):
        coursekit.set_seed(0)
        model = tiny_model()
        fit(model, tiny_loaders()[0], epochs=2, schedule=schedule, progress=False)
        results.append(weights(model))
    assert not same_weights(*results)


def test_resuming_starts_a_new_cycle_at_the_peak_of_the_first(tmp_path):
    train_loader, _ = tiny_loaders()
    model = tiny_model()
    optimizer = RecordingAdam(model.parameters(), lr=1e-2)
    history = fit(model, train_loader, epochs=2, schedule="onecycle", progress=False,
                  optimizer=optimizer)
    assert optimizer.lrs[-1] < 1e-2 / 1000  # the cycle ended near 0
    save_checkpoint(model, tmp_path / "run.pt", optimizer=optimizer, history=history)

    resumed, extra = load_checkpoint(tmp_path / "run.pt")
    optimizer = RecordingAdam(resumed.parameters(), lr=1.0)  # lr replaced by the saved state
    optimizer.load_state_dict(extra["optimizer"])
    history = fit(resumed, train_loader, epochs=2, schedule="onecycle", progress=False,
                  optimizer=optimizer, history=extra["history"])
    assert history.epochs == 4
    assert optimizer.lrs[0] == pytest.approx(1e-2 / 25)  # a new warm-up...
    assert max(optimizer.lrs) == pytest.approx(1e-2, rel=0.05)  # ...to the same peak
    assert optimizer.lrs[-1] < 1e-2 / 1000


def test_an_unknown_schedule_is_refused_with_the_choices():
    train_loader, _ = tiny_loaders()
    with pytest.raises(ValueError, match=r'takes None .* or "onecycle"; got schedule=\'cosine\''):
        fit(tiny_model(), train_loader, epochs=1, schedule="cosine", progress=False)


class LoaderWithoutLength:
    def __init__(self, loader):
        self.loader = loader

    def __iter__(self):
        return iter(self.loader)


def test_the_schedule_needs_the_loader_length_and_says_how_to_do_without():
    train_loader, _ = tiny_loaders()
    with pytest.raises(ValueError, match=r"needs len\(train_loader\).*schedule=None"):
        fit(tiny_model(), LoaderWithoutLength(train_loader), epochs=1, schedule="onecycle",
            progress=False)
    history = fit(tiny_model(), LoaderWithoutLength(train_loader), epochs=1, progress=False)
    assert history.epochs == 1



def test_fits_adam_updates_all_weights_at_once_with_the_numbers_of_plain_adam(monkeypatch):
    trained = []
    for foreach in (True, False):
        coursekit.set_seed(0)
        model = small_lstm()
        optimizer = None if foreach else torch.optim.Adam(model.parameters(), lr=2e-3,
                                                           foreach=False)
        made = made_optimizers(monkeypatch) if foreach else []
        fit(model, loaders()[0], epochs=2, optimizer=optimizer, progress=False)
        monkeypatch.undo()
        assert all(adam.defaults["foreach"] for adam in made) and len(made) == foreach
        trained.append(weights(model))
    assert same_weights(*trained)  # foreach changes the speed, not the numbers
