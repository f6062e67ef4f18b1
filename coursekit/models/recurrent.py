"""Recurrent layers written by hand, the lecture's way, and proven equal to PyTorch's.

Each layer keeps one set of parameters per gate, named as on the slides:
W (input_size x hidden_size) for the input, U (hidden_size x hidden_size) for the previous
hidden state, b (hidden_size) a bias. Every parameter starts uniform in
[-1/sqrt(hidden_size), 1/sqrt(hidden_size)], like PyTorch (a standard normal saturates the gates).

Shape (all three layers):
    x: (B, T, input_size), batch first, or unbatched (T, input_size)
    -> outputs: (B, T, hidden_size) or (T, hidden_size), the hidden state at every step,
       state: the final state; h of shape (B, hidden_size), or (h, c) for the LSTM.
``from_torch`` copies a one-layer nn.RNN / nn.LSTM / nn.GRU so both compute the same thing.
"""

from __future__ import annotations

import abc
import math
from typing import cast

import torch
from torch import nn

__all__ = ["ManualGRU", "ManualLSTM", "ManualRNN"]


class _ManualRecurrent(nn.Module, abc.ABC):
    """What the three layers share: the loop over time, the checks, the copy from PyTorch.

    A subclass creates its parameters W_*, U_*, b_* in __init__, one line each, defines
    ``step`` and says in which order PyTorch stacks its gates (``torch_gate_order``).
    """

    torch_class: type[nn.Module]  # the PyTorch layer it mirrors, e.g. nn.LSTM
    torch_gate_order: tuple[str, ...]  # gate names in the order PyTorch stacks their rows

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__()
        self.input_size, self.hidden_size = input_size, hidden_size

    @abc.abstractmethod
    def step(self, x_t: torch.Tensor, state=None):
        """x_t: (B, input_size), state: the previous state or None for zeros -> new state."""

    def forward(self, x: torch.Tensor, state=None):
        """x: (B, T, input_size) or (T, input_size) -> (outputs, final state)."""
        batched = self._check_input(x)
        if not batched:
            x, state = x.unsqueeze(0), _map(lambda s: s.unsqueeze(0), state)
        hiddens = []
        for x_t in x.unbind(dim=1):  # one time step at a time, (B, input_size)
            state = self.step(x_t, state)
            hiddens.append(self.hidden(state))
        outputs = torch.stack(hiddens, dim=1)
        if not batched:
            outputs, state = outputs.squeeze(0), _map(lambda s: s.squeeze(0), state)
        return outputs, state

    def hidden(self, state) -> torch.Tensor:
        """The hidden state h out of the layer's state."""
        return state

    def zeros(self, x_t: torch.Tensor) -> torch.Tensor:
        """(B, hidden_size) zeros on x_t's device and dtype: the memory before the first step."""
        return x_t.new_zeros(*x_t.shape[:-1], self.hidden_size)

    def _check_input(self, x) -> bool:
        if not isinstance(x, torch.Tensor) or x.ndim not in (2, 3):
            shape = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
            raise ValueError(
                f"{type(self).__name__} expects x of shape (B, T, input_size) (batch first) or "
                f"(T, input_size), got {shape}"
            )
        if x.shape[-1] != self.input_size:
            raise ValueError(
                f"{type(self).__name__} was built with input_size={self.input_size}, but x has "
                f"{x.shape[-1]} features in its last dimension (shape {tuple(x.shape)})"
            )
        return x.ndim == 3

    @classmethod
    def from_torch(cls, module: nn.RNNBase):
        """A manual layer computing exactly what a one-layer PyTorch layer computes."""
        _check_torch_layer(module, cls.torch_class)
        manual = cls(module.input_size, module.hidden_size)
        h = module.hidden_size
        w_ih = cast(torch.Tensor, module.weight_ih_l0).detach()  # nn.Module attributes are untyped
        w_hh = cast(torch.Tensor, module.weight_hh_l0).detach()
        b_ih, b_hh = _biases(module)
        with torch.no_grad():
            for k, gate in enumerate(cls.torch_gate_order):  # PyTorch stacks gates by rows
                rows = slice(k * h, (k + 1) * h)
                getattr(manual, f"W_{gate}").copy_(w_ih[rows].T)
                getattr(manual, f"U_{gate}").copy_(w_hh[rows].T)
                getattr(manual, f"b_{gate}").copy_(b_ih[rows] + b_hh[rows])
            manual._copy_extra(b_hh)
        return manual

    def _copy_extra(self, b_hh):
        """Parameters with no counterpart in the general scheme (the GRU has one)."""


class ManualRNN(_ManualRecurrent):
    """The plain recurrence h_t = tanh(x_t W + h_{t-1} U + b).

    Parameters W_h (input_size x hidden_size), U_h (hidden_size x hidden_size), b_h (hidden_size).
    State: h of shape (B, hidden_size).
    """

    torch_gate_order = ("h",)
    torch_class = nn.RNN

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size)
        k = 1 / math.sqrt(hidden_size)  # PyTorch's init: uniform in [-k, k]
        self.W_h = _uniform((input_size, hidden_size), k)
        self.U_h = _uniform((hidden_size, hidden_size), k)
        self.b_h = _uniform((hidden_size,), k)

    def step(self, x_t: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        """x_t: (B, input_size), h: (B, hidden_size) or None for zeros -> new h."""
        h = self.zeros(x_t) if h is None else h
        return torch.tanh(x_t @ self.W_h + h @ self.U_h + self.b_h)


class ManualLSTM(_ManualRecurrent):
    """The LSTM of the slides: forget, input and output gates, a candidate, two memories.

    Parameters per gate f, i, o and candidate c: W_* (input x hidden), U_* (hidden x hidden),
    b_* (hidden). State: (h, c), in that order as in nn.LSTM, each (B, hidden_size).
    """

    torch_gate_order = ("i", "f", "c", "o")  # PyTorch's (i, f, g, o); g is the candidate
    torch_class = nn.LSTM

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size)
        k = 1 / math.sqrt(hidden_size)  # PyTorch's init: uniform in [-k, k]
        self.W_f = _uniform((input_size, hidden_size), k)  # forget gate
        self.U_f = _uniform((hidden_size, hidden_size), k)
        self.b_f = _uniform((hidden_size,), k)
        self.W_i = _uniform((input_size, hidden_size), k)  # input gate
        self.U_i = _uniform((hidden_size, hidden_size), k)
        self.b_i = _uniform((hidden_size,), k)
        self.W_o = _uniform((input_size, hidden_size), k)  # output gate
        self.U_o = _uniform((hidden_size, hidden_size), k)
        self.b_o = _uniform((hidden_size,), k)
        self.W_c = _uniform((input_size, hidden_size), k)  # candidate memory
        self.U_c = _uniform((hidden_size, hidden_size), k)
        self.b_c = _uniform((hidden_size,), k)

    def step(self, x_t: torch.Tensor, state=None):
        """x_t: (B, input_size), state: (h, c) or None for zeros -> new (h, c)."""
        h, c = (self.zeros(x_t), self.zeros(x_t)) if state is None else state
        f = torch.sigmoid(x_t @ self.W_f + h @ self.U_f + self.b_f)  # forget gate
        i = torch.sigmoid(x_t @ self.W_i + h @ self.U_i + self.b_i)  # input gate
        o = torch.sigmoid(x_t @ self.W_o + h @ self.U_o + self.b_o)  # output gate
        c_tilde = torch.tanh(x_t @ self.W_c + h @ self.U_c + self.b_c)  # candidate memory
        c = f * c + i * c_tilde  # cell state: keep some, add some
        h = o * torch.tanh(c)  # hidden state
        return h, c

    def hidden(self, state):
        return state[0]


class ManualGRU(_ManualRecurrent):
    """The gated recurrent unit, as PyTorch defines it: a reset gate r and an update gate z.

    Parameters per gate r, z and candidate n: W_*, U_*, b_*, plus bh_n (hidden), the bias
    of U_n's side, which the reset gate multiplies. State: h of shape (B, hidden_size).
    """

    torch_gate_order = ("r", "z", "n")
    torch_class = nn.GRU

    def __init__(self, input_size: int, hidden_size: int):
        super().__init__(input_size, hidden_size)
        k = 1 / math.sqrt(hidden_size)  # PyTorch's init: uniform in [-k, k]
        self.W_r = _uniform((input_size, hidden_size), k)  # reset gate
        self.U_r = _uniform((hidden_size, hidden_size), k)
        self.b_r = _uniform((hidden_size,), k)
        self.W_z = _uniform((input_size, hidden_size), k)  # update gate
        self.U_z = _uniform((hidden_size, hidden_size), k)
        self.b_z = _uniform((hidden_size,), k)
        self.W_n = _uniform((input_size, hidden_size), k)  # candidate
        self.U_n = _uniform((hidden_size, hidden_size), k)
        self.b_n = _uniform((hidden_size,), k)
        self.bh_n = _uniform((hidden_size,), k)  # the bias on U_n's side, scaled by r

    def step(self, x_t: torch.Tensor, h: torch.Tensor | None = None) -> torch.Tensor:
        """x_t: (B, input_size), h: (B, hidden_size) or None for zeros -> new h."""
        h = self.zeros(x_t) if h is None else h
        r = torch.sigmoid(x_t @ self.W_r + h @ self.U_r + self.b_r)  # reset gate
        z = torch.sigmoid(x_t @ self.W_z + h @ self.U_z + self.b_z)  # update gate
        n = torch.tanh(x_t @ self.W_n + self.b_n + r * (h @ self.U_n + self.bh_n))  # candidate
        return (1 - z) * n + z * h  # keep the old memory where z is 1

    def _copy_extra(self, b_hh):
        h = self.hidden_size
        self.b_n.copy_(self.b_n - b_hh[2 * h :])  # b_n holds b_in alone: r scales b_hn
        self.bh_n.copy_(b_hh[2 * h :])


def _uniform(shape, bound) -> nn.Parameter:
    """A new parameter of ``shape``, uniform in [-bound, bound]."""
    return nn.Parameter(torch.empty(shape).uniform_(-bound, bound))


def _map(fn, state):
    """Apply fn to a state: None, one tensor, or a tuple of tensors such as (h, c)."""
    if state is None:
        return None
    return tuple(fn(s) for s in state) if isinstance(state, tuple) else fn(state)


def _biases(module):
    if module.bias:
        return module.bias_ih_l0.detach(), module.bias_hh_l0.detach()
    zeros = module.weight_ih_l0.new_zeros(module.weight_ih_l0.shape[0])
    return zeros, zeros


def _check_torch_layer(module, expected):
    if type(module) is not expected:
        raise ValueError(f"expected an nn.{expected.__name__}, got {type(module).__name__}")
    problems = [
        ("num_layers", module.num_layers != 1, "stack several manual layers instead"),
        ("bidirectional", module.bidirectional, "run a second layer on the reversed sequence"),
        ("proj_size", getattr(module, "proj_size", 0), "projections are not on the slides"),
        ("nonlinearity", getattr(module, "nonlinearity", "tanh") != "tanh", "use tanh"),
    ]
    for name, bad, hint in problems:
        if bad:
            raise ValueError(
                f"from_torch copies a one-layer, one-direction, tanh {expected.__name__}; this one "
                f"has {name}={getattr(module, name)!r} ({hint})"
            )
