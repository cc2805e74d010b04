"""Tests of rnn_course.beyond.mingru: the three modes agree, and the cells are the paper's equations."""
from __future__ import annotations

import pytest
import torch

from rnn_course.beyond.mingru import MinGRU, MinLSTM, MinRNNRegressor, count_min_parameters, g, log_g


def test_g_is_positive_continuous_and_log_g_matches():
    x = torch.linspace(-30, 30, 601, dtype=torch.float64)
    assert (g(x) > 0).all()
    torch.testing.assert_close(g(torch.tensor([0.0])), torch.tensor([0.5]))
    # PyTorch's softplus turns linear above 20, an approximation good to exp(-20) ~ 2e-9
    torch.testing.assert_close(log_g(x), g(x).log(), atol=3e-9, rtol=1e-12)
    assert torch.isfinite(log_g(torch.tensor([-200.0], dtype=torch.float64))).all()  # no log(0)


@pytest.mark.parametrize("cls", [MinGRU, MinLSTM])
@pytest.mark.parametrize("shape", [(1, 1, 2), (3, 7, 4), (2, 64, 3)])
def test_modes_agree_forward_and_backward(cls, shape):
    torch.manual_seed(0)
    layer = cls(shape[2], 5).double()
    x = torch.randn(shape, dtype=torch.float64)
    h0 = torch.rand(shape[0], 5, dtype=torch.float64)
    results = {}
    for mode in ("log", "blelloch", "sequential"):
        layer.zero_grad()
        out, last = layer(x, h0, mode=mode)
        assert out.shape == (shape[0], shape[1], 5) and torch.equal(last, out[:, -1])
        out.pow(2).sum().backward()
        results[mode] = (out.detach(), [p.grad.clone() for p in layer.parameters()])
    for mode in ("log", "blelloch"):
        torch.testing.assert_close(results[mode][0], results["sequential"][0], atol=1e-12, rtol=1e-12)
        for g_mode, g_seq in zip(results[mode][1], results["sequential"][1]):
            torch.testing.assert_close(g_mode, g_seq, atol=1e-10, rtol=1e-10)


def test_min_gru_step_is_the_papers_equation():
    torch.manual_seed(1)
    layer = MinGRU(3, 4).double()
    x, h = torch.randn(2, 3, dtype=torch.float64), torch.rand(2, 4, dtype=torch.float64)
    k, cand = (x @ layer.linear.weight.T + layer.linear.bias).chunk(2, dim=-1)
    z = torch.sigmoid(k)
    torch.testing.assert_close(layer.step(x, h), (1 - z) * h + z * g(cand), atol=1e-14, rtol=1e-14)


def test_min_lstm_step_is_the_papers_equation():
    torch.manual_seed(2)
    layer = MinLSTM(3, 4).double()
    x, h = torch.randn(2, 3, dtype=torch.float64), torch.rand(2, 4, dtype=torch.float64)
    kf, ki, cand = (x @ layer.linear.weight.T + layer.linear.bias).chunk(3, dim=-1)
    f, i = torch.sigmoid(kf), torch.sigmoid(ki)
    expected = f / (f + i) * h + i / (f + i) * g(cand)
    torch.testing.assert_close(layer.step(x, h), expected, atol=1e-14, rtol=1e-14)


def test_gates_do_not_see_the_state():
    torch.manual_seed(3)
    layer = MinGRU(2, 3).double()
    x = torch.randn(1, 2, dtype=torch.float64)
    h1, h2 = torch.rand(1, 3, dtype=torch.float64), torch.rand(1, 3, dtype=torch.float64)
    # h_next is affine in h with coefficients set by x alone: the difference is (1 - z) (h1 - h2)
    diff = layer.step(x, h1) - layer.step(x, h2)
    z = torch.sigmoid(layer.linear(x)[:, :3])
    torch.testing.assert_close(diff, (1 - z) * (h1 - h2), atol=1e-14, rtol=1e-14)


def test_parameter_counts():
    for cls, name in [(MinGRU, "mingru"), (MinLSTM, "minlstm")]:
        layer = cls(7, 5)
        assert sum(p.numel() for p in layer.parameters()) == count_min_parameters(name, 7, 5)
    model = MinRNNRegressor(2, 40, num_layers=2)
    assert sum(p.numel() for p in model.parameters()) == (count_min_parameters("mingru", 2, 40)
                                                         + count_min_parameters("mingru", 40, 40) + 41)


def test_regressor_shapes_and_modes():
    torch.manual_seed(4)
    x = torch.rand(5, 12, 2, dtype=torch.float64)
    outs = []
    for mode in ("log", "blelloch", "sequential"):
        torch.manual_seed(4)
        model = MinRNNRegressor(2, 6, n_out=3, num_layers=2, cell="minlstm", mode=mode).double()
        outs.append(model(x))
    assert outs[0].shape == (5, 3)
    for out in outs[1:]:
        torch.testing.assert_close(out, outs[0], atol=1e-12, rtol=1e-12)


def test_bad_inputs():
    layer = MinGRU(3, 4)
    with pytest.raises(ValueError, match=r"x: expected shape \(batch, time, input_size\) = \(\?, \?, 3\)"):
        layer(torch.randn(2, 5, 4))
    with pytest.raises(ValueError, match="mode must be one of"):
        layer(torch.randn(2, 5, 3), mode="fast")
    with pytest.raises(ValueError, match="h0: expected shape"):
        layer(torch.randn(2, 5, 3), torch.zeros(2, 3))
    with pytest.raises(ValueError, match="non-negative"):
        layer(torch.randn(2, 5, 3), -torch.ones(2, 4))
    with pytest.raises(ValueError, match="positive"):
        MinGRU(0, 4)
    with pytest.raises(ValueError, match="cell must be one of"):
        MinRNNRegressor(2, 4, cell="gru")
    with pytest.raises(ValueError, match="cell must be one of"):
        count_min_parameters("gru", 2, 4)


@pytest.mark.parametrize("cls", [MinGRU, MinLSTM])
def test_mode_differences_are_rounding_and_zero_against_itself(cls):
    from rnn_course.beyond.mingru import mode_differences

    torch.manual_seed(0)
    layer = cls(3, 5).double()
    x = torch.randn(2, 9, 3, dtype=torch.float64)
    h0 = torch.rand(2, 5, dtype=torch.float64)
    diff = mode_differences(layer, x, h0)
    assert list(diff) == ["log", "blelloch"] and all(0 <= d < 1e-12 for d in diff.values())
    assert mode_differences(layer, x, modes=("sequential",)) == {"sequential": 0.0}


def test_mode_differences_rejects_unknown_modes_and_other_layers():
    from rnn_course.beyond.mingru import mode_differences

    x = torch.randn(1, 4, 2)
    with pytest.raises(ValueError, match="modes: expected names"):
        mode_differences(MinGRU(2, 3), x, modes=("fast",))
    with pytest.raises(TypeError, match="expected a MinGRU or MinLSTM, got GRU"):
        mode_differences(torch.nn.GRU(2, 3), x)
