"""GRU-D against the paper's equations: hand-computed imputations (never measured, measured
every step, a long gap), decay rates that never go negative, a literal step-by-step
reference, the reduction to a GRU reading [forward-filled x, mask] when the decays are off,
and the input checks. float64, fixed seeds, tiny sizes."""
from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from rnn_course.recurrent.gated import gru_cell
from rnn_course.clinical.grud import GRUD, GRUSimple, last_observed
from rnn_course.data.icu import time_since_last


def _inputs(mask, values=None, seed=0):
    mask = torch.as_tensor(np.asarray(mask, dtype=np.float64))
    g = torch.Generator().manual_seed(seed)
    if values is None:
        values = torch.randn(mask.shape, generator=g, dtype=torch.float64)
    values = torch.where(mask > 0, torch.as_tensor(values, dtype=torch.float64), torch.nan)
    delta = torch.as_tensor(time_since_last(mask.numpy()), dtype=torch.float64)
    return values, mask, delta


def _model(D=3, H=4, seed=0, **kwargs):
    torch.manual_seed(seed)
    return GRUD(D, H, **kwargs).double()


def test_never_measured_variable_is_its_mean_at_every_step():
    model = _model(D=2, x_mean=torch.tensor([0.5, -1.5]))
    with torch.no_grad():
        model.decay_x_weight.copy_(torch.tensor([0.3, 2.0]))
    values, mask, delta = _inputs(np.zeros((2, 6, 2)))
    gamma_x, _ = model.decay_rates(delta)
    x_hat = model.impute(values, mask, gamma_x)
    np.testing.assert_allclose(x_hat[..., 0].detach(), 0.5)
    np.testing.assert_allclose(x_hat[..., 1].detach(), -1.5)


def test_measured_every_step_passes_the_values_through():
    model = _model(D=3)
    values, mask, delta = _inputs(np.ones((2, 5, 3)))
    assert delta[:, 0].eq(0).all() and delta[:, 1:].eq(1).all()
    x_hat = model.impute(values, mask, model.decay_rates(delta)[0])
    torch.testing.assert_close(x_hat, values)


def test_a_long_gap_decays_towards_the_mean_by_hand():
    # Measured once (value 2) at step 0, then missing for 5 steps; rate w = 0.5, bias 0, mean 1:
    # x_hat_t = exp(-0.5 t) * 2 + (1 - exp(-0.5 t)) * 1, since delta_t = t.
    model = _model(D=1, H=2, x_mean=torch.tensor([1.0]))
    with torch.no_grad():
        model.decay_x_weight.fill_(0.5)
        model.decay_x_bias.zero_()
    values, mask, delta = _inputs([[[1], [0], [0], [0], [0], [0]]], values=[[[2.0]] * 6])
    x_hat = model.impute(values, mask, model.decay_rates(delta)[0])[0, :, 0]
    expected = [2.0] + [math.exp(-0.5 * t) * 2 + (1 - math.exp(-0.5 * t)) * 1 for t in range(1, 6)]
    np.testing.assert_allclose(x_hat.detach().numpy(), expected, rtol=1e-12)


def test_decay_rates_are_never_negative():
    model = _model(D=3, H=5)
    with torch.no_grad():  # weights that would make exp(-(W delta + b)) exceed 1 without the max(0, .)
        model.decay_x_weight.fill_(-3.0)
        model.decay_h.weight.fill_(-1.0)
        model.decay_h.bias.fill_(-2.0)
    delta = torch.rand(2, 7, 3, dtype=torch.float64) * 10
    gamma_x, gamma_h = model.decay_rates(delta)
    assert gamma_x.shape == (2, 7, 3) and gamma_h.shape == (2, 7, 5)
    assert torch.equal(gamma_x, torch.ones_like(gamma_x)) and torch.equal(gamma_h, torch.ones_like(gamma_h))
    model.reset_parameters()  # every rate starts positive, so every decay can learn
    gamma_x, gamma_h = model.decay_rates(delta)
    for g in (gamma_x, gamma_h):
        assert (g > 0).all() and (g <= 1).all() and (g[:, 1:] < 1).all()


def _literal_grud(model, values, mask, delta):
    """The paper's equations one stay, one step and one variable at a time."""
    p = {k: v.detach() for k, v in model.named_parameters()}
    D, H = model.input_size, model.hidden_size
    W_all, b_all = p["input_proj.weight"], p["input_proj.bias"]
    blocks = {name: (W_all[k * H:(k + 1) * H, :D], W_all[k * H:(k + 1) * H, D:], b_all[k * H:(k + 1) * H])
              for k, name in enumerate("rzn")}
    U_r, U_z = p["hidden_rz.weight"][:H], p["hidden_rz.weight"][H:]
    U = p["hidden_n.weight"]
    out = torch.zeros(values.shape[0], values.shape[1], H, dtype=values.dtype)
    for i in range(values.shape[0]):
        h = torch.zeros(H, dtype=values.dtype)
        x_last = model.x_mean.clone().to(values.dtype)
        for t in range(values.shape[1]):
            m, d = mask[i, t], delta[i, t]
            x_hat = torch.zeros(D, dtype=values.dtype)
            for j in range(D):
                gamma = math.exp(-max(0.0, float(p["decay_x_weight"][j] * d[j] + p["decay_x_bias"][j])))
                if m[j] > 0:
                    x_hat[j] = values[i, t, j]
                    x_last[j] = values[i, t, j]
                else:
                    x_hat[j] = gamma * x_last[j] + (1 - gamma) * model.x_mean[j]
            gamma_h = torch.exp(-torch.clamp(p["decay_h.weight"] @ d + p["decay_h.bias"], min=0))
            h_hat = gamma_h * h
            gate = {k: W @ x_hat + V @ m + b for k, (W, V, b) in blocks.items()}
            z = torch.sigmoid(gate["z"] + U_z @ h_hat)
            r = torch.sigmoid(gate["r"] + U_r @ h_hat)
            h_tilde = torch.tanh(gate["n"] + U @ (r * h_hat))
            h = (1 - z) * h_hat + z * h_tilde
            out[i, t] = h
    return out


def test_matches_a_literal_step_by_step_implementation(rng):
    model = _model(D=3, H=4, x_mean=torch.tensor([0.2, -0.1, 0.4]))
    with torch.no_grad():
        model.decay_x_bias.copy_(torch.tensor([0.1, -0.2, 0.3]))
        model.decay_h.bias.uniform_(-0.3, 0.3)
    values, mask, delta = _inputs(rng.random((2, 8, 3)) < 0.4, seed=1)
    outputs, h_last = model(values, mask, delta)
    expected = _literal_grud(model, values, mask, delta)
    assert outputs.shape == (2, 8, 4) and h_last.shape == (2, 4)
    torch.testing.assert_close(outputs, expected, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(h_last, outputs[:, -1])


def test_without_decay_it_is_a_gru_reading_forward_filled_values_and_the_mask(rng):
    D, H = 3, 5
    x_mean = torch.tensor([0.3, 0.0, -0.7], dtype=torch.float64)
    model = _model(D=D, H=H, x_mean=x_mean, input_decay=False, hidden_decay=False)
    values, mask, delta = _inputs(rng.random((3, 9, D)) < 0.3, seed=2)
    outputs, _ = model(values, mask, delta)
    # The paper keeps the old state with 1 - z; PyTorch's layout (gated.gru_cell) keeps it
    # with z. Negating the z block's weights and bias turns one into the other.
    w = model.input_proj.weight.detach().clone()
    b = model.input_proj.bias.detach().clone()
    w_hh = torch.cat([model.hidden_rz.weight.detach(), model.hidden_n.weight.detach()]).clone()
    w[H:2 * H], b[H:2 * H], w_hh[H:2 * H] = -w[H:2 * H], -b[H:2 * H], -w_hh[H:2 * H]
    x_ff = last_observed(values, mask, x_mean)
    inputs = torch.cat([x_ff, mask], dim=-1)  # (N, T, 2D): forward-filled values and the mask
    h = torch.zeros(3, H, dtype=torch.float64)
    for t in range(9):
        h = gru_cell(inputs[:, t], h, w, w_hh, b_ih=b, b_hh=None, reset_after=False)
        torch.testing.assert_close(outputs[:, t], h, rtol=1e-12, atol=1e-12)
    outputs.sum().backward()
    assert all(p.grad is not None for p in model.parameters())  # no decay parameters left over
    with_decay = _model(D=D, H=H)
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert n(with_decay) - n(model) == D + D + H * D + H  # W_gamma_x (diagonal), b_gamma_x, W_gamma_h, b_gamma_h


def test_gradients_reach_the_decay_parameters(rng):
    model = _model(D=3, H=4)
    with torch.no_grad():
        model.decay_x_weight.fill_(0.5)
        model.decay_h.bias.fill_(0.5)
    values, mask, delta = _inputs(rng.random((2, 6, 3)) < 0.4)
    model(values, mask, delta)[1].sum().backward()
    assert model.decay_x_weight.grad.abs().sum() > 0 and model.decay_h.weight.grad.abs().sum() > 0


def test_last_observed_fills_before_the_first_measurement():
    values, mask, _ = _inputs([[[0], [1], [0], [1], [0]]], values=[[[9.0], [1.0], [9.0], [3.0], [9.0]]])
    filled = last_observed(values, mask, torch.tensor([-4.0], dtype=torch.float64))
    assert filled[0, :, 0].tolist() == [-4.0, 1.0, 1.0, 3.0, 3.0]


def test_bad_inputs_say_what_was_expected():
    model = _model(D=3, H=4)
    values, mask, delta = _inputs(np.ones((2, 5, 3)))
    with pytest.raises(ValueError, match=r"values: expected shape \(batch, time, variables\) = \(\?, \?, 3\)"):
        model(values[..., :2], mask, delta)
    with pytest.raises(ValueError, match="one shape"):
        model(values, mask[:, :4], delta)
    with pytest.raises(TypeError, match="expected dtype torch.float64"):
        model(values.float(), mask, delta)
    with pytest.raises(TypeError, match="mask: expected a torch.Tensor"):
        model(values, mask.numpy(), delta)
    with pytest.raises(ValueError, match=r"h0: expected shape \(batch, hidden\) = \(2, 4\)"):
        model(values, mask, delta, h0=torch.zeros(2, 5, dtype=torch.float64))
    with pytest.raises(ValueError, match="hidden_size: expected a positive int"):
        GRUD(3, 0)
    with pytest.raises(ValueError, match=r"x_mean: expected shape \(variables,\) = \(3,\)"):
        GRUD(3, 4, x_mean=torch.zeros(2))


def test_gru_simple_is_a_gru_reading_forward_filled_values_mask_and_scaled_delta(rng):
    D, H = 3, 5
    x_mean = torch.tensor([0.3, 0.0, -0.7], dtype=torch.float64)
    torch.manual_seed(0)
    model = GRUSimple(D, H, x_mean=x_mean, delta_scale=4.0).double()
    assert model.input_proj.weight.shape == (3 * H, 3 * D)
    values, mask, delta = _inputs(rng.random((3, 9, D)) < 0.3, seed=2)
    outputs, h_last = model(values, mask, delta)
    assert outputs.shape == (3, 9, H) and h_last.shape == (3, H)
    torch.testing.assert_close(h_last, outputs[:, -1])
    inputs = model.gate_inputs(last_observed(values, mask, x_mean), mask, delta)
    assert inputs.shape == (3, 9, 3 * D)
    torch.testing.assert_close(inputs[..., 2 * D:], delta / 4.0)
    # With the delta columns of input_proj zeroed, it is the GRU-D cell without decays.
    no_decay = _model(D=D, H=H, x_mean=x_mean, input_decay=False, hidden_decay=False)
    with torch.no_grad():
        model.input_proj.weight[:, 2 * D:] = 0
        no_decay.input_proj.weight.copy_(model.input_proj.weight[:, :2 * D])
        no_decay.input_proj.bias.copy_(model.input_proj.bias)
        no_decay.hidden_rz.weight.copy_(model.hidden_rz.weight)
        no_decay.hidden_n.weight.copy_(model.hidden_n.weight)
    torch.testing.assert_close(model(values, mask, delta)[0], no_decay(values, mask, delta)[0])
    n = lambda m: sum(p.numel() for p in m.parameters())  # noqa: E731
    assert n(model) - n(no_decay) == 3 * H * D  # the weights that read delta, nothing else


def test_gru_simple_checks_its_inputs():
    model = GRUSimple(3, 4).double()
    values, mask, delta = _inputs(np.ones((2, 5, 3)))
    with pytest.raises(ValueError, match=r"delta: expected shape \(batch, time, variables\)"):
        model(values, mask, delta[..., :2])
    with pytest.raises(ValueError, match="input_size: expected a positive int"):
        GRUSimple(0, 4)
    with pytest.raises(ValueError, match="delta_scale: expected a positive number, got 0"):
        GRUSimple(3, 4, delta_scale=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_runs_on_cuda_like_on_the_cpu(rng):
    model = _model(D=3, H=4)
    values, mask, delta = _inputs(rng.random((2, 7, 3)) < 0.4)
    on_cpu = model(values, mask, delta)[0]
    on_gpu = model.to("cuda")(values.cuda(), mask.cuda(), delta.cuda())[0]
    torch.testing.assert_close(on_gpu.cpu(), on_cpu, rtol=1e-10, atol=1e-10)
