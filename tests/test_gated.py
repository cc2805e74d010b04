"""The scratch LSTM/GRU must match torch.nn numerically: outputs, final states and every gradient."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from rnn_course.recurrent.gated import ScratchGRU, ScratchLSTM, count_parameters_formula, gru_cell, lstm_cell

TOL = dict(atol=1e-10, rtol=1e-10)

# (batch, time, input_size, hidden_size, num_layers, batch_first, with_initial_state, bias)
CONFIGS = [
    (3, 5, 4, 6, 1, True, False, True),
    (1, 1, 2, 3, 1, False, False, True),   # batch = 1, T = 1
    (2, 7, 3, 5, 2, False, True, True),    # two layers, given initial state
    (4, 4, 5, 2, 3, True, True, True),     # three layers, hidden < input
    (2, 3, 3, 4, 2, True, False, False),   # no biases
    (1, 6, 1, 1, 1, True, True, True),     # a single unit
]


def _pair(kind: str, D: int, H: int, L: int, batch_first: bool, bias: bool, seed: int = 0):
    torch.manual_seed(seed)
    ref = (nn.LSTM if kind == "lstm" else nn.GRU)(D, H, L, bias=bias, batch_first=batch_first).double()
    ours = (ScratchLSTM if kind == "lstm" else ScratchGRU).from_torch(ref)
    return ref, ours


def _inputs(kind, N, T, D, H, L, batch_first, with_state, seed=1):
    g = torch.Generator().manual_seed(seed)
    shape = (N, T, D) if batch_first else (T, N, D)
    x = torch.randn(*shape, generator=g, dtype=torch.float64)
    if not with_state:
        return x, None
    h0 = torch.randn(L, N, H, generator=g, dtype=torch.float64)
    c0 = torch.randn(L, N, H, generator=g, dtype=torch.float64)
    return x, ((h0, c0) if kind == "lstm" else h0)


def _leaves(x, hx):
    if hx is None:
        return [x]
    return [x, *hx] if isinstance(hx, tuple) else [x, hx]


def _flat(out, state):
    return [out, *state] if isinstance(state, tuple) else [out, state]


@pytest.mark.parametrize("kind", ["lstm", "gru"])
@pytest.mark.parametrize("config", CONFIGS)
def test_forward_and_gradients_match_torch(kind, config):
    N, T, D, H, L, batch_first, with_state, bias = config
    ref, ours = _pair(kind, D, H, L, batch_first, bias)
    results = []
    for model in (ref, ours):
        x, hx = _inputs(kind, N, T, D, H, L, batch_first, with_state)
        leaves = _leaves(x, hx)
        for t in leaves:
            t.requires_grad_(True)
        tensors = _flat(*model(x, hx))
        # a random linear functional of every output, so each output's gradient is exercised
        g = torch.Generator().manual_seed(2)
        loss = sum((t * torch.randn(t.shape, generator=g, dtype=t.dtype)).sum() for t in tensors)
        params = list(model.parameters())
        grads = torch.autograd.grad(loss, leaves + params)
        results.append((tensors, grads, [n for n, _ in model.named_parameters()]))
    (t_ref, g_ref, n_ref), (t_ours, g_ours, n_ours) = results
    assert n_ref == n_ours
    assert t_ours[0].shape == t_ref[0].shape
    for a, b in zip(t_ours, t_ref):
        torch.testing.assert_close(a, b, **TOL)
    assert len(g_ours) == len(g_ref)
    for a, b in zip(g_ours, g_ref):
        torch.testing.assert_close(a, b, **TOL)


@pytest.mark.parametrize("kind", ["lstm", "gru"])
def test_unbatched_input_matches_torch(kind):
    ref, ours = _pair(kind, 3, 4, 2, False, True)
    x = torch.randn(5, 3, dtype=torch.float64)
    h0 = torch.randn(2, 4, dtype=torch.float64)
    hx = (h0, torch.randn(2, 4, dtype=torch.float64)) if kind == "lstm" else h0
    for a, b in zip(_flat(*ours(x, hx)), _flat(*ref(x, hx))):
        torch.testing.assert_close(a, b, **TOL)


def test_load_state_dict_from_torch_module():
    torch.manual_seed(0)
    ref = nn.LSTM(3, 4, num_layers=2).double()
    ours = ScratchLSTM(3, 4, num_layers=2, dtype=torch.float64)
    ours.load_state_dict(ref.state_dict())
    x = torch.randn(6, 2, 3, dtype=torch.float64)
    torch.testing.assert_close(ours(x)[0], ref(x)[0], **TOL)


def test_initialisation_range_matches_torch():
    torch.manual_seed(0)
    ours, k = ScratchGRU(3, 64), 1 / 64**0.5
    for name, p in ours.named_parameters():  # U(-k, k) like torch: spread over the range, not zeros
        assert p.abs().max() <= k and p.min() < -0.9 * k and p.max() > 0.9 * k, name
        assert abs(p.std().item() - k / 3**0.5) < 0.15 * k / 3**0.5, (name, p.std().item())
    assert ours.weight_ih_l0.dtype == torch.float32


def test_paper_gru_differs_but_agrees_when_reset_is_one():
    ref, _ = _pair("gru", 3, 4, 1, True, True)
    paper = ScratchGRU.from_torch(ref, reset_after=False)
    x = torch.randn(2, 5, 3, dtype=torch.float64)
    assert (paper(x)[0] - ref(x)[0]).abs().max() > 1e-3
    # with r forced to 1 (huge reset-gate bias) the two forms coincide
    with torch.no_grad():
        for m in (ref, paper):
            m.bias_hh_l0[:4] = 50.0
    torch.testing.assert_close(paper(x)[0], ref(x)[0], atol=1e-9, rtol=0)


def test_cells_match_torch_cells():
    torch.manual_seed(0)
    x, h, c = (torch.randn(3, k, dtype=torch.float64) for k in (2, 4, 4))
    cell = nn.LSTMCell(2, 4).double()
    h1, c1 = lstm_cell(x, h, c, cell.weight_ih, cell.weight_hh, cell.bias_ih, cell.bias_hh)
    h2, c2 = cell(x, (h, c))
    torch.testing.assert_close(h1, h2, **TOL)
    torch.testing.assert_close(c1, c2, **TOL)
    gcell = nn.GRUCell(2, 4).double()
    torch.testing.assert_close(gru_cell(x, h, gcell.weight_ih, gcell.weight_hh, gcell.bias_ih, gcell.bias_hh),
                               gcell(x, h), **TOL)


@pytest.mark.parametrize("kind", ["rnn", "gru", "lstm"])
@pytest.mark.parametrize("D,H,L,bidirectional,bias", [
    (1, 1, 1, False, True), (10, 20, 1, False, True), (10, 20, 3, False, True),
    (7, 5, 2, True, True), (3, 8, 3, True, False), (64, 128, 2, True, True),
])
def test_count_parameters_formula_matches_torch(kind, D, H, L, bidirectional, bias):
    module = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}[kind](D, H, L, bias=bias, bidirectional=bidirectional)
    assert count_parameters_formula(kind, D, H, L, bidirectional, bias) == sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("D,H,L,bidirectional", [(10, 20, 1, False), (7, 5, 3, True), (1, 64, 2, False)])
def test_gru_has_exactly_three_quarters_of_the_lstm_parameters(D, H, L, bidirectional):
    gru, lstm = (count_parameters_formula(kind, D, H, L, bidirectional) for kind in ("gru", "lstm"))
    assert 4 * gru == 3 * lstm


# ---- error paths ------------------------------------------------------------------------------

def test_count_parameters_formula_rejects_bad_arguments():
    with pytest.raises(ValueError, match="expected one of rnn, gru, lstm, got 'transformer'"):
        count_parameters_formula("transformer", 3, 4)
    with pytest.raises(ValueError, match="hidden_size: expected a positive int, got 0"):
        count_parameters_formula("lstm", 3, 0)


def test_wrong_feature_count_names_expected_and_received():
    model = ScratchLSTM(3, 4, batch_first=True)
    with pytest.raises(ValueError, match=r"expected 3 features.*got shape \(2, 5, 4\)"):
        model(torch.randn(2, 5, 4))
    with pytest.raises(ValueError, match=r"expected 3 dimensions \(batch, time, features\).*got shape \(5,\)"):
        model(torch.randn(5))


def test_wrong_dtype_and_device_are_named():
    model = ScratchGRU(3, 4)
    with pytest.raises(TypeError, match="expected dtype torch.float32 .*got torch.float64"):
        model(torch.randn(5, 2, 3, dtype=torch.float64))
    with pytest.raises(TypeError, match="expected a torch.Tensor, got list"):
        model([[1.0, 2.0, 3.0]])
    with pytest.raises(RuntimeError, match="expected a tensor on cpu .*got meta"):
        model(torch.empty(5, 2, 3, device="meta"))


def test_wrong_initial_state_is_named():
    lstm = ScratchLSTM(3, 4, num_layers=2)
    x = torch.randn(5, 2, 3)
    shape_msg = r"h_0: expected shape \(layers, batch, hidden\) = \({}\), got \({}\)"
    with pytest.raises(ValueError, match=shape_msg.format("2, 2, 4", "1, 2, 4")):
        lstm(x, (torch.zeros(1, 2, 4), torch.zeros(2, 2, 4)))
    with pytest.raises(TypeError, match=r"c_0: expected dtype torch.float32"):
        lstm(x, (torch.zeros(2, 2, 4), torch.zeros(2, 2, 4, dtype=torch.float64)))
    with pytest.raises(TypeError, match=r"hx: expected a tuple \(h_0, c_0\)"):
        lstm(x, torch.zeros(2, 2, 4))
    with pytest.raises(ValueError, match=shape_msg.format("1, 2, 4", "1, 3, 4")):
        ScratchGRU(3, 4)(x, torch.zeros(1, 3, 4))


def test_from_torch_rejects_wrong_modules():
    with pytest.raises(TypeError, match="expected an nn.LSTM, got GRU"):
        ScratchLSTM.from_torch(nn.GRU(2, 3))
    with pytest.raises(ValueError, match="got bidirectional=True"):
        ScratchGRU.from_torch(nn.GRU(2, 3, bidirectional=True))
    with pytest.raises(ValueError, match="dropout=0.5"):
        ScratchLSTM.from_torch(nn.LSTM(2, 3, num_layers=2, dropout=0.5))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_runs_on_cuda_and_matches_cudnn():
    ref = nn.LSTM(3, 8, 2, batch_first=True).double().cuda()
    ours = ScratchLSTM.from_torch(ref)
    x = torch.randn(4, 6, 3, dtype=torch.float64, device="cuda")
    torch.testing.assert_close(ours(x)[0], ref(x)[0], atol=1e-9, rtol=1e-9)
