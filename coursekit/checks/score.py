"""The score: every check's latest verdict, and a summary of a notebook's exercises.

Each check records its verdict here when it runs (the ``check`` decorator calls
:func:`record`), so the last cell of a notebook can show where the student stands::

    from coursekit.checks import summary
    summary("01_videos_as_tensors")

which shows one line per exercise of that notebook, in the notebook's order, and the total::

    ✔ boomerang: passed
    ✘ sample_frames: wrong. sample_frames(...) should ... Hint: ...
    … to_channels_last: not done yet
    2 of 3 exercises pass

An exercise whose check has not run in this kernel yet is "not run". The command
``python -m coursekit.checks NOTEBOOK.ipynb`` (``coursekit/checks/__main__.py``) runs a whole
notebook in a fresh kernel and reads the verdicts back from the file named by the environment
variable ``COURSEKIT_SCORE_FILE``, where :func:`record` also appends each verdict as a line of
JSON when the variable is set.
"""

from __future__ import annotations

import importlib
import json
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from coursekit.checks import Verdict

__all__ = ["SCORE_FILE_VARIABLE", "Score", "Line", "forget", "record", "register", "summary"]

SCORE_FILE_VARIABLE = "COURSEKIT_SCORE_FILE"
"""The environment variable naming a file where every verdict is appended as a JSON line."""

_SHOWN = {"passed": "✔ {}: passed", "failed": "✘ {}: wrong", "not done": "… {}: not done yet",
          "not run": "· {}: not run"}

_EXERCISES: dict[str, dict[str, str]] = {}  # check module -> {check's name: exercise}, in order
_VERDICTS: dict[str, Verdict] = {}  # check's name (check_boomerang) -> its latest verdict


def register(module: str, check_name: str, exercise: str) -> None:
    """Note that ``module`` defines the check ``check_name`` of ``exercise``.

    The ``check`` decorator calls it, so a module's checks are known in the order they are
    written, which is the order of the notebook's exercises.
    """
    _EXERCISES.setdefault(module, {})[check_name] = exercise


def record(check_name: str, verdict: Verdict) -> None:
    """Keep ``verdict`` as the latest of the check ``check_name``; with ``COURSEKIT_SCORE_FILE``
    set, also append it to that file as one line of JSON (check, exercise, status, message)."""
    _VERDICTS[check_name] = verdict
    path = os.environ.get(SCORE_FILE_VARIABLE)
    if path:
        line = {"check": check_name, "exercise": verdict.exercise, "status": verdict.status,
                "message": verdict.message}
        with open(path, "a", encoding="utf-8") as file:
            file.write(json.dumps(line, ensure_ascii=False) + "\n")


def forget() -> None:
    """Forget every verdict recorded so far, as a fresh kernel would."""
    _VERDICTS.clear()


@dataclass(frozen=True)
class Line:
    """One exercise in a score: ``status`` is "passed", "failed", "not done" or "not run";
    ``message`` is the check's message for "failed" (with its hint), the reason for "not run"."""

    exercise: str
    status: str
    message: str = ""

    def __str__(self) -> str:
        shown = _SHOWN[self.status].format(self.exercise)
        if self.status == "failed" and self.message:
            return f"{shown}. {self.message}"
        return f"{shown} ({self.message})" if self.status == "not run" else shown


@dataclass(frozen=True)
class Score:
    """A notebook's exercises, one :class:`Line` each in notebook order; shown as its lines and
    the total, "2 of 3 exercises pass"."""

    lines: tuple[Line, ...]

    @property
    def passed(self) -> int:
        """How many exercises pass."""
        return sum(line.status == "passed" for line in self.lines)

    @property
    def total(self) -> str:
        """"2 of 3 exercises pass"."""
        noun = "exercise passes" if len(self.lines) == 1 else "exercises pass"
        return f"{self.passed} of {len(self.lines)} {noun}"

    def __str__(self) -> str:
        return "\n".join([str(line) for line in self.lines] + [self.total])

    def __repr__(self) -> str:  # a notebook shows the score as the cell's output
        return str(self)


def summary(notebook: str) -> Score:
    """notebook: a notebook's name without .ipynb, e.g. "01_videos_as_tensors" -> its Score.

    Every exercise of the notebook gets a line: the latest verdict of its check in this kernel,
    or "not run" when its check has not run yet.
    """
    from coursekit.checks import MODULE_FOR_NOTEBOOK

    if notebook not in MODULE_FOR_NOTEBOOK:
        raise ValueError(f"no exercises are known for {notebook!r}; give the notebook's name "
                         f"without .ipynb, one of: {', '.join(sorted(MODULE_FOR_NOTEBOOK))}")
    module = f"coursekit.checks.{MODULE_FOR_NOTEBOOK[notebook]}"
    importlib.import_module(module)  # its checks register themselves when it is imported
    return Score(tuple(_line(name, exercise) for name, exercise in _EXERCISES[module].items()))


def _line(check_name: str, exercise: str) -> Line:
    verdict = _VERDICTS.get(check_name)
    if verdict is None:
        return Line(exercise, "not run", "run its cell and the check after it")
    return Line(exercise, verdict.status, verdict.message if verdict.status == "failed" else "")
