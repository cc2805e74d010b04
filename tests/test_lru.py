"""Tests of rnn_course.beyond.lru: the scan equals the loop, the paper's ring initialisation, shapes."""
from __future__ import annotations

import math

import pytest
import torch

from rnn_course.beyond.lru import LRU, LRURegressor, count_lru_parameters
from rnn_course.beyond.scan import blelloch_scan, linear_recurrence_loop


def test_complex_scan_equals_the_loop():
    g = torch.Generator().manual_seed(0)
    shape = (2, 37, 3)
    a = torch.polar(torch.rand(shape, generator=g, dtype=torch.float64),
                    2 * math.pi * torch.rand(shape, generator=g, dtype=torch.float64))
    b = torch.complex(torch.randn(shape, generator=g, dtype=torch.float64),
                      torch.randn(shape, generator=g, dtype=torch.float64))
    h0 = torch.randn(2, 3, generator=g, dtype=torch.complex128)
    torch.testing.assert_close(blelloch_scan(a, b, h0), linear_recurrence_loop(a, b, h0),
                               atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("shape", [(1, 1, 4), (3, 16, 4), (2, 61, 4)])
def test_layer_scan_equals_step_by_step_loop_forward_and_backward(shape):
    torch.manual_seed(0)
    layer = LRU(4, 6, r_min=0.5, r_max=0.99).double()
    u = torch.randn(shape, dtype=torch.float64)
    runs = {}
    for mode in ("scan", "loop"):
        y = layer(u, mode=mode)
        assert y.shape == shape and not y.is_complex()
        params = list(layer.parameters())
        grads = torch.autograd.grad(y.square().sum(), params, allow_unused=True)
        # at T = 1 the scan never multiplies by mu: no gradient is a zero gradient
        runs[mode] = [y, *(torch.zeros_like(p) if g is None else g
                           for p, g in zip(params, grads))]
    for s, l in zip(runs["scan"], runs["loop"]):
        torch.testing.assert_close(s, l, atol=1e-10, rtol=1e-10)


def test_layer_is_the_papers_recurrence():
    """h_t = mu h_(t-1) + beta (B u_t), y_t = Re(C h_t) + D u_t, written out for one unit."""
    torch.manual_seed(1)
    layer = LRU(2, 3).double()
    u = torch.randn(1, 5, 2, dtype=torch.float64)
    mu = layer.eigenvalues()
    B = torch.complex(layer.B_re, layer.B_im) * torch.exp(layer.beta_log)[:, None]
    C = torch.complex(layer.C_re, layer.C_im)
    h = torch.zeros(3, dtype=torch.complex128)
    for t in range(5):
        h = mu * h + B @ u[0, t].to(B.dtype)
        y_t = (C @ h).real + layer.D * u[0, t]
        torch.testing.assert_close(layer(u)[0, t], y_t)


@pytest.mark.parametrize("r_min, r_max", [(0.0, 1.0), (0.9, 0.999), (0.4, 0.6)])
def test_eigenvalues_start_on_the_ring_inside_the_unit_circle(r_min, r_max):
    torch.manual_seed(0)
    layer = LRU(3, 2000, r_min=r_min, r_max=r_max, max_phase=math.pi / 10)
    mu = layer.eigenvalues().detach()
    modulus, phase = mu.abs(), mu.angle()
    assert (modulus < 1).all()
    assert (modulus >= r_min - 1e-6).all() and (modulus <= r_max + 1e-6).all()
    assert (phase >= 0).all() and (phase <= math.pi / 10 + 1e-6).all()
    # |mu|^2 uniform on [r_min^2, r_max^2]: its mean is the midpoint
    assert abs(modulus.square().mean().item() - (r_min**2 + r_max**2) / 2) < 0.03
    # beta = sqrt(1 - |mu|^2) at init (the paper's gamma normalisation)
    torch.testing.assert_close(layer.beta_log.exp(), (1 - modulus.square()).sqrt(),
                               atol=1e-5, rtol=1e-4)


def test_parameter_count_and_regressor_shapes():
    layer = LRU(16, 20)
    assert sum(p.numel() for p in layer.parameters()) == count_lru_parameters(16, 20) == 1356
    model = LRURegressor(2, 16, 20, n_out=3, num_layers=2)
    assert model(torch.randn(5, 9, 2)).shape == (5, 3)


def test_bad_input_names_what_was_expected():
    with pytest.raises(ValueError, match="d_model"):
        LRU(4, 3)(torch.randn(2, 5, 3))
    with pytest.raises(ValueError, match="r_min"):
        LRU(4, 3, r_min=0.9, r_max=0.5)
    with pytest.raises(ValueError, match="mode"):
        LRU(4, 3)(torch.randn(2, 5, 4), mode="fast")
    with pytest.raises(ValueError, match="input_size"):
        LRURegressor(2, 4, 3)(torch.randn(5, 2))
