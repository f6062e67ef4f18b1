"""coursekit.train.load_checkpoint on files from someone else: it builds only coursekit's models.

Each test crafts a file the way an attacker would, with ``torch.save`` of a hand-made dict,
and checks that loading it is refused with an error naming the file, before anything runs.
"""

import importlib
import json
import os
import warnings

import pytest
import torch
from torch import nn

from coursekit.models import (
    CNN,
    FrameAverageClassifier,
    GRUVideoClassifier,
    LSTMVideoClassifier,
    ManualLSTM,
    ManualRNNVideoClassifier,
    TransformerVideoClassifier,
)
from coursekit.train import LOADABLE_MODELS, History, load_checkpoint, save_checkpoint

SMALL_MODELS = {  # one small instance of every model load_checkpoint may build
    CNN: lambda: CNN(in_channels=3, feat_dim=8, frame_size=(16, 16)),
    FrameAverageClassifier: lambda: FrameAverageClassifier(4, feat_dim=8, frame_size=(16, 16)),
    ManualRNNVideoClassifier: lambda: ManualRNNVideoClassifier(
        4, feat_dim=8, hidden_dim=8, frame_size=(16, 16)),
    LSTMVideoClassifier: lambda: LSTMVideoClassifier(
        4, feat_dim=8, hidden_dim=8, frame_size=(16, 16)),
    GRUVideoClassifier: lambda: GRUVideoClassifier(
        4, feat_dim=8, hidden_dim=8, frame_size=(16, 16)),
    TransformerVideoClassifier: lambda: TransformerVideoClassifier(
        4, feat_dim=8, frame_size=(16, 16), num_layers=1, num_heads=2, max_frames=8),
}


def small_lstm():
    torch.manual_seed(0)
    return SMALL_MODELS[LSTMVideoClassifier]()


def craft(path, model_class, config, state_dict=None, **extra):
    """A checkpoint file with the layout save_checkpoint writes, and any contents."""
    torch.save({"model_class": model_class, "config": config,
                "state_dict": {} if state_dict is None else state_dict, "extra": extra}, path)
    return path


def test_the_allow_list_is_the_coursekit_models_with_a_config():
    assert {cls.__name__ for cls in LOADABLE_MODELS} == {
        "CNN", "FrameAverageClassifier", "ManualRNNVideoClassifier", "LSTMVideoClassifier",
        "GRUVideoClassifier", "TransformerVideoClassifier"}
    for cls in LOADABLE_MODELS:
        assert issubclass(cls, nn.Module) and cls.__module__.startswith("coursekit.models.")
        assert isinstance(SMALL_MODELS[cls]().config, dict)


@pytest.mark.parametrize("cls", LOADABLE_MODELS, ids=lambda cls: cls.__name__)
def test_every_loadable_model_round_trips(tmp_path, cls):
    torch.manual_seed(0)
    model = SMALL_MODELS[cls]().eval()
    path = save_checkpoint(model, tmp_path / "model.pt", classes=["a", "b", "c", "d"])
    stored = torch.load(path, weights_only=True)
    assert stored["model_class"] == f"coursekit.models.{cls.__name__}"  # the public name

    loaded, extra = load_checkpoint(path)
    assert type(loaded) is cls and loaded.config == model.config and not loaded.training
    assert extra == {"classes": ["a", "b", "c", "d"]}
    videos = torch.rand(2, 3, 3, 16, 16)  # (B, T, C, H, W)
    inputs = videos[:, 0] if cls is CNN else videos  # the CNN takes frames (B, C, H, W)
    torch.testing.assert_close(loaded(inputs), model(inputs), rtol=0, atol=0)


FORMER_NAMES = {  # what save_checkpoint stored before: the defining module of the time
    CNN: "coursekit.models.classifiers.CNN",
    LSTMVideoClassifier: "coursekit.models.classifiers.LSTMVideoClassifier",
    TransformerVideoClassifier: "coursekit.models.attention.TransformerVideoClassifier",
}


@pytest.mark.parametrize("cls", FORMER_NAMES, ids=lambda cls: cls.__name__)
def test_a_checkpoint_naming_the_former_defining_module_still_loads(tmp_path, cls):
    model = SMALL_MODELS[cls]()  # even after the class moved to another module
    path = craft(tmp_path / "old.pt", FORMER_NAMES[cls], model.config, model.state_dict())
    loaded, _ = load_checkpoint(path)
    assert type(loaded) is cls


def test_a_crafted_save_gif_checkpoint_writes_no_file(tmp_path):
    target = tmp_path / "overwritten.txt"
    path = craft(tmp_path / "gif.pt", "coursekit.video.save_gif",
                 {"video": torch.rand(2, 3, 8, 8), "path": str(target)})
    with pytest.raises(ValueError, match=r"gif\.pt names the model class 'coursekit\.video"):
        load_checkpoint(path)
    assert not target.exists()


def test_a_crafted_write_student_copies_checkpoint_writes_no_notebook(tmp_path):
    source = tmp_path / "notebooks"
    source.mkdir()
    notebook = {"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (source / "01_intro.ipynb").write_text(json.dumps(notebook))
    out = tmp_path / "anywhere"
    path = craft(tmp_path / "student.pt", "coursekit.course.student.write_student_copies",
                 {"source_dir": str(source), "out_dir": str(out)})
    with pytest.raises(ValueError, match="builds only coursekit's CNN, FrameAverageClassifier"):
        load_checkpoint(path)
    assert not out.exists()


REFUSED_CLASSES = {
    "os.system": {"command": "touch {tmp}/pwned"},
    "builtins.eval": {"source": "open('{tmp}/pwned', 'w')"},
    "torch.nn.Linear": {"in_features": 3, "out_features": 2},
    "torch.nn.modules.linear.Linear": {"in_features": 3, "out_features": 2},
    "coursekit.models.recurrent.ManualLSTM": {"input_size": 3, "hidden_size": 2},
    "coursekit.models.ManualLSTM": {"input_size": 3, "hidden_size": 2},
    "coursekit.models.classifiers.VideoClassifier": {"feat_dim": 8, "frame_size": 16},
    "coursekit.models.classifiers.nn.Linear": {"in_features": 3, "out_features": 2},
    "coursekit.train.fit": {"model": "x"},
    "coursekit.not_a_module.LSTMVideoClassifier": {"num_classes": 4},
    "LSTMVideoClassifier": {"num_classes": 4},
    "": {},
}


@pytest.mark.parametrize("model_class", REFUSED_CLASSES)
def test_any_other_class_path_is_refused_before_anything_is_imported(tmp_path, monkeypatch,
                                                                      model_class):
    config = {k: v.format(tmp=tmp_path) if isinstance(v, str) else v
              for k, v in REFUSED_CLASSES[model_class].items()}
    path = craft(tmp_path / "crafted.pt", model_class, config)
    imported = []
    real_import = importlib.import_module
    monkeypatch.setattr(importlib, "import_module",
                        lambda name, *args: imported.append(name) or real_import(name, *args))
    with pytest.raises(ValueError, match=r"crafted\.pt names the model class .*builds only"):
        load_checkpoint(path)
    assert imported == [] and not (tmp_path / "pwned").exists()


def test_a_refused_class_suggests_building_the_model_yourself(tmp_path):
    path = save_checkpoint(ManualLSTM(3, 2), tmp_path / "manual.pt")
    with pytest.raises(ValueError, match=r"load_checkpoint\('.*manual\.pt', model=MyModel"):
        load_checkpoint(path)
    loaded, _ = load_checkpoint(path, model=ManualLSTM(3, 2))
    assert loaded.W_f.shape == (3, 2)


@pytest.mark.parametrize(("key", "value", "kind"), [
    ("num_classes", torch.tensor(4), "Tensor"),
    ("frame_size", {"height": 16, "width": 16}, "dict"),
    ("frame_size", [16, {"width": 16}], "list"),
    ("feat_dim", b"\x08", "bytes"),
])
def test_a_config_that_is_not_plain_data_is_refused(tmp_path, key, value, kind):
    model = small_lstm()
    path = craft(tmp_path / "config.pt", "coursekit.models.LSTMVideoClassifier",
                 {**model.config, key: value}, model.state_dict())
    with pytest.raises(ValueError, match=rf"config\.pt: config\['{key}'\] holds a {kind}"):
        load_checkpoint(path)


def test_a_config_the_model_does_not_accept_is_refused(tmp_path):
    model = small_lstm()
    path = craft(tmp_path / "extra.pt", "coursekit.models.LSTMVideoClassifier",
                 {**model.config, "path": "/tmp/x"}, model.state_dict())
    with pytest.raises(ValueError, match=r"extra\.pt: cannot build LSTMVideoClassifier"):
        load_checkpoint(path)


def test_a_config_asking_for_a_huge_model_allocates_nothing(tmp_path):
    model = small_lstm()
    huge = {**model.config, "feat_dim": 10**6, "frame_size": (4096, 4096)}  # 67 TB of weights
    path = craft(tmp_path / "huge.pt", "coursekit.models.LSTMVideoClassifier", huge,
                 model.state_dict())
    with pytest.raises(ValueError, match=r"huge\.pt: the saved weights do not fit the LSTMVideo"):
        load_checkpoint(path)


def test_a_config_asking_for_a_huge_position_table_is_refused(tmp_path):
    model = SMALL_MODELS[TransformerVideoClassifier]()  # the table is not among the weights
    config = {**model.config, "max_frames": 10**11}
    path = craft(tmp_path / "table.pt", "coursekit.models.TransformerVideoClassifier", config,
                 model.state_dict())
    with pytest.raises(ValueError, match=r"table\.pt: its config .* far more than the weights"):
        load_checkpoint(path)


class RunsCode:
    """Pickled as a call to os.system: what a malicious file does with plain torch.load."""

    def __init__(self, command):
        self.command = command

    def __reduce__(self):
        return (os.system, (self.command,))


def bad_files(tmp_path):
    """name -> a file that is not a usable checkpoint."""
    good = save_checkpoint(small_lstm(), tmp_path / "good.pt").read_bytes()
    files = {"empty": b"", "text": b"these are not the weights you are looking for\n",
             "truncated": good[: len(good) // 2]}
    for name, content in files.items():
        (tmp_path / f"{name}.pt").write_bytes(content)
    torch.save({"model_class": RunsCode(f"touch {tmp_path}/pwned")}, tmp_path / "pickle.pt")
    torch.save({"weights": torch.zeros(3)}, tmp_path / "bare_state_dict.pt")
    torch.save({"hello": "world"}, tmp_path / "other_dict.pt")
    torch.save([1, 2, 3], tmp_path / "list.pt")
    craft(tmp_path / "not_tensors.pt", "coursekit.models.CNN", {}, {"fc.weight": [1.0]})
    torch.save({"model_class": 42, "config": {}, "state_dict": {}, "extra": {}},
               tmp_path / "number_class.pt")
    (tmp_path / "folder.pt").mkdir()
    return tmp_path


BAD_FILES = {
    "empty": r"is empty \(0 bytes\)",
    "text": "cannot be read as a checkpoint: it is truncated, damaged or not a PyTorch file",
    "truncated": "cannot be read as a checkpoint: it is truncated, damaged",
    "pickle": "holds Python objects other than tensors",
    "bare_state_dict": r"holds weights only \(a state_dict\).*model\.load_state_dict",
    "other_dict": r"not a checkpoint written by save_checkpoint.*got keys \['hello'\]",
    "list": "not a checkpoint written by save_checkpoint.*got a list",
    "not_tensors": "its state_dict should map names to tensors",
    "number_class": "its model_class should be a str, got a int",
    "folder": "is a folder",
}


@pytest.mark.parametrize("name", BAD_FILES)
def test_a_file_that_is_not_a_checkpoint_gives_an_error_naming_it(tmp_path, name):
    folder = bad_files(tmp_path)
    with pytest.raises(ValueError, match=rf"{name}\.pt:? .*{BAD_FILES[name]}") as error:
        load_checkpoint(folder / f"{name}.pt")
    shown = error.value.__cause__ or (None if error.value.__suppress_context__
                                      else error.value.__context__)
    assert shown is None  # no pickle or zip traceback under the message
    assert "weights_only=False" not in str(error.value)  # never the advice to trust the file
    assert not (folder / "pwned").exists()


def test_a_missing_file_gives_file_not_found_naming_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"no checkpoint file at .*nowhere\.pt"):
        load_checkpoint(tmp_path / "nowhere.pt")


def test_a_history_that_is_not_one_is_refused(tmp_path):
    model = small_lstm()
    path = craft(tmp_path / "history.pt", "coursekit.models.LSTMVideoClassifier", model.config,
                 model.state_dict(), history={"train_loss": [1.0], "run": "rm -rf"})
    with pytest.raises(ValueError, match=r"history\.pt: extra\['history'\] is not a saved"):
        load_checkpoint(path)


def test_a_saved_history_comes_back(tmp_path):
    history = History(train_loss=[1.0], train_accuracy=[0.5], seconds=[1.0], best_epoch=0,
                      stopped="Training stopped: the loss is nan at epoch 2, batch 1.")
    path = save_checkpoint(small_lstm(), tmp_path / "run.pt", history=history)
    assert load_checkpoint(path)[1]["history"] == history


def test_old_torch_versions_get_a_warning(tmp_path, monkeypatch):
    path = save_checkpoint(small_lstm(), tmp_path / "lstm.pt")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # none with this torch
        load_checkpoint(path)
    monkeypatch.setattr(torch, "__version__", "2.5.1")
    with pytest.warns(UserWarning, match="torch 2.5.1 is older than 2.10"):
        load_checkpoint(path)
