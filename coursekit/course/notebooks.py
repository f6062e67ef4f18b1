"""What the course tools share: finding, reading and writing the course's notebooks.

- ``course_notebooks(folder)``: the course notebooks, ``NN_name.ipynb``, in lecture order (a
  scratch ``Untitled.ipynb`` made in JupyterLab is not one of them);
- ``read_notebook(path)``: a notebook through nbformat, or a one-line ``NotebookError`` that
  names the file and says what is wrong with it;
- ``exercises(notebook)``: each exercise, an answer cell (tagged ``solution`` in the
  instructor's notebook, ``exercise`` in a student copy) and the check cell right after it;
- ``write_files_together(texts, out_dir)``: a set of files written all or none.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import nbformat

__all__ = ["EXERCISE_TAG", "SOLUTION_TAG", "Exercise", "NotebookError", "course_notebooks",
           "exercises", "one_line", "read_notebook", "write_files_together"]

SOLUTION_TAG = "solution"  # the instructor's answer to an exercise
EXERCISE_TAG = "exercise"  # the same cell in a student copy, its answer replaced by a stub


class NotebookError(ValueError):
    """A notebook file that cannot be used; the message is one line and names the file."""


def course_notebooks(folder) -> list[Path]:
    """folder -> the paths of its ``NN_*.ipynb`` files (two digits first), sorted.

    Raises FileNotFoundError when there is none, naming the folder.
    """
    folder = Path(folder)
    paths = sorted(folder.glob("[0-9][0-9]_*.ipynb"))
    if not paths:
        raise FileNotFoundError(
            f"no numbered notebooks (NN_*.ipynb) in {folder.resolve()}; give the folder that "
            "holds the course's notebooks, e.g. notebooks")
    return paths


def read_notebook(path) -> nbformat.NotebookNode:
    """The notebook at ``path``, converted to nbformat 4 and validated against its schema.

    Raises NotebookError ("notebooks/03_x.ipynb: not valid JSON (line 3, column 5: ...)") for
    a file that cannot be read, is not UTF-8 or JSON, or is not a valid notebook.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as error:
        raise NotebookError(f"{path}: cannot read it ({error.strerror})") from None
    except UnicodeDecodeError as error:
        raise NotebookError(
            f"{path}: not UTF-8 text (byte {error.object[error.start]:#04x} at offset "
            f"{error.start}); save it again from JupyterLab, which writes UTF-8") from None
    try:
        return _parse_notebook(text)
    except NotebookError as error:
        raise NotebookError(f"{path}: {error}") from None


def _parse_notebook(text: str) -> nbformat.NotebookNode:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise NotebookError(
            f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
            "restore it with git, or open and save it in JupyterLab") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells", data.get("worksheets")),
                                                     list):
        raise NotebookError('not a Jupyter notebook: there is no "cells" list at its top level')
    try:
        notebook = nbformat.convert(nbformat.reader.reads(text), 4)
        nbformat.validate(notebook)
    except nbformat.ValidationError as error:
        where = _where(getattr(error, "absolute_path", []))
        raise NotebookError(f"not a valid notebook: {where}{one_line(error.message)}") from None
    except (nbformat.NBFormatError, AttributeError, KeyError, TypeError) as error:
        raise NotebookError(f"not a notebook nbformat can read: {one_line(error)}") from None
    return notebook


def _where(path) -> str:
    """A schema path, for a person: ["cells", 3, "outputs", 0] -> "cell 3, output 0: "."""
    parts: list[str] = []
    singular = {"cells": "cell", "outputs": "output"}
    for key in path:
        if isinstance(key, int) and parts:
            parts[-1] = f"{singular.get(parts[-1], parts[-1])} {key}"
        else:
            parts.append(str(key))
    return ", ".join(parts) + ": " if parts else ""


def one_line(message, limit: int = 200) -> str:
    """A message (or an exception) on one line, cut to ``limit`` characters, for a terminal."""
    text = " ".join(str(message).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Exercise:
    """One exercise of a notebook: the answer cell and the check cell right after it.

    ``check_reverse_clip(reverse_clip)``, the check cell's last line, gives ``check_name``
    "check_reverse_clip" and ``answer_name`` "reverse_clip".
    """

    answer_cell: int  # index in notebook cells of the cell tagged solution (or exercise)
    check_cell: int  # answer_cell + 1
    check_name: str
    answer_name: str
    answer_source: str
    check_source: str


def exercises(notebook, name: str = "notebook") -> list[Exercise]:
    """notebook: nbformat notebook or its JSON dict -> its exercises, in cell order.

    An exercise is a code cell tagged ``solution`` (``exercise`` in a student copy) followed
    by a check cell whose last line calls a check on the answer: ``check_x(answer)``.
    Raises ValueError naming ``name`` and the cell when a check cell is missing or malformed.
    """
    cells = notebook["cells"]
    found = []
    for index, cell in enumerate(cells):
        tags = cell.get("metadata", {}).get("tags", [])
        if SOLUTION_TAG not in tags and EXERCISE_TAG not in tags:
            continue
        if index + 1 == len(cells):
            raise ValueError(f"{name}, cell {index} (tagged {'/'.join(tags)}): the last cell; "
                             "an answer cell needs a check cell right after it")
        check = "".join(cells[index + 1]["source"])
        check_name, answer_name = _check_call(check, f"{name}, cell {index + 1}")
        found.append(Exercise(index, index + 1, check_name, answer_name,
                              "".join(cell["source"]), check))
    return found


def _check_call(source: str, where: str) -> tuple[str, str]:
    """A check cell's code -> (the check's name, the answer's name) of its last line."""
    expected = (f"{where} follows an answer cell, so its last line must call a check on the "
                "answer, like `check_reverse_clip(reverse_clip)`")
    try:
        body = ast.parse(source).body
    except SyntaxError as error:
        raise ValueError(f"{expected}; it is not valid Python ({error.msg}, line "
                         f"{error.lineno})") from None
    call = body[-1].value if body and isinstance(body[-1], ast.Expr) else None
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.args
            and isinstance(call.args[0], ast.Name)):
        last = ast.unparse(body[-1]).split("\n")[0][:60] if body else "nothing"
        raise ValueError(f"{expected}; got `{last}`")
    return call.func.id, call.args[0].id


def write_files_together(texts: dict[str, str], out_dir) -> list[Path]:
    """Write each ``{file name: text}`` into ``out_dir``, all of them or none.

    The files go to a temporary folder next to ``out_dir`` first, and move into ``out_dir``
    only once every one is written; other files already in ``out_dir`` stay.
    Returns the paths written, in the order of ``texts``.
    """
    out_dir = Path(out_dir)
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}-", dir=out_dir.parent))
    try:
        for name, text in texts.items():
            (staging / name).write_text(text, encoding="utf-8")
        out_dir.mkdir(exist_ok=True)
        for name in texts:
            os.replace(staging / name, out_dir / name)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return [out_dir / name for name in texts]
