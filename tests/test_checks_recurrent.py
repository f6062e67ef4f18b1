"""coursekit.checks.recurrent (notebook 04): right answers pass, the usual mistakes are named."""

import pytest
import torch
from torch import nn

from coursekit.checks.recurrent import (
    check_gru_step,
    check_lstm_parameter_count,
    check_lstm_step,
    check_run_in_chunks,
)

# --- Exercise 1: lstm_parameter_count ---------------------------------------------------------


def lstm_parameter_count(D, H):
    return 4 * (D * H + H * H + 2 * H)


def test_lstm_parameter_count_reference_passes():
    verdict = check_lstm_parameter_count(lstm_parameter_count)
    assert verdict.passed, verdict.message
    assert "49664" in verdict.message


def test_lstm_parameter_count_accepts_a_count_of_a_built_layer():
    def built(D, H):
        return sum(p.numel() for p in nn.LSTM(D, H).parameters())

    assert check_lstm_parameter_count(built).passed


@pytest.mark.parametrize("wrong, words", [
    (lambda D, H: 4 * (D * H + H * H + H), "ManualLSTM's count, one bias per gate"),
    (lambda D, H: 3 * (D * H + H * H + 2 * H), "four blocks"),
    (lambda D, H: 4 * (D * H + H * H), "forgot the biases"),
    (lambda D, H: 4 * (D * H + H * H) + 2 * H, "4 x hidden, not hidden"),
    (lambda D, H: D * H + H * H + 2 * H, "that is one block"),
    (lambda D, H: 4 * (D * D + H * H + 2 * H), "(input_size x hidden_size)"),
    (lambda D, H: 144, "lstm_parameter_count(128, 64) should be 49664"),
], ids=["one bias", "three blocks", "no bias", "small biases", "one block", "D x D", "fixed"])
def test_lstm_parameter_count_names_the_mistake(wrong, words):
    verdict = check_lstm_parameter_count(wrong)
    assert verdict.status == "failed"
    assert words in verdict.message, verdict.message


def test_lstm_parameter_count_wants_an_int():
    verdict = check_lstm_parameter_count(lambda D, H: "144")
    assert "should return an int, got str" in verdict.message


# --- Exercise 2: run_in_chunks ----------------------------------------------------------------


def run_in_chunks(lstm, x, chunk_size, swap=False, carry=True):
    outputs, state = [], None
    for chunk in x.split(chunk_size, dim=1):
        output, (h, c) = lstm(chunk, state)
        outputs.append(output)
        state = ((c, h) if swap else (h, c)) if carry else None
    return torch.cat(outputs, dim=1)


def chunks_dropping_the_rest(lstm, x, chunk_size):
    outputs, state = [], None
    for i in range(x.shape[1] // chunk_size):
        output, state = lstm(x[:, i * chunk_size:(i + 1) * chunk_size], state)
        outputs.append(output)
    return torch.cat(outputs, dim=1)


def test_run_in_chunks_reference_passes():
    verdict = check_run_in_chunks(run_in_chunks)
    assert verdict.passed, verdict.message
    assert "2-layer LSTM" in verdict.message


@pytest.mark.parametrize("wrong, words", [
    (lambda lstm, x, n: run_in_chunks(lstm, x, n, carry=False), ["starts again from zeros"]),
    (lambda lstm, x, n: run_in_chunks(lstm, x, n, swap=True), ["h and c are swapped"]),
    (chunks_dropping_the_rest, ["got (2, 6, 4)", "7 = 2 x 3 + 1", "last, shorter chunk"]),
    (lambda lstm, x, n: lstm(x), ["returned a tuple of 2", "not (outputs, state)"]),
    (lambda lstm, x, n: lstm(x[:, -n:])[0], ["should have shape (2, 7, 4), got (2, 3, 4)",
                                             "joined along time (dim 1)"]),
], ids=["no state", "swapped", "dropped rest", "tuple", "last chunk only"])
def test_run_in_chunks_names_the_mistake(wrong, words):
    verdict = check_run_in_chunks(wrong)
    assert verdict.status == "failed"
    for word in words:
        assert word in verdict.message, verdict.message


def test_run_in_chunks_catches_a_state_kept_for_one_layer_only():
    def last_layer_state(lstm, x, chunk_size):  # keeps h_n[-1:], fine for a 1-layer LSTM only
        outputs, state = [], None
        for chunk in x.split(chunk_size, dim=1):
            output, (h, c) = lstm(chunk, state)
            outputs.append(output)
            state = (h[-1:], c[-1:])
        return torch.cat(outputs, dim=1)

    verdict = check_run_in_chunks(last_layer_state)
    assert verdict.status == "failed"
    assert "last_layer_state raised RuntimeError" in verdict.message
    assert "Expected hidden[0] size (2, 3, 3), got [1, 3, 3]" in verdict.message


# --- Exercise 3: gru_step ---------------------------------------------------------------------


def gru_parts(x_t, h, cell):
    x_parts = (x_t @ cell.weight_ih.T + cell.bias_ih).chunk(3, dim=1)
    h_parts = (h @ cell.weight_hh.T + cell.bias_hh).chunk(3, dim=1)
    return x_parts, h_parts


def gru_step(x_t, h, cell):
    (x_r, x_z, x_n), (h_r, h_z, h_n) = gru_parts(x_t, h, cell)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    return (1 - z) * torch.tanh(x_n + r * h_n) + z * h


def gru_z_swapped(x_t, h, cell):
    (x_r, x_z, x_n), (h_r, h_z, h_n) = gru_parts(x_t, h, cell)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    return z * torch.tanh(x_n + r * h_n) + (1 - z) * h


def gru_reset_before_u(x_t, h, cell):  # the first GRU paper's variant, not PyTorch's
    (x_r, x_z, x_n), (h_r, h_z, _) = gru_parts(x_t, h, cell)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    W_hn, b_hn = cell.weight_hh[2 * cell.hidden_size:], cell.bias_hh[2 * cell.hidden_size:]
    return (1 - z) * torch.tanh(x_n + (r * h) @ W_hn.T + b_hn) + z * h


def gru_reset_without_bias(x_t, h, cell):
    (x_r, x_z, x_n), (h_r, h_z, _) = gru_parts(x_t, h, cell)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    W_hn, b_hn = cell.weight_hh[2 * cell.hidden_size:], cell.bias_hh[2 * cell.hidden_size:]
    return (1 - z) * torch.tanh(x_n + r * (h @ W_hn.T) + b_hn) + z * h


def gru_order_zrn(x_t, h, cell):
    (x_z, x_r, x_n), (h_z, h_r, h_n) = gru_parts(x_t, h, cell)
    r, z = torch.sigmoid(x_r + h_r), torch.sigmoid(x_z + h_z)
    return (1 - z) * torch.tanh(x_n + r * h_n) + z * h


def gru_without_reset(x_t, h, cell):
    (x_r, x_z, x_n), (h_r, h_z, h_n) = gru_parts(x_t, h, cell)
    z = torch.sigmoid(x_z + h_z)
    return (1 - z) * torch.tanh(x_n + h_n) + z * h


def gru_weights_not_transposed(x_t, h, cell):
    return x_t @ cell.weight_ih + h


def test_gru_step_reference_passes_and_equals_the_manual_gru():
    verdict = check_gru_step(gru_step)
    assert verdict.passed, verdict.message
    assert "nn.GRUCell" in verdict.message


@pytest.mark.parametrize("wrong, words", [
    (gru_z_swapped, ["z and 1 - z are exchanged"]),
    (gru_reset_before_u, ["multiplies h before U_n"]),
    (gru_reset_without_bias, ["also multiply U_n's bias"]),
    (gru_order_zrn, ["(r, z, n)", "you took them as (z, r, n)"]),
    (gru_without_reset, ["ignores the reset gate"]),
    (lambda x_t, h, cell: gru_parts(x_t, h, cell)[0][2].tanh(), ["wrong values"]),
    (gru_weights_not_transposed, ["raised RuntimeError"]),
], ids=["z swapped", "r before U", "r without bias", "order", "no reset", "other", "crash"])
def test_gru_step_names_the_mistake(wrong, words):
    verdict = check_gru_step(wrong)
    assert verdict.status == "failed"
    for word in words:
        assert word in verdict.message, verdict.message


# --- Exercise 4: lstm_step --------------------------------------------------------------------


def lstm_step(x_t, state, p, mistake=""):
    h, c = state
    f = torch.sigmoid(x_t @ p.W_f + h @ p.U_f + p.b_f)
    i = torch.sigmoid(x_t @ p.W_i + h @ p.U_i + p.b_i)
    o = torch.sigmoid(x_t @ p.W_o + h @ p.U_o + p.b_o)
    squash = torch.sigmoid if mistake == "sigmoid" else torch.tanh
    candidate = squash(x_t @ p.W_c + h @ p.U_c + p.b_c)
    if mistake == "swapped gates":
        f, i = i, f
    c = i * candidate if mistake == "no forget" else f * c + i * candidate
    h = o * c if mistake == "no tanh" else o * torch.tanh(c)
    return (c, h) if mistake == "(c, h)" else (h, c)


def test_lstm_step_reference_passes():
    verdict = check_lstm_step(lstm_step)
    assert verdict.passed, verdict.message
    assert "ManualLSTM.from_torch" in verdict.message


def test_lstm_step_accepts_the_course_s_own_step():
    assert check_lstm_step(lambda x_t, state, p: p.step(x_t, state)).passed


@pytest.mark.parametrize("mistake, words", [
    ("(c, h)", ["you returned (c, h)"]),
    ("swapped gates", ["forget and input gates are exchanged"]),
    ("no tanh", ["squashed by a tanh"]),
    ("sigmoid", ["uses tanh, not sigmoid"]),
    ("no forget", ["the old memory is lost"]),
])
def test_lstm_step_names_the_mistake(mistake, words):
    verdict = check_lstm_step(lambda x_t, state, p: lstm_step(x_t, state, p, mistake))
    assert verdict.status == "failed"
    for word in words:
        assert word in verdict.message, verdict.message


@pytest.mark.parametrize("wrong, words", [
    (lambda x_t, state, p: state[0], ["a tuple of two tensors, got Tensor"]),
    (lambda x_t, state, p: (state[0][:, :1], state[1]), ["the new h should have shape"]),
    (lambda x_t, state, p: (torch.tanh(x_t @ p.W_c), state[1]), ["wrong values", "six lines"]),
    (lambda x_t, state, p: (x_t @ p.W_f.T, state[1]), ["raised RuntimeError"]),
], ids=["one tensor", "bad shape", "other", "crash"])
def test_lstm_step_rejects_other_wrong_answers(wrong, words):
    verdict = check_lstm_step(wrong)
    assert verdict.status == "failed"
    for word in words:
        assert word in verdict.message, verdict.message


# --- a wrong answer's verdict does not depend on the notebook's random state -----------------

CHECKS = [check_lstm_parameter_count, check_run_in_chunks, check_gru_step, check_lstm_step]


def test_a_failed_verdict_is_the_same_whatever_the_global_seed():
    wrong = [lambda D, H: 4 * (D * H + H * H + H),
             lambda lstm, x, n: run_in_chunks(lstm, x, n, carry=False), gru_z_swapped,
             lambda x_t, state, p: lstm_step(x_t, state, p, "no tanh")]
    verdicts = []
    for seed in (1, 2):
        torch.manual_seed(seed)
        verdicts.append([repr(check(answer)) for check, answer in zip(CHECKS, wrong, strict=True)])
    assert verdicts[0] == verdicts[1]
    assert all(verdict.startswith("✘") for verdict in verdicts[0])
