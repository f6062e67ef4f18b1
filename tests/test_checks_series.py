"""coursekit.checks.series (notebook 03): right answers pass, the usual mistakes are named."""

import pytest
import torch

from coursekit.checks.series import check_mase, check_seasonal_naive, check_sliding_windows

# --- Exercise 1: mase -------------------------------------------------------------------------


def mase(prediction, truth, history, period=1):
    scale = (history[period:] - history[:-period]).abs().mean()
    return (prediction - truth).abs().mean() / scale


def test_mase_reference_passes_and_scores_the_notebooks_forecasts():
    verdict = check_mase(mase)
    assert verdict.passed, verdict.message
    assert "naive forecast scores 1.11" in verdict.message
    assert "seasonal naive + drift 0.30" in verdict.message


def test_mase_may_return_a_python_float():
    assert check_mase(lambda p, t, h, period=1: mase(p, t, h, period).item()).passed


def test_mase_may_loop_over_the_history():
    def by_hand(prediction, truth, history, period=1):
        changes = [(history[i] - history[i - period]).abs() for i in range(period, len(history))]
        return (prediction - truth).abs().mean() / torch.cat(changes).mean()

    assert check_mase(by_hand).passed


def naive_error(h, period):
    return (h[period:] - h[:-period]).abs().mean()


@pytest.mark.parametrize("wrong, words", [
    (lambda p, t, h, period=1: (p - t).mean() / naive_error(h, period),
     "errors of opposite signs cancel"),
    (lambda p, t, h, period=1: (p - t).abs().mean(), "mean absolute error itself"),
    (lambda p, t, h, period=1: naive_error(h, period) / (p - t).abs().mean(), "upside down"),
    (lambda p, t, h, period=1: (p - t).abs().mean() / h.abs().mean(), "mean size of its changes"),
    (lambda p, t, h, period=1: (p - t).abs().mean() / naive_error(t, period),
     "measured on the history"),
    (lambda p, t, h, period=1: ((p - t) ** 2).mean() / ((h[period:] - h[:-period]) ** 2).mean(),
     "squared error"),
    (lambda p, t, h, period=1: (p - t).abs().mean() / naive_error(h, 1),
     ["period=12", "one period (12 steps) earlier"]),
    (lambda p, t, h, period=1: (p - t).abs().mean(dim=0) / naive_error(h, period),
     "should have shape (), got (1,)"),
], ids=["signed", "unscaled", "inverted", "by values", "scaled on truth", "squared",
        "lag one", "per column"])
def test_mase_names_the_mistake(wrong, words):
    verdict = check_mase(wrong)
    assert verdict.status == "failed"
    for word in [words] if isinstance(words, str) else words:
        assert word in verdict.message, verdict.message


def test_mase_rejects_a_scale_on_the_last_season_only():
    def last_season_only(prediction, truth, history, period=1):
        recent = history[-2 * period:]
        return (prediction - truth).abs().mean() / naive_error(recent, period)

    assert check_mase(last_season_only).status == "failed"


# --- Exercise 2: sliding_windows --------------------------------------------------------------


def sliding_windows(series, k):
    return torch.stack([series[i:i + k] for i in range(len(series) - k)]), series[k:]


def windows_ending_on_the_target(series, k):  # the target is the window's last value
    return sliding_windows(series, k)[0], series[k - 1:-1]


def windows_with_one_too_many(series, k):
    inputs = torch.stack([series[i:i + k] for i in range(len(series) - k + 1)])
    return inputs, series[k:]


def windows_from_unfold(series, k):  # unfold puts the window last: (windows, V, k)
    return series.unfold(0, k, 1)[:-1], series[k:]


def windows_holding_the_target(series, k):
    return torch.stack([series[i:i + k + 1] for i in range(len(series) - k)]), series[k:]


def windows_starting_late(series, k):
    return torch.stack([series[i + 1:i + 1 + k] for i in range(len(series) - k)]), series[k:]


def test_sliding_windows_reference_passes():
    verdict = check_sliding_windows(sliding_windows)
    assert verdict.passed, verdict.message
    assert "value right after its window" in verdict.message


@pytest.mark.parametrize("wrong, words", [
    (windows_ending_on_the_target, ["targets", "window's own last value", "series[i + k]"]),
    (windows_with_one_too_many, ["should have shape (9, 3, 1), got (10, 3, 1)",
                                 "has no value after it"]),
    (windows_from_unfold, ["got (9, 1, 3)", "permute(0, 2, 1)"]),
    (windows_holding_the_target, ["got (9, 4, 1)", "target comes after it"]),
    (windows_starting_late, ["inputs", "starting at series[0]"]),
    (lambda series, k: sliding_windows(series, k)[0], ["should return two tensors"]),
])
def test_sliding_windows_names_the_mistake(wrong, words):
    verdict = check_sliding_windows(wrong)
    assert verdict.status == "failed"
    for word in words:
        assert word in verdict.message, verdict.message


def test_sliding_windows_catches_a_range_that_fails_for_a_single_window():
    def one_window_short(series, k):  # right except when T = k + 1
        if len(series) == k + 1:
            return series[:0].unsqueeze(1), series[:0]
        return sliding_windows(series, k)

    verdict = check_sliding_windows(one_window_short)
    assert "sliding_windows(series, 5) for a series of shape (6, 1)" in verdict.message


# --- Exercise 3: seasonal_naive ---------------------------------------------------------------


def seasonal_naive(series, period, horizon):
    return series[-period:].repeat(horizon // period + 1, 1)[:horizon]


def test_seasonal_naive_reference_passes_and_reports_co2():
    verdict = check_seasonal_naive(seasonal_naive)
    assert verdict.passed, verdict.message
    assert "132 test months is off by 8.58 ppm" in verdict.message
    assert "against 1.52 ppm one month ahead" in verdict.message


@pytest.mark.parametrize("wrong, words", [
    (lambda s, p, h: s[-p:][:h], ["horizon=16", "got (7, 2)", "repeat the last season"]),
    (lambda s, p, h: s[-p - 1:].repeat(h // p + 1, 1)[:h], ["off by one"]),
    (lambda s, p, h: s[-1:].repeat(h, 1), ["naive forecast", "one period earlier"]),
    (lambda s, p, h: s[:p].repeat(h // p + 1, 1)[:h], ["first season", "series[T - period]"]),
    (lambda s, p, h: s[-p:-p + h], ["horizon=16", "got (0, 2)", "series[-12:0] holds nothing"]),
], ids=["no wrap", "off by one", "naive", "first season", "slice"])
def test_seasonal_naive_names_the_mistake(wrong, words):
    verdict = check_seasonal_naive(wrong)
    assert verdict.status == "failed"
    for word in words:
        assert word in verdict.message, verdict.message


def test_seasonal_naive_catches_a_slice_that_is_empty_at_one_full_period():
    def slice_then_wrap(series, period, horizon):  # series[-12:0] is empty
        if horizon <= period:
            return series[-period:-period + horizon]
        return seasonal_naive(series, period, horizon)

    verdict = check_seasonal_naive(slice_then_wrap)
    assert "period=12, horizon=12" in verdict.message and "got (0, 1)" in verdict.message
