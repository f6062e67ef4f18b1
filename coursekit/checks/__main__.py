"""``python -m coursekit.checks NOTEBOOK.ipynb``: run a notebook, then score its exercises.

The notebook runs top to bottom in a fresh ``python3`` kernel, in its own folder (notebooks
read files such as ``build/...`` relative to it), on a copy: the file itself is never written.
A cell that raises does not stop the run, and a cell that runs longer than ``--timeout``
seconds is interrupted, so every exercise gets a line::

    ✔ boomerang: passed
    ✘ sample_frames: wrong. sample_frames(...) should ... Hint: ...
    … to_channels_last: not done yet
    1 of 3 exercises pass

An exercise whose check gave no verdict is "not run", with the reason: the error of its
answer cell or its check cell, or the kernel that stopped. The checks hand their verdicts over
through a file in a temporary folder, named by the environment variable
``COURSEKIT_SCORE_FILE`` (``coursekit.checks.score``).

Exit status: 0 every exercise passes, 1 some do not, 2 the notebook cannot be scored (a
missing or unreadable file, not a notebook, no exercise in it, nbclient not installed).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from coursekit.checks.score import SCORE_FILE_VARIABLE, Line, Score

__all__ = ["main", "run_notebook", "score_of"]

KERNEL = "python3"


class NoKernel(Exception):
    """There is no python3 Jupyter kernel (ipykernel) to run the notebook in."""


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status (0 all pass, 1 some do not, 2 cannot score)."""
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.checks",
        description="Score a notebook's exercises: run the notebook top to bottom in a fresh "
                    "Python kernel (this RUNS THE NOTEBOOK'S CODE, as Run All would), then print "
                    "one line per exercise (passed, wrong with the check's hint, not done yet, "
                    "or not run and why) and the total. The file is not changed.",
        epilog="Exit status: 0 every exercise passes, 1 some do not, 2 the notebook cannot be "
               "scored (missing, not a notebook, no exercise in it).",
    )
    parser.add_argument("notebook", type=Path, help="the notebook to score, e.g. "
                        "notebooks/01_videos_as_tensors.ipynb")
    parser.add_argument("--timeout", type=float, default=600, metavar="SECONDS",
                        help="stop a cell that runs longer than this (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        from coursekit.course.notebooks import NotebookError, exercises, one_line, read_notebook
    except ImportError as error:
        print(f"error: scoring needs nbformat and nbclient ({error}): pip install nbclient",
              file=sys.stderr)
        return 2
    try:
        notebook = read_notebook(args.notebook)
        found = exercises(notebook, str(args.notebook))
    except (NotebookError, ValueError) as error:
        print(f"error: {one_line(error, 1000)}", file=sys.stderr)
        return 2
    if not found:
        print(f"error: {args.notebook}: no exercise to score (no code cell tagged `exercise` or "
              "`solution` followed by a check)", file=sys.stderr)
        return 2
    print(f"Running {args.notebook} in a fresh kernel...", file=sys.stderr, flush=True)
    try:
        verdicts, stopped = run_notebook(notebook, args.notebook.resolve().parent, args.timeout)
    except ImportError as error:
        print(f"error: scoring needs nbclient ({one_line(error)}): pip install nbclient",
              file=sys.stderr)
        return 2
    except NoKernel as error:
        print(f"error: no {KERNEL} Jupyter kernel to run the notebook in ({one_line(error)}): "
              "pip install ipykernel", file=sys.stderr)
        return 2
    score = score_of(notebook, found, verdicts, stopped)
    print(score)
    return 0 if score.passed == len(score.lines) else 1


def run_notebook(notebook, folder: Path, timeout: float) -> tuple[list[dict], str]:
    """Execute ``notebook`` (nbformat, changed in place: it gets the outputs) in a fresh kernel.

    folder: the working directory of the kernel; timeout: seconds per cell.
    Returns (the verdicts the checks recorded, in order, as dicts with check, exercise, status
    and message; why the run stopped before the end, or "" when it ran to the end).
    """
    from jupyter_client.kernelspec import NoSuchKernel
    from nbclient import NotebookClient
    from nbclient.exceptions import DeadKernelError

    client = NotebookClient(notebook, timeout=timeout, kernel_name=KERNEL, allow_errors=True,
                            interrupt_on_timeout=True, record_timing=False,
                            resources={"metadata": {"path": str(folder)}})
    stopped = ""
    with tempfile.TemporaryDirectory(prefix="coursekit-score-") as temporary:
        verdict_file = Path(temporary) / "verdicts.jsonl"
        try:
            # The kernel's own log (not the cells' output) would only confuse a student.
            client.execute(env={**os.environ, SCORE_FILE_VARIABLE: str(verdict_file)},
                           stderr=subprocess.DEVNULL)
        except NoSuchKernel as error:
            raise NoKernel(str(error)) from None
        except DeadKernelError:
            stopped = "the kernel stopped (it crashed or was killed) before this cell ran"
        except RuntimeError as error:  # e.g. the kernel did not start
            stopped = f"the kernel failed: {error}"
        lines = verdict_file.read_text("utf-8").splitlines() if verdict_file.exists() else []
    return [json.loads(line) for line in lines], stopped


def score_of(notebook, found, verdicts: list[dict], stopped: str = "") -> Score:
    """The score of an executed notebook: each exercise of ``found`` (``exercises(notebook)``)
    gets the latest verdict of its check, or "not run" and the reason read from the outputs."""
    latest = {verdict["check"]: verdict for verdict in verdicts}
    lines = []
    for exercise in found:
        verdict = latest.get(exercise.check_name)
        if verdict is None:
            name = exercise.check_name.removeprefix("check_")
            lines.append(Line(name, "not run", _why_not_run(notebook, exercise, stopped)))
        else:
            message = verdict["message"] if verdict["status"] == "failed" else ""
            lines.append(Line(verdict["exercise"], verdict["status"], message))
    return Score(tuple(lines))


def _why_not_run(notebook, exercise, stopped: str) -> str:
    cells = notebook["cells"]
    answer = _error_of(cells[exercise.answer_cell])
    if answer:
        return f"your answer's cell {answer}"
    check = _error_of(cells[exercise.check_cell])
    if check:
        earlier = next(((index, error) for index, cell in enumerate(cells[:exercise.answer_cell])
                        if (error := _error_of(cell))), None)
        if earlier:
            index, error = earlier
            return f"its check {check}; earlier, {_cell_name(cells, index)} {error}"
        return f"its check {check}"
    if stopped and not cells[exercise.check_cell].get("outputs"):
        return stopped
    return "its check cell showed no verdict: does it still end with the check's call?"


def _error_of(cell: Any) -> str:
    """What went wrong in a code cell, "raised NameError: name 'x' is not defined", or ""."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            if output.get("ename") == "KeyboardInterrupt":
                return "ran longer than the time limit (--timeout) and was stopped"
            return f"raised {output.get('ename')}: {output.get('evalue')}"[:300]
    return ""


def _cell_name(cells, index: int) -> str:
    """Cell 12 (its first line), as a student can find it: "cell 12 (`x = load()`)"."""
    first = next((line.strip() for line in "".join(cells[index]["source"]).splitlines()
                  if line.strip() and not line.lstrip().startswith("#")), "")
    return f"cell {index + 1} (`{first[:40]}`)" if first else f"cell {index + 1}"


if __name__ == "__main__":
    sys.exit(main())
