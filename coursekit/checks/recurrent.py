"""Checks for the exercises of notebook 04, RNN, LSTM and GRU by hand (04_rnn_lstm_gru.ipynb).

Each check compares the student's code with PyTorch's own layers (``nn.LSTM``,
``nn.GRUCell``) built with weights drawn from a local generator (and under
``torch.random.fork_rng``), so the notebook's random state is untouched. When the result is
wrong, the check recognises the usual mistakes (one bias per gate, a state that is not carried
over or whose h and c are swapped, forget and input gates exchanged, a missing tanh, z and
1 - z exchanged, the reset gate in the wrong place) and says which one it is.
"""

from __future__ import annotations

import numbers

import torch
from torch import nn

from coursekit.checks import (
    Mismatch,
    Mistakes,
    call,
    check,
    expect,
    expect_close,
    expect_shape,
    known_mistake,
    with_hint,
)
from coursekit.models import ManualLSTM

__all__ = ["check_lstm_parameter_count", "check_run_in_chunks", "check_gru_step",
           "check_lstm_step"]


def _torch_layer(generator, bound: float, layer_class, *args, **kwargs):
    """``layer_class(*args, **kwargs)`` with parameters from ``generator``, in [-bound, bound]."""
    with torch.random.fork_rng(devices=[]):  # the constructor's own draws leave no trace
        layer = layer_class(*args, **kwargs)
    with torch.no_grad():
        for parameter in layer.parameters():
            parameter.copy_(torch.rand(parameter.shape, generator=generator) * 2 * bound - bound)
    return layer


# --- Exercise 1: lstm_parameter_count ---------------------------------------------------------


def _lstm_count(input_size: int, hidden_size: int) -> int:
    """The course's answer, counted on PyTorch's own layer (on the meta device: no memory)."""
    with torch.random.fork_rng(devices=[]):
        lstm = nn.LSTM(input_size, hidden_size, device="meta")
    return sum(parameter.numel() for parameter in lstm.parameters())


def _lstm_parameter_count_mistakes(D: int, H: int) -> Mistakes:
    """The counts the usual wrong formulas give for nn.LSTM(D, H)."""
    weights, bias = D * H + H * H, H
    return [
        ("that is ManualLSTM's count, one bias per gate; nn.LSTM keeps two, bias_ih_l0 and "
         "bias_hh_l0, each of 4 x hidden entries", 4 * (weights + bias)),
        ("an LSTM layer has four blocks (input, forget and output gates, and the candidate g), "
         "not three: 3 blocks is the GRU", 3 * (weights + 2 * bias)),
        ("you forgot the biases: bias_ih_l0 and bias_hh_l0, 4 x hidden each", 4 * weights),
        ("each of the two biases has one entry per unit of each of the 4 blocks: 4 x hidden, "
         "not hidden", 4 * weights + 2 * bias),
        ("that is one block; the LSTM stacks four (i, f, g, o)", weights + 2 * bias),
        ("W maps the input to the hidden units: it is (input_size x hidden_size), not "
         "(input_size x input_size)", 4 * (D * D + H * H + 2 * bias)),
    ]


@check("lstm_parameter_count")
def check_lstm_parameter_count(lstm_parameter_count):
    """lstm_parameter_count(input_size, hidden_size) -> int, the parameters of one nn.LSTM layer.

    Compared with ``sum(p.numel() for p in nn.LSTM(D, H).parameters())`` for (D, H) = (3, 4),
    the lecture's (128, 64), (10, 3) and (1, 1).
    """
    for D, H in [(3, 4), (128, 64), (10, 3), (1, 1)]:
        what = f"lstm_parameter_count({D}, {H})"
        got = call(lstm_parameter_count, D, H)
        if isinstance(got, torch.Tensor) and got.numel() == 1:
            got = got.item()
        if isinstance(got, float) and got.is_integer():
            got = int(got)
        expect(isinstance(got, numbers.Integral) and not isinstance(got, bool),
               f"{what} should return an int, got {type(got).__name__} {got!r:.40}")
        expected = _lstm_count(D, H)
        if got != expected:
            hint = known_mistake(got, _lstm_parameter_count_mistakes(D, H)) or (
                "per block: W (input_size x hidden_size), U (hidden_size x hidden_size) and two "
                "biases of hidden_size; four blocks")
            raise Mismatch(with_hint(f"{what} should be {expected}, as nn.LSTM({D}, {H}) counts, "
                                     f"got {got}", hint))
    return ("equal to nn.LSTM's own count for (D, H) = (3, 4), (128, 64) (49664 parameters, "
            "the lecture's layer), (10, 3) and (1, 1)")


# --- Exercise 2: run_in_chunks ----------------------------------------------------------------


def _run_in_chunks_mistakes(lstm: nn.LSTM, x: torch.Tensor, chunk_size: int) -> Mistakes:
    """The outputs (B, T, H) of chunks that forget the state, or pass it on as (c, h)."""
    no_state, swapped, state = [], [], None
    for chunk in x.split(chunk_size, dim=1):
        no_state.append(lstm(chunk)[0])
        output, next_state = lstm(chunk, None if state is None else state[::-1])
        swapped.append(output)
        state = next_state
    return [
        ("every chunk starts again from zeros: pass the state returned by one chunk to the "
         "next, output, state = lstm(chunk, state)", torch.cat(no_state, dim=1)),
        ("h and c are swapped: nn.LSTM returns and takes the state as (h, c), hidden first; "
         "pass it on unchanged", torch.cat(swapped, dim=1)),
    ]


@check("run_in_chunks")
def check_run_in_chunks(run_in_chunks):
    """run_in_chunks(lstm, x, chunk_size): nn.LSTM (batch first), x (B, T, D) -> (B, T, H).

    Must equal ``lstm(x)[0]``, the whole sequence in one call: chunks that do not divide T,
    a two-layer LSTM (state (2, B, H)), and a chunk longer than the sequence.
    """
    generator = torch.Generator().manual_seed(402)
    for B, T, D, H, layers, chunk_size in [(2, 7, 3, 4, 1, 3), (3, 6, 2, 3, 2, 2),
                                           (2, 1, 3, 2, 1, 4)]:
        lstm = _torch_layer(generator, 0.8, nn.LSTM, D, H, num_layers=layers, batch_first=True)
        x = torch.randn(B, T, D, generator=generator)
        what = (f"run_in_chunks(lstm, x, {chunk_size}) with a {layers}-layer nn.LSTM({D}, {H}) "
                f"and x of shape {(B, T, D)}")
        with torch.no_grad():
            got = call(run_in_chunks, lstm, x.clone(), chunk_size)
            expected = lstm(x)[0]
            mistakes = _run_in_chunks_mistakes(lstm, x, chunk_size)
        if isinstance(got, tuple):
            raise Mismatch(f"{what} returned a tuple of {len(got)}; return only the outputs "
                           f"{(B, T, H)}, not (outputs, state)")
        hint = "one output per time step, the chunks' outputs joined along time (dim 1)"
        if isinstance(got, torch.Tensor) and got.ndim == 3 and 0 < T % chunk_size and (
                got.shape[1] == T - T % chunk_size):
            hint = (f"{T} = {T // chunk_size} x {chunk_size} + {T % chunk_size}: keep the "
                    "last, shorter chunk, as x.split(chunk_size, dim=1) does")
        expect_shape(got, (B, T, H), what, hint=hint)
        expect_close(got, expected, what, hint=known_mistake(got, mistakes) or
                     "feed the chunks in order and carry the state (h, c) from one to the next")
    return ("equal to lstm(x) in one call, for chunks of 3 over 7 steps, a 2-layer LSTM, and "
            "a chunk longer than the sequence")


# --- Exercise 3: gru_step ---------------------------------------------------------------------


def _gru_step_mistakes(cell: nn.GRUCell, x_t: torch.Tensor, h: torch.Tensor) -> Mistakes:
    """The new memories (B, H) that the usual wrong GRU steps compute."""
    x_r, x_z, x_n = (x_t @ cell.weight_ih.T + cell.bias_ih).chunk(3, dim=1)
    h_r, h_z, h_n = (h @ cell.weight_hh.T + cell.bias_hh).chunk(3, dim=1)
    W_hn, b_hn = cell.weight_hh.chunk(3)[2], cell.bias_hh.chunk(3)[2]
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    n = torch.tanh(x_n + r * h_n)
    n_before = torch.tanh(x_n + (r * h) @ W_hn.T + b_hn)
    n_bias = torch.tanh(x_n + r * (h @ W_hn.T) + b_hn)
    r_swapped, z_swapped = torch.sigmoid(x_z + h_z), torch.sigmoid(x_r + h_r)
    return [
        ("z and 1 - z are exchanged: h_t = (1 - z) * n + z * h, so where z is 1 the old "
         "memory is kept", z * n + (1 - z) * h),
        ("the reset gate multiplies h before U_n; in PyTorch's GRU it multiplies the product "
         "and its bias: r * (h @ W_hn.T + b_hn)", (1 - z) * n_before + z * h),
        ("the reset gate must also multiply U_n's bias b_hn (the last third of bias_hh): "
         "r * (h @ W_hn.T + b_hn)", (1 - z) * n_bias + z * h),
        ("the candidate n ignores the reset gate: n = tanh(x_n + r * h_n)",
         (1 - z) * torch.tanh(x_n + h_n) + z * h),
        ("PyTorch stacks the rows as (r, z, n): reset first, then update; you took them as "
         "(z, r, n)", (1 - z_swapped) * torch.tanh(x_n + r_swapped * h_n) + z_swapped * h),
        ("that is the candidate n alone; the new memory mixes it with the old one: "
         "(1 - z) * n + z * h", n),
    ]


@check("gru_step")
def check_gru_step(gru_step):
    """gru_step(x_t, h, cell): (B, D), (B, H), an nn.GRUCell(D, H) -> new h, (B, H).

    Computed from the cell's stacked weights, it must equal ``cell(x_t, h)``; tried for
    (B, D, H) = (2, 3, 4), (1, 5, 2) and (4, 2, 2), with weights uniform in [-1, 1].
    """
    generator = torch.Generator().manual_seed(403)
    for B, D, H in [(2, 3, 4), (1, 5, 2), (4, 2, 2)]:
        cell = _torch_layer(generator, 1.0, nn.GRUCell, D, H)
        x_t, h = torch.randn(B, D, generator=generator), torch.rand(B, H, generator=generator)
        h = 2 * h - 1  # in (-1, 1), like a GRU's memory
        what = f"gru_step(x_t, h, cell) with x_t {(B, D)}, h {(B, H)} and nn.GRUCell({D}, {H})"
        with torch.no_grad():
            got = call(gru_step, x_t.clone(), h.clone(), cell)
            expected = cell(x_t, h)
            mistakes = _gru_step_mistakes(cell, x_t, h)
        expect_shape(got, (B, H), what, hint="the new memory has the shape of h")
        expect_close(got, expected, what, atol=1e-5, hint=known_mistake(got, mistakes) or
                     "r, z = sigmoid(x_r + h_r), sigmoid(x_z + h_z); n = tanh(x_n + r * h_n); "
                     "h_t = (1 - z) * n + z * h")
    return ("equal to nn.GRUCell for (B, D, H) = (2, 3, 4), (1, 5, 2) and (4, 2, 2), weights "
            "uniform in [-1, 1]")


# --- Exercise 4: lstm_step --------------------------------------------------------------------


def _lstm_step(x_t, state, p, mistake=""):
    """The slide's LSTM step with p's W_*, U_*, b_*; ``mistake`` names a usual wrong version."""
    h, c = state
    f = torch.sigmoid(x_t @ p.W_f + h @ p.U_f + p.b_f)
    i = torch.sigmoid(x_t @ p.W_i + h @ p.U_i + p.b_i)
    o = torch.sigmoid(x_t @ p.W_o + h @ p.U_o + p.b_o)
    squash = torch.sigmoid if mistake == "sigmoid candidate" else torch.tanh
    candidate = squash(x_t @ p.W_c + h @ p.U_c + p.b_c)
    if mistake == "f and i exchanged":
        f, i = i, f
    c = i * candidate if mistake == "no forget" else f * c + i * candidate
    h = o * c if mistake == "no tanh on c" else o * torch.tanh(c)
    return (c, h) if mistake == "(c, h)" else (h, c)


def _lstm_trace(step, x: torch.Tensor, p) -> torch.Tensor:
    """Run ``step`` over x (B, T, D) from zeros -> (B, T + 1, H): h_1, ..., h_T, then c_T."""
    zeros = x.new_zeros(x.shape[0], p.hidden_size)
    state, hiddens = (zeros, zeros.clone()), []
    for x_t in x.unbind(dim=1):
        state = step(x_t, state, p)
        hiddens.append(state[0])
    return torch.stack([*hiddens, state[1]], dim=1)


def _lstm_step_mistakes(x: torch.Tensor, p) -> Mistakes:
    """The traces (B, T + 1, H) that the usual wrong LSTM steps give."""
    def trace(mistake):
        return _lstm_trace(lambda x_t, s, q: _lstm_step(x_t, s, q, mistake), x, p)
    return [
        ("the state is (h, c), hidden first, as in nn.LSTM; you returned (c, h)",
         trace("(c, h)")),
        ("the forget and input gates are exchanged: c_t = f_t * c_(t-1) + i_t * candidate, "
         "f multiplies the old memory", trace("f and i exchanged")),
        ("h_t = o_t * tanh(c_t): the cell state is squashed by a tanh before the output gate",
         trace("no tanh on c")),
        ("the candidate uses tanh, not sigmoid: it may be negative, in [-1, 1]",
         trace("sigmoid candidate")),
        ("the old memory is lost: c_t = f_t * c_(t-1) + i_t * candidate keeps f_t * c_(t-1)",
         trace("no forget")),
    ]


@check("lstm_step")
def check_lstm_step(lstm_step):
    """lstm_step(x_t, state, p): x_t (B, D), state (h, c), p a ManualLSTM -> new (h, c).

    Run from zeros over a sequence, with p = ManualLSTM.from_torch(lstm), it must give
    nn.LSTM's outputs h_1, ..., h_T and its final cell state c_T; tried for
    (B, T, D, H) = (2, 5, 3, 4) and (1, 3, 2, 3), with weights uniform in [-1, 1].
    """
    generator = torch.Generator().manual_seed(404)
    for B, T, D, H in [(2, 5, 3, 4), (1, 3, 2, 3)]:
        lstm = _torch_layer(generator, 1.0, nn.LSTM, D, H, batch_first=True)
        with torch.random.fork_rng(devices=[]):  # ManualLSTM's own draws leave no trace
            p = ManualLSTM.from_torch(lstm)
        x = torch.randn(B, T, D, generator=generator)
        what = f"lstm_step over {T} steps, x_t {(B, D)}, (h, c) {(B, H)} each"

        def student(x_t, state, p, what=what, B=B, H=H):
            got = call(lstm_step, x_t.clone(), tuple(s.clone() for s in state), p)
            expect(isinstance(got, (tuple, list)) and len(got) == 2,
                   f"{what}: lstm_step should return the new state (h, c), a tuple of two "
                   f"tensors, got {type(got).__name__} {got!r:.40}")
            for name, s in zip("hc", got, strict=True):
                expect_shape(s, (B, H), f"{what}: the new {name}",
                             hint="h and c keep their shape, (B, hidden)")
            return tuple(got)

        with torch.no_grad():
            got = _lstm_trace(student, x, p)
            output, (h_n, c_n) = lstm(x)
            expected = torch.cat([output, c_n[0].unsqueeze(1)], dim=1)
            mistakes = _lstm_step_mistakes(x, p)
        expect_close(got, expected, f"{what}: h_1 ... h_T and c_T", hint=known_mistake(
            got, mistakes) or "the six lines in the slide's order: f, i, o, the candidate "
            "(tanh), c = f * c + i * candidate, h = o * tanh(c)")
    return ("equal to nn.LSTM (through ManualLSTM.from_torch): every h_t and the last c, "
            "for (B, T, D, H) = (2, 5, 3, 4) and (1, 3, 2, 3)")
