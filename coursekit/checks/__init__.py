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
passed. The usual wrong answers are listed once, as ``(hint, what that wrong answer returns)``
pairs, and :func:`known_mistake` names the one the student's result reproduces::

    def _reverse_clip_mistakes(clip):
        return [("you reversed the colour channels (dim 1), not time (dim 0)", clip.flip(1))]

    @check("reverse_clip")
    def check_reverse_clip(reverse_clip):
        clip = torch.rand(5, 3, 4, 4)
        got = call(reverse_clip, clip)
        expect_close(got, clip.flip(0), "reverse_clip(clip)",
                     hint=known_mistake(got, _reverse_clip_mistakes(clip)))
        return "a 5-frame clip comes back last frame first"

Every check module has that layout: a docstring naming its notebook, the imports from
``coursekit.checks``, then per exercise its ``_<exercise>_mistakes(...)`` and its check.
:data:`MODULE_FOR_NOTEBOOK` says which module serves which notebook.

Every verdict is also kept (``coursekit.checks.score``): the last cell of each notebook,
``summary("01_videos_as_tensors")``, lists that notebook's exercises and how many pass, and
``python -m coursekit.checks NOTEBOOK.ipynb`` runs a whole notebook in a fresh kernel and
prints the same list.
"""

from __future__ import annotations

import functools
import numbers
import sysconfig
import traceback
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from coursekit.checks import score
from coursekit.checks.score import summary

__all__ = ["MODULE_FOR_NOTEBOOK", "Verdict", "Mismatch", "Mistakes", "check", "call",
           "call_on_copy", "expect", "expect_shape", "expect_close", "agrees", "known_mistake",
           "with_hint", "shape_of", "summary"]

MODULE_FOR_NOTEBOOK = {
    "01_videos_as_tensors": "videos",
    "02_frame_baseline": "baseline",
    "03_time_series": "series",
    "04_rnn_lstm_gru": "recurrent",
    "05_cnn_rnn": "classifiers",
    "06_training": "training",
    "07_transformers_bonus": "attention",
}
"""Which module checks which notebook: ``notebooks/<key>.ipynb`` imports its checks from
``coursekit.checks.<value>``. One module per notebook; the tests keep this table in step with
notebooks/ and with the modules of coursekit/checks/."""

Mistakes = Sequence[tuple[str, Any]]
"""The catalogue of an exercise's usual mistakes: (hint, what that wrong answer returns) pairs."""

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
        """True when the answer passed the check."""
        return self.status == "passed"

    def __repr__(self) -> str:  # a notebook shows the verdict as the cell's output
        return f"{_SHOWN[self.status].format(self.exercise)}. {self.message}"


class Mismatch(AssertionError):
    """Raised inside a check: the answer gave something other than what was expected."""


class _NotDone(Exception):
    """The answer is still a stub (``...`` or it raises NotImplementedError)."""


class _AnswerCrashed(Exception):
    """The student's code raised an exception; the message says which and where."""


def check(exercise: str) -> Callable[[Callable[..., str]], Callable[..., Verdict]]:
    """Turn a check body ``body(answer, ...) -> str`` into ``check(answer, ...) -> Verdict``.

    The body returns the sentence shown when the answer passes and raises :class:`Mismatch`
    (through the ``expect_*`` helpers) when it does not; any other exception becomes a
    "failed" verdict too, so a student never sees a traceback from a check.
    """

    def decorate(body: Callable[..., str]) -> Callable[..., Verdict]:
        score.register(body.__module__, body.__name__, exercise)

        @functools.wraps(body)
        def run(answer: Any, *args: Any, **kwargs: Any) -> Verdict:
            verdict = _verdict(exercise, body, answer, *args, **kwargs)
            score.record(body.__name__, verdict)  # for the notebook's summary
            return verdict

        return run

    return decorate


def _verdict(exercise: str, body: Callable[..., str], answer: Any, *args: Any,
             **kwargs: Any) -> Verdict:
    """Run the check ``body`` on the answer; whatever happens, a Verdict comes back."""
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


def _not_done(exercise: str) -> Verdict:
    return Verdict(exercise, "not done", "Complete the cell above, run it, then run this "
                   "cell again.")


def call(answer: Any, *args: Any, **kwargs: Any) -> Any:
    """Call the student's function; a stub means "not done", a crash becomes a short message.

    Both become exceptions that :func:`check` turns into a verdict, so the student sees the
    one-line message, never a traceback; the original error stays chained for a maintainer.
    """
    if answer is ... or answer is None:
        raise _NotDone
    if not callable(answer):
        raise Mismatch(f"expected a function, got {type(answer).__name__} {answer!r:.60}")
    try:
        return answer(*args, **kwargs)
    except NotImplementedError as error:  # the stub's own "not implemented"
        raise _NotDone from error
    except Exception as error:  # the student's bug, summarised instead of a traceback
        raise _AnswerCrashed(_describe_crash(answer, error)) from error


def _describe_crash(answer: Any, error: Exception) -> str:
    name = getattr(answer, "__name__", "your code")
    where = ""
    frames = [f for f in traceback.extract_tb(error.__traceback__)
              if not f.filename.startswith(_NOT_THE_STUDENT)]
    if frames and frames[-1].line:
        where = f" at `{frames[-1].line.strip()}`"
    return f"{name} raised {type(error).__name__}{where}: {error}"


def call_on_copy(answer: Any, given: torch.Tensor, *args: Any, noun: str = "tensor") -> Any:
    """``call(answer, copy of given, *args)``, failing if the answer wrote into its input."""
    copy = given.clone()
    got = call(answer, copy, *args)
    expect(torch.equal(copy, given), f"{getattr(answer, '__name__', 'your code')} changed the "
           f"{noun} it was given; return a new tensor instead of writing into the input")
    return got


def shape_of(x: torch.Tensor) -> str:
    """x: a tensor -> its shape as text, "(B, T, D)" style: "(2, 3, 4)"."""
    return str(tuple(x.shape))


def expect(condition: bool, message: str) -> None:
    """Fail with ``message`` (say what was expected, what was got, and a hint) unless true."""
    if not condition:
        raise Mismatch(message)


def expect_shape(got: Any, shape: Sequence[int], what: str, hint: str = "") -> None:
    """got: a tensor of exactly ``shape``; otherwise say both shapes."""
    if not isinstance(got, torch.Tensor):
        raise Mismatch(with_hint(f"{what} should be a tensor of shape {tuple(shape)}, "
                                 f"got {type(got).__name__}", hint))
    expect(tuple(got.shape) == tuple(shape),
           with_hint(f"{what} should have shape {tuple(shape)}, got {tuple(got.shape)}", hint))


def expect_close(got: Any, expected: torch.Tensor, what: str, hint: str = "",
                 atol: float = 1e-5) -> None:
    """got: a tensor shaped like ``expected`` whose values agree within ``atol``."""
    expect_shape(got, expected.shape, what, hint)
    difference = (got.detach().double() - expected.detach().double()).abs().max().item()
    expect(difference <= atol, with_hint(f"{what} has the right shape but wrong values: largest "
                                         f"difference from the expected result {difference:.3g}",
                                         hint))


def agrees(got: Any, wanted: Any, atol: float = 1e-5) -> bool:
    """Whether ``got`` reproduces ``wanted``, the one comparison rule of the checks.

    Tensors: same shape and values within ``atol`` (plus PyTorch's relative tolerance 1e-5,
    NaN agreeing with NaN), compared in float64 whatever their dtypes. Numbers: within
    ``atol`` (ints within the default ``atol`` are equal). Anything else (e.g. a list of frame
    numbers): ``==``. A tensor never agrees with something that is not a tensor.
    """
    if isinstance(got, torch.Tensor) or isinstance(wanted, torch.Tensor):
        return (isinstance(got, torch.Tensor) and isinstance(wanted, torch.Tensor)
                and got.shape == wanted.shape
                and torch.allclose(got.detach().double(), wanted.detach().double(), atol=atol,
                                   equal_nan=True))
    if isinstance(got, numbers.Real) and isinstance(wanted, numbers.Real):
        return abs(float(got) - float(wanted)) <= atol
    return bool(got == wanted)


def known_mistake(got: Any, mistakes: Mistakes, atol: float = 1e-5) -> str:
    """The hint of the first known mistake whose result ``got`` reproduces, or "".

    got: what the student's answer returned. mistakes: (hint, the wrong answer's result)
    pairs, e.g. ("no 1/sqrt(D)", tensor), in the order they should be tried; a result is
    reproduced when :func:`agrees` says so, with ``atol``.
    """
    for hint, wrong in mistakes:
        if agrees(got, wrong, atol=atol):
            return hint
    return ""


def with_hint(message: str, hint: str) -> str:
    """``message`` followed by ". Hint: ``hint``", or ``message`` alone when hint is ""."""
    return f"{message}. Hint: {hint}" if hint else message
