"""The exercise checks' machinery: every answer gets a verdict, never a traceback."""

import torch

from coursekit.checks import Verdict, call, check, expect, expect_close, expect_shape


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
