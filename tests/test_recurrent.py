"""coursekit.models.recurrent: the hand-written RNN, LSTM and GRU equal PyTorch's layers."""

import inspect
import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from coursekit.models import ManualGRU, ManualLSTM, ManualRNN

PAIRS = [(nn.RNN, ManualRNN), (nn.LSTM, ManualLSTM), (nn.GRU, ManualGRU)]
IDS = ["rnn", "lstm", "gru"]


def as_tuple(state):
    return state if isinstance(state, tuple) else (state,)


def run_torch(layer, x, state=None):
    """x: (B, T, D) -> (outputs (B, T, H), state with the layer dimension dropped)."""
    if not layer.batch_first:
        x = x.transpose(0, 1)
    if state is not None:
        state = tuple(s.unsqueeze(0) for s in as_tuple(state))
        state = state if len(state) == 2 else state[0]
    outputs, final = layer(x, state)
    if not layer.batch_first:
        outputs = outputs.transpose(0, 1)
    return outputs, tuple(s.squeeze(0) for s in as_tuple(final))


def compare(torch_class, manual_class, batch, time, features, hidden, batch_first, seed=0):
    torch.manual_seed(seed)
    layer = torch_class(features, hidden, batch_first=batch_first)
    manual = manual_class.from_torch(layer)
    x = torch.randn(batch, time, features)
    expected, expected_state = run_torch(layer, x)
    got, got_state = manual(x)
    torch.testing.assert_close(got, expected)
    torch.testing.assert_close(as_tuple(got_state), expected_state)


@pytest.mark.parametrize("torch_class, manual_class", PAIRS, ids=IDS)
@pytest.mark.parametrize("batch, time, features, hidden", [
    (1, 1, 1, 1), (3, 1, 4, 5), (2, 7, 3, 8), (4, 200, 6, 16), (1, 20, 128, 64)])
@pytest.mark.parametrize("batch_first", [True, False])
def test_same_outputs_and_state_as_pytorch(torch_class, manual_class, batch, time, features,
                                           hidden, batch_first):
    compare(torch_class, manual_class, batch, time, features, hidden, batch_first)


@pytest.mark.parametrize("torch_class, manual_class", PAIRS, ids=IDS)
def test_same_gradients_as_pytorch(torch_class, manual_class):
    torch.manual_seed(0)
    layer = torch_class(3, 5, batch_first=True)
    manual = manual_class.from_torch(layer)
    x1 = torch.randn(2, 9, 3, requires_grad=True)
    x2 = x1.detach().clone().requires_grad_()
    weights = torch.randn(2, 9, 5)
    (run_torch(layer, x1)[0] * weights).sum().backward()
    (manual(x2)[0] * weights).sum().backward()
    torch.testing.assert_close(x2.grad, x1.grad)
    # gradient of the first gate's input weights: PyTorch's rows 0:H are the manual W_{first}
    first = manual_class.torch_gate_order[0]
    torch.testing.assert_close(getattr(manual, f"W_{first}").grad, layer.weight_ih_l0.grad[:5].T)


@pytest.mark.parametrize("torch_class, manual_class", PAIRS, ids=IDS)
def test_unbatched_input_and_a_given_state(torch_class, manual_class):
    torch.manual_seed(0)
    layer = torch_class(4, 6, batch_first=True)
    manual = manual_class.from_torch(layer)
    x = torch.randn(5, 4)
    state = tuple(torch.randn(6) for _ in range(2 if manual_class is ManualLSTM else 1))
    given_state = state if len(state) == 2 else state[0]
    outputs, final = manual(x, given_state)
    assert outputs.shape == (5, 6)
    expected, expected_state = run_torch(layer, x.unsqueeze(0),
                                         tuple(s.unsqueeze(0) for s in state))
    torch.testing.assert_close(outputs, expected.squeeze(0))
    torch.testing.assert_close(tuple(s.unsqueeze(0) for s in as_tuple(final)), expected_state)


def test_lstm_state_is_h_then_c_and_missing_state_is_zeros():
    manual = ManualLSTM(3, 4)
    x = torch.randn(2, 5, 3)
    outputs, (h, c) = manual(x)
    torch.testing.assert_close(outputs[:, -1], h)
    zeros = (torch.zeros(2, 4), torch.zeros(2, 4))
    torch.testing.assert_close(manual(x, zeros)[0], outputs)
    assert not torch.allclose(h, c)


def test_step_is_one_time_step_of_forward():
    manual = ManualGRU(3, 4)
    x = torch.randn(2, 3, 3)
    h = manual.step(x[:, 0])
    h = manual.step(x[:, 1], h)
    torch.testing.assert_close(manual(x[:, :2])[1], h)


@pytest.mark.parametrize("manual_class", [ManualRNN, ManualLSTM, ManualGRU], ids=IDS)
def test_initialised_like_pytorch(manual_class):
    torch.manual_seed(0)
    manual = manual_class(10, 100)
    values = torch.cat([p.flatten() for p in manual.parameters()])
    assert values.abs().max() <= 1 / math.sqrt(100)
    assert values.std() > 0.05  # uniform on [-0.1, 0.1]: std 0.058, not all zeros


@pytest.mark.parametrize("manual_class, gates", [(ManualRNN, "h"), (ManualLSTM, "fioc"),
                                                 (ManualGRU, "rzn")], ids=IDS)
def test_parameters_are_named_as_on_the_slides(manual_class, gates):
    names = dict(manual_class(3, 4).named_parameters())
    for gate in gates:
        assert names.pop(f"W_{gate}").shape == (3, 4)
        assert names.pop(f"U_{gate}").shape == (4, 4)
        assert names.pop(f"b_{gate}").shape == (4,)
    assert list(names) == (["bh_n"] if manual_class is ManualGRU else [])  # no unused output V
    assert sorted(manual_class.torch_gate_order) == sorted(gates)  # from_torch copies them all


@pytest.mark.parametrize("manual_class", [ManualRNN, ManualLSTM, ManualGRU], ids=IDS)
def test_each_parameter_has_a_line_of_its_own(manual_class):
    source = inspect.getsource(manual_class.__init__)  # what show_source and "go to" find
    for gate in manual_class.torch_gate_order:
        for kind in "WUb":
            assert f"self.{kind}_{gate} = " in source


@pytest.mark.parametrize("manual_class", [ManualRNN, ManualLSTM, ManualGRU], ids=IDS)
def test_clear_errors_for_bad_input(manual_class):
    manual = manual_class(3, 4)
    with pytest.raises(ValueError, match=r"\(B, T, input_size\).*got \(3,\)"):
        manual(torch.randn(3))
    with pytest.raises(ValueError, match="input_size=3.*5 features"):
        manual(torch.randn(2, 7, 5))


def test_from_torch_refuses_what_it_cannot_copy():
    with pytest.raises(ValueError, match="num_layers=2"):
        ManualLSTM.from_torch(nn.LSTM(3, 4, num_layers=2))
    with pytest.raises(ValueError, match="bidirectional"):
        ManualGRU.from_torch(nn.GRU(3, 4, bidirectional=True))
    with pytest.raises(ValueError, match="nonlinearity='relu'"):
        ManualRNN.from_torch(nn.RNN(3, 4, nonlinearity="relu"))
    with pytest.raises(ValueError, match="expected an nn.LSTM, got GRU"):
        ManualLSTM.from_torch(nn.GRU(3, 4))


def test_from_torch_without_biases():
    torch.manual_seed(0)
    layer = nn.GRU(3, 4, bias=False, batch_first=True)
    x = torch.randn(2, 6, 3)
    torch.testing.assert_close(ManualGRU.from_torch(layer)(x)[0], layer(x)[0])


@settings(max_examples=25, deadline=None)
@given(pair=st.sampled_from(PAIRS), batch=st.integers(1, 4), time=st.integers(1, 12),
       features=st.integers(1, 6), hidden=st.integers(1, 6), batch_first=st.booleans(),
       seed=st.integers(0, 1000))
def test_equal_to_pytorch_for_any_shape(pair, batch, time, features, hidden, batch_first, seed):
    compare(*pair, batch, time, features, hidden, batch_first, seed)
