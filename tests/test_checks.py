"""The exercise checks' machinery: every answer gets a verdict, never a traceback; known
mistakes are recognised by one rule; one table says which module checks which notebook."""

import importlib
import inspect
import pkgutil

import pytest
import torch
from conftest import NOTEBOOKS

import coursekit.checks
from coursekit.checks import (
    MODULE_FOR_NOTEBOOK,
    Verdict,
    agrees,
    call,
    check,
    expect,
    expect_close,
    expect_shape,
    known_mistake,
    with_hint,
)

# The score's modules (score.py: the verdicts so far; __main__.py: python -m coursekit.checks)
# sit beside the check modules, one per notebook.
SCORE_MODULES = ("__main__", "score")
CHECK_MODULES = sorted(m.name for m in pkgutil.iter_modules(coursekit.checks.__path__)
                       if m.name not in SCORE_MODULES)


@check("double")
def check_double(double):
    x = torch.arange(6.0).view(2, 3)
    expect_close(call(double, x), 2 * x, "double(x)", hint="multiply by 2")
    return "double(x) is 2 * x for a (2, 3) tensor"


def right(x):
    return x * 2


def wrong_values(x):  # x + 2 vs 2 * x on 0..5: largest difference 3
    return x + 2


def wrong_shape(x):
    return x.flatten() * 2


def crashes(x):
    return x.missing_method()


def stub(x):
    raise NotImplementedError("Exercise: write stub")


def test_a_right_answer_passes_and_says_what_was_tried():
    verdict = check_double(right)
    assert verdict == Verdict("double", "passed", "double(x) is 2 * x for a (2, 3) tensor")
    assert verdict.passed
    assert repr(verdict).startswith("✔ double: passed.")


def test_wrong_values_fail_with_the_difference_and_the_hint():
    verdict = check_double(wrong_values)
    assert verdict.status == "failed" and not verdict.passed
    assert "wrong values" in verdict.message and "difference from the expected result 3" in (
        verdict.message)
    assert verdict.message.endswith("Hint: multiply by 2")
    assert repr(verdict).startswith("✘ double: not yet right.")


def test_a_wrong_shape_names_both_shapes():
    verdict = check_double(wrong_shape)
    assert "should have shape (2, 3), got (6,)" in verdict.message


def test_a_crash_is_summarised_with_the_students_line():
    verdict = check_double(crashes)
    assert verdict.status == "failed"
    assert "crashes raised AttributeError at `return x.missing_method()`" in verdict.message


def test_a_crash_stays_chained_for_a_maintainer_outside_a_check():
    with pytest.raises(Exception, match="crashes raised AttributeError") as caught:
        call(crashes, torch.ones(2))
    assert isinstance(caught.value.__cause__, AttributeError)


def test_stubs_are_not_done_yet():
    for answer in (stub, ..., None):
        verdict = check_double(answer)
        assert verdict.status == "not done"
        assert repr(verdict).startswith("… double: not done yet.")


def test_an_answer_that_is_not_a_function_fails_clearly():
    assert "expected a function, got int 3" in check_double(3).message


def test_a_return_value_the_check_cannot_use_is_a_verdict_not_a_traceback():
    @check("first_row")
    def check_first_row(first_row):
        return f"first row {call(first_row, torch.ones(2, 2))[0].tolist()}"

    verdict = check_first_row(lambda x: 5)  # an int cannot be indexed
    assert verdict.status == "failed" and "could not use what your code returned" in (
        verdict.message)


def test_expect_helpers_fail_with_messages():
    for compare, message in [
        (lambda: expect(1 == 2, "one is not two"), "one is not two"),
        (lambda: expect_shape([1, 2], (2,), "the list"), "got list"),
        (lambda: expect_close(torch.tensor([float("nan")]), torch.zeros(1), "x"), "nan"),
    ]:
        try:
            compare()
        except AssertionError as error:
            assert message in str(error)
        else:
            raise AssertionError(f"expected a mismatch: {message}")


# --- known mistakes: one comparison rule --------------------------------------------------------


def test_agrees_compares_tensors_by_shape_and_values_whatever_their_dtype():
    x = torch.arange(6.0).view(2, 3)
    assert agrees(x + 1e-6, x.double())
    assert agrees(x.to(torch.uint8), x)
    assert not agrees(x + 1e-3, x)
    assert agrees(x + 1e-3, x, atol=1e-2)
    assert not agrees(x.flatten(), x)  # same values, another shape
    assert agrees(torch.tensor([float("nan"), 1.0]), torch.tensor([float("nan"), 1.0]))
    assert agrees(torch.ones(2, requires_grad=True) * 2, torch.full((2,), 2.0))  # detached


def test_agrees_compares_numbers_within_atol_and_other_values_with_equality():
    assert agrees(3, 3) and agrees(0.6, 0.6 + 1e-7) and not agrees(0.6, 0.61)
    assert not agrees(49664, 49665)
    assert agrees([2, 1, 0], [2, 1, 0]) and not agrees([0, 1, 2], [2, 1, 0])
    assert not agrees(torch.tensor(3.0), 3.0)  # a tensor agrees only with a tensor
    assert not agrees([], torch.zeros(0))


def test_known_mistake_names_the_first_mistake_the_answer_reproduces():
    x = torch.arange(4.0)
    mistakes = [("doubled", 2 * x), ("negated", -x), ("also negated", -x), ("counted", 4)]
    assert known_mistake(-x, mistakes) == "negated"
    assert known_mistake(2 * x + 1e-7, mistakes) == "doubled"
    assert known_mistake(4, mistakes) == "counted"
    assert known_mistake(x, mistakes) == ""
    assert known_mistake(-x + 0.01, mistakes) == ""
    assert known_mistake(-x + 0.01, mistakes, atol=0.1) == "negated"
    assert known_mistake("a string", mistakes) == ""


def test_with_hint_adds_a_hint_only_when_there_is_one():
    assert with_hint("got 3", "multiply by 2") == "got 3. Hint: multiply by 2"
    assert with_hint("got 3", "") == "got 3"


def _source_without_docstrings(module) -> str:
    return "\n".join(line for line in inspect.getsource(module).splitlines()
                     if not line.lstrip().startswith(("#", '"')))


@pytest.mark.parametrize("name", CHECK_MODULES)
def test_check_modules_compare_with_wrong_answers_only_through_known_mistake(name):
    """No module keeps its own copy of "is this the result of a known wrong answer"."""
    module = importlib.import_module(f"coursekit.checks.{name}")
    source = _source_without_docstrings(module)
    assert "allclose" not in source, "use agrees() or known_mistake() from coursekit.checks"
    assert "known_mistake(" in source, "name the usual mistakes with known_mistake()"


# --- which module checks which notebook -------------------------------------------------------


def test_the_table_names_every_notebook_and_every_check_module_once():
    assert sorted(MODULE_FOR_NOTEBOOK) == [path.stem for path in NOTEBOOKS]
    assert sorted(MODULE_FOR_NOTEBOOK.values()) == CHECK_MODULES


@pytest.mark.parametrize(("notebook", "module"), sorted(MODULE_FOR_NOTEBOOK.items()))
def test_each_check_module_names_its_notebook_and_exports_only_checks(notebook, module):
    checks = importlib.import_module(f"coursekit.checks.{module}")
    summary = checks.__doc__.split("\n\n")[0]
    assert f"notebook {notebook[:2]}" in summary and f"({notebook}.ipynb)" in summary
    assert checks.__all__ and all(name.startswith("check_") for name in checks.__all__)
    public = {name for name, value in vars(checks).items() if inspect.isfunction(value)
              and value.__module__ == checks.__name__ and not name.startswith("_")}
    assert public == set(checks.__all__), "a helper of a check module should start with _"
