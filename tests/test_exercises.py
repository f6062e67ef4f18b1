"""What every exercise promises, checked on the notebooks' own exercises.

For each cell tagged ``solution`` and the check cell after it: the instructor's answer passes;
its student stub (coursekit.student) is "not done yet"; an answer that crashes gets a verdict,
not a traceback; the check leaves the notebook's random state alone and says the same thing
twice (nbval compares its stored output). The tests/test_checks_<module>.py files add, per
check, the wrong answers it must reject.
"""

import ast
import importlib
import json
from pathlib import Path

import pytest
import torch

from coursekit.student import stub_source

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
CHECK_MODULES = ["videos", "baseline", "series", "recurrent", "classifiers", "training",
                 "attention"]


def exercises():
    """(id, solution source, check cell source) for every exercise of every notebook."""
    found = []
    for path in NOTEBOOKS:
        cells = json.loads(path.read_text())["cells"]
        for i, cell in enumerate(cells[:-1]):
            if "solution" in cell["metadata"].get("tags", []):
                source, check = "".join(cell["source"]), "".join(cells[i + 1]["source"])
                name = f"{path.name[:2]}-{check_call(check)[0]}"
                found.append(pytest.param(source, check, id=name))
    return found


def check_call(check_source: str) -> tuple[str, str]:
    """The check cell's last line ``check_x(answer)`` -> ("check_x", "answer")."""
    call = ast.parse(check_source).body[-1].value
    return call.func.id, call.args[0].id


EXERCISES = exercises()  # read the notebooks once


def run_check(solution: str, check_source: str, replace=None):
    """Execute the solution, then the check cell; return the Verdict it shows.

    ``replace`` (optional) stands in for the student's answer.
    """
    namespace = {"torch": torch}  # every notebook imports torch before its exercises
    exec(solution, namespace)
    _, answer_name = check_call(check_source)
    if replace is not None:
        namespace[answer_name] = replace
    body = ast.parse(check_source).body
    exec(compile(ast.Module(body[:-1], []), "<check cell>", "exec"), namespace)
    return eval(compile(ast.Expression(body[-1].value), "<check cell>", "eval"), namespace)


def crashes(*args, **kwargs):
    return args[0].no_such_attribute


@pytest.mark.parametrize(("solution", "check"), EXERCISES)
def test_the_instructors_answer_passes(solution, check):
    verdict = run_check(solution, check)
    assert verdict.passed, repr(verdict)


@pytest.mark.parametrize(("solution", "check"), EXERCISES)
def test_the_students_stub_is_not_done_yet(solution, check):
    assert run_check(stub_source(solution), check).status == "not done"


@pytest.mark.parametrize(("solution", "check"), EXERCISES)
def test_a_crashing_answer_gets_a_verdict(solution, check):
    verdict = run_check(solution, check, replace=crashes)
    assert verdict.status == "failed", repr(verdict)


@pytest.mark.parametrize(("solution", "check"), EXERCISES)
def test_the_check_keeps_the_random_state_and_repeats_itself(solution, check):
    torch.manual_seed(7)
    state = torch.random.get_rng_state()
    first = run_check(solution, check)
    assert torch.equal(torch.random.get_rng_state(), state)
    assert run_check(solution, check) == first


def test_every_check_is_used_by_an_exercise():
    used = {check_call(param.values[1])[0] for param in EXERCISES}
    for name in CHECK_MODULES:
        module = importlib.import_module(f"coursekit.checks.{name}")
        unused = set(module.__all__) - used
        assert not unused, f"coursekit.checks.{name} has checks no notebook calls: {unused}"
