"""Chapter 1 checks: the reference passes, classic mistakes get their specific hint,
and an unfilled stub fails with a message instead of raising."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from rnn_course.checks.ch01 import (
    PARAM_CASES, _rnn_step_case, check_count_rnn_params, check_jordan_step, check_rnn_step, jordan_reference,
    rnn_step_reference,
)


def stub(*args, **kwargs):
    raise NotImplementedError("write your answer here")


def assert_hint(check, fn, hint, capsys) -> None:
    """``check(fn)`` fails, names the mistake, and prints one ❌ line instead of raising."""
    result = check(fn)
    assert not result and hint in result.message, result.message
    assert capsys.readouterr().out.startswith(f"❌ {check.__name__}:")


@pytest.mark.parametrize("check", ["check_rnn_step", "check_count_rnn_params", "check_jordan_step"])
def test_stubs_fail_without_raising(check):
    assert "not implemented yet" in globals()[check](stub).message


# ----------------------------------------------------------------------------- rnn_step
def test_reference_step_is_one_step_of_nn_rnn():
    c = _rnn_step_case(0)
    rnn = nn.RNN(4, 5, batch_first=True).double()
    with torch.no_grad():
        for ours, theirs in (("W_ih", "weight_ih_l0"), ("W_hh", "weight_hh_l0"), ("b_ih", "bias_ih_l0"),
                             ("b_hh", "bias_hh_l0")):
            getattr(rnn, theirs).copy_(c[ours])
        out, h_n = rnn(c["x"][:, None], c["h_prev"][None])
    assert torch.allclose(out[:, 0], rnn_step_reference(**c)) and torch.allclose(h_n[0], out[:, 0])


def test_rnn_step_reference_passes(capsys):
    assert check_rnn_step(rnn_step_reference)
    assert capsys.readouterr().out.startswith("✅ check_rnn_step: passed")
    # NumPy output and W @ x forms that keep the batch first also pass
    assert check_rnn_step(lambda x, h, Wi, Wh, bi, bh: torch.tanh((Wi @ x.T).T + bi + (Wh @ h.T).T + bh).numpy())


@pytest.mark.parametrize("fn,hint", [
    (lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi.T + h @ Wh.T), "forgot the biases"),
    (lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi.T + h @ Wh.T + bi), "used only b_ih"),
    (lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi.T + h @ Wh.T + bh), "used only b_hh"),
    (lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi.T + h @ Wh + bi + bh), "W_hh is applied transposed"),
    (lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi.T + bi + bh), "previous hidden state is missing"),
    (lambda x, h, Wi, Wh, bi, bh: x @ Wi.T + h @ Wh.T + bi + bh, "forgot the tanh"),
    (lambda x, h, Wi, Wh, bi, bh: torch.relu(x @ Wi.T + h @ Wh.T + bi + bh), "used ReLU"),
    (lambda x, h, Wi, Wh, bi, bh: torch.sigmoid(x @ Wi.T + h @ Wh.T + bi + bh), "used the sigmoid"),
    (lambda x, h, Wi, Wh, bi, bh: torch.tanh(Wi @ x.T + Wh @ h.T + (bi + bh)[:, None]), "is (hidden, batch)"),
    (lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi + h @ Wh + bi + bh), "PyTorch stores weights as (out, in)"),
    (lambda x, h, Wi, Wh, bi, bh: (torch.tanh(x @ Wi.T + h @ Wh.T + bi + bh),) * 2, "not a tuple"),
    (lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi.T + h @ Wh.T + bi + bh) * 2, "wrong values"),
    (lambda x, h, Wi, Wh, bi, bh: torch.tanh(x @ Wi.T + h @ Wh.T + bi + bh)[:, :-1], "wrong shape"),
    (lambda x, h, Wi, Wh, bi, bh: "h", "should be an array or tensor"),
])
def test_rnn_step_mistakes_get_specific_hints(fn, hint, capsys):
    assert_hint(check_rnn_step, fn, hint, capsys)


def test_rnn_step_crash_fails_without_raising():
    result = check_rnn_step(lambda *a: 1 / 0)
    assert not result and "ZeroDivisionError" in result.message


# ----------------------------------------------------------------------------- count_rnn_params
def counted(input_size, hidden_size, num_layers=1, bidirectional=False, *, biases=2, directions=None, upper="2H"):
    """A learner's formula, written out; the keywords reproduce the classic slips by hand."""
    D = 2 if bidirectional else 1
    per_direction = directions or D
    total = 0
    for layer in range(num_layers):
        n_in = input_size if layer == 0 or upper == "input" else (D * hidden_size if upper == "2H" else hidden_size)
        total += per_direction * (hidden_size * n_in + hidden_size * hidden_size + biases * hidden_size)
    return total


def test_count_formula_is_nn_rnn():
    for I, H, L, bi in PARAM_CASES + [(7, 9, 4, False), (2, 3, 2, True)]:
        assert counted(I, H, L, bi) == sum(p.numel() for p in nn.RNN(I, H, num_layers=L, bidirectional=bi).parameters())


def test_count_reference_passes(capsys):
    assert check_count_rnn_params(counted)
    assert check_count_rnn_params(lambda *a, **k: float(counted(*a, **k)))  # 1153.0 is accepted
    assert check_count_rnn_params(lambda *a, **k: torch.tensor(counted(*a, **k)))
    assert capsys.readouterr().out.startswith("✅ check_count_rnn_params: passed")


def slip(**kwargs):
    return lambda I, H, num_layers=1, bidirectional=False: counted(I, H, num_layers, bidirectional, **kwargs)


@pytest.mark.parametrize("fn,hint", [
    (slip(biases=1), "one bias per layer and direction"),
    (slip(biases=0), "forgot the biases"),
    (slip(directions=1), "multiply each layer's count by 2"),
    (slip(upper="input"), "layers above the first read the hidden state"),
    (slip(upper="H"), "(H, 2H), not (H, H)"),
    (lambda I, H, num_layers=1, bidirectional=False: counted(I, H, 1, bidirectional) * num_layers,
     "layers above the first read the hidden state"),  # every layer counted like the first
    (lambda I, H, num_layers=1, bidirectional=False: counted(I, H, num_layers, bidirectional)
     + (num_layers > 1 and bidirectional), "count_rnn_params(3, 5, num_layers=2, bidirectional=True) returned 271, "
                                           "expected 270 (2 of 5"),
    (lambda I, H, num_layers=1, bidirectional=False: counted(I, H, num_layers, bidirectional) + 1, "5 of 5"),
    (lambda I, H, num_layers=1, bidirectional=False: "many", "return a whole number"),
    (lambda I, H, num_layers=1, bidirectional=False: None, "return a whole number"),
    (lambda I, H, num_layers=1, bidirectional=False: counted(I, H, num_layers, bidirectional) + 0.5, "whole number"),
])
def test_count_mistakes_get_specific_hints(fn, hint, capsys):
    assert_hint(check_count_rnn_params, fn, hint, capsys)


def test_count_bad_signature_fails_without_raising():
    result = check_count_rnn_params(lambda I, H: I * H)  # no num_layers/bidirectional arguments
    assert not result and "TypeError" in result.message


# ----------------------------------------------------------------------------- jordan_step
def jordan(**change):
    def fn(x, y_prev, W_xh, W_yh, b_h, W_hy, b_y):
        a = x @ W_xh.T + y_prev @ W_yh.T + change.get("b_h", b_h)
        h = change.get("act", torch.tanh)(a)
        y = change.get("out", lambda h: h)(h @ W_hy.T + change.get("b_y", b_y))
        return change.get("ret", lambda h, y: (h, y))(h, y)
    return fn


def test_jordan_reference_passes(capsys):
    assert check_jordan_step(jordan_reference)
    assert check_jordan_step(lambda *a: list(jordan_reference(*a)))
    assert capsys.readouterr().out.startswith("✅ check_jordan_step: passed")


@pytest.mark.parametrize("fn,hint", [
    (jordan(b_h=0.0), "forgot the bias b_h"),
    (jordan(act=lambda a: a), "forgot the tanh"),
    (jordan(b_y=0.0), "forgot the output bias b_y"),
    (jordan(out=torch.tanh), "no tanh"),
    (jordan(ret=lambda h, y: (y, h)), "return them in the order (h, y)"),
    (jordan(ret=lambda h, y: y), "return two tensors"),
    (lambda x, y_prev, W_xh, W_yh, b_h, W_hy, b_y: jordan_reference(x, 0 * y_prev, W_xh, W_yh, b_h, W_hy, b_y),
     "previous output is missing"),
    (lambda x, y_prev, W_xh, W_yh, b_h, W_hy, b_y: (torch.tanh(x @ W_xh.T + y_prev @ W_yh.T + b_h),
                                                    (x @ W_xh.T + y_prev @ W_yh.T + b_h) @ W_hy.T + b_y),
     "not from the pre-activation"),
    (lambda x, y_prev, W_xh, W_yh, b_h, W_hy, b_y: jordan_reference(x, y_prev, W_xh.T, W_yh, b_h, W_hy, b_y),
     "PyTorch stores weights as (out, in)"),
])
def test_jordan_mistakes_get_specific_hints(fn, hint, capsys):
    assert_hint(check_jordan_step, fn, hint, capsys)
