"""Tests of rnn_course.recurrent.init: spectral-radius scaling, orthogonal and identity (IRNN) initialisation."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from rnn_course.recurrent.diagnostics import spectral_radius
from rnn_course.recurrent.init import identity_init_, orthogonal_init_, scale_to_spectral_radius, set_spectral_radius_


@pytest.mark.parametrize("rho", [0.5, 1.0, 1.7])
def test_scale_to_spectral_radius_gives_rho(rho):
    torch.manual_seed(0)
    W = torch.randn(8, 8, dtype=torch.float64)
    scaled = scale_to_spectral_radius(W, rho)
    assert spectral_radius(scaled) == pytest.approx(rho, rel=1e-10)
    torch.testing.assert_close(scaled / scaled.norm(), W / W.norm())  # same direction: only rescaled
    assert spectral_radius(W) != pytest.approx(rho)  # the input is not modified


def test_scale_to_spectral_radius_errors():
    with pytest.raises(ValueError, match="positive number, got -1"):
        scale_to_spectral_radius(torch.eye(3), -1)
    with pytest.raises(ValueError, match=r"square matrix .*got shape \(3, 2\)"):
        scale_to_spectral_radius(torch.zeros(3, 2), 1.0)
    with pytest.raises(ValueError, match="spectral radius 0"):
        scale_to_spectral_radius(torch.tensor([[0.0, 1.0], [0.0, 0.0]]), 1.0)  # nilpotent


def test_set_spectral_radius_every_layer():
    torch.manual_seed(1)
    rnn = nn.RNN(3, 6, num_layers=2, batch_first=True)
    W_ih_before = rnn.weight_ih_l0.detach().clone()
    assert set_spectral_radius_(rnn, 1.3) is rnn
    for W in (rnn.weight_hh_l0, rnn.weight_hh_l1):
        assert spectral_radius(W) == pytest.approx(1.3, rel=1e-5)
    torch.testing.assert_close(rnn.weight_ih_l0.detach(), W_ih_before)
    with pytest.raises(TypeError, match="expects an nn.RNN, got GRU"):
        set_spectral_radius_(nn.GRU(3, 4), 1.0)


@pytest.mark.parametrize("cell,blocks", [(nn.RNN, 1), (nn.GRU, 3), (nn.LSTM, 4)])
def test_orthogonal_init_each_block(cell, blocks):
    torch.manual_seed(2)
    rnn = orthogonal_init_(cell(3, 5, batch_first=True))
    W = rnn.weight_hh_l0.detach()
    assert W.shape == (blocks * 5, 5)
    for block in W.split(5, dim=0):
        torch.testing.assert_close(block @ block.T, torch.eye(5), atol=1e-5, rtol=0)
        assert spectral_radius(block) == pytest.approx(1.0, rel=1e-5)


def test_orthogonal_init_errors():
    with pytest.raises(TypeError, match="expected nn.RNN, nn.GRU or nn.LSTM, got Linear"):
        orthogonal_init_(nn.Linear(3, 3))
    with pytest.raises(ValueError, match="gain"):
        orthogonal_init_(nn.RNN(3, 3), gain=0.0)


def test_identity_init_is_irnn():
    torch.manual_seed(3)
    rnn = identity_init_(nn.RNN(2, 4, nonlinearity="relu", batch_first=True), scale=1.0)
    torch.testing.assert_close(rnn.weight_hh_l0.detach(), torch.eye(4))
    assert all(float(p.detach().abs().sum()) == 0 for n, p in rnn.named_parameters() if n.startswith("bias"))
    # while units stay active, h_t = h_{t-1} + relu(W_ih x_t): a positive state is carried forward
    x = torch.zeros(1, 5, 2)
    h0 = torch.ones(1, 1, 4)
    out, _ = rnn(x, h0)
    torch.testing.assert_close(out[0, -1], torch.ones(4))


def test_identity_init_errors():
    with pytest.raises(TypeError, match="expects an nn.RNN, got LSTM"):
        identity_init_(nn.LSTM(2, 3))
    with pytest.raises(ValueError, match="scale"):
        identity_init_(nn.RNN(2, 3), scale=-1.0)


def test_scale_to_spectral_radius_accepts_numpy_scalars():
    # np.float32(0.9) used to be refused as "not a positive number".
    import numpy as np

    W = torch.tensor([[0.0, 2.0], [2.0, 0.0]])
    for rho in (np.float32(0.9), np.float64(0.9), np.int64(1)):
        assert spectral_radius(scale_to_spectral_radius(W, rho)) == pytest.approx(float(rho), rel=1e-6)
    with pytest.raises(ValueError, match="rho: expected a positive number"):
        scale_to_spectral_radius(W, np.float32(-1.0))
