"""Checks for the exercises of notebook 07, transformers (07_transformers_bonus.ipynb).

Attention by hand, a causal mask, a position code.

Each check runs the student's function on fresh random inputs (drawn from a local generator,
so the notebook's random state is untouched), compares with PyTorch's
``F.scaled_dot_product_attention`` or with ``coursekit.models.sinusoidal_positions``, and
when the result is wrong, recognises the usual mistakes (no 1/sqrt(D), softmax over the wrong
dimension, a mask on the wrong side, sines and cosines swapped...) to say which one it is.
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from coursekit.checks import (
    Mismatch,
    Mistakes,
    agrees,
    call,
    check,
    expect,
    expect_close,
    expect_shape,
    known_mistake,
    shape_of,
)
from coursekit.models import sinusoidal_positions

__all__ = ["check_scaled_attention", "check_causal_attention", "check_position_code"]


def _randn(generator, *shape):
    return torch.randn(*shape, generator=generator)


def _not_a_tuple(got, what: str, returns: str) -> None:
    if isinstance(got, tuple):
        raise Mismatch(f"{what} returned a tuple of {len(got)}; return only {returns}, "
                       "not (outputs, weights)")


# --- Exercise 1: scaled_attention -------------------------------------------------------------


def _scaled_attention_mistakes(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> Mistakes:
    """The outputs (B, T_q, D_v) of attentions with the wrong scale or softmax dimension."""
    D, D_v = q.shape[-1], v.shape[-1]
    scores = q @ k.transpose(1, 2)
    mistakes = [
        (f"the scores were not divided by sqrt(D) = sqrt({D})", torch.softmax(scores, dim=-1) @ v),
        (f"you divided the scores by D = {D}; divide by sqrt(D)",
         torch.softmax(scores / D, dim=-1) @ v),
        ("the softmax ran over the queries (dim 1); it must run over the keys (dim -1), so that "
         "each query's weights sum to 1", torch.softmax(scores / D**0.5, dim=1) @ v),
        ("the softmax ran over the queries (dim 1) instead of the keys (dim -1), and the scores "
         "were not divided by sqrt(D)", torch.softmax(scores, dim=1) @ v),
    ]
    if D != D_v:
        mistakes.append((f"you divided by sqrt(D_v) = sqrt({D_v}), the size of the values; divide "
                         f"by sqrt(D) = sqrt({D}), the size of the queries and keys",
                         torch.softmax(scores / D_v**0.5, dim=-1) @ v))
    return mistakes


@check("scaled_attention")
def check_scaled_attention(scaled_attention):
    """scaled_attention(q, k, v): (B, T_q, D), (B, T_k, D), (B, T_k, D_v) -> (B, T_q, D_v).

    Compared with ``F.scaled_dot_product_attention`` on a batch with T_q != T_k and D != D_v,
    and on a single query (T_q = 1).
    """
    generator = torch.Generator().manual_seed(701)
    for B, T_q, T_k, D, D_v in [(2, 3, 5, 8, 4), (3, 1, 6, 16, 16)]:
        q, k, v = (_randn(generator, B, T, d) for T, d in [(T_q, D), (T_k, D), (T_k, D_v)])
        what = f"scaled_attention(q, k, v) with q {shape_of(q)}, k {shape_of(k)}, v {shape_of(v)}"
        got = call(scaled_attention, q.clone(), k.clone(), v.clone())
        _not_a_tuple(got, what, f"the outputs {(B, T_q, D_v)}")
        expected = F.scaled_dot_product_attention(q, k, v)
        expect_shape(got, expected.shape, what, hint="the scores q @ k.transpose(1, 2) are "
                     "(B, T_q, T_k); the softmax of the scores times v is (B, T_q, D_v)")
        hint = (known_mistake(got, _scaled_attention_mistakes(q, k, v), atol=1e-4)
                or "compute torch.softmax(q @ k.transpose(1, 2) / sqrt(D), dim=-1) @ v")
        expect_close(got, expected, what, hint=hint, atol=1e-5)
    return ("equal to F.scaled_dot_product_attention on a batch of 2 with 3 queries, 5 keys, "
            "D = 8 and D_v = 4, and on a single query (T_q = 1)")


# --- Exercise 2: causal_attention -------------------------------------------------------------


def _causal_attention_mistakes(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> Mistakes:
    """The outputs (B, T, D) of attentions that mask the wrong side, too late, or with 0."""
    T, D = q.shape[-2], q.shape[-1]
    scores = q @ k.transpose(-2, -1) / math.sqrt(D)
    future = torch.ones(T, T, dtype=torch.bool).triu(diagonal=1)  # j > t
    past = torch.ones(T, T, dtype=torch.bool).tril(diagonal=-1)  # j < t
    return [
        ("frame t also looked at later frames: set the scores above the diagonal (j > t) to "
         "float('-inf') before the softmax", torch.softmax(scores, dim=-1) @ v),
        ("your mask hides the past and keeps the future: hide j > t (above the diagonal, "
         "torch.ones(T, T, dtype=torch.bool).triu(1)) and keep j <= t",
         torch.softmax(scores.masked_fill(past, float("-inf")), dim=-1) @ v),
        ("you zeroed the future weights after the softmax, so each row no longer sums to 1: "
         "set the future scores to float('-inf') before the softmax",
         torch.softmax(scores, dim=-1).masked_fill(future, 0) @ v),
        ("you set the future scores to 0, but exp(0) = 1 still gives those frames a weight: "
         "fill them with float('-inf')", torch.softmax(scores.masked_fill(future, 0), dim=-1) @ v),
        (f"the mask is right but the scores were not divided by sqrt(D) = sqrt({D})",
         torch.softmax(scores.masked_fill(future, float("-inf")) * math.sqrt(D), dim=-1) @ v),
    ]


@check("causal_attention")
def check_causal_attention(causal_attention):
    """causal_attention(q, k, v): (B, T, D) x 3 -> (B, T, D), frame t attends to frames <= t.

    Checks that frame 0's output is v[:, 0] and compares every frame with
    ``F.scaled_dot_product_attention(q, k, v, is_causal=True)``, for T = 6, 1 and 9.
    """
    generator = torch.Generator().manual_seed(702)
    for B, T, D in [(2, 6, 8), (3, 1, 4), (1, 9, 16)]:
        q, k, v = (_randn(generator, B, T, D) for _ in range(3))
        what = f"causal_attention(q, k, v) with q, k, v of shape {(B, T, D)}"
        got = call(causal_attention, q.clone(), k.clone(), v.clone())
        _not_a_tuple(got, what, f"the outputs {(B, T, D)}")
        expect_shape(got, (B, T, D), what, hint="the mask must be (T, T), built from the "
                     "inputs' T (q.shape[1]), not a fixed size")
        expected = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        hint = known_mistake(got, _causal_attention_mistakes(q, k, v), atol=1e-4)
        expect(not torch.isnan(got).any(), f"{what} contains NaN: frame 0 must attend to itself "
               "(keep the diagonal, j <= t), otherwise its whole row is -inf")
        expect_close(got[:, 0], v[:, 0], f"{what}: the output at frame 0 (which can only look "
                     "at itself, so it should be v[:, 0])", hint=hint, atol=1e-5)
        wrong = ((got.detach().double() - expected.double()).abs() > 1e-5).flatten(2).any(-1)
        if wrong.any():
            first = int(wrong.any(0).nonzero()[0])
            expect_close(got[:, first], expected[:, first],
                         f"{what}: the output at frame {first}", atol=1e-5,
                         hint=hint or f"frame {first} should be the softmax-weighted average "
                         f"of v[:, :{first + 1}], with weights from q k^T / sqrt(D)")
    return ("frame 0 gives v[:, 0], and every frame equals F.scaled_dot_product_attention(..., "
            "is_causal=True) for T = 6, 1 and 9")


# --- Exercise 3: position_code ----------------------------------------------------------------


def _position_code_mistakes(T: int, D: int) -> Mistakes:
    """The codes (T, D) with sin and cos swapped or not interleaved, t from 1, wrong rates."""
    t = torch.arange(T, dtype=torch.float64).unsqueeze(1)
    two_i = torch.arange(0, D, 2, dtype=torch.float64)

    def interleave(first, second):
        return torch.stack([first, second], dim=2).reshape(T, D)

    angles = t / 10000 ** (two_i / D)
    slow = t / 10000 ** (2 * two_i / D)  # exponent 4i / D: "2i" applied to the column index
    fast = t / 10000 ** (two_i / 2 / D)  # exponent i / D
    return [
        ("you swapped sin and cos: column 2i holds the sine, column 2i + 1 the cosine",
         interleave(angles.cos(), angles.sin())),
        ("you put all the sines first and all the cosines after; the code interleaves them: "
         "column 2i is the sine, column 2i + 1 the cosine",
         torch.cat([angles.sin(), angles.cos()], dim=1)),
        ("the frames must count from t = 0: row 0 is sin 0 = 0 and cos 0 = 1",
         interleave((angles + angles[1:2] if T > 1 else angles).sin(),
                    (angles + angles[1:2] if T > 1 else angles).cos())),
        ("for the pair (2i, 2i + 1) the exponent is 2i / D with i = 0, 1, ..., D/2 - 1; "
         "yours uses 4i / D (torch.arange(0, D, 2) already counts 2i)",
         interleave(slow.sin(), slow.cos())),
        ("for the pair (2i, 2i + 1) the exponent is 2i / D; yours uses i / D",
         interleave(fast.sin(), fast.cos())),
    ]


@check("position_code")
def check_position_code(position_code):
    """position_code(T, D) -> (T, D): equal to ``coursekit.models.sinusoidal_positions(T, D)``.

    Tried for (T, D) = (8, 16), (50, 64) and (1, 4).
    """
    for T, D in [(8, 16), (50, 64), (1, 4)]:
        what = f"position_code({T}, {D})"
        got = call(position_code, T, D)
        expected = sinusoidal_positions(T, D)
        expect_shape(got, (T, D), what, hint="one row per frame t, one column per feature d")
        hint = known_mistake(got, _position_code_mistakes(T, D), atol=1e-4)
        if not hint and agrees(got[:, :2], expected[:, :2], atol=1e-4):
            hint = ("the first pair of columns (rate 1) is right but the slower waves are not: "
                    "the angle is t / 10000^(2i / D) (divide t, base 10000, exponent 2i / D)")
        expect_close(got, expected, what, hint=hint or "column 2i is sin(t / 10000^(2i / D)), "
                     "column 2i + 1 is cos of the same angle, t = 0, ..., T - 1", atol=1e-4)
    return "equal to coursekit's sinusoidal_positions for (T, D) = (8, 16), (50, 64) and (1, 4)"
