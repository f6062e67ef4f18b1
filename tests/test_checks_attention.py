"""coursekit.checks.attention (notebook 07): right answers pass, the usual mistakes are named."""

import math

import pytest
import torch

from coursekit.checks.attention import (
    check_causal_attention,
    check_position_code,
    check_scaled_attention,
)


def scores_of(q, k, scale=True):
    scores = q @ k.transpose(1, 2)
    return scores / math.sqrt(q.shape[-1]) if scale else scores


def future(T, diagonal=1):
    return torch.ones(T, T, dtype=torch.bool).triu(diagonal)


# --- Exercise 1: scaled_attention -------------------------------------------------------------


def scaled_attention(q, k, v):
    return torch.softmax(scores_of(q, k), dim=-1) @ v


def attention_without_scale(q, k, v):
    return torch.softmax(scores_of(q, k, scale=False), dim=-1) @ v


def attention_softmax_over_queries(q, k, v):
    return torch.softmax(scores_of(q, k), dim=1) @ v


def attention_scaled_by_value_size(q, k, v):
    return torch.softmax(q @ k.transpose(1, 2) / math.sqrt(v.shape[-1]), dim=-1) @ v


def attention_with_weights(q, k, v):  # as coursekit.models.attention: (outputs, weights)
    weights = torch.softmax(scores_of(q, k), dim=-1)
    return weights @ v, weights


def test_scaled_attention_reference_passes():
    verdict = check_scaled_attention(scaled_attention)
    assert verdict.passed, verdict.message
    assert "T_q = 1" in verdict.message


@pytest.mark.parametrize("wrong, words", [
    (attention_without_scale, "not divided by sqrt(D) = sqrt(8)"),
    (attention_softmax_over_queries, "softmax ran over the queries (dim 1)"),
    (attention_scaled_by_value_size, "sqrt(D_v) = sqrt(4), the size of the values"),
    (attention_with_weights, "returned a tuple of 2; return only the outputs (2, 3, 4)"),
])
def test_scaled_attention_names_the_mistake(wrong, words):
    verdict = check_scaled_attention(wrong)
    assert verdict.status == "failed"
    assert words in verdict.message


def test_scaled_attention_catches_a_softmax_over_the_queries_even_with_one_query():
    """With T_q = 1 the wrong softmax gives weights of 1: the outputs sum the values."""

    def softmax_over_queries_for_one_query(q, k, v):
        if q.shape[1] == 1:
            return attention_softmax_over_queries(q, k, v)
        return scaled_attention(q, k, v)

    verdict = check_scaled_attention(softmax_over_queries_for_one_query)
    assert "q (3, 1, 16)" in verdict.message and "softmax ran over the queries" in verdict.message


def test_scaled_attention_wrong_shape_says_both_shapes():
    verdict = check_scaled_attention(lambda q, k, v: torch.softmax(scores_of(q, k), -1))
    assert "should have shape (2, 3, 4), got (2, 3, 5)" in verdict.message


# --- Exercise 2: causal_attention -------------------------------------------------------------


def causal_attention(q, k, v):
    scores = scores_of(q, k).masked_fill(future(q.shape[1]), float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def causal_mask_on_the_past(q, k, v):  # hides j < t instead of j > t
    scores = scores_of(q, k).masked_fill(future(q.shape[1]).T, float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def causal_mask_after_softmax(q, k, v):
    return torch.softmax(scores_of(q, k), dim=-1).masked_fill(future(q.shape[1]), 0) @ v


def causal_mask_with_zeros(q, k, v):
    return torch.softmax(scores_of(q, k).masked_fill(future(q.shape[1]), 0), dim=-1) @ v


def causal_mask_without_the_diagonal(q, k, v):  # frame 0 has nothing left: NaN
    scores = scores_of(q, k).masked_fill(future(q.shape[1], diagonal=0), float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def causal_without_scale(q, k, v):
    scores = scores_of(q, k, scale=False).masked_fill(future(q.shape[1]), float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def causal_mask_of_fixed_size(q, k, v):
    return torch.softmax(scores_of(q, k).masked_fill(future(6), float("-inf")), dim=-1) @ v


def test_causal_attention_reference_passes():
    verdict = check_causal_attention(causal_attention)
    assert verdict.passed, verdict.message
    assert "v[:, 0]" in verdict.message


@pytest.mark.parametrize("wrong, words", [
    (scaled_attention, ["frame 0", "should be v[:, 0]", "also looked at later frames"]),
    (causal_mask_on_the_past, ["frame 0", "hides the past and keeps the future"]),
    (causal_mask_after_softmax, ["frame 0", "after the softmax", "no longer sums to 1"]),
    (causal_mask_with_zeros, ["frame 0", "exp(0) = 1", "float('-inf')"]),
    (causal_mask_without_the_diagonal, ["NaN", "frame 0 must attend to itself"]),
    (causal_without_scale, ["frame 1", "mask is right", "not divided by sqrt(D) = sqrt(8)"]),
    (causal_mask_of_fixed_size, ["raised RuntimeError", "masked_fill"]),
])
def test_causal_attention_names_the_mistake(wrong, words):
    verdict = check_causal_attention(wrong)
    assert verdict.status == "failed"
    for word in words:
        assert word in verdict.message, verdict.message


def test_causal_attention_an_unknown_mistake_gets_the_first_wrong_frame():
    def running_mean(q, k, v):  # right at frame 0, then ignores the scores
        return v.cumsum(1) / torch.arange(1, v.shape[1] + 1).view(1, -1, 1)

    verdict = check_causal_attention(running_mean)
    assert "the output at frame 1" in verdict.message
    assert "softmax-weighted average of v[:, :2]" in verdict.message


# --- Exercise 3: position_code ----------------------------------------------------------------


def position_code(T, D, swap=False, halves=False, base=10000.0, start=0):
    t = torch.arange(start, start + T, dtype=torch.float32).unsqueeze(1)
    angles = t / base ** (torch.arange(0, D, 2, dtype=torch.float32) / D)
    sines, cosines = (angles.cos(), angles.sin()) if swap else (angles.sin(), angles.cos())
    if halves:
        return torch.cat([sines, cosines], dim=1)
    return torch.stack([sines, cosines], dim=2).reshape(T, D)


def test_position_code_reference_passes():
    verdict = check_position_code(position_code)
    assert verdict.passed, verdict.message


@pytest.mark.parametrize("mistake, words", [
    (dict(swap=True), "swapped sin and cos"),
    (dict(halves=True), "all the sines first"),
    (dict(base=1000.0), "first pair of columns (rate 1) is right"),
    (dict(start=1), "count from t = 0"),
])
def test_position_code_names_the_mistake(mistake, words):
    verdict = check_position_code(lambda T, D: position_code(T, D, **mistake))
    assert verdict.status == "failed"
    assert "position_code(8, 16)" in verdict.message and words in verdict.message


def test_position_code_wrong_exponents_are_named():
    def exponent_i_over_d(T, D):
        angles = torch.arange(T).float().unsqueeze(1) / 10000 ** (torch.arange(D // 2) / D)
        return torch.stack([angles.sin(), angles.cos()], dim=2).reshape(T, D)

    def exponent_4i_over_d(T, D):
        angles = torch.arange(T).float().unsqueeze(1) / 10000 ** (
            2 * torch.arange(0, D, 2) / D)
        return torch.stack([angles.sin(), angles.cos()], dim=2).reshape(T, D)

    assert "yours uses i / D" in check_position_code(exponent_i_over_d).message
    assert "yours uses 4i / D" in check_position_code(exponent_4i_over_d).message


def test_position_code_hard_coded_for_one_size_fails():
    table = position_code(8, 16)
    verdict = check_position_code(lambda T, D: table)
    assert "position_code(50, 64) should have shape (50, 64), got (8, 16)" in verdict.message
