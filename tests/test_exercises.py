"""What every exercise promises, checked on the notebooks' own exercises.

For each exercise (a cell tagged ``solution`` and the check cell after it, as
``coursekit.course.notebooks.exercises`` finds them): the instructor's answer passes; its
student stub (``coursekit.course.stubs``) is "not done yet"; an answer that crashes gets a
verdict, not a traceback; the check leaves the notebook's random state alone and says the same
thing twice (nbval compares its stored output); and each notebook's checks come from the module
``coursekit.checks.MODULE_FOR_NOTEBOOK`` gives it. The tests/test_checks_<module>.py files add,
per check, the wrong answers it must reject.
"""

import ast
import importlib

import pytest
import torch
from conftest import NOTEBOOKS

from coursekit.checks import MODULE_FOR_NOTEBOOK
from coursekit.course.notebooks import exercises, read_notebook
from coursekit.course.stubs import stub_source

NOTEBOOK_CELLS = {path.stem: read_notebook(path)["cells"] for path in NOTEBOOKS}
EXERCISES = {path.stem: exercises({"cells": NOTEBOOK_CELLS[path.stem]}, path.name)
             for path in NOTEBOOKS}
ALL = [pytest.param(exercise, id=f"{stem[:2]}-{exercise.check_name}")
       for stem, found in EXERCISES.items() for exercise in found]
STORED = {exercise.check_source: "".join(  # what the stored notebook shows under each check
    "".join(output.get("data", {}).get("text/plain", "")) + "".join(output.get("text", ""))
    for output in NOTEBOOK_CELLS[stem][exercise.check_cell]["outputs"])
    for stem, found in EXERCISES.items() for exercise in found}


def run_check(exercise, answer_source=None, replace=None):
    """Execute the answer cell, then the check cell; return the Verdict it shows.

    answer_source: the answer cell's code (default: the instructor's); replace: an object that
    stands in for the student's answer.
    """
    namespace = {"torch": torch}  # every notebook imports torch before its exercises
    exec(exercise.answer_source if answer_source is None else answer_source, namespace)
    if replace is not None:
        namespace[exercise.answer_name] = replace
    body = ast.parse(exercise.check_source).body
    exec(compile(ast.Module(body[:-1], []), "<check cell>", "exec"), namespace)
    return eval(compile(ast.Expression(body[-1].value), "<check cell>", "eval"), namespace)


def crashes(*args, **kwargs):
    return args[0].no_such_attribute


def test_every_notebook_has_exercises():
    assert ALL and all(EXERCISES.values()), [stem for stem, found in EXERCISES.items()
                                             if not found]


@pytest.mark.parametrize("exercise", ALL)
def test_the_instructors_answer_passes(exercise):
    verdict = run_check(exercise)
    assert verdict.passed, repr(verdict)


@pytest.mark.parametrize("exercise", ALL)
def test_the_verdict_is_the_one_the_notebook_shows(exercise):
    """nbval compares the check cell's output with the stored one: a reworded check fails."""
    assert repr(run_check(exercise)) == STORED[exercise.check_source]


@pytest.mark.parametrize("exercise", ALL)
def test_the_students_stub_is_not_done_yet(exercise):
    assert run_check(exercise, stub_source(exercise.answer_source)).status == "not done"


@pytest.mark.parametrize("exercise", ALL)
def test_a_crashing_answer_gets_a_verdict(exercise):
    verdict = run_check(exercise, replace=crashes)
    assert verdict.status == "failed", repr(verdict)


@pytest.mark.parametrize("exercise", ALL)
def test_the_check_keeps_the_random_state_and_repeats_itself(exercise):
    torch.manual_seed(7)
    state = torch.random.get_rng_state()
    first = run_check(exercise)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert run_check(exercise) == first


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda path: path.name)
def test_each_notebook_uses_every_check_of_its_own_module(path):
    module = f"coursekit.checks.{MODULE_FOR_NOTEBOOK[path.stem]}"
    checks = importlib.import_module(module).__all__
    found = EXERCISES[path.stem]
    assert sorted(e.check_name for e in found) == sorted(checks), f"{module}.__all__"
    for exercise in found:
        imported = {(node.module, alias.name) for node in ast.parse(exercise.check_source).body
                    if isinstance(node, ast.ImportFrom) for alias in node.names}
        assert (module, exercise.check_name) in imported, exercise.check_source
