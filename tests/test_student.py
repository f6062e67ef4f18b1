"""Student copies: solutions become stubs, outputs go, a broken notebook is named and changes
nothing. tests/test_student_runs.py runs every copy of the course's notebooks."""

import json

import nbformat
import pytest
from conftest import NOTEBOOKS, NOTEBOOKS_DIR
from notebook_samples import (
    BROKEN_NOTEBOOKS,
    assert_refused_and_untouched,
    code_cell,
    notebook_folder,
    notebook_json,
    run_command,
    tiny_notebook,
)

from coursekit.course.notebooks import exercises
from coursekit.course.student import main, student_copy, write_student_copies


def test_student_copy_clears_outputs_and_stubs_only_solutions():
    teaching = code_cell("x = 1\nprint(x)")
    solution = code_cell("def f(x):\n    return x + 1", tags=["solution"])
    original = notebook_json({"cell_type": "markdown", "id": "m", "source": "# Title",
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
    bad = notebook_json(code_cell("y = 2"), code_cell("f(3)", tags=["solution"]))
    with pytest.raises(ValueError, match="04_x.ipynb, cell 1 .*solution"):
        student_copy(bad, "04_x.ipynb")


def test_command_line(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere"), str(tmp_path / "out")]) == 2
    assert "no numbered notebooks" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    with pytest.raises(SystemExit) as exit_:
        main([])
    assert exit_.value.code == 2
    assert "usage: python -m coursekit.course.student" in capsys.readouterr().err


def test_command_line_help(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    shown = capsys.readouterr().out
    assert "usage: python -m coursekit.course.student" in shown and "notebook_dir" in shown


# ---------------------------------------------------------------------------------------------
# A broken notebook: a one-line error naming it, exit status 2, and nothing written
# ---------------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", BROKEN_NOTEBOOKS)
def test_command_line_names_a_broken_notebook_and_writes_nothing(tmp_path, kind):
    assert_refused_and_untouched("coursekit.course.student", tmp_path, kind)


def test_command_line_creates_no_folder_for_a_broken_notebook(tmp_path):
    notebook_folder(tmp_path / "notebooks", BROKEN_NOTEBOOKS["not JSON"][0])
    result = run_command("coursekit.course.student", tmp_path / "notebooks",
                         tmp_path / "build/student")
    assert result.returncode == 2 and "03_broken.ipynb: not valid JSON" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notebooks"]


def test_command_line_writes_the_copies_next_to_other_files(tmp_path):
    notebook_folder(tmp_path / "notebooks", nbformat.writes(tiny_notebook()).encode())
    nbformat.write(tiny_notebook(), tmp_path / "notebooks" / "Untitled.ipynb")  # not a course one
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("not made by the command")
    result = run_command("coursekit.course.student", tmp_path / "notebooks", out)
    assert result.returncode == 0, result.stderr
    names = ["01_good.ipynb", "03_broken.ipynb", "05_good.ipynb"]
    assert result.stdout.split() == [str(out / name) for name in names]
    assert sorted(p.name for p in out.iterdir()) == names + ["notes.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notebooks", "out"]  # no temp folder
    copy = nbformat.read(out / "01_good.ipynb", as_version=4)
    nbformat.validate(copy)
    assert "raise NotImplementedError" in copy.cells[1].source
    assert copy.cells[0].source == "# Café"


def test_a_bad_solution_cell_stops_the_command_before_anything_is_written(tmp_path):
    notebook = tiny_notebook()
    notebook.cells[1].source = "print('the answer')"
    notebook_folder(tmp_path / "notebooks", nbformat.writes(notebook).encode())
    result = run_command("coursekit.course.student", tmp_path / "notebooks", tmp_path / "out")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "03_broken.ipynb, cell 1 (tagged solution): line 1:" in result.stderr
    assert not (tmp_path / "out").exists()


@pytest.fixture(scope="module")
def student_notebooks(tmp_path_factory):
    return write_student_copies(NOTEBOOKS_DIR, tmp_path_factory.mktemp("student"))


def test_every_student_copy_is_a_valid_notebook_without_solutions(student_notebooks):
    assert [p.name for p in student_notebooks] == [p.name for p in NOTEBOOKS]
    for path in student_notebooks:
        nbformat.validate(nbformat.read(path, as_version=4))
        cells = json.loads(path.read_text())["cells"]
        assert not any("solution" in c["metadata"].get("tags", []) for c in cells)
        assert all(c.get("outputs", []) == [] for c in cells)


def test_a_student_copy_keeps_every_exercise_and_its_check(student_notebooks):
    for original, path in zip(NOTEBOOKS, student_notebooks, strict=True):
        instructor = exercises(nbformat.read(original, as_version=4), original.name)
        student = exercises(nbformat.read(path, as_version=4), path.name)
        assert instructor, f"{original.name} has no exercise"
        assert [(e.answer_cell, e.check_name, e.answer_name, e.check_source) for e in student] \
            == [(e.answer_cell, e.check_name, e.answer_name, e.check_source) for e in instructor]
        for exercise in student:
            assert "NotImplementedError" in exercise.answer_source \
                or "= ...  # TODO" in exercise.answer_source, exercise.answer_source
