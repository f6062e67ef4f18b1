"""Checks for the exercises of notebook 03, time series (03_time_series.ipynb).

A scaled error measure, sliding windows and a seasonal forecast.

Each check runs the student's function on fresh random series of shape (T, V) (drawn from a
local generator, so the notebook's random state is untouched), compares with a one-line
torch answer, and when the result is wrong, recognises the usual mistakes (errors that cancel,
a target that is the window's own last value, a forecast that stops after one season...) to
say which one it is. Two checks also rerun the answer on the CO2 series of the notebook, so
the student sees the same numbers as in its table.
"""

from __future__ import annotations

import numbers

import torch

from coursekit.checks import (
    Mismatch,
    Mistakes,
    call,
    check,
    expect_close,
    expect_shape,
    known_mistake,
)
from coursekit.data import co2_monthly

__all__ = ["check_mase", "check_sliding_windows", "check_seasonal_naive"]


def _series(generator, T: int, V: int) -> torch.Tensor:
    """(T, V) random walk: every value differs from its neighbours, so a shift shows."""
    return 10 + torch.randn(T, V, generator=generator).cumsum(0)


def _co2_test_months():
    """x: (T,) CO2 in ppm, and the indices t of the notebook's test months (1991 to 2001)."""
    months, co2 = co2_monthly()
    x = co2[:, 0]
    return x, torch.arange(months.index("1991-01"), len(x))


# --- Exercise 1: mase -------------------------------------------------------------------------


def _mase(prediction, truth, history, period):
    """The course's answer: mean |prediction - truth| over the naive error on the history."""
    scale = (history[period:] - history[:-period]).abs().mean()
    return (prediction - truth).abs().mean() / scale


def _mase_mistakes(prediction, truth, history, period) -> Mistakes:
    """What the usual wrong scaled errors give for prediction, truth (N, V), history (T, V)."""
    error = prediction - truth
    mae = error.abs().mean()
    naive = (history[period:] - history[:-period]).abs().mean()
    one_step = (history[1:] - history[:-1]).abs().mean()
    in_test = (truth[period:] - truth[:-period]).abs().mean() if len(truth) > period else mae
    mistakes = [
        ("errors of opposite signs cancel: take the absolute value before the mean, "
         "(prediction - truth).abs()", error.mean() / naive),
        ("that is the mean absolute error itself; divide it by the naive forecast's mean "
         "absolute error on the history", mae),
        ("the ratio is upside down: the forecast's error goes on top, the naive error below",
         naive / mae),
        ("that divides by the mean size of the history's values, |history|; divide by the "
         "mean size of its changes, |history[t] - history[t - period]|",
         mae / history.abs().mean()),
        ("the naive error is measured on the history (the training years), not on the "
         "truth being forecast", mae / in_test),
        ("that is the squared error; both errors use .abs()",
         (error**2).mean() / ((history[period:] - history[:-period]) ** 2).mean()),
    ]
    if period > 1:
        mistakes.append((f"the naive forecast here copies the value one period ({period} "
                         "steps) earlier, history[t - period], not the previous value",
                         mae / one_step))
    return mistakes


@check("mase")
def check_mase(mase):
    """mase(prediction, truth, history, period=1): (N, V), (N, V), (T, V) -> 0-dim tensor,
    mean |prediction - truth| divided by mean |history[t] - history[t - period]|.

    Tried with period 1 and 12 on random walks, then on the notebook's CO2 forecasts.
    """
    generator = torch.Generator().manual_seed(301)
    for N, V, T, period in [(20, 1, 30, 1), (7, 3, 40, 12), (30, 2, 16, 4)]:
        history = _series(generator, T, V)
        truth = _series(generator, N, V)
        prediction = truth + torch.randn(N, V, generator=generator)  # errors of both signs
        what = (f"mase(prediction, truth, history, period={period}) with prediction and "
                f"truth of shape {(N, V)} and history of shape {(T, V)}")
        got = call(mase, prediction.clone(), truth.clone(), history.clone(), period)
        if isinstance(got, numbers.Real) and not isinstance(got, bool):
            got = torch.tensor(float(got))  # a Python float is fine too
        expect_shape(got, (), what, hint="average over every entry: .mean() with no dim "
                     "gives one number (a 0-dim tensor)")
        hint = known_mistake(got, _mase_mistakes(prediction, truth, history, period)) or (
            "divide (prediction - truth).abs().mean() by "
            "(history[period:] - history[:-period]).abs().mean()")
        expect_close(got, _mase(prediction, truth, history, period), what, hint=hint,
                     atol=1e-4)
    x, t = _co2_test_months()
    history, now = x[:int(t[0])].unsqueeze(1), x[t].unsqueeze(1)
    naive = float(call(mase, x[t - 1].unsqueeze(1), now, history, 1))
    drift = (x[t - 12] + x[t - 1] - x[t - 13]).unsqueeze(1)
    drift_score = float(call(mase, drift, now, history, 1))
    return (f"right for periods 1, 4 and 12. On the CO2 test months the naive forecast "
            f"scores {naive:.2f} (above 1: from 1991 the series moves more than it did in "
            f"training) and the seasonal naive + drift {drift_score:.2f}")


# --- Exercise 2: sliding_windows --------------------------------------------------------------


def _windows(series: torch.Tensor, k: int):
    """The course's answer: inputs (T - k, k, V) and the value after each, (T - k, V)."""
    return series.unfold(0, k, 1)[:-1].permute(0, 2, 1), series[k:]


def _as_pair(got, what: str):
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        kind = f"a tuple of {len(got)}" if isinstance(got, (tuple, list)) else \
            type(got).__name__
        raise Mismatch(f"{what} should return two tensors, (inputs, targets); got {kind}")
    return got


def _inputs_mistakes(series: torch.Tensor, k: int) -> Mistakes:
    """The usual wrong inputs (T - k, k, V) of sliding_windows: windows one step late."""
    T = len(series)
    return [
        ("window i must hold series[i : i + k], starting at series[0]",
         torch.stack([series[i + 1:i + 1 + k] for i in range(T - k)])),
    ]


def _targets_mistakes(series: torch.Tensor, k: int) -> Mistakes:
    """The usual wrong targets (T - k, V) of sliding_windows: each window's own last value."""
    return [
        ("each target is the window's own last value, series[i + k - 1]; it must be the value "
         "right after the window, series[i + k]", series[k - 1:-1]),
    ]


@check("sliding_windows")
def check_sliding_windows(sliding_windows):
    """sliding_windows(series, k): (T, V) -> inputs (T - k, k, V), targets (T - k, V).

    inputs[i] is series[i : i + k] and targets[i] is series[i + k], the value right after the
    window. Tried for (T, V, k) = (12, 1, 3), (9, 2, 4), (6, 1, 5) (one window) and (5, 3, 1).
    """
    generator = torch.Generator().manual_seed(302)
    for T, V, k in [(12, 1, 3), (9, 2, 4), (6, 1, 5), (5, 3, 1)]:
        series = _series(generator, T, V)
        what = f"sliding_windows(series, {k}) for a series of shape {(T, V)}"
        inputs, targets = _as_pair(call(sliding_windows, series.clone(), k), what)
        expected_inputs, expected_targets = _windows(series, k)
        expect_shape(inputs, (T - k, k, V), f"{what}: inputs", hint=_windows_shape_hint(
            inputs, T, V, k))
        hint = known_mistake(inputs, _inputs_mistakes(series, k)) or (
            "window i holds series[i : i + k], in time order")
        expect_close(inputs, expected_inputs, f"{what}: inputs", hint=hint)
        expect_shape(targets, (T - k, V), f"{what}: targets", hint=f"one target per window: "
                     f"the {T - k} values after the first k, series[k:]")
        hint = known_mistake(targets, _targets_mistakes(series, k)) or (
            "targets[i] is series[i + k], the value right after window i")
        expect_close(targets, expected_targets, f"{what}: targets", hint=hint)
    return ("right for series of shapes (12, 1), (9, 2), (6, 1) and (5, 3) with k = 3, 4, 5 "
            "(a single window) and 1; every target is the value right after its window")


def _windows_shape_hint(inputs, T: int, V: int, k: int) -> str:
    if not isinstance(inputs, torch.Tensor):
        return ""
    shape = tuple(inputs.shape)
    if shape == (T - k + 1, V, k) or shape == (T - k, V, k):
        return "unfold puts the window's k values last: .permute(0, 2, 1) gives (windows, k, V)"
    if shape[:1] == (T - k + 1,):
        return (f"the last window, series[{T - k}:], has no value after it: there are T - k = "
                f"{T - k} windows with a target")
    if shape[1:] == (k + 1, V):
        return "a window holds k values; the target comes after it, not inside it"
    return "stack the T - k windows series[i : i + k], i = 0, ..., T - k - 1"


# --- Exercise 3: seasonal_naive ---------------------------------------------------------------


def _seasonal_naive(series: torch.Tensor, period: int, horizon: int) -> torch.Tensor:
    """The course's answer: (horizon, V), step T + j copies series[T - period + j % period]."""
    T = len(series)
    return series[T - period + torch.arange(horizon) % period]


def _seasonal_naive_mistakes(series: torch.Tensor, period: int, horizon: int) -> Mistakes:
    """The usual wrong forecasts (horizon, V): the naive one, the first season, one step early."""
    T, V = series.shape
    mistakes = [
        ("each forecast copies the last value (the naive forecast); the seasonal naive copies "
         "the value one period earlier", series[-1:].expand(horizon, V)),
        ("the first season of the series is not the last one: start at series[T - period]",
         series[torch.arange(horizon) % period]),
    ]
    if T > period:
        mistakes.append(("off by one: the forecast of step T copies series[T - period]; yours "
                         "starts one step earlier",
                         series[T - period - 1 + torch.arange(horizon) % period]))
    return mistakes


@check("seasonal_naive")
def check_seasonal_naive(seasonal_naive):
    """seasonal_naive(series, period, horizon): (T, V) -> (horizon, V), a forecast of the
    ``horizon`` steps after the series, each one equal to the value one period earlier.

    Tried for horizons shorter than, equal to and longer than the period, for period = 1 (the
    naive forecast) and for a series exactly one period long; then on the CO2 series.
    """
    generator = torch.Generator().manual_seed(303)
    for T, V, period, horizon in [(30, 1, 12, 5), (30, 2, 7, 16), (24, 1, 12, 12),
                                  (10, 1, 1, 3), (4, 2, 4, 6)]:
        series = _series(generator, T, V)
        what = f"seasonal_naive(series, period={period}, horizon={horizon}) for a {(T, V)} series"
        got = call(seasonal_naive, series.clone(), period, horizon)
        expected = _seasonal_naive(series, period, horizon)
        hint = "one row per forecast step: (horizon, V)"
        if horizon > period:
            hint = (f"the horizon {horizon} is longer than the period {period}: repeat the last "
                    f"season, e.g. with .repeat(...) then keep the first {horizon} rows")
        if isinstance(got, torch.Tensor) and got.ndim == 2 and len(got) == 0:
            hint = ("your forecast is empty: a slice series[a:b] with b >= 0 counts b from the "
                    "start, so series[-12:0] holds nothing")
        expect_shape(got, (horizon, V), what, hint=hint)
        hint = known_mistake(got, _seasonal_naive_mistakes(series, period, horizon)) or (
            "step T + j copies series[T - period + j], wrapping around after a period")
        expect_close(got, expected, what, hint=hint)
    x, t = _co2_test_months()
    start = int(t[0])
    forecast = call(seasonal_naive, x[:start].unsqueeze(1), 12, len(t))
    error = (forecast[:, 0] - x[t]).abs().mean()
    one_month_ahead = (x[t - 12] - x[t]).abs().mean()  # the notebook's table
    return (f"right for horizons shorter than, equal to and longer than the period, and for "
            f"period = 1. On CO2, repeating 1990 for all {len(t)} test months is off by "
            f"{error:.2f} ppm on average, against {one_month_ahead:.2f} ppm one month ahead: "
            "without the trend, the forecast falls further behind every year")
