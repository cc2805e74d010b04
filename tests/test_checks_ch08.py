"""Chapter 8 checks: reference answers pass, common mistakes get their specific hint, stubs fail quietly."""
from __future__ import annotations

import pytest
import torch

from rnn_course.checks.ch08 import check_hillis_steele_scan, check_kv_cache_bytes, check_min_gru_step
from rnn_course.beyond.mingru import MinGRU, g
from rnn_course.beyond.scan import blelloch_scan, linear_recurrence_loop


# ---- Hillis-Steele scan ------------------------------------------------------------------------

def hillis_steele(a, b, *, a_first=False, keep_a=False, future=False, swapped=False, exclusive=False):
    """A learner's scan, written independently of the check's own variants."""
    A, B, T, d = a, b, a.shape[1], 1
    while d < T:
        if future:
            A_prev = torch.cat([A[:, d:], torch.ones_like(A[:, :d])], dim=1)
            B_prev = torch.cat([B[:, d:], torch.zeros_like(B[:, :d])], dim=1)
        else:
            A_prev = torch.cat([torch.ones_like(A[:, :d]), A[:, :-d]], dim=1)
            B_prev = torch.cat([torch.zeros_like(B[:, :d]), B[:, :-d]], dim=1)
        if a_first:
            A = A * A_prev
            B = A * B_prev + B
        elif swapped:
            A, B = A * A_prev, A_prev * B + B_prev
        else:
            A, B = (A if keep_a else A * A_prev), A * B_prev + B
        d *= 2
    if exclusive:
        return torch.cat([torch.zeros_like(B[:, :1]), B[:, :-1]], dim=1)
    return B


def test_scan_reference_answers_pass(capsys):
    assert check_hillis_steele_scan(hillis_steele)
    assert check_hillis_steele_scan(blelloch_scan)  # any log-depth scan is accepted
    assert "✅ check_hillis_steele_scan: passed" in capsys.readouterr().out


@pytest.mark.parametrize("kwargs,hint", [
    (dict(a_first=True), "updated A before using it for B"),
    (dict(keep_a=True), "never updated A"),
    (dict(future=True), "LATER one"),
    (dict(swapped=True), "wrong order"),
    (dict(exclusive=True), "shifted by one step"),
])
def test_scan_mistakes_get_specific_hints(kwargs, hint):
    result = check_hillis_steele_scan(lambda a, b: hillis_steele(a, b, **kwargs))
    assert not result and hint in result.message, result.message


def test_scan_loop_is_right_but_not_log_depth():
    result = check_hillis_steele_scan(linear_recurrence_loop)
    assert not result and "loops over time" in result.message


def test_scan_other_wrong_answers():
    result = check_hillis_steele_scan(lambda a, b: b)
    assert not result and "wrong values" in result.message and "(batch, time, features" in result.message
    result = check_hillis_steele_scan(lambda a, b: b[:, :, 0])
    assert not result and "wrong shape" in result.message
    result = check_hillis_steele_scan(lambda a, b: None)
    assert not result and "return" in result.message


# ---- minGRU step -------------------------------------------------------------------------------

def min_gru_step(x, h, weight, bias, keep_with_z=False, cand_act=g, swap_blocks=False, bias_on=True):
    pre = x @ weight.T + (bias if bias_on else 0)
    k, c = pre.chunk(2, dim=-1)
    if swap_blocks:
        k, c = c, k
    z = torch.sigmoid(k)
    h_tilde = cand_act(c)
    return z * h + (1 - z) * h_tilde if keep_with_z else (1 - z) * h + z * h_tilde


def test_step_reference_answers_pass(capsys):
    assert check_min_gru_step(min_gru_step)

    def package_step(x, h, weight, bias):
        layer = MinGRU(x.shape[1], h.shape[1]).double()
        with torch.no_grad():
            layer.linear.weight.copy_(weight)
            layer.linear.bias.copy_(bias)
        return layer.step(x, h)

    assert check_min_gru_step(package_step)
    assert "✅ check_min_gru_step: passed" in capsys.readouterr().out


@pytest.mark.parametrize("kwargs,hint", [
    (dict(keep_with_z=True), "as nn.GRU does"),
    (dict(cand_act=lambda v: v), "used the linear output as it is"),
    (dict(cand_act=torch.tanh), "not tanh"),
    (dict(cand_act=torch.sigmoid), "not a plain sigmoid"),
    (dict(swap_blocks=True), "blocks are swapped"),
    (dict(bias_on=False), "left out the bias"),
])
def test_step_mistakes_get_specific_hints(kwargs, hint):
    result = check_min_gru_step(lambda *a: min_gru_step(*a, **kwargs))
    assert not result and hint in result.message, result.message


def test_step_shape_error_is_named():
    result = check_min_gru_step(lambda x, h, w, b: x @ w.T + b)
    assert not result and "wrong shape" in result.message and "(batch, hidden)" in result.message


# ---- KV cache bytes ----------------------------------------------------------------------------

def kv_bytes(n_samples, n_layers, d_model, bytes_per_value=4):
    return 2 * n_samples * n_layers * d_model * bytes_per_value


def test_cache_reference_passes():
    assert check_kv_cache_bytes(kv_bytes)


@pytest.mark.parametrize("fn,hint", [
    (lambda n, L, d, bytes_per_value=4: n * L * d * bytes_per_value, "keys only"),
    (lambda n, L, d, bytes_per_value=4: 2 * n * d * bytes_per_value, "multiply by n_layers"),
    (lambda n, L, d, bytes_per_value=4: 2 * n * L * d, "multiply by bytes_per_value"),
    (lambda n, L, d, bytes_per_value=4: 2 * n * n * L * d * bytes_per_value, "grows linearly"),
    (lambda n, L, d, bytes_per_value=4: 0, "expected 1152000 bytes, got 0"),
    (lambda n, L, d, bytes_per_value=4: "many", "return a number of bytes"),
])
def test_cache_mistakes(fn, hint):
    result = check_kv_cache_bytes(fn)
    assert not result and hint in result.message, result.message


# ---- every check: stubs and crashes are hints, not exceptions --------------------------------

@pytest.mark.parametrize("check", [check_hillis_steele_scan, check_min_gru_step, check_kv_cache_bytes])
def test_stub_and_crash_fail_without_raising(check, capsys):
    def stub(*args, **kwargs):
        raise NotImplementedError

    def crash(*args, **kwargs):
        return 1 / 0

    assert not check(stub) and "not implemented yet" in check(stub).message
    result = check(crash)
    assert not result and "ZeroDivisionError" in result.message
    assert "❌" in capsys.readouterr().out
