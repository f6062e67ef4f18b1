"""Small notebooks, broken ones, and the command-line runner the course-tool tests share.

tests/test_student.py and tests/test_slides.py both check that their command names a broken
notebook in one line, exits with status 2 and writes nothing: ``assert_refused_and_untouched``.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
from conftest import REPO


def tiny_notebook() -> nbformat.NotebookNode:
    """A valid notebook with a title, a solution cell and its check, all with slide metadata."""
    solution = nbformat.v4.new_code_cell("def f(x):\n    return x + 1")
    solution.metadata["tags"] = ["solution"]
    cells = [nbformat.v4.new_markdown_cell("# Café"), solution, nbformat.v4.new_code_cell("f(1)")]
    for cell in cells:
        cell.metadata["slideshow"] = {"slide_type": "slide"}
    return nbformat.v4.new_notebook(cells=cells)


def _broken(change) -> bytes:
    notebook = json.loads(nbformat.writes(tiny_notebook()))
    change(notebook)
    return json.dumps(notebook, indent=1).encode()


def _output_without_data(notebook):
    notebook["cells"][1]["outputs"] = [{"output_type": "display_data", "metadata": {}}]


# kind -> (the broken file's bytes, what the error says about it)
BROKEN_NOTEBOOKS = {
    "not JSON": (nbformat.writes(tiny_notebook())[:90].encode(),
                 r"not valid JSON \(line \d+, column \d+: .*\)"),
    "not UTF-8": (nbformat.writes(tiny_notebook()).encode("latin-1"),
                  r"not UTF-8 text \(byte 0xe9 at offset \d+\)"),
    "no cells": (_broken(lambda notebook: notebook.pop("cells")), 'no "cells" list'),
    "output without data": (_broken(_output_without_data),
                            "cell 1, output 0: 'data' is a required property"),
    "cell without source": (_broken(lambda notebook: notebook["cells"][2].pop("source")),
                            "cell 2: 'source' is a required property"),
}


def notebook_folder(folder: Path, broken: bytes) -> Path:
    """folder/ with two good notebooks and a broken one between them; returns the broken one."""
    folder.mkdir()
    nbformat.write(tiny_notebook(), folder / "01_good.ipynb")
    (folder / "03_broken.ipynb").write_bytes(broken)
    nbformat.write(tiny_notebook(), folder / "05_good.ipynb")
    return folder / "03_broken.ipynb"


def files_under(folder: Path) -> dict:
    """{path relative to folder: its bytes (None for a folder)}, for every file under folder."""
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None
            for p in sorted(folder.rglob("*"))}


def run_command(module: str, *args) -> subprocess.CompletedProcess:
    """``python -m module *args`` from the repository's root, as ``make`` runs it."""
    return subprocess.run([sys.executable, "-m", module, *map(str, args)], cwd=REPO,
                          capture_output=True, text=True, timeout=300)


def assert_refused_and_untouched(module, tmp_path, kind):
    """Run ``python -m module SRC OUT`` on a folder with a broken notebook; OUT holds a
    previous build. Checks the one-line error, exit status 2, and that no file changed."""
    broken, says = BROKEN_NOTEBOOKS[kind]
    path = notebook_folder(tmp_path / "notebooks", broken)
    out = tmp_path / "out"
    out.mkdir()
    (out / "01_good.ipynb").write_text("the previous build")
    (out / "notes.txt").write_text("not made by the command")
    before = files_under(tmp_path)
    status, stderr = run_main(module, tmp_path / "notebooks", out)
    assert status == 2, stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert stderr.startswith(f"error: {path}: "), stderr
    assert re.search(says, stderr), stderr
    assert files_under(tmp_path) == before, "the command changed files"


def run_main(module: str, *args) -> tuple[int, str]:
    """What ``python -m module *args`` runs, ``module.main(args)``, in this process: a new
    Python would spend most of its time importing (each test file keeps one real run of its
    command in ``run_command``). Returns (exit status, what it wrote to stderr); an exception
    it lets out fails the test, as a traceback would."""
    main = importlib.import_module(module).main
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        try:
            status = main([str(arg) for arg in args])
        except SystemExit as exit_:
            status = exit_.code
    return status, stderr.getvalue()


def notebook_json(*cells) -> dict:
    """A notebook as its JSON dict, holding ``cells``."""
    return {"cells": list(cells), "metadata": {"kernelspec": {"name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}


def code_cell(source, tags=(), outputs=("out",)) -> dict:
    """A code cell as a JSON dict, with stored stdout ``outputs`` and a fragment slide type."""
    return {"cell_type": "code", "id": source[:8].strip() or "x", "source": source,
            "execution_count": 3, "outputs": [{"output_type": "stream", "name": "stdout",
                                               "text": o} for o in outputs],
            "metadata": {"tags": list(tags), "slideshow": {"slide_type": "fragment"}}}
