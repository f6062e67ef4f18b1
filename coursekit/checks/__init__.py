"""Instant feedback for the exercises at the end of each notebook.

A check runs the student's answer on fresh inputs, compares it with the course's own answer
and returns a :class:`Verdict`: passed (and what was tried), failed (what was expected and
what was got, with a hint), or not done yet (the answer is still the stub of the student
copy). Whatever the student's code does, a check never lets a traceback escape.

One module per notebook, named after the lecture's nouns (``checks.videos`` for notebook 01,
...). In a notebook, the check is the last line of the cell after the exercise::

    from coursekit.checks.videos import check_reverse_clip
    check_reverse_clip(reverse_clip)

Writing a check: decorate a function that takes the answer, calls it through
:func:`call`, compares with the ``expect_*`` helpers and returns a sentence saying what
passed::

    @check("reverse_clip")
    def check_reverse_clip(reverse_clip):
        clip = torch.rand(5, 3, 4, 4)
        expect_close(call(reverse_clip, clip), clip.flip(0), "reverse_clip(clip)")
        return "a 5-frame clip comes back last frame first"
"""

from __future__ import annotations

import functools
import sysconfig
import traceback
from dataclasses import dataclass
from pathlib import Path

import torch

__all__ = ["Verdict", "Mismatch", "check", "call", "call_on_copy", "expect", "expect_shape",
           "expect_close", "known_mistake", "shape_of"]

_SHOWN = {"passed": "✔ {}: passed", "failed": "✘ {}: not yet right",
          "not done": "… {}: not done yet"}
# Where the course's and the libraries' code lives: a crash is blamed on the last line of
# the traceback outside these, the student's own line.
_LIBRARIES = ("stdlib", "purelib", "platlib")
_NOT_THE_STUDENT = tuple({str(Path(__file__).resolve().parent.parent),
                          *(sysconfig.get_paths()[key] for key in _LIBRARIES)})


@dataclass(frozen=True)
class Verdict:
    """What a check found: ``status`` is "passed", "failed" or "not done"."""

    exercise: str
    status: str
    message: str

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __repr__(self) -> str:  # a notebook shows the verdict as the cell's output
        return f"{_SHOWN[self.status].format(self.exercise)}. {self.message}"


class Mismatch(AssertionError):
    """Raised inside a check: the answer gave something other than what was expected."""


class _NotDone(Exception):
    """The answer is still a stub (``...`` or it raises NotImplementedError)."""


class _AnswerCrashed(Exception):
    """The student's code raised an exception; the message says which and where."""


def check(exercise: str):
    """Turn a check body ``body(answer, ...) -> str`` into ``check(answer, ...) -> Verdict``."""

    def decorate(body):
        @functools.wraps(body)
        def run(answer, *args, **kwargs) -> Verdict:
            if answer is ... or answer is None:
                return _not_done(exercise)
            try:
                return Verdict(exercise, "passed", body(answer, *args, **kwargs))
            except _NotDone:
                return _not_done(exercise)
            except (Mismatch, _AnswerCrashed) as error:
                return Verdict(exercise, "failed", str(error))
            except Exception as error:  # e.g. the answer returned a list where a tensor goes
                return Verdict(exercise, "failed", "the check could not use what your code "
                               f"returned ({type(error).__name__}: {error})")

        return run

    return decorate


def _not_done(exercise: str) -> Verdict:
    return Verdict(exercise, "not done", "Complete the cell above, run it, then run this "
                   "cell again.")


def call(answer, *args, **kwargs):
    """Call the student's function; a stub means "not done", a crash becomes a short message."""
    if answer is ... or answer is None:
        raise _NotDone
    if not callable(answer):
        raise Mismatch(f"expected a function, got {type(answer).__name__} {answer!r:.60}")
    try:
        return answer(*args, **kwargs)
    except NotImplementedError:
        raise _NotDone from None
    except Exception as error:  # the student's bug, summarised instead of a traceback
        raise _AnswerCrashed(_describe_crash(answer, error)) from None


def _describe_crash(answer, error: Exception) -> str:
    name = getattr(answer, "__name__", "your code")
    where = ""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not f.filename.startswith(_NOT_THE_STUDENT)]
    if frames and frames[-1].line:
        where = f" at `{frames[-1].line.strip()}`"
    return f"{name} raised {type(error).__name__}{where}: {error}"


def call_on_copy(answer, given: torch.Tensor, *args, noun: str = "tensor"):
    """``call(answer, copy of given, *args)``, failing if the answer wrote into its input."""
    copy = given.clone()
    got = call(answer, copy, *args)
    expect(torch.equal(copy, given), f"{getattr(answer, '__name__', 'your code')} changed the "
           f"{noun} it was given; return a new tensor instead of writing into the input")
    return got


def shape_of(x) -> str:
    """x: a tensor -> its shape as text, "(B, T, D)" style: "(2, 3, 4)"."""
    return str(tuple(x.shape))


def expect(condition: bool, message: str) -> None:
    """Fail with ``message`` (say what was expected, what was got, and a hint) unless true."""
    if not condition:
        raise Mismatch(message)


def expect_shape(got, shape, what: str, hint: str = "") -> None:
    """got: a tensor of exactly ``shape``; otherwise say both shapes."""
    if not isinstance(got, torch.Tensor):
        raise Mismatch(f"{what} should be a tensor of shape {tuple(shape)}, "
                       f"got {type(got).__name__}" + _hint(hint))
    expect(tuple(got.shape) == tuple(shape),
           f"{what} should have shape {tuple(shape)}, got {tuple(got.shape)}" + _hint(hint))


def expect_close(got, expected: torch.Tensor, what: str, hint: str = "", atol=1e-5) -> None:
    """got: a tensor shaped like ``expected`` whose values agree within ``atol``."""
    expect_shape(got, expected.shape, what, hint)
    difference = (got.detach().double() - expected.detach().double()).abs().max().item()
    expect(difference <= atol, f"{what} has the right shape but wrong values: largest "
           f"difference from the expected result {difference:.3g}" + _hint(hint))


def known_mistake(got, mistakes, atol=1e-5) -> str:
    """The hint of the first known mistake whose result ``got`` reproduces, or "".

    mistakes: (hint, the wrong answer's result) pairs, e.g. ("no 1/sqrt(D)", tensor).
    """
    for hint, wrong in mistakes:
        if isinstance(got, torch.Tensor) and got.shape == wrong.shape and torch.allclose(
                got.detach().double(), wrong.double(), atol=atol, equal_nan=True):
            return hint
    return ""


def _hint(hint: str) -> str:
    return f". Hint: {hint}" if hint else ""
