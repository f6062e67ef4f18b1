"""Every notebook is stored as one clean top-to-bottom run, small, and runnable by nbval."""

import pytest
from conftest import NOTEBOOKS, NOTEBOOKS_DIR

from coursekit.course.notebooks import course_notebooks, exercises, read_notebook


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no notebook"


def test_every_notebook_is_numbered():
    """A notebook named otherwise is not a course notebook: no test, deck or student copy."""
    assert sorted(NOTEBOOKS_DIR.glob("*.ipynb")) == NOTEBOOKS, "name it NN_short_name.ipynb"
    assert course_notebooks(NOTEBOOKS_DIR) == NOTEBOOKS  # what the course tools build from


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_from_one_clean_run(path):
    notebook = read_notebook(path)
    code = [c for c in notebook["cells"] if c["cell_type"] == "code" and "".join(c["source"])]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "re-run it with `make notebooks`"
    errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, f"stored error output: {errors[:1]}"
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    assert path.stat().st_size < 2_000_000


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ends_with_two_to_four_checked_exercises(path):
    notebook = read_notebook(path)
    found = exercises(notebook, path.name)
    assert 2 <= len(found) <= 4, f"{len(found)} cells tagged solution"
    cells = notebook["cells"]
    for exercise in found:
        assert cells[exercise.answer_cell]["cell_type"] == "code"
        after = cells[exercise.check_cell]
        assert after["cell_type"] == "code", "no check after a solution"
        assert exercise.check_source.startswith("# NBVAL_CHECK_OUTPUT")
        assert exercise.check_name.startswith("check_")
        shown = "".join("".join(o.get("data", {}).get("text/plain", "")) + "".join(
            o.get("text", "")) for o in after["outputs"])
        assert shown.startswith("✔"), f"the stored check says {shown[:200]!r}"


LONGEST_LINE = 88  # what a projector shows at a readable size (issue 13)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_code_lines_fit_on_a_projector(path):
    too_long = [f"cell {cell.get('id', index)} line {number}: {len(line)} characters"
                for index, cell in enumerate(read_notebook(path)["cells"])
                if cell["cell_type"] == "code"
                for number, line in enumerate("".join(cell["source"]).splitlines(), 1)
                if len(line) > LONGEST_LINE]
    assert not too_long, f"lines longer than {LONGEST_LINE} characters: {too_long}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_no_stored_widget_state(path):
    """Widget state is stale the moment the kernel stops; `make notebooks` does not store it."""
    assert "widgets" not in read_notebook(path)["metadata"], (
        "re-run it with `make notebooks`, or delete metadata.widgets")
