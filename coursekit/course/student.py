"""Student copies of the notebooks: every ``solution`` cell becomes a stub to complete.

The instructor's notebooks in ``notebooks/`` hold the answers, in code cells tagged
``solution``. A student copy keeps everything else as it is (markdown, teaching code, slide
metadata, the check cells), clears every output, and replaces each solution by its stub
(``coursekit.course.stubs``: signatures and docstrings stay, bodies raise
NotImplementedError, assignments become ``name = ...``); the cell is tagged ``exercise``.
Run it with ``make student``, or::

    python -m coursekit.course.student notebooks build/student

Every notebook is read and stubbed before anything is written: a notebook that cannot be
read (not JSON, not UTF-8, not a valid notebook), or a solution cell that cannot be stubbed,
stops the command with a one-line error naming the file, exit status 2, and
``build/student`` stays as it was.
"""

from __future__ import annotations

import argparse
import copy
import sys
from pathlib import Path

import nbformat

from coursekit.course.notebooks import (
    EXERCISE_TAG,
    SOLUTION_TAG,
    course_notebooks,
    one_line,
    read_notebook,
    write_files_together,
)
from coursekit.course.stubs import stub_source

__all__ = ["main", "student_copy", "write_student_copies"]


def student_copy(notebook: dict, name: str = "notebook") -> dict:
    """notebook: nbformat JSON (a dict) -> the student's copy (a new dict), outputs cleared.

    Each code cell tagged ``solution`` gets its stub and the tag ``exercise`` instead.
    Raises ValueError naming ``name`` and the cell for a solution cell a stub cannot keep.
    """
    student = copy.deepcopy(notebook)
    for index, cell in enumerate(student["cells"]):
        if cell["cell_type"] != "code":
            continue
        cell["outputs"], cell["execution_count"] = [], None
        tags = cell.get("metadata", {}).get("tags", [])
        if SOLUTION_TAG in tags:
            try:
                stub = stub_source("".join(cell["source"]))
            except (SyntaxError, ValueError) as error:
                raise ValueError(f"{name}, cell {index} (tagged solution): {error}") from None
            cell["source"] = stub
            cell["metadata"]["tags"] = [EXERCISE_TAG if t == SOLUTION_TAG else t for t in tags]
    return student


def write_student_copies(source_dir, out_dir) -> list[Path]:
    """Write the student copy of every ``NN_*.ipynb`` in ``source_dir`` to ``out_dir``.

    All or nothing: every notebook is read and stubbed before anything is written, so a
    broken notebook (NotebookError) or solution cell (ValueError) leaves ``out_dir`` as it was.
    Returns the paths of the copies, in notebook order.
    """
    texts = {path.name: _notebook_text(student_copy(read_notebook(path), str(path)))
             for path in course_notebooks(source_dir)}
    return write_files_together(texts, out_dir)


def _notebook_text(notebook) -> str:
    text = nbformat.writes(nbformat.from_dict(notebook))
    return text if text.endswith("\n") else text + "\n"


def main(argv: list[str] | None = None) -> int:
    """The command line: ``python -m coursekit.course.student SRC OUT``; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m coursekit.course.student",
        description="Write the student copy of every NN_*.ipynb: each cell tagged `solution` "
                    "becomes a stub to complete, and every output is cleared.",
        epilog="Exit status: 0 done, 1 the copies could not be written, 2 a bad input "
               "(no notebooks, a broken notebook, a solution cell that cannot be stubbed).",
    )
    parser.add_argument("notebook_dir", type=Path, help="folder of the instructor's notebooks")
    parser.add_argument("out_dir", type=Path, help="where the copies go, e.g. build/student")
    args = parser.parse_args(argv)
    try:
        written = write_student_copies(args.notebook_dir, args.out_dir)
    except (FileNotFoundError, ValueError) as error:  # the input given: nothing was written
        print(f"error: {one_line(error, 1000)}", file=sys.stderr)
        return 2
    except OSError as error:
        print(f"error: cannot write to {args.out_dir}: {one_line(error)}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
