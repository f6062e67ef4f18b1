"""Every student copy of the course's notebooks runs top to bottom without an error and
scores nothing: each copy runs once per test run (marker ``notebook``), and that one run is
scored as ``python -m coursekit.checks`` scores it, so tests/test_score.py does not run the
copies again.

A module of its own: tests/conftest.py lets pytest-xdist give each of these tests to a
worker of its own, where a module's other tests stay together.
"""

import nbformat
import pytest
from conftest import NOTEBOOKS, NOTEBOOKS_DIR

from coursekit.checks.__main__ import run_notebook, score_of
from coursekit.course.notebooks import exercises
from coursekit.course.student import write_student_copies


@pytest.fixture(scope="module")
def student_notebooks(tmp_path_factory):
    return write_student_copies(NOTEBOOKS_DIR, tmp_path_factory.mktemp("student"))


@pytest.mark.notebook
@pytest.mark.parametrize("name", [p.name for p in NOTEBOOKS])
def test_a_student_copy_runs_top_to_bottom_and_scores_nothing(student_notebooks, name):
    """Each student copy runs once per test run, the way ``python -m coursekit.checks`` runs
    it (a fresh kernel in the copy's folder, its own run_notebook and score_of): no cell
    raises, every check cell says "not done yet", and the score is 0 of N, line by line."""
    path = next(p for p in student_notebooks if p.name == name)
    notebook = nbformat.read(path, as_version=4)
    verdicts, stopped = run_notebook(notebook, path.parent, timeout=600)
    assert stopped == "", f"{name}: {stopped}"
    errors = [o for c in notebook.cells if c.cell_type == "code" for o in c.outputs
              if o.output_type == "error"]
    assert not errors, f"{name}: {errors[0]['ename']}: {errors[0]['evalue']}"
    found = exercises(notebook, name)
    assert found, f"{name} has no exercise"
    for exercise in found:
        shown = "".join(o.get("data", {}).get("text/plain", "") + o.get("text", "")
                        for o in notebook.cells[exercise.check_cell].outputs)
        assert "not done yet" in shown, f"{name}: a check said {shown!r}"
    lines = str(score_of(notebook, found, verdicts, stopped)).splitlines()
    assert lines[-1] == f"0 of {len(found)} exercises pass", lines
    assert len(lines) == len(found) + 1, lines
    assert all(line.endswith(": not done yet") for line in lines[:-1]), lines
