"""Chapter 5 checks: reference answers pass, common mistakes get their specific hint, stubs fail quietly."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from rnn_course.checks.ch05 import check_coupled_lstm_step, check_lstm_param_count, check_lstm_step
from rnn_course.recurrent.gated import count_parameters_formula, lstm_cell


# ---- one LSTM step -----------------------------------------------------------------------------

def lstm_step(x, h, c, w_ih, w_hh, b_ih, b_hh, order="ifgo", g_act=torch.tanh, biases=(True, True),
              tanh_c=True, swap=False, old_c=False):
    z = x @ w_ih.T + h @ w_hh.T + (b_ih if biases[0] else 0) + (b_hh if biases[1] else 0)
    blocks = dict(zip(order, z.chunk(4, dim=1)))
    i, f, g, o = (torch.sigmoid(blocks["i"]), torch.sigmoid(blocks["f"]), g_act(blocks["g"]),
                  torch.sigmoid(blocks["o"]))
    c_next = f * c + i * g
    h_next = o * (torch.tanh(c if old_c else c_next) if tanh_c else c_next)
    return (c_next, h_next) if swap else (h_next, c_next)


def test_reference_passes(capsys):
    assert check_lstm_step(lstm_step)
    assert check_lstm_step(lstm_cell)  # the package's own cell
    assert "✅ check_lstm_step: passed" in capsys.readouterr().out


@pytest.mark.parametrize("kwargs,hint", [
    (dict(order="ifog"), "wrong order: you read them as i, f, o, g"),
    (dict(order="fgio"), "wrong order"),
    (dict(g_act=torch.sigmoid), "uses tanh"),
    (dict(biases=(False, True)), "left out b_ih"),
    (dict(biases=(True, False)), "left out b_hh"),
    (dict(biases=(False, False)), "both biases"),
    (dict(tanh_c=False), "forgot the tanh on the cell state"),
    (dict(swap=True), "you returned (c_next, h_next)"),
    (dict(old_c=True), "new cell state c_next"),
])
def test_common_mistakes_get_specific_hints(kwargs, hint):
    result = check_lstm_step(lambda *a: lstm_step(*a, **kwargs))
    assert not result
    assert hint in result.message, result.message


def test_other_wrong_answers_get_a_located_hint():
    result = check_lstm_step(lambda x, h, c, *w: (h, c))
    assert not result and "wrong values" in result.message and "batch=3" in result.message
    result = check_lstm_step(lambda x, h, c, *w: (h.T, c))
    assert not result and "wrong shape" in result.message
    result = check_lstm_step(lambda x, h, c, *w: h)
    assert not result and "return a tuple (h_next, c_next)" in result.message


def test_stub_and_crash_fail_without_raising(capsys):
    def stub(*args):
        raise NotImplementedError

    assert not check_lstm_step(stub)
    assert "not implemented yet" in capsys.readouterr().out
    crash = check_lstm_step(lambda x, h, c, w_ih, *rest: (x @ w_ih, c))  # forgot the transpose
    assert not crash and "RuntimeError" in crash.message


# ---- coupled-gate LSTM ---------------------------------------------------------------------------

def coupled_step(x, h, c, w_ih, w_hh, b_ih, b_hh, order="igo", f_rule="1-i", scale_g=True):
    z = x @ w_ih.T + h @ w_hh.T + b_ih + b_hh
    blocks = dict(zip(order, z.chunk(3, dim=1)))
    i, g, o = torch.sigmoid(blocks["i"]), torch.tanh(blocks["g"]), torch.sigmoid(blocks["o"])
    f = 1 - i if f_rule == "1-i" else i
    c_next = f * c + (i * g if scale_g else g)
    return o * torch.tanh(c_next), c_next


def test_coupled_reference_passes():
    assert check_coupled_lstm_step(coupled_step)


@pytest.mark.parametrize("kwargs,hint", [
    (dict(f_rule="i"), "f = 1 - i, not f = i"),
    (dict(scale_g=False), "scaled by the input gate"),
    (dict(order="gio"), "you read them as g, i, o"),
])
def test_coupled_mistakes_get_specific_hints(kwargs, hint):
    result = check_coupled_lstm_step(lambda *a: coupled_step(*a, **kwargs))
    assert not result and hint in result.message, result.message


def test_coupled_rejects_the_standard_lstm_without_raising():
    result = check_coupled_lstm_step(lstm_cell)  # chunk(4) of a 3H block: a friendly failure
    assert not result


# ---- parameter count ---------------------------------------------------------------------------

def test_param_count_reference_passes():
    assert check_lstm_param_count(lambda D, H, num_layers=1, bidirectional=False:
                                  sum(p.numel() for p in nn.LSTM(D, H, num_layers, bidirectional=bidirectional).parameters()))
    assert check_lstm_param_count(lambda D, H, num_layers=1, bidirectional=False:
                                  count_parameters_formula("lstm", D, H, num_layers, bidirectional))


def _formula(D, H, num_layers=1, bidirectional=False, gates=4, n_bias=2, both=True, upper="dirs"):
    dirs = 2 if bidirectional else 1
    total = 0
    for k in range(num_layers):
        d_k = D if k == 0 else {"dirs": H * dirs, "input": D, "hidden": H}[upper]
        total += (dirs if both else 1) * (gates * H * (d_k + H) + n_bias * gates * H)
    return total


@pytest.mark.parametrize("kwargs,hint", [
    (dict(gates=3), "GRU's count"),
    (dict(gates=1), "multiply by 4"),
    (dict(n_bias=1), "two bias vectors"),
    (dict(n_bias=0), "forgot the biases"),
    (dict(both=False), "second set of parameters"),
    (dict(upper="input"), "not the input features"),
    (dict(upper="hidden"), "input size is 2H"),
])
def test_param_count_mistakes_get_specific_hints(kwargs, hint):
    result = check_lstm_param_count(lambda D, H, num_layers=1, bidirectional=False:
                                    _formula(D, H, num_layers, bidirectional, **kwargs))
    assert not result and hint in result.message, result.message


def test_param_count_other_failures():
    assert "returned 2561, expected 2560" in check_lstm_param_count(
        lambda D, H, num_layers=1, bidirectional=False: _formula(D, H, num_layers, bidirectional) + 1).message
    assert "return a whole number" in check_lstm_param_count(lambda *a, **k: "many").message
    assert "whole number, got 2.5" in check_lstm_param_count(lambda *a, **k: 2.5).message
    assert "TypeError" in check_lstm_param_count(lambda D, H: 0).message  # no num_layers argument

    def stub(D, H, num_layers=1, bidirectional=False):
        raise NotImplementedError

    assert "not implemented yet" in check_lstm_param_count(stub).message
