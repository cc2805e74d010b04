"""Chapter 2 checks: the reference passes, classic mistakes get their specific hint,
and an unfilled stub fails with a message instead of raising."""
from __future__ import annotations

import numpy as np
import pytest

import pandas as pd

from rnn_course.checks.ch02 import check_precision_table, check_rnn_backward, check_rnn_step_backward, check_two_step_dh1
from rnn_course.recurrent.gradcheck import finite_difference_errors
from rnn_course.recurrent.numpy_rnn import StepGrads, init_params, loss_and_grads, rnn_backward, rnn_step_backward


def step(da_fn=None, **overrides):
    """A step backward built from the reference, with one gradient replaced."""
    def fn(dh_next, c):
        da = dh_next * (1 - c.h_next**2) if da_fn is None else da_fn(dh_next, c)
        grads = {"dx": da @ c.Wx.T, "dh_prev": da @ c.Wh.T, "dWx": c.x.T @ da, "dWh": c.h_prev.T @ da,
                 "db": da.sum(0)}
        grads.update({k: f(da, c) for k, f in overrides.items()})
        return StepGrads(**grads)
    return fn


def test_reference_step_passes(capsys):
    assert check_rnn_step_backward(rnn_step_backward)
    assert capsys.readouterr().out.startswith("✅ check_rnn_step_backward: passed")
    # a plain tuple and a dict in the documented order also pass
    assert check_rnn_step_backward(lambda dh, c: tuple(rnn_step_backward(dh, c)))
    assert check_rnn_step_backward(lambda dh, c: rnn_step_backward(dh, c)._asdict())


@pytest.mark.parametrize("fn,which,hint", [
    (step(da_fn=lambda dh, c: dh), "dx", "forgot the tanh derivative"),
    (step(da_fn=lambda dh, c: dh * (1 - np.tanh(c.h_next) ** 2)), "dWh", "tanh was applied twice"),
    (step(da_fn=lambda dh, c: dh * c.h_next * (1 - c.h_next)), "db", "sigmoid derivative"),
    (step(da_fn=lambda dh, c: dh * (1 - c.h_prev**2)), "dWx", "not 1 - h_prev**2"),
    (step(db=lambda da, c: da), "db", "sum over the batch"),
    (step(db=lambda da, c: da.mean(0)), "db", "do not average"),
    (step(dWh=lambda da, c: da.T @ c.h_prev), "dWh", "dWh is transposed"),
    (step(dWh=lambda da, c: c.h_next.T @ da), "dWh", "not h_next"),
    (step(dh_prev=lambda da, c: da @ c.Wh), "dh_prev", "multiply by Wh.T, not Wh"),
    (step(dWx=lambda da, c: da.T @ c.x), "dWx", "looks transposed"),
    (step(dx=lambda da, c: da @ c.Wx.T * 2), "dx", "wrong values"),
])
def test_step_mistakes_get_specific_hints(fn, which, hint, capsys):
    result = check_rnn_step_backward(fn)
    assert not result
    msg = result.message
    assert hint in msg and which in msg and msg.index(which) < msg.index(hint), msg  # names it, then why
    assert capsys.readouterr().out.startswith("❌ check_rnn_step_backward:")


def test_step_only_the_wrong_gradient_is_named():
    result = check_rnn_step_backward(step(db=lambda da, c: da))
    assert result.message.startswith("1 of 5 gradients wrong") and "dWh" not in result.message


def test_step_stub_and_bad_returns_fail_without_raising():
    def stub(dh_next, cache):
        raise NotImplementedError("write the backward step")
    assert "not implemented yet" in check_rnn_step_backward(stub).message
    assert "return the five gradients" in check_rnn_step_backward(lambda dh, c: None).message
    crash = check_rnn_step_backward(lambda dh, c: dh @ c.Wx)  # a shape error in the learner's code
    assert not crash and "raised ValueError" in crash.message


def bptt(from_future=True, from_above=True, accumulate=True, reverse=True):
    def fn(dh, cache):
        T = len(cache)
        dx, dWx, dWh, db = [None] * T, 0, 0, 0
        carry = np.zeros_like(dh[:, 0])
        for t in (reversed(range(T)) if reverse else range(T)):
            up = (dh[:, t] if from_above or t == T - 1 else 0) + (carry if from_future else 0)
            g = rnn_step_backward(up, cache[t])
            dx[t], carry = g.dx, g.dh_prev
            dWx, dWh, db = (dWx + g.dWx, dWh + g.dWh, db + g.db) if accumulate else (g.dWx, g.dWh, g.db)
        return np.stack(dx, axis=1), carry, dWx, dWh, db
    return fn


def test_reference_bptt_passes():
    assert check_rnn_backward(rnn_backward)
    assert check_rnn_backward(bptt())


@pytest.mark.parametrize("kwargs,hint", [
    ({"from_future": False}, "gradient arriving from step t+1"),
    ({"from_above": False}, "gradient from above"),
    ({"accumulate": False}, "accumulate their gradients"),
    ({"reverse": False}, "loop over time in reverse"),
])
def test_bptt_mistakes_get_specific_hints(kwargs, hint):
    result = check_rnn_backward(bptt(**kwargs))
    assert not result and hint in result.message, result.message
    assert "dWh" in result.message.split(":")[0]  # names the wrong gradients first


def test_bptt_generic_and_stub():
    result = check_rnn_backward(lambda dh, c: (*rnn_backward(dh, c)[:4], np.zeros(3)))
    assert not result and "db is wrong" in result.message and "wrong shape" in result.message
    def stub(dh, cache):
        raise NotImplementedError
    assert "not implemented yet" in check_rnn_backward(stub).message


# ----------------------------------------------------------------------------- two steps by hand
def dh1(e1, e2, h2, Wh, Wy):
    """dL/dh_1 written out: the path through y_1 plus the path through a_2."""
    return e1 @ Wy.T + ((1 - h2**2) * (e2 @ Wy.T)) @ Wh.T


def test_two_step_reference_passes(capsys):
    assert check_two_step_dh1(dh1)
    assert capsys.readouterr().out.startswith("✅ check_two_step_dh1: passed")


@pytest.mark.parametrize("fn,hint", [
    (lambda e1, e2, h2, Wh, Wy: e1 @ Wy.T, "h_1 also affects L_2"),
    (lambda e1, e2, h2, Wh, Wy: ((1 - h2**2) * (e2 @ Wy.T)) @ Wh.T, "direct path through y_1"),
    (lambda e1, e2, h2, Wh, Wy: e1 @ Wy.T + (e2 @ Wy.T) @ Wh.T, "needs tanh' of step 2"),
    (lambda e1, e2, h2, Wh, Wy: e1 @ Wy.T + ((1 - h2**2) * (e2 @ Wy.T)) @ Wh, "multiply by Wh.T, not Wh"),
    (lambda e1, e2, h2, Wh, Wy: e1 @ Wy.T + ((1 - h2) * (e2 @ Wy.T)) @ Wh.T, "not 1 - h2"),
    (lambda e1, e2, h2, Wh, Wy: e1 @ Wy + e2, "a matrix product failed"),
    (lambda e1, e2, h2, Wh, Wy: 2 * dh1(e1, e2, h2, Wh, Wy), "wrong values"),
    (lambda e1, e2, h2, Wh, Wy: dh1(e1, e2, h2, Wh, Wy).T, "wrong shape"),
    (lambda e1, e2, h2, Wh, Wy: None, "forget to `return`"),
])
def test_two_step_mistakes_get_specific_hints(fn, hint, capsys):
    result = check_two_step_dh1(fn)
    assert not result and hint in result.message, result.message
    assert capsys.readouterr().out.startswith("❌ check_two_step_dh1:")


def test_two_step_stub_fails_without_raising():
    def stub(e1, e2, h2, Wh, Wy):
        raise NotImplementedError
    assert "not implemented yet" in check_two_step_dh1(stub).message


# ----------------------------------------------------------------------------- precision table
STEPS = [1e-1, 1e-3, 1e-5, 1e-7, 1e-9]


def precision_table(dtype64=np.float64, dtype32=np.float32, centred=True):
    """The exercise's table computed on a small problem of its own (not the lab's data)."""
    rng = np.random.default_rng(3)
    params = init_params(3, 5, 2, seed=3)
    x, h0, y = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 5)), rng.integers(0, 2, (2, 4))
    grads = loss_and_grads(params, x, y, h0)[1]

    def loss_in(dtype):
        def loss(p):
            q = {k: v.astype(dtype) for k, v in p.items()}
            return loss_and_grads(q, q["x"], y, q["h0"])[0]
        return loss

    def error(dtype, h):
        if centred:
            return finite_difference_errors({**params, "x": x, "h0": h0}, loss_in(dtype), {"Wh": grads["Wh"]}, h=h)["Wh"]
        forward = np.zeros_like(params["Wh"])
        for i in np.ndindex(forward.shape):
            p = {k: v.copy() for k, v in params.items()}
            p["Wh"][i] += h
            forward[i] = (loss_in(dtype)({**p, "x": x, "h0": h0}) - loss_in(dtype)({**params, "x": x, "h0": h0})) / h
        return float(np.max(np.abs(forward - grads["Wh"]) / np.maximum(1e-8, np.abs(forward) + np.abs(grads["Wh"]))))

    return pd.DataFrame({"float64": [error(dtype64, h) for h in STEPS], "float32": [error(dtype32, h) for h in STEPS]},
                        index=STEPS)


def test_precision_table_computed_right_passes(capsys):
    assert check_precision_table(precision_table())
    assert check_precision_table(precision_table().to_dict())  # a dict of columns is a table too
    assert capsys.readouterr().out.startswith("✅ check_precision_table: passed")


@pytest.mark.parametrize("make,hint", [
    (lambda: precision_table(dtype32=np.float64), "your float32 column is the float64 one"),
    (lambda: precision_table().rename(columns={"float64": "float32", "float32": "float64"}), "look swapped"),
    (lambda: precision_table(centred=False), "use centred differences"),
    (lambda: precision_table().rename(columns={"float64": "f64"}), "needs the columns 'float64' and 'float32'"),
    (lambda: precision_table().set_axis([0.1, 0.01, 1e-3, 1e-4, 1e-5]), "the index must be the step sizes"),
    (lambda: 100 * precision_table(), "between 0 and 1"),
    (lambda: None, "precision is None"),
])
def test_precision_table_mistakes_get_specific_hints(make, hint, capsys):
    result = check_precision_table(make())
    assert not result and hint in result.message, result.message
    assert capsys.readouterr().out.startswith("❌ check_precision_table:")
