"""Student copies: solutions become stubs, and a copy runs top to bottom without an error."""

import json
from pathlib import Path

import nbformat
import pytest

from coursekit.student import main, stub_source, student_copy, write_student_copies

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

SOLUTION = '''import torch
# Hint: flip reverses a dimension.

def reverse_clip(video):
    """video: (T, C, H, W) -> the same frames, last first."""
    # time is dim 0
    return video.flip(0)


@torch.no_grad()
def pooled(features,
           dim=1):
    return features.mean(dim)


class Baseline(torch.nn.Module):
    """Order-blind."""

    def forward(self, x):
        return x.mean(1)

flat_size: int = 64 * 28 * 28
'''


def run(source: str) -> dict:
    """Execute stubbed code; return its namespace."""
    namespace = {}
    exec(compile(source, "<stub>", "exec"), namespace)
    return namespace


def test_functions_keep_signature_and_docstring_and_raise_not_implemented():
    stub = stub_source(SOLUTION)
    assert "return video.flip(0)" not in stub and "# time is dim 0" not in stub
    assert '"""video: (T, C, H, W) -> the same frames, last first."""' in stub
    assert "@torch.no_grad()\ndef pooled(features,\n           dim=1):" in stub
    namespace = run(stub)
    with pytest.raises(NotImplementedError, match="Exercise: write reverse_clip"):
        namespace["reverse_clip"](None)
    with pytest.raises(NotImplementedError, match="Exercise: write pooled"):
        namespace["pooled"](None)


def test_imports_comments_classes_and_assignments():
    stub = stub_source(SOLUTION)
    assert stub.startswith("import torch\n# Hint: flip reverses a dimension.")
    namespace = run(stub)
    assert namespace["flat_size"] is ...
    assert namespace["Baseline"].__doc__ == "Order-blind."
    with pytest.raises(NotImplementedError, match="write forward"):
        namespace["Baseline"]().forward(None)


def test_a_stray_statement_is_refused_and_named():
    with pytest.raises(ValueError, match=r"line 2: .*got `print\(x\)`"):
        stub_source("x = 1\nprint(x)")
    with pytest.raises(ValueError, match="separate lines"):
        stub_source("def f(x): return x")


def notebook(*cells):
    return {"cells": list(cells), "metadata": {"kernelspec": {"name": "python3"}},
            "nbformat": 4, "nbformat_minor": 5}


def code(source, tags=(), outputs=("out",)):
    return {"cell_type": "code", "id": source[:8].strip() or "x", "source": source,
            "execution_count": 3, "outputs": [{"output_type": "stream", "name": "stdout",
                                               "text": o} for o in outputs],
            "metadata": {"tags": list(tags), "slideshow": {"slide_type": "fragment"}}}


def test_student_copy_clears_outputs_and_stubs_only_solutions():
    teaching = code("x = 1\nprint(x)")
    solution = code("def f(x):\n    return x + 1", tags=["solution"])
    original = notebook({"cell_type": "markdown", "id": "m", "source": "# Title",
                         "metadata": {}}, teaching, solution)
    copy = student_copy(original)
    assert original["cells"][2]["source"] == "def f(x):\n    return x + 1"  # not modified
    markdown, teaching_copy, stub = copy["cells"]
    assert markdown == original["cells"][0]
    assert teaching_copy["source"] == "x = 1\nprint(x)"
    assert teaching_copy["outputs"] == [] and teaching_copy["execution_count"] is None
    assert "raise NotImplementedError" in stub["source"] and stub["outputs"] == []
    assert stub["metadata"] == {"tags": ["exercise"], "slideshow": {"slide_type": "fragment"}}


def test_a_bad_solution_cell_is_named_in_the_error():
    bad = notebook(code("y = 2"), code("f(3)", tags=["solution"]))
    with pytest.raises(ValueError, match="04_x.ipynb, cell 1 .*solution"):
        student_copy(bad, "04_x.ipynb")


def test_command_line(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere"), str(tmp_path / "out")]) == 1
    assert "no numbered notebooks" in capsys.readouterr().err
    assert main([]) == 2


@pytest.fixture(scope="module")
def student_notebooks(tmp_path_factory):
    return write_student_copies(NOTEBOOKS, tmp_path_factory.mktemp("student"))


def test_every_student_copy_is_a_valid_notebook_without_solutions(student_notebooks):
    assert [p.name for p in student_notebooks] == sorted(p.name for p in
                                                         NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    for path in student_notebooks:
        nbformat.validate(nbformat.read(path, as_version=4))
        cells = json.loads(path.read_text())["cells"]
        assert not any("solution" in c["metadata"].get("tags", []) for c in cells)
        assert all(c.get("outputs", []) == [] for c in cells)


def exercise_cells(cells):
    """(stub cell, check cell) pairs of a student copy."""
    return [(cell, cells[i + 1]) for i, cell in enumerate(cells)
            if "exercise" in cell["metadata"].get("tags", [])]


@pytest.mark.parametrize("name", sorted(p.name for p in NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")))
def test_a_student_copy_runs_top_to_bottom_and_reports_not_done(student_notebooks, name,
                                                                tmp_path):
    from nbclient import NotebookClient

    path = next(p for p in student_notebooks if p.name == name)
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, timeout=600, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors, f"{name}: {errors[0]['ename']}: {errors[0]['evalue']}"
    pairs = exercise_cells(notebook.cells)
    assert pairs, f"{name} has no exercise"
    for _, check_cell in pairs:
        shown = "".join(o.get("data", {}).get("text/plain", "") + o.get("text", "")
                        for o in check_cell.outputs)
        assert "not done yet" in shown, f"{name}: a check said {shown!r}"
