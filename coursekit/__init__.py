"""coursekit: the code behind the lecture on understanding videos with CNNs and RNNs.

Modules, named after the lecture's nouns:
    video     (package) files <-> (T, C, H, W) tensors
    viewers   looking at frames (grid, player, animation) and NotebookFigure, the figure
              that shows itself in a notebook
    models    recurrent layers and attention by hand, the frame encoder, the video classifiers
    data      (package) data sets made on the fly (and the sample basketball clip)
    train     (package) fit, train_one_epoch, evaluate, checkpoints, learning-curve plots
    checks    instant feedback for the exercises at the end of each notebook
    course    instructor tooling: student copies of the notebooks, offline slide decks

Here: ``DATA_DIR`` (the sample data), ``set_seed`` and ``show_source``.
"""

from __future__ import annotations

import inspect
import random
import textwrap
from importlib import resources
from pathlib import Path

__all__ = ["DATA_DIR", "set_seed", "show_source"]


def _sample_data_dir() -> Path:
    """Where the sample files are: ``coursekit/sample_data/`` inside an installed wheel.

    pyproject.toml ships the repository's top-level ``data/`` folder as that package data. An
    editable install (``pip install -e .``, what ``make`` does) copies nothing: the package is
    the repository's ``coursekit/`` folder, and the files are in ``data/`` beside it.
    """
    shipped = resources.files(__name__) / "sample_data"
    if shipped.is_dir():
        return Path(str(shipped))
    return Path(__file__).resolve().parent.parent / "data"


#: The sample files (basketball.gif, co2_monthly.csv, the diagrams, their README), found
#: through the installed package, so notebooks run from any folder, on Colab or Binder too.
DATA_DIR = _sample_data_dir()


def set_seed(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's random generators, so runs are repeatable."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def show_source(obj):
    """Show the syntax-highlighted source of a function, method or class in a notebook.

    Returns an ``IPython.display.Code`` object: a notebook displays it highlighted, a
    terminal prints the plain source. Notebooks call this instead of repeating coursekit
    code, so there is one source of truth.
    """
    from IPython.display import Code

    try:
        source = inspect.getsource(obj)
    except (TypeError, OSError) as error:
        raise TypeError(
            f"cannot show the source of {obj!r}: {error}. show_source takes a function, method "
            "or class written in Python in a file, e.g. coursekit.show_source(ManualLSTM.step); "
            "not an instance or a built-in") from None
    return Code(textwrap.dedent(source), language="python")
