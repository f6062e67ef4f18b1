"""What the course tools share: the list of course notebooks, reading one, its exercises, and
writing a set of files all or none."""

import json

import nbformat
import pytest
from conftest import NOTEBOOKS, NOTEBOOKS_DIR
from notebook_samples import code_cell, files_under, notebook_json, tiny_notebook

from coursekit.course.notebooks import (
    NotebookError,
    course_notebooks,
    exercises,
    read_notebook,
    write_files_together,
)


def test_course_notebooks_are_the_numbered_ones_in_order(tmp_path):
    for name in ["10_last.ipynb", "02_b.ipynb", "01_a.ipynb", "Untitled.ipynb", "1_short.ipynb",
                 "01_a.ipynb.bak", "ab_letters.ipynb"]:
        (tmp_path / name).write_text("{}")
    assert [p.name for p in course_notebooks(tmp_path)] == [
        "01_a.ipynb", "02_b.ipynb", "10_last.ipynb"]
    assert course_notebooks(NOTEBOOKS_DIR) == NOTEBOOKS


def test_no_course_notebook_is_explained(tmp_path):
    (tmp_path / "Untitled.ipynb").write_text("{}")
    with pytest.raises(FileNotFoundError, match=r"no numbered notebooks \(NN_\*\.ipynb\) in .*"
                                                f"{tmp_path.name}; give the folder"):
        course_notebooks(tmp_path)


def test_read_notebook_converts_and_validates(tmp_path):
    path = tmp_path / "01_x.ipynb"
    nbformat.write(tiny_notebook(), path)
    notebook = read_notebook(path)
    assert notebook.nbformat == 4 and notebook.cells[0].source == "# Café"
    with pytest.raises(NotebookError, match=r"^\S*02_missing.ipynb: cannot read it \(No such"):
        read_notebook(tmp_path / "02_missing.ipynb")
    (tmp_path / "03_list.ipynb").write_text("[1, 2]")
    with pytest.raises(ValueError, match=r"03_list.ipynb: not a Jupyter notebook: .*\"cells\""):
        read_notebook(tmp_path / "03_list.ipynb")


# ---------------------------------------------------------------------------------------------
# Exercises: an answer cell and the check cell after it
# ---------------------------------------------------------------------------------------------

CHECK = "# NBVAL_CHECK_OUTPUT\nfrom coursekit.checks.videos import check_f\n\ncheck_f(f)"


def test_exercises_pairs_each_answer_with_its_check():
    notebook = notebook_json(code_cell("x = 1"), code_cell("def f(x):\n    return x", ["solution"]),
                             code_cell(CHECK), code_cell("g = ...", ["exercise", "other"]),
                             code_cell("check_g(g)"))
    first, second = exercises(notebook)
    assert (first.answer_cell, first.check_cell, first.check_name, first.answer_name) == (
        1, 2, "check_f", "f")
    assert first.answer_source == "def f(x):\n    return x" and first.check_source == CHECK
    assert (second.answer_cell, second.check_name, second.answer_name) == (3, "check_g", "g")


def test_exercises_reads_sources_stored_as_lists_of_lines():
    notebook = json.loads(nbformat.writes(nbformat.from_dict(notebook_json(
        code_cell("def f(x):\n    return x", ["solution"]), code_cell(CHECK)))))
    notebook["cells"][1]["source"] = CHECK.splitlines(keepends=True)
    (exercise,) = exercises(notebook)
    assert exercise.check_source == CHECK and exercise.check_name == "check_f"


@pytest.mark.parametrize(("check", "says"), [
    ("f(1)", r"got `f\(1\)`"),
    ("print(check_f(f))", r"got `print\(check_f\(f\)\)`"),
    ("check_f(f)\nx = 1", "got `x = 1`"),
    ("# only a comment", "got `nothing`"),
    ("check_f(f", r"it is not valid Python \('\(' was never closed, line 1\)"),
])
def test_a_malformed_check_cell_is_named(check, says):
    notebook = notebook_json(code_cell("f = 1", ["solution"]), code_cell(check))
    with pytest.raises(ValueError, match=r"^04_x.ipynb, cell 1 follows an answer cell, so its "
                                         r"last line must call a check .*; " + says):
        exercises(notebook, "04_x.ipynb")


def test_an_answer_cell_without_a_check_cell_is_named():
    notebook = notebook_json(code_cell("x = 1"), code_cell("f = 1", ["solution"]))
    with pytest.raises(ValueError, match=r"^04_x.ipynb, cell 1 \(tagged solution\): the last"):
        exercises(notebook, "04_x.ipynb")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem[:2] for p in NOTEBOOKS])
def test_every_course_notebook_has_exercises_whose_check_it_imports(path):
    notebook = read_notebook(path)
    found = exercises(notebook, path.name)
    tagged = [i for i, c in enumerate(notebook.cells) if "solution" in c.metadata.get("tags", [])]
    assert [e.answer_cell for e in found] == tagged and tagged, path.name
    for exercise in found:
        assert exercise.check_name.startswith("check_"), exercise
        assert f"import {exercise.check_name}" in exercise.check_source, exercise
        assert f"{exercise.answer_name} =" in exercise.answer_source \
            or f"def {exercise.answer_name}(" in exercise.answer_source, exercise


# ---------------------------------------------------------------------------------------------
# Writing all or none
# ---------------------------------------------------------------------------------------------

def test_write_files_together_writes_all_next_to_other_files(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    (out / "a.html").write_text("old")
    written = write_files_together({"b.html": "B", "a.html": "é"}, out)
    assert written == [out / "b.html", out / "a.html"]
    assert files_under(tmp_path) == {"out": None, "out/a.html": "é".encode(),
                                     "out/b.html": b"B", "out/keep.txt": b"mine"}


def test_write_files_together_writes_none_when_one_fails(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.html").write_text("old")
    before = files_under(tmp_path)
    with pytest.raises(UnicodeEncodeError):  # a lone surrogate cannot be written as UTF-8
        write_files_together({"a.html": "new", "b.html": "\ud800"}, out)
    assert files_under(tmp_path) == before  # a.html not replaced, no temporary folder left
