"""Every notebook is stored as one clean top-to-bottom run, small, and runnable by nbval."""

import json
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "notebooks/ holds no notebook"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_from_one_clean_run(path):
    notebook = json.loads(path.read_text())
    code = [c for c in notebook["cells"] if c["cell_type"] == "code" and "".join(c["source"])]
    counts = [c["execution_count"] for c in code]
    assert counts == list(range(1, len(code) + 1)), "re-run it with `make notebooks`"
    errors = [o for c in code for o in c["outputs"] if o["output_type"] == "error"]
    assert not errors, f"stored error output: {errors[:1]}"
    assert notebook["metadata"]["kernelspec"]["name"] == "python3"
    assert path.stat().st_size < 2_000_000


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_name_is_numbered(path):
    assert path.name[:2].isdigit() and path.name[2] == "_"


def exercises(notebook):
    """(solution cell, the cell after it) pairs."""
    cells = notebook["cells"]
    return [(cell, cells[i + 1] if i + 1 < len(cells) else None) for i, cell in enumerate(cells)
            if "solution" in cell["metadata"].get("tags", [])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_ends_with_two_to_four_checked_exercises(path):
    notebook = json.loads(path.read_text())
    pairs = exercises(notebook)
    assert 2 <= len(pairs) <= 4, f"{len(pairs)} cells tagged solution"
    for solution, after in pairs:
        assert solution["cell_type"] == "code"
        assert after is not None and after["cell_type"] == "code", "no check after a solution"
        source = "".join(after["source"])
        assert source.startswith("# NBVAL_CHECK_OUTPUT") and "check_" in source
        shown = "".join("".join(o.get("data", {}).get("text/plain", "")) + "".join(
            o.get("text", "")) for o in after["outputs"])
        assert shown.startswith("✔"), f"the stored check says {shown[:200]!r}"
