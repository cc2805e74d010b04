"""Tests of rnn_course.recurrent.diagnostics: gradient norms through time and Jacobian products."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from rnn_course.recurrent.diagnostics import hidden_grad_norms, jacobian_products, spectral_radius


def _manual_grad_norms(rnn: nn.RNNBase, x: torch.Tensor, loss_fn) -> torch.Tensor:
    """||dL/dh_t|| by unrolling with the cell weights and retain_grad (independent of the helper)."""
    W_ih, W_hh = rnn.weight_ih_l0, rnn.weight_hh_l0
    b = rnn.bias_ih_l0 + rnn.bias_hh_l0
    h = torch.zeros(x.shape[0], rnn.hidden_size, dtype=x.dtype)
    states = []
    for t in range(x.shape[1]):
        h = torch.tanh(x[:, t] @ W_ih.T + h @ W_hh.T + b)
        h.retain_grad()
        states.append(h)
    loss_fn(states[-1]).backward()
    return torch.stack([s.grad.norm(dim=-1).mean() for s in states]).detach()


@pytest.mark.parametrize("loss_fn", [None, lambda h: (h**2).sum() / 3])
def test_hidden_grad_norms_matches_direct_autograd(loss_fn):
    torch.manual_seed(0)
    rnn = nn.RNN(3, 5, batch_first=True).double()
    x = torch.randn(4, 7, 3, dtype=torch.float64)
    got = hidden_grad_norms(rnn, x, loss_fn)
    expected = _manual_grad_norms(rnn, x, loss_fn or (lambda h: h.sum()))
    assert got.shape == (7,)
    torch.testing.assert_close(got, expected)
    # the last step's gradient of the default loss sum(h_T) is all ones: norm sqrt(hidden)
    if loss_fn is None:
        assert got[-1].item() == pytest.approx(5**0.5)


@pytest.mark.parametrize("cell", [nn.GRU, nn.LSTM])
def test_hidden_grad_norms_gated_cells(cell):
    torch.manual_seed(1)
    rnn = cell(2, 4, batch_first=True)
    norms = hidden_grad_norms(rnn, torch.randn(3, 6, 2))
    assert norms.shape == (6,) and torch.isfinite(norms).all() and (norms > 0).all()


def test_hidden_grad_norms_errors():
    rnn = nn.RNN(3, 4, batch_first=True)
    with pytest.raises(ValueError, match=r"expected shape .*got \(7, 3\)"):
        hidden_grad_norms(rnn, torch.randn(7, 3))
    with pytest.raises(ValueError, match="expected 3 features, got 2"):
        hidden_grad_norms(rnn, torch.randn(2, 7, 2))
    with pytest.raises(ValueError, match="batch_first=True"):
        hidden_grad_norms(nn.RNN(3, 4), torch.randn(2, 7, 3))


def _autograd_products(rnn: nn.RNN, x: torch.Tensor) -> torch.Tensor:
    """Largest singular value of dh_{T-1}/dh_t from torch.autograd.functional.jacobian."""
    out, _ = rnn(x)
    T, sigmas = x.shape[1], []
    for t in range(T):
        h_t = out[0, t].detach()
        if t == T - 1:
            sigmas.append(1.0)
            continue

        def last_state(h, t=t):
            o, _ = rnn(x[:, t + 1 :], h.view(1, 1, -1))
            return o[0, -1]

        J = torch.autograd.functional.jacobian(last_state, h_t)
        sigmas.append(float(torch.linalg.matrix_norm(J, ord=2)))
    return torch.tensor(sigmas, dtype=torch.float64)


@pytest.mark.parametrize("nonlinearity,input_scale", [("tanh", 0.05), ("tanh", 1.0), ("relu", 1.0)])
def test_jacobian_products_match_autograd(nonlinearity, input_scale):
    torch.manual_seed(2)
    rnn = nn.RNN(3, 5, nonlinearity=nonlinearity, batch_first=True).double()
    x = input_scale * torch.randn(1, 8, 3, dtype=torch.float64)
    got = jacobian_products(rnn, x)
    assert got.shape == (8,) and got.dtype == torch.float64
    torch.testing.assert_close(got, _autograd_products(rnn, x))


def test_jacobian_products_linear_regime_is_power_of_W():
    # with zero input and zero bias, h stays 0, tanh'(0) = 1: the product is W_hh^(T-1-t)
    torch.manual_seed(3)
    rnn = nn.RNN(2, 4, batch_first=True).double()
    with torch.no_grad():
        rnn.bias_ih_l0.zero_()
        rnn.bias_hh_l0.zero_()
    W = rnn.weight_hh_l0.detach()
    got = jacobian_products(rnn, torch.zeros(6, 2, dtype=torch.float64), all_singular_values=True)
    assert got.shape == (6, 4)
    for t in range(6):
        expected = torch.linalg.svdvals(torch.linalg.matrix_power(W, 5 - t))
        torch.testing.assert_close(got[t], expected)


def test_jacobian_products_reads_a_batch_of_one_in_the_modules_layout():
    torch.manual_seed(4)
    time_major = nn.RNN(3, 4)  # batch_first=False: a batch of one is (time, 1, features)
    batch_first = nn.RNN(3, 4, batch_first=True)
    batch_first.load_state_dict(time_major.state_dict())
    x = torch.randn(5, 3)
    expected = jacobian_products(time_major, x)
    assert expected.shape == (5,) and expected[-1] == 1.0 and len(set(expected.tolist())) == 5
    torch.testing.assert_close(jacobian_products(time_major, x[:, None]), expected)
    torch.testing.assert_close(jacobian_products(batch_first, x[None]), expected)
    with pytest.raises(ValueError, match=r"\(time, 1, features\) for this batch_first=False module"):
        jacobian_products(time_major, x[None])  # for this module: 5 sequences of one step


def test_jacobian_products_errors():
    rnn = nn.RNN(3, 4, batch_first=True)
    with pytest.raises(ValueError, match=r"one sequence.*\(1, time, features\).*got shape \(2, 5, 3\)"):
        jacobian_products(rnn, torch.randn(2, 5, 3))
    with pytest.raises(ValueError, match="expected 3 features, got 2"):
        jacobian_products(rnn, torch.randn(5, 2))
    with pytest.raises(TypeError, match="expects an nn.RNN .*got LSTM"):
        jacobian_products(nn.LSTM(3, 4), torch.randn(5, 3))
    with pytest.raises(ValueError, match="num_layers=2"):
        jacobian_products(nn.RNN(3, 4, num_layers=2), torch.randn(5, 3))


def test_spectral_radius_of_known_matrices():
    assert spectral_radius(torch.diag(torch.tensor([0.5, -2.0, 1.0]))) == pytest.approx(2.0)
    rotation = torch.tensor([[0.0, -3.0], [3.0, 0.0]])  # eigenvalues ±3i
    assert spectral_radius(rotation) == pytest.approx(3.0)
    shear = torch.tensor([[0.5, 10.0], [0.0, 0.5]])  # radius 0.5 although the norm is > 10
    assert spectral_radius(shear) == pytest.approx(0.5)
    assert float(torch.linalg.matrix_norm(shear, ord=2)) > 10


def test_spectral_radius_errors():
    with pytest.raises(ValueError, match=r"square matrix .*got shape \(2, 3\)"):
        spectral_radius(torch.zeros(2, 3))
    with pytest.raises(TypeError, match="floating-point"):
        spectral_radius(torch.eye(3, dtype=torch.int64))
    with pytest.raises(TypeError, match="torch.Tensor, got list"):
        spectral_radius([[1.0]])
