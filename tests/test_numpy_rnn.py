"""The NumPy RNN: forward matches nn.RNN, every gradient matches finite differences
(many-to-many and many-to-one, T=1, batch=1, T=50), broken backward passes are caught,
and bad shapes raise errors naming expected vs received."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rnn_course.recurrent import numpy_rnn
from rnn_course.recurrent.gradcheck import finite_difference_errors, numerical_gradient, rel_error
from rnn_course.recurrent.numpy_rnn import (
    StepGrads, from_torch_rnn, init_params, loss_and_grads, rnn_backward, rnn_forward,
    rnn_step_backward, rnn_step_forward, to_torch_rnn,
)

GRAD_NAMES = ["Wx", "Wh", "b", "Wy", "by", "h0", "x"]


def step_inputs(rng, N=2, D=3, H=4):
    return {"x": rng.standard_normal((N, D)), "h_prev": rng.standard_normal((N, H)),
            "Wx": rng.standard_normal((D, H)), "Wh": rng.standard_normal((H, H)), "b": rng.standard_normal(H)}


def targets(rng, mode, loss, N, T, V):
    shape = (N, T) if mode == "many_to_many" else (N,)
    return rng.integers(0, V, shape) if loss == "cross_entropy" else rng.standard_normal(shape + (V,))


def problem(rng, N, T, D=3, H=5, V=4, scale=None):
    params = init_params(D, H, V, seed=1, scale=scale)
    return params, rng.standard_normal((N, T, D)), 0.5 * rng.standard_normal((N, H))


def gradient_errors(params, x, h0, y, mode, loss):
    _, grads = loss_and_grads(params, x, y, h0, mode=mode, loss=loss)
    loss_fn = lambda p: loss_and_grads(p, p["x"], y, p["h0"], mode=mode, loss=loss)[0]  # noqa: E731
    return finite_difference_errors({**params, "x": x, "h0": h0}, loss_fn, grads)


def test_step_forward_formula_and_cache(rng):
    a = step_inputs(rng)
    h, cache = rnn_step_forward(**a)
    np.testing.assert_allclose(h, np.tanh(a["x"] @ a["Wx"] + a["h_prev"] @ a["Wh"] + a["b"]))
    assert cache._fields == ("x", "h_prev", "h_next", "Wx", "Wh") and cache.h_next is h


@pytest.mark.parametrize("name", ["x", "h_prev", "Wx", "Wh", "b"])
def test_step_backward_matches_numeric(name, rng):
    a = step_inputs(rng)
    h, cache = rnn_step_forward(**a)
    dh = rng.standard_normal(h.shape)
    grads = rnn_step_backward(dh, cache)
    assert isinstance(grads, StepGrads)
    analytic = getattr(grads, {"x": "dx", "h_prev": "dh_prev"}.get(name, "d" + name))
    numeric = numerical_gradient(lambda v: rnn_step_forward(**{**a, name: v})[0], a[name], dh)
    assert analytic.shape == a[name].shape
    assert rel_error(analytic, numeric) < 1e-7


@pytest.mark.parametrize("name", ["x", "h0", "Wx", "Wh", "b"])
def test_rnn_backward_matches_numeric(name, rng):
    N, T, D, H = 2, 4, 3, 5
    a = {"x": rng.standard_normal((N, T, D)), "h0": rng.standard_normal((N, H)),
         "Wx": rng.standard_normal((D, H)), "Wh": 0.5 * rng.standard_normal((H, H)), "b": rng.standard_normal(H)}
    h, cache = rnn_forward(**a)
    dh = rng.standard_normal(h.shape)
    g = rnn_backward(dh, cache)
    numeric = numerical_gradient(lambda v: rnn_forward(**{**a, name: v})[0], a[name], dh)
    assert rel_error(getattr(g, "d" + name), numeric) < 1e-7
    # dh_total: at the last step only the gradient from above arrives
    np.testing.assert_allclose(g.dh_total[:, -1], dh[:, -1])


@pytest.mark.parametrize("mode", ["many_to_many", "many_to_one"])
@pytest.mark.parametrize("loss", ["cross_entropy", "mse"])
@pytest.mark.parametrize("N,T", [(3, 6), (1, 4), (3, 1), (1, 1)])
def test_every_gradient_matches_finite_differences(mode, loss, N, T, rng):
    params, x, h0 = problem(rng, N, T)
    errors = gradient_errors(params, x, h0, targets(rng, mode, loss, N, T, 4), mode, loss)
    assert sorted(errors) == sorted(GRAD_NAMES)
    assert max(errors.values()) < 1e-6, errors


@pytest.mark.parametrize("mode", ["many_to_many", "many_to_one"])
def test_long_sequence_gradients(mode, rng):
    # Small inputs, no bias and an orthogonal W_hh keep tanh' near 1 and the gradient alive for
    # 50 steps, so even dL/dh0 is large enough to measure (a vanished gradient is rounding noise).
    N, T = 2, 50
    params, x, h0 = problem(rng, N, T, scale=0.3)
    params["Wh"], params["b"] = np.linalg.qr(rng.standard_normal((5, 5)))[0], np.zeros(5)
    x, h0 = 0.1 * x, 0.2 * h0
    errors = gradient_errors(params, x, h0, targets(rng, mode, "mse", N, T, 4), mode, "mse")
    assert max(errors.values()) < 1e-6, errors


def test_many_to_one_uses_only_last_step(rng):
    params, x, h0 = problem(rng, 2, 5)
    y = targets(rng, "many_to_one", "cross_entropy", 2, 5, 4)
    loss1, _ = loss_and_grads(params, x, y, h0, mode="many_to_one")
    h, _ = rnn_forward(x, h0, params["Wx"], params["Wh"], params["b"])
    scores = h[:, -1] @ params["Wy"] + params["by"]
    expected = torch.nn.functional.cross_entropy(torch.from_numpy(scores), torch.from_numpy(y))
    assert loss1 == pytest.approx(float(expected))


def _forgets_future(dh, cache):
    g = [rnn_step_backward(dh[:, t], c) for t, c in enumerate(cache)]  # no gradient from t+1
    return numpy_rnn.RNNGrads(np.stack([s.dx for s in g], 1), g[0].dh_prev, sum(s.dWx for s in g),
                              sum(s.dWh for s in g), sum(s.db for s in g), dh)


def _forgets_tanh_derivative(dh_next, cache):
    return StepGrads(dh_next @ cache.Wx.T, dh_next @ cache.Wh.T, cache.x.T @ dh_next,
                     cache.h_prev.T @ dh_next, dh_next.sum(0))


@pytest.mark.parametrize("name,broken", [("rnn_backward", _forgets_future),
                                         ("_step_backward", _forgets_tanh_derivative)])
def test_broken_backward_is_caught(name, broken, rng, monkeypatch):
    params, x, h0 = problem(rng, 2, 5)
    y = targets(rng, "many_to_many", "cross_entropy", 2, 5, 4)
    monkeypatch.setattr(numpy_rnn, name, broken)
    errors = gradient_errors(params, x, h0, y, "many_to_many", "cross_entropy")
    assert errors["Wh"] > 1e-2 and errors["h0"] > 1e-2, errors
    assert errors["Wy"] < 1e-6  # the output layer is untouched by the bug


def test_forward_matches_torch_and_converters_round_trip(rng):
    params, x, h0 = problem(rng, 3, 7)
    h, _ = rnn_forward(x, h0, params["Wx"], params["Wh"], params["b"])
    rnn = to_torch_rnn(params)
    out, h_n = rnn(torch.from_numpy(x), torch.from_numpy(h0)[None])
    np.testing.assert_allclose(out.detach().numpy(), h, atol=1e-12)
    np.testing.assert_allclose(h_n[0].detach().numpy(), h[:, -1], atol=1e-12)
    torch.manual_seed(0)
    other = torch.nn.RNN(3, 5, batch_first=True).double()
    back = from_torch_rnn(other)
    np.testing.assert_allclose(back["Wx"], other.weight_ih_l0.detach().numpy().T)
    np.testing.assert_allclose(back["b"], (other.bias_ih_l0 + other.bias_hh_l0).detach().numpy())
    h2, _ = rnn_forward(x, h0, back["Wx"], back["Wh"], back["b"])
    np.testing.assert_allclose(other(torch.from_numpy(x), torch.from_numpy(h0)[None])[0].detach().numpy(), h2,
                               atol=1e-12)


def test_init_params_is_seeded_and_shaped():
    a, b = init_params(3, 5, 4, seed=7), init_params(3, 5, 4, seed=7)
    assert {k: v.shape for k, v in a.items()} == {"Wx": (3, 5), "Wh": (5, 5), "b": (5,), "Wy": (5, 4), "by": (4,)}
    assert all(np.array_equal(a[k], b[k]) for k in a)
    big = init_params(30, 400, 400, seed=0)  # enough numbers to see the distribution: U(-k, k)
    k = 1 / np.sqrt(400)
    for name, w in big.items():
        assert np.abs(w).max() <= k and w.min() < -0.9 * k and w.max() > 0.9 * k, name
        assert abs(w.std() - k / np.sqrt(3)) < 0.1 * k / np.sqrt(3), (name, w.std())  # not all zeros
    assert np.abs(init_params(3, 5, 4, seed=0, scale=0.1)["Wh"]).max() <= 0.1


def test_bad_shapes_name_expected_and_received(rng):
    a = step_inputs(rng)
    with pytest.raises(ValueError, match=r"h_prev: expected shape .*\(2, 4\), got \(2, 5\)"):
        rnn_step_forward(**{**a, "h_prev": np.zeros((2, 5))})
    with pytest.raises(ValueError, match=r"Wh: expected shape .*\(4, 4\), got \(3, 4\)"):
        rnn_step_forward(**{**a, "Wh": np.zeros((3, 4))})
    with pytest.raises(ValueError, match=r"x: expected shape \(batch, time, features\).*got \(2, 3\)"):
        rnn_forward(a["x"], a["h_prev"], a["Wx"], a["Wh"], a["b"])
    h, cache = rnn_step_forward(**a)
    with pytest.raises(ValueError, match=r"dh_next: expected shape .*\(2, 4\), got \(4, 2\)"):
        rnn_step_backward(np.zeros((4, 2)), cache)
    params, x, h0 = problem(rng, 2, 3)
    with pytest.raises(ValueError, match=r"y: expected shape \(2, 3\), got \(2,\)"):
        loss_and_grads(params, x, np.zeros(2, dtype=int), h0)
    with pytest.raises(ValueError, match="expected mode in"):
        loss_and_grads(params, x, np.zeros((2, 3), dtype=int), h0, mode="one_to_many")
    with pytest.raises(ValueError, match=r"missing \['Wy', 'by'\]"):
        loss_and_grads({k: params[k] for k in ("Wx", "Wh", "b")}, x, np.zeros((2, 3), dtype=int))
    with pytest.raises(ValueError, match="expected 3 time steps"):
        rnn_backward(np.zeros((2, 4, 5)), rnn_forward(x, h0, params["Wx"], params["Wh"], params["b"])[1])
    with pytest.raises(ValueError, match="one-layer"):
        from_torch_rnn(torch.nn.RNN(3, 5, num_layers=2))
    with pytest.raises(ValueError, match=r"Wh: expected shape .*\(5, 5\), got \(3, 5\)"):
        rnn_forward(x, h0, params["Wx"], np.zeros((3, 5)), params["b"])
    with pytest.raises(ValueError, match=r"b: expected shape .*\(5,\), got \(4,\)"):
        rnn_forward(x, h0, params["Wx"], params["Wh"], np.zeros(4))


def test_inputs_are_checked_once_per_sequence_not_at_every_step(rng, monkeypatch):
    calls = []
    real = numpy_rnn.expect_shape
    monkeypatch.setattr(numpy_rnn, "expect_shape", lambda *a, **k: calls.append(a[0]) or real(*a, **k))
    params, x, h0 = problem(rng, 2, 40)
    h, cache = rnn_forward(x, h0, params["Wx"], params["Wh"], params["b"])
    rnn_backward(np.ones_like(h), cache)
    assert len(calls) < 10, calls  # not 40 steps x 4 checks


# ------------------------------------------------------------------ review fixes
@pytest.mark.parametrize("bad", [-1, 4, 1.5])
def test_cross_entropy_rejects_class_indices_out_of_range(bad, rng):
    # -1 used to wrap silently to the last class (NumPy's negative indexing), 1.5 to class 1.
    params, x, h0 = problem(rng, N=2, T=3)  # V = 4 classes
    y = rng.integers(0, 4, (2, 3)).astype(float)
    y[1, 2] = bad
    with pytest.raises(ValueError, match=r"y: expected class indices, whole numbers in \[0, 4\)"):
        loss_and_grads(params, x, y, h0)


def test_rnn_forward_keeps_the_precision_of_every_input(rng):
    # x and the weights in float32 with a float64 h0: each step computes in float64, so the
    # returned states must be float64 and equal to the cached ones (they used to be rounded).
    params = {k: v.astype(np.float32) for k, v in init_params(3, 4, 2).items()}
    x, h0 = rng.standard_normal((2, 5, 3)).astype(np.float32), rng.standard_normal((2, 4))
    h, cache = rnn_forward(x, h0, params["Wx"], params["Wh"], params["b"])
    assert h.dtype == np.float64
    assert np.array_equal(h[:, -1], cache[-1].h_next)
