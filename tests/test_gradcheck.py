"""Gradient-checking tools: rel_error, finite differences, finite_difference_errors, and the
NumPy RNN's gradients against torch.autograd on the same weights."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rnn_course.recurrent.gradcheck import (
    autograd_gradients, finite_difference_errors, compare_gradients, numerical_gradient, rel_error,
)
from rnn_course.recurrent.numpy_rnn import init_params, loss_and_grads


def test_rel_error_definition():
    assert rel_error(np.array([1.0, 2.0]), np.array([1.0, 2.0])) == 0.0
    assert rel_error(np.array([1.0]), np.array([3.0])) == pytest.approx(0.5)
    assert rel_error(np.array([0.0]), np.array([1e-12])) == pytest.approx(1e-4)  # denominator floored at 1e-8
    assert rel_error(np.zeros(0), np.zeros(0)) == 0.0
    with pytest.raises(ValueError, match=r"expected shape \(2,\), got \(3,\)"):
        rel_error(np.zeros(2), np.zeros(3))


def test_numerical_gradient_scalar_and_array(rng):
    x = rng.standard_normal((3, 2))
    x_before = x.copy()
    num = numerical_gradient(lambda v: np.sum(v**3), x)
    assert rel_error(num, 3 * x**2) < 1e-8
    np.testing.assert_array_equal(x, x_before)  # restored
    df = rng.standard_normal((3, 2))
    num = numerical_gradient(lambda v: np.sin(v), x, df)
    assert rel_error(num, np.cos(x) * df) < 1e-8


def test_numerical_gradient_errors(rng):
    with pytest.raises(TypeError, match="expected a float64 NumPy array.*float32"):
        numerical_gradient(np.sum, np.ones(3, dtype=np.float32))
    with pytest.raises(ValueError, match="positive step"):
        numerical_gradient(np.sum, np.ones(3), h=0.0)
    with pytest.raises(ValueError, match="pass df"):
        numerical_gradient(lambda v: 2 * v, np.ones(3))
    with pytest.raises(ValueError, match=r"df: expected shape \(3,\), got \(2,\)"):
        numerical_gradient(lambda v: 2 * v, np.ones(3), df=np.ones(2))


def test_check_gradients_accepts_right_and_flags_wrong(rng):
    params = {"w": rng.standard_normal(4), "v": rng.standard_normal((2, 2))}
    original = {k: v.copy() for k, v in params.items()}
    loss_fn = lambda p: float(np.sum(p["w"] ** 2) + np.sum(np.tanh(p["v"])))  # noqa: E731
    good = {"w": 2 * params["w"], "v": 1 - np.tanh(params["v"]) ** 2}
    errors = finite_difference_errors(params, loss_fn, good)
    assert max(errors.values()) < 1e-8
    bad = finite_difference_errors(params, loss_fn, {"w": params["w"]})
    assert bad["w"] > 0.1
    assert all(np.array_equal(params[k], original[k]) for k in params)  # params untouched
    with pytest.raises(KeyError, match="params lacks"):
        finite_difference_errors(params, loss_fn, {"u": np.zeros(1)})
    with pytest.raises(ValueError, match=r"analytic_grads\['w'\]: expected shape \(4,\), got \(2,\)"):
        finite_difference_errors(params, loss_fn, {"w": np.zeros(2)})


@pytest.mark.parametrize("mode", ["many_to_many", "many_to_one"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
def test_numpy_gradients_equal_autograd(mode, loss, rng):
    N, T, D, H, V = 3, 6, 4, 5, 3
    params = init_params(D, H, V, seed=3)
    x, h0 = rng.standard_normal((N, T, D)), rng.standard_normal((N, H))
    shape = (N, T) if mode == "many_to_many" else (N,)
    y = rng.integers(0, V, shape) if loss == "cross_entropy" else rng.standard_normal(shape + (V,))
    value, grads = loss_and_grads(params, x, y, h0, mode=mode, loss=loss)
    ref_value, ref_grads = autograd_gradients(params, x, y, h0, mode=mode, loss=loss, device="cpu")
    assert value == pytest.approx(ref_value, rel=1e-12)
    errors = compare_gradients(grads, ref_grads)
    assert sorted(errors) == sorted(["Wx", "Wh", "b", "Wy", "by", "x", "h0"])
    assert max(errors.values()) < 1e-9, errors


def test_autograd_gradients_on_default_device(rng, monkeypatch):
    monkeypatch.setenv("RNN_COURSE_DEVICE", "meta")  # would fail if it asked get_device()
    params = init_params(2, 3, 2, seed=0)
    x = rng.standard_normal((2, 4, 2))
    y = rng.integers(0, 2, (2, 4))
    value, grads = autograd_gradients(params, x, y)  # on the CPU, where NumPy arrays live
    assert np.isfinite(value) and grads["Wx"].shape == (2, 3) and grads["h0"].shape == (2, 3)
    assert max(compare_gradients(loss_and_grads(params, x, y)[1], grads).values()) < 1e-9


def test_autograd_and_compare_errors(rng):
    params = init_params(2, 3, 2, seed=0)
    with pytest.raises(ValueError, match="expected mode in"):
        autograd_gradients(params, np.zeros((1, 2, 2)), np.zeros((1, 2)), mode="seq2seq")
    with pytest.raises(ValueError, match=r"x: expected shape \(batch, time, features\)"):
        autograd_gradients(params, np.zeros((2, 2)), np.zeros((1, 2)), device="cpu")
    with pytest.raises(KeyError, match="no gradient names in common"):
        compare_gradients({"a": np.zeros(1)}, {"b": np.zeros(1)})


def test_torch_is_float64_reference():
    # The autograd reference must be double precision, or it could not confirm 1e-9 agreement.
    _, grads = autograd_gradients(init_params(2, 3, 2), np.zeros((1, 2, 2)), np.zeros((1, 2), dtype=int),
                                  device=torch.device("cpu"))
    assert all(g.dtype == np.float64 for g in grads.values())


def test_autograd_gradients_names_missing_params():
    params = init_params(2, 3, 2, seed=0)
    del params["Wy"]
    with pytest.raises(ValueError, match=r"params: expected keys .* missing \['Wy'\]"):
        autograd_gradients(params, np.zeros((1, 2, 2)), np.zeros((1, 2), dtype=int), device="cpu")
