"""The score: the in-kernel record of verdicts, each notebook's last cell, and the command
``python -m coursekit.checks NOTEBOOK.ipynb`` that runs a notebook and scores its exercises.

Kernels are slow to start (a few seconds each), so the command's behaviour is tested on small
notebooks made of notebook 01's real exercises. The course's notebooks each run once per test
run, and are not run again here: every instructor notebook under nbval, whose checked last cell
is this summary ("3 of 3 exercises pass"), and every student copy in tests/test_student.py,
scored with the command's own run_notebook and score_of.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import torch
from conftest import NOTEBOOKS, notebook
from notebook_samples import BROKEN_NOTEBOOKS

from coursekit.checks import MODULE_FOR_NOTEBOOK, score, summary
from coursekit.checks.__main__ import main, run_notebook, score_of
from coursekit.checks.videos import check_boomerang, check_sample_frames, check_to_channels_last
from coursekit.course.notebooks import exercises, read_notebook


@pytest.fixture(autouse=True)
def fresh_record():
    """Each test starts as a fresh kernel does: no verdict recorded yet."""
    score.forget()
    yield
    score.forget()


def right_boomerang(video):
    return torch.cat([video, video.flip(0)[1:]])


def boomerang_turning_twice(video):  # a known mistake: frame T - 1 shown twice
    return torch.cat([video, video.flip(0)])


def stub(*args):
    raise NotImplementedError("Exercise: write it")


# --- the record in the kernel -----------------------------------------------------------------


def test_before_any_check_every_exercise_is_not_run():
    result = summary("01_videos_as_tensors")
    assert [line.status for line in result.lines] == ["not run"] * 3
    assert str(result).splitlines()[-1] == "0 of 3 exercises pass"


def test_each_check_records_its_latest_verdict():
    check_boomerang(boomerang_turning_twice)
    check_sample_frames(stub)
    first = summary("01_videos_as_tensors")
    assert [line.status for line in first.lines] == ["failed", "not done", "not run"]
    text = str(first).splitlines()
    assert text[0].startswith("✘ boomerang: wrong. ") and "Hint: the turning frame" in text[0]
    assert text[1] == "… sample_frames: not done yet"
    assert text[2].startswith("· to_channels_last: not run")
    assert text[3] == "0 of 3 exercises pass"

    check_boomerang(right_boomerang)  # the student fixes it and runs the check again
    assert str(summary("01_videos_as_tensors")).splitlines()[0] == "✔ boomerang: passed"
    assert summary("01_videos_as_tensors").passed == 1


def test_forget_starts_again():
    check_boomerang(right_boomerang)
    score.forget()
    assert summary("01_videos_as_tensors").passed == 0


def test_verdicts_go_to_the_score_file_when_one_is_named(tmp_path, monkeypatch):
    path = tmp_path / "verdicts.jsonl"
    monkeypatch.setenv(score.SCORE_FILE_VARIABLE, str(path))
    check_boomerang(right_boomerang)
    check_to_channels_last(None)
    written = [json.loads(line) for line in path.read_text("utf-8").splitlines()]
    assert [(v["check"], v["exercise"], v["status"]) for v in written] == [
        ("check_boomerang", "boomerang", "passed"),
        ("check_to_channels_last", "to_channels_last", "not done")]


def test_no_score_file_is_written_without_the_variable(tmp_path, monkeypatch):
    monkeypatch.delenv(score.SCORE_FILE_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    check_boomerang(right_boomerang)
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_notebook_name_is_refused_with_the_known_ones():
    with pytest.raises(ValueError, match="01_videos_as_tensors, 02_frame_baseline"):
        summary("01_videos_as_tensors.ipynb")


def test_the_total_speaks_english():
    one = score.Score((score.Line("a", "passed"),))
    assert one.total == "1 of 1 exercise passes"
    none = score.Score((score.Line("a", "not done"), score.Line("b", "failed", "got 3")))
    assert none.total == "0 of 2 exercises pass"
    assert str(none).splitlines()[1] == "✘ b: wrong. got 3"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_summary_lists_a_notebooks_exercises_in_its_order(path):
    found = exercises(read_notebook(path), path.name)
    listed = summary(path.stem).lines
    assert [line.exercise for line in listed] == [e.check_name.removeprefix("check_")
                                                  for e in found]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_the_last_cell_of_every_notebook_shows_its_score(path):
    cells = read_notebook(path)["cells"]
    last = cells[-1]
    assert last["cell_type"] == "code" and cells[-2]["cell_type"] == "markdown"
    assert last["source"].startswith("# NBVAL_CHECK_OUTPUT\n")
    assert last["source"].splitlines()[-1] == f'summary("{path.stem}")'
    assert path.stem in MODULE_FOR_NOTEBOOK
    assert all("slideshow" in cell["metadata"] for cell in cells[-2:])
    assert f"python -m coursekit.checks {path.name}" in cells[-2]["source"]


# --- the command: files it cannot score --------------------------------------------------------


@pytest.mark.parametrize("kind", BROKEN_NOTEBOOKS)
def test_a_broken_notebook_exits_2_with_one_line(tmp_path, capsys, kind):
    broken, says = BROKEN_NOTEBOOKS[kind]
    path = tmp_path / "03_broken.ipynb"
    path.write_bytes(broken)
    assert main([str(path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {path}: ") and len(err.strip().splitlines()) == 1, err
    assert path.read_bytes() == broken


def test_a_missing_notebook_exits_2(tmp_path, capsys):
    assert main([str(tmp_path / "nowhere.ipynb")]) == 2
    err = capsys.readouterr().err
    assert "nowhere.ipynb: cannot read it" in err and len(err.strip().splitlines()) == 1


def test_a_notebook_without_exercises_exits_2(tmp_path, capsys):
    path = tmp_path / "plain.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), path)
    assert main([str(path)]) == 2
    assert "no exercise to score" in capsys.readouterr().err


def test_help_says_that_it_runs_the_notebooks_code(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["--help"])
    assert exit_.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "usage: python -m coursekit.checks" in text and "RUNS THE NOTEBOOK'S CODE" in text
    assert "Exit status: 0" in text


# --- the command on small notebooks made of notebook 01's exercises ----------------------------

NOTEBOOK_01 = read_notebook(notebook("01"))
EXERCISES_01 = exercises(NOTEBOOK_01, "01")


def small_notebook(answers: dict[int, str] | None = None, between: dict[int, str] | None = None):
    """Notebook 01's three exercises (answer cell, check cell), the summary cell last.

    answers: exercise number (0, 1, 2) -> code replacing its answer; between: exercise number
    -> a cell's code put right before that exercise's answer.
    """
    answers, between = answers or {}, between or {}
    cells = [nbformat.v4.new_code_cell("import torch")]
    for number, exercise in enumerate(EXERCISES_01):
        answer = nbformat.v4.new_code_cell(answers.get(number, exercise.answer_source))
        answer.metadata["tags"] = ["solution"]
        if number in between:
            cells.append(nbformat.v4.new_code_cell(between[number]))
        cells += [answer, nbformat.v4.new_code_cell(exercise.check_source)]
    cells.append(nbformat.v4.new_code_cell(
        'from coursekit.checks import summary\nsummary("01_videos_as_tensors")'))
    return nbformat.v4.new_notebook(cells=cells, metadata=NOTEBOOK_01["metadata"])


def score_command(path: Path, *options, cwd: Path) -> subprocess.CompletedProcess:
    """``python -m coursekit.checks path`` run from ``cwd``, as a student would."""
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    env.pop(score.SCORE_FILE_VARIABLE, None)
    return subprocess.run([sys.executable, "-m", "coursekit.checks", str(path), *options],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.mark.notebook
def test_the_command_runs_the_notebook_in_its_folder_and_changes_nothing(tmp_path):
    folder = tmp_path / "course"
    folder.mkdir()
    (folder / "here.txt").write_text("a file the notebook reads from its own folder")
    die_unless_here = "import os\nif not os.path.exists('here.txt'):\n    os._exit(1)"
    path = folder / "mine.ipynb"
    nbformat.write(small_notebook(between={0: die_unless_here}), path)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    result = score_command(path, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == ["✔ boomerang: passed", "✔ sample_frames: passed",
                                          "✔ to_channels_last: passed", "3 of 3 exercises pass"]
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # nothing written


@pytest.mark.notebook
def test_a_wrong_answer_a_crash_and_a_dead_kernel_each_get_their_line(tmp_path):
    path = tmp_path / "mine.ipynb"
    wrong = "import torch\n\ndef boomerang(video):\n    return torch.cat([video, video.flip(0)])"
    nbformat.write(small_notebook(answers={0: wrong, 1: "def sample_frames(video, n):\n  x ="},
                                  between={2: "import os\nos._exit(1)"}), path)
    result = score_command(path, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 4, result.stdout
    assert lines[0].startswith("✘ boomerang: wrong. boomerang(a 4-frame clip) should show")
    assert "Hint: the turning frame T - 1 is shown twice" in lines[0]
    assert lines[1].startswith("· sample_frames: not run (your answer's cell raised SyntaxError")
    assert lines[2].startswith("· to_channels_last: not run (the kernel stopped")
    assert lines[3] == "0 of 3 exercises pass"


@pytest.mark.notebook
@pytest.mark.slow  # the time limit must leave room for `import torch` on a busy machine
def test_a_cell_that_runs_too_long_is_stopped_and_the_rest_still_scored(tmp_path):
    path = tmp_path / "mine.ipynb"
    forever = "import time\n\nwhile True:\n    time.sleep(0.1)\n\ndef boomerang(video):\n" \
              "    return video"
    nbformat.write(small_notebook(answers={0: forever}), path)
    result = score_command(path, "--timeout", "25", cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "ran longer than the time limit" in lines[0], result.stdout
    assert lines[1:] == ["✔ sample_frames: passed", "✔ to_channels_last: passed",
                         "2 of 3 exercises pass"]


@pytest.mark.notebook
def test_the_command_says_what_the_last_cell_says(tmp_path):
    """The summary cell in the kernel and the command's report agree, line for line."""
    wrong = "import torch\n\ndef boomerang(video):\n    return torch.cat([video, video.flip(0)])"
    executed = small_notebook(answers={0: wrong, 2: "def to_channels_last(video):\n    ..."})
    found = exercises(executed, "small")
    verdicts, stopped = run_notebook(executed, tmp_path, timeout=120)
    assert stopped == ""
    reported = str(score_of(executed, found, verdicts, stopped))
    cell = "".join(o["data"]["text/plain"] for o in executed.cells[-1].outputs
                   if o["output_type"] == "execute_result")
    assert reported == cell
    assert reported.splitlines()[-1] == "1 of 3 exercises pass"
