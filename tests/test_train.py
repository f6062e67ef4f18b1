"""coursekit.train: fit (history, best weights, Ctrl-C), evaluate, checkpoints, plots."""

import copy

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader

import coursekit
from coursekit.data import MovingShapes
from coursekit.models import FrameAverageClassifier, LSTMVideoClassifier
from coursekit.train import (
    History,
    evaluate,
    fit,
    load_checkpoint,
    pick_device,
    plot_confusion,
    plot_history,
    save_checkpoint,
)

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
    straight = small_lstm()
    fit(straight, train_loader, epochs=3, progress=False)

    model = small_lstm()
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    history = fit(model, train_loader, epochs=2, progress=False, optimizer=optimizer)
    save_checkpoint(model, tmp_path / "run.pt", optimizer=optimizer, history=history)

    resumed, extra = load_checkpoint(tmp_path / "run.pt")
    optimizer = torch.optim.Adam(resumed.parameters(), lr=2e-3)
    optimizer.load_state_dict(extra["optimizer"])
    history = fit(resumed, train_loader, epochs=1, progress=False, optimizer=optimizer,
                  history=extra["history"])
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
