"""Checkpoints: save a model with its constructor arguments, load it back safely.

    save_checkpoint(model, "best.pt", classes=train_set.classes, history=history)
    model, extra = load_checkpoint("best.pt")       # rebuilt, in eval mode; extra["classes"]

Checkpoints from someone else: ``load_checkpoint`` reads tensors and plain values only
(``torch.load(..., weights_only=True)``) and builds nothing but the coursekit models listed in
``LOADABLE_MODELS``, from plain numbers and strings. So loading a file cannot run code or write
files (with torch >= 2.10). It can give you a model with bad weights (wrong predictions), and a
huge file costs memory.
"""

from __future__ import annotations

import os
import pickle
import warnings
from pathlib import Path

import torch
from torch import nn
from torch.torch_version import TorchVersion

from coursekit.models import (
    CNN,
    FrameAverageClassifier,
    GRUVideoClassifier,
    LSTMVideoClassifier,
    ManualRNNVideoClassifier,
    TransformerVideoClassifier,
)
from coursekit.train.evaluation import pick_device
from coursekit.train.history import History

__all__ = ["LOADABLE_MODELS", "load_checkpoint", "save_checkpoint"]

#: The only models ``load_checkpoint`` builds from a file: coursekit's frame encoder and video
#: classifiers, whose ``config`` holds their constructor arguments. A file names its model with
#: a string that is looked up among these classes, never imported. Any other model (ManualLSTM,
#: SelfAttention, your own) loads with ``load_checkpoint(path, model=...)``.
LOADABLE_MODELS = (CNN, FrameAverageClassifier, ManualRNNVideoClassifier, LSTMVideoClassifier,
                   GRUVideoClassifier, TransformerVideoClassifier)

# The names a file may give: "coursekit.models.LSTMVideoClassifier" (what save_checkpoint
# writes) and the defining module of the time (what it wrote before): spelled out, so moving a
# class to another module of coursekit.models keeps old files loadable.
_FORMER_MODULES = {"TransformerVideoClassifier": "coursekit.models.attention"}
_LOADABLE = {name: cls for cls in LOADABLE_MODELS for name in (
    f"coursekit.models.{cls.__name__}",
    f"{_FORMER_MODULES.get(cls.__name__, 'coursekit.models.classifiers')}.{cls.__name__}")}

_CHECKPOINT_TYPES = {"model_class": str, "config": dict, "state_dict": dict, "extra": dict}
_PLAIN_TYPES = (bool, int, float, str, type(None))
_SAFE_TORCH = "2.10"  # older torch.load(weights_only=True) can be tricked into running code


def save_checkpoint(model: nn.Module, path, **extra) -> Path:
    """Save the weights, the class and constructor arguments of ``model``, and any extras.

    Args:
        model: a coursekit model (its ``config`` dict holds its constructor arguments), or
            any module (then ``load_checkpoint`` needs the model built for it).
        path: file to write, e.g. "best.pt".
        **extra: anything else worth keeping, made of tensors, numbers, strings, lists and
            dicts: ``classes=train_set.classes`` (the class names), ``history=history``,
            ``optimizer=optimizer`` (its state, to resume training exactly), ...

    Returns:
        The path written. The file is written next to it first (``<name>.partial``), then
        renamed, so a run stopped while saving keeps the previous file whole.
    """
    for key, value in extra.items():
        if isinstance(value, History):
            extra[key] = value.to_dict()
        elif isinstance(value, torch.optim.Optimizer):
            extra[key] = value.state_dict()
    checkpoint = {
        "model_class": _class_name(model),
        "config": dict(getattr(model, "config", {}) or {}),
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "extra": extra,
    }
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    torch.save(checkpoint, partial)
    os.replace(partial, path)  # all at once: a run stopped while saving leaves the old file
    return path


def _class_name(model: nn.Module) -> str:
    """The stored name: coursekit.models.<Name> for a loadable model, else module.QualName."""
    cls = type(model)
    if cls in LOADABLE_MODELS:
        return f"coursekit.models.{cls.__name__}"
    return f"{cls.__module__}.{cls.__qualname__}"


def load_checkpoint(path, model: nn.Module | None = None, *, device=None):
    """Load a checkpoint written by ``save_checkpoint``.

    Args:
        path: the checkpoint file.
        model: the model to load the weights into; None rebuilds the coursekit model the
            checkpoint names (one of ``LOADABLE_MODELS``), with the constructor arguments
            it stored.
        device: where to put the model; None keeps it on the CPU (or where ``model`` is).

    Returns:
        ``(model, extra)``: the model with the saved weights, in eval mode, and the dict of
        extras given to ``save_checkpoint`` (a saved History comes back as a History).

    Raises:
        FileNotFoundError: no file at ``path``.
        ValueError: the file is empty, damaged, not a checkpoint, names a model that is not
            in ``LOADABLE_MODELS``, has a config that is not plain data, or holds weights
            that do not fit the model. The message names the file and what is wrong.

    A file from someone else: it is read with ``torch.load(..., weights_only=True)``, which
    rebuilds tensors and plain values only; the model is built only if it is one of
    ``LOADABLE_MODELS``, from plain numbers and strings, after checking (without allocating
    memory) that it fits the stored weights. So loading cannot run code or write files (with
    torch >= 2.10; older torch has known holes in weights_only, and you get a warning). It
    can give you bad weights and misleading extras (wrong predictions, wrong class names),
    and a huge file costs as much memory.
    """
    path = Path(path)
    checkpoint = _read_checkpoint(path)
    if model is None:
        model = _build(checkpoint, path)
    try:
        model.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as error:
        raise ValueError(
            f"{path}: the saved weights do not fit this {type(model).__name__} (saved from a "
            f"{checkpoint['model_class'][:100]} with {checkpoint['config']}):\n{error}"
        ) from None
    if device is not None:
        model.to(pick_device(device))
    return model.eval(), _extras(checkpoint["extra"], path)


def _read_checkpoint(path: Path) -> dict:
    """torch.load(weights_only=True), errors that name the file, then the layout check."""
    _warn_if_old_torch()
    if not path.exists():
        where = path if path.is_absolute() else f"{path} (in the folder {Path.cwd()})"
        raise FileNotFoundError(f"no checkpoint file at {where}; check the name and the folder")
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not a checkpoint file")
    if path.stat().st_size == 0:
        raise ValueError(f"{path} is empty (0 bytes): saving it was cut short; save it again")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as error:  # damaged, foreign or refused: pickle, zip, EOF errors
        raise ValueError(f"{path} cannot be read as a checkpoint: {_why_unreadable(error)}") \
            from None
    _check_layout(checkpoint, path)
    return checkpoint


def _why_unreadable(error: Exception) -> str:
    if isinstance(error, pickle.UnpicklingError):
        return ("it holds Python objects other than tensors and plain values, which could run "
                "code when loaded, so torch.load(weights_only=True) refuses them")
    reason = (str(error).splitlines() or [""])[0][:150]
    return f"it is truncated, damaged or not a PyTorch file ({type(error).__name__}: {reason})"


def _warn_if_old_torch() -> None:
    if TorchVersion(torch.__version__) < _SAFE_TORCH:
        warnings.warn(
            f"torch {torch.__version__} is older than 2.10: its torch.load(weights_only=True) has "
            "known flaws a crafted file can use to run code. Load only checkpoints you trust, or "
            "upgrade: pip install -U torch", stacklevel=4)


def _check_layout(checkpoint, path: Path) -> None:
    """The dict save_checkpoint writes: model_class, config, state_dict (tensors), extra."""
    if isinstance(checkpoint, dict) and checkpoint and all(
            isinstance(value, torch.Tensor) for value in checkpoint.values()):
        raise ValueError(
            f"{path} holds weights only (a state_dict), not a save_checkpoint file: build the "
            f"model and use model.load_state_dict(torch.load({str(path)!r}, weights_only=True))")
    if not isinstance(checkpoint, dict) or not _CHECKPOINT_TYPES.keys() <= checkpoint.keys():
        got = f"keys {sorted(map(str, checkpoint))[:8]}" if isinstance(checkpoint, dict) else (
            f"a {type(checkpoint).__name__}")
        raise ValueError(f"{path} is not a checkpoint written by save_checkpoint: expected a dict "
                         f"with keys {list(_CHECKPOINT_TYPES)}, got {got}")
    for key, kind in _CHECKPOINT_TYPES.items():
        if not isinstance(checkpoint[key], kind):
            raise ValueError(f"{path}: its {key} should be a {kind.__name__}, got a "
                             f"{type(checkpoint[key]).__name__}; the file is damaged or crafted")
    if not all(isinstance(name, str) and isinstance(value, torch.Tensor)
               for name, value in checkpoint["state_dict"].items()):
        raise ValueError(f"{path}: its state_dict should map names to tensors; the file is "
                         "damaged or crafted")


def _build(checkpoint: dict, path: Path) -> nn.Module:
    """The model the file names, if it is one of LOADABLE_MODELS; checked, then built."""
    cls = _loadable_class(checkpoint["model_class"], path)
    config = _plain_config(checkpoint["config"], path)
    _check_fits(cls, config, checkpoint["state_dict"], path)  # before allocating anything
    return _construct(cls, config, path)


def _loadable_class(model_class: str, path: Path) -> type[nn.Module]:
    """Look the stored name up in LOADABLE_MODELS: nothing is imported or called."""
    cls = _LOADABLE.get(model_class)
    if cls is None:
        names = ", ".join(allowed.__name__ for allowed in LOADABLE_MODELS)
        raise ValueError(
            f"{path} names the model class {model_class[:100]!r}; load_checkpoint builds only "
            f"coursekit's {names}. If this is your own model and you trust the file, build the "
            f"model and pass it: load_checkpoint({str(path)!r}, model=MyModel(...))"
        )
    return cls


def _plain_config(config: dict, path: Path) -> dict:
    """The constructor arguments, if they are plain data (numbers, strings, lists of them)."""
    for key, value in config.items():
        if not isinstance(key, str) or not _is_plain(value):
            raise ValueError(
                f"{path}: config[{key!r}] holds a {type(value).__name__}; a checkpoint's config "
                "holds only numbers, strings, booleans, None and lists or tuples of them. This "
                "file was not written by save_checkpoint: do not use it"
            )
    return config


def _is_plain(value, depth: int = 0) -> bool:
    if isinstance(value, (list, tuple)):
        return depth < 4 and all(_is_plain(item, depth + 1) for item in value)
    return type(value) in _PLAIN_TYPES


def _construct(cls: type[nn.Module], config: dict, path: Path) -> nn.Module:
    try:
        return cls(**config)
    except Exception as error:  # the constructor's own checks: TypeError, ValueError, ...
        raise ValueError(f"{path}: cannot build {cls.__name__}(**{config}): {error}") from None


def _check_fits(cls: type[nn.Module], config: dict, state_dict: dict, path: Path) -> None:
    """Build on the meta device (shapes, no memory) and compare with the stored weights.

    So a small file cannot ask for a huge model: the model built after this check needs
    about as much memory as the weights in the file.
    """
    with torch.device("meta"):
        skeleton = _construct(cls, config, path)
    expected = {name: tuple(t.shape) for name, t in skeleton.state_dict().items()}
    stored = {name: tuple(t.shape) for name, t in state_dict.items()}
    if expected != stored:
        raise ValueError(f"{path}: the saved weights do not fit the {cls.__name__} its config "
                         f"describes ({config}): {_shape_differences(expected, stored)}")
    built = sum(t.numel() for t in [*skeleton.parameters(), *skeleton.buffers()])
    if built > 2 * sum(t.numel() for t in state_dict.values()):
        raise ValueError(f"{path}: its config {config} asks for a {cls.__name__} of {built:,} "
                         "numbers, far more than the weights it stores; the file is crafted")


def _shape_differences(expected: dict, stored: dict) -> str:
    """The first names whose shapes differ, or that only one side has."""
    names = sorted(expected.keys() | stored.keys())
    differences = [f"{name} saved {stored.get(name, 'missing')}, model has "
                   f"{expected.get(name, 'nothing')}"
                   for name in names if expected.get(name) != stored.get(name)]
    more = f" and {len(differences) - 3} more" if len(differences) > 3 else ""
    return "; ".join(differences[:3]) + more


def _extras(extra: dict, path: Path) -> dict:
    """The extras, with a saved History turned back into a History."""
    extra = dict(extra)
    if isinstance(extra.get("history"), dict):
        try:
            extra["history"] = History.from_dict(extra["history"])
        except TypeError as error:
            raise ValueError(f"{path}: extra['history'] is not a saved History ({error})") \
                from None
    return extra
