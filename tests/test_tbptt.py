"""Tests of rnn_course.recurrent.tbptt: chunks, detaching, truncated gradients, the TBPTT loop."""
from __future__ import annotations

import math
import re

import numpy as np
import pytest
import torch
from torch import nn

from rnn_course.recurrent import tbptt
from rnn_course.timing import measure_update
from rnn_course.recurrent.tbptt import IGNORE, RecurrentModel


def _model(cell: str = "gru", features: int = 2, hidden: int = 5, out: int = 1, seed: int = 0) -> RecurrentModel:
    torch.manual_seed(seed)
    return RecurrentModel(features, hidden, out, cell).double()


def _data(B: int = 3, T: int = 20, F: int = 2, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(B, T, F, generator=g, dtype=torch.float64), torch.randn(B, T, 1, generator=g, dtype=torch.float64)


# --- streams and chunks -------------------------------------------------------------------

def test_make_streams_are_contiguous_pieces_and_drop_the_remainder():
    series = np.arange(23, dtype=np.float32)
    streams = tbptt.make_streams(series, 4)
    assert streams.shape == (4, 5, 1) and streams.dtype == torch.float32
    for b in range(4):
        assert streams[b, :, 0].tolist() == list(range(5 * b, 5 * b + 5))
    two_features = tbptt.make_streams(torch.arange(20.0).reshape(10, 2), 2)
    assert two_features.shape == (2, 5, 2) and two_features[1, 0].tolist() == [10.0, 11.0]


@pytest.mark.parametrize("n_streams, match", [(0, "n_streams: expected a positive int, got 0"),
                                              (11, "expected at most 10"), (2.0, "n_streams: expected a positive int, got 2.0")])
def test_make_streams_errors(n_streams, match):
    with pytest.raises(ValueError, match=match):
        tbptt.make_streams(np.zeros(10), n_streams)


def test_make_streams_rejects_3d_series():
    with pytest.raises(ValueError, match=r"expected shape \(time, features\)"):
        tbptt.make_streams(np.zeros((2, 3, 4)), 2)


@pytest.mark.parametrize("k", [1, 4, 7, 20, 25])
def test_chunks_cover_the_sequence_in_order(k):
    x, y = _data(T=20)
    chunks = list(tbptt.chunk_sequence(x, y, k))
    assert [c[0].shape[1] for c in chunks] == [min(k, 20 - s) for s in range(0, 20, k)]
    assert torch.equal(torch.cat([c[0] for c in chunks], dim=1), x)
    assert torch.equal(torch.cat([c[1] for c in chunks], dim=1), y)


def test_stateful_batches_continue_each_stream():
    streams = tbptt.make_streams(np.arange(60.0), 3)  # (3, 20, 1)
    chunks = [c for c, _ in tbptt.chunk_sequence(streams, streams, 6)]
    for first, second in zip(chunks, chunks[1:]):
        assert torch.equal(second[:, 0, 0], first[:, -1, 0] + 1)  # row b picks up where it stopped


@pytest.mark.parametrize("k", [0, -3, 2.5, True, "10"])
def test_chunk_sequence_rejects_bad_k(k):
    x, y = _data()
    with pytest.raises(ValueError, match=re.escape(f"k: expected a positive int (time steps), got {k!r}")):
        next(tbptt.chunk_sequence(x, y, k))


def test_chunk_sequence_shape_errors_say_expected_and_received():
    x, y = _data(B=3, T=20)
    with pytest.raises(ValueError, match=r"y: expected shape .*\(3, 20, \.\.\.\).*got \(3, 19, 1\)"):
        next(tbptt.chunk_sequence(x, y[:, :19], 5))
    with pytest.raises(ValueError, match=r"x: expected shape \(batch, time, features\)"):
        next(tbptt.chunk_sequence(x[0], y, 5))


# --- detach -------------------------------------------------------------------------------

def test_detach_state_handles_tensors_tuples_lists_and_none():
    w = torch.ones(3, requires_grad=True)
    h, c = w * 2, w * 3
    assert tbptt.detach_state(None) is None
    out = tbptt.detach_state(h)
    assert not out.requires_grad and torch.equal(out, h) and h.requires_grad  # original untouched
    pair = tbptt.detach_state((h, c))
    assert isinstance(pair, tuple) and len(pair) == 2 and not any(p.requires_grad for p in pair)
    assert isinstance(tbptt.detach_state([h, c]), list)
    with pytest.raises(TypeError, match="expected None, a tensor or a tuple.*got str"):
        tbptt.detach_state("h")


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_carried_state_equals_running_the_whole_sequence(cell):
    model, (x, _) = _model(cell), _data(T=23)
    y_full, h_full = model(x)
    h, outs = None, []
    for x_chunk, _ in tbptt.chunk_sequence(x, x, 5):
        y_hat, h = model(x_chunk, tbptt.detach_state(h))
        outs.append(y_hat)
    torch.testing.assert_close(torch.cat(outs, dim=1), y_full)
    for a, b in zip(h if cell == "lstm" else (h,), h_full if cell == "lstm" else (h_full,)):
        torch.testing.assert_close(a, b)


def test_detach_cuts_the_graph_between_chunks():
    model, (x, _) = _model(), _data(T=20)
    x = x.clone().requires_grad_(True)
    _, h = model(x[:, :10])
    y1, _ = model(x[:, 10:], tbptt.detach_state(h))
    grad = torch.autograd.grad(y1.sum(), x)[0]
    assert grad[:, :10].abs().max() == 0 and grad[:, 10:].abs().max() > 0
    y1_attached, _ = model(x[:, 10:], h)  # without detach the loss reaches the earlier chunk
    assert torch.autograd.grad(y1_attached.sum(), x)[0][:, :10].abs().max() > 0


def test_forgetting_detach_raises_backward_a_second_time():
    model, (x, y) = _model(), _data(T=20)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    h = None
    with pytest.raises(RuntimeError, match="backward through the graph a second time"):
        for x_chunk, y_chunk in tbptt.chunk_sequence(x, y, 5):
            y_hat, h = model(x_chunk, h)  # no detach_state
            opt.zero_grad()
            nn.functional.mse_loss(y_hat, y_chunk).backward()
            opt.step()


# --- truncated vs full gradient -----------------------------------------------------------

def _hooked_truncated_gradient(model, x, y, k):
    """Independent reference: one graph, with the gradient zeroed at every chunk boundary."""
    T, h, loss = x.shape[1], None, 0.0
    for start in range(0, T, k):
        if h is not None:
            h = h * 1.0
            h.register_hook(torch.zeros_like)
        y_hat, h = model(x[:, start:start + k], h)
        loss = loss + nn.functional.mse_loss(y_hat, y[:, start:start + k]) * (y_hat.shape[1] / T)
    model.zero_grad()
    loss.backward()
    return torch.cat([p.grad.reshape(-1) for p in model.parameters()])


@pytest.mark.parametrize("k", [1, 3, 7, 20])
def test_truncated_gradient_matches_an_independent_reference(k):
    model, (x, y) = _model("rnn"), _data(T=20)
    got = tbptt.truncated_gradient(model, x, y, nn.MSELoss(), k)
    torch.testing.assert_close(got, _hooked_truncated_gradient(model, x, y, k), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("k", [20, 21, 100])
def test_k_at_least_T_gives_exactly_the_full_gradient(k):
    model, (x, y) = _model("gru"), _data(T=20)
    full = tbptt.full_bptt_gradient(model, x, y, nn.MSELoss())
    trunc = tbptt.truncated_gradient(model, x, y, nn.MSELoss(), k)
    assert torch.equal(trunc, full)
    assert tbptt.cosine_similarity(trunc, full) == pytest.approx(1.0, abs=1e-12)
    assert all(p.grad is None for p in model.parameters())  # .grad left untouched


def test_smaller_k_gives_a_different_gradient():
    torch.manual_seed(1)
    model = RecurrentModel(2, 5, 1, "rnn").double()
    with torch.no_grad():
        model.rnn.weight_hh_l0.mul_(3.0)  # strong recurrence: long-range terms matter
    x, y = _data(T=20)
    full = tbptt.full_bptt_gradient(model, x, y, nn.MSELoss())
    for k in (1, 5, 10):
        trunc = tbptt.truncated_gradient(model, x, y, nn.MSELoss(), k)
        assert tbptt.cosine_similarity(trunc, full) < 1 - 1e-6
        assert not torch.allclose(trunc, full)


def test_cosine_similarity_rejects_different_shapes():
    with pytest.raises(ValueError, match=r"same shape, got \(3,\) and \(4,\)"):
        tbptt.cosine_similarity(torch.ones(3), torch.ones(4))


# --- the training loop --------------------------------------------------------------------

def test_train_tbptt_matches_a_hand_written_loop():
    x, y = _data(T=23)
    reference, trained = _model(), _model()
    opt = torch.optim.SGD(reference.parameters(), lr=0.05)
    h = None
    for _ in range(2):
        h = None
        for x_chunk, y_chunk in tbptt.chunk_sequence(x, y, 5):
            y_hat, h = reference(x_chunk, tbptt.detach_state(h))
            opt.zero_grad()
            nn.functional.mse_loss(y_hat, y_chunk).backward()
            opt.step()
    history = tbptt.train_tbptt(trained, x, y, nn.MSELoss(), k=5, epochs=2, device="cpu", progress=False,
                                optimizer=torch.optim.SGD(trained.parameters(), lr=0.05))
    assert len(history.step_loss) == len(history.grad_norm) == 2 * math.ceil(23 / 5)
    assert len(history.train_loss) == 2
    for p, q in zip(trained.parameters(), reference.parameters()):
        torch.testing.assert_close(p, q)


@pytest.mark.slow
def test_k1_smaller_than_k_backpropagates_k_steps_for_the_k1_new_steps():
    model, (x, y) = _model("lstm"), _data(T=20)
    T, k, k1 = 20, 7, 3  # k not a multiple of k1: windows start between update boundaries
    history = tbptt.train_tbptt(model, x, y, nn.MSELoss(), k=k, k1=k1, epochs=1, device="cpu", progress=False,
                                optimizer=torch.optim.SGD(model.parameters(), lr=0.0))  # weights fixed
    ends = [*range(k1, T, k1), T]
    assert len(history.step_loss) == len(ends)
    y_full, _ = model(x)
    params = list(model.parameters())
    for i, end in enumerate(ends):
        new = ends[i - 1] if i else 0
        start = max(0, new - (k - k1))
        expected = nn.functional.mse_loss(y_full[:, new:end], y[:, new:end])
        assert history.step_loss[i] == pytest.approx(expected.item(), rel=1e-10)
        # reference gradient: state from the full run, cut at the window start
        h0 = None
        if start > 0:
            _, h_prev = model(x[:, :start])
            h0 = tbptt.detach_state(h_prev)
        y_hat, _ = model(x[:, start:end], h0)
        grads = torch.autograd.grad(nn.functional.mse_loss(y_hat[:, new - start:], y[:, new:end]), params)
        norm = torch.cat([g.reshape(-1) for g in grads]).norm().item()
        assert history.grad_norm[i] == pytest.approx(norm, rel=1e-8)


@pytest.mark.slow
def test_train_tbptt_learns_a_one_step_delay():
    torch.manual_seed(0)
    x = torch.randn(16, 60, 1)
    y = torch.roll(x, 1, dims=1)
    model = RecurrentModel(1, 8, 1, "gru")
    history = tbptt.train_tbptt(model, x, y, nn.MSELoss(), k=10, epochs=12, lr=0.03, clip_grad_norm=1.0,
                                device="cpu", progress=False)
    assert history.train_loss[-1] < 0.3 * history.train_loss[0]
    assert not history.diverged


@pytest.mark.parametrize("kwargs, match", [
    (dict(k=0), r"k: expected a positive int \(time steps\), got 0"),
    (dict(k=5, k1=6), r"k1 \(steps between updates\) must be at most k.*k1=6, k=5"),
    (dict(k=5, epochs=0), r"epochs: expected a positive int, got 0"),
    (dict(k=5, clip_grad_norm=0.0), r"clip_grad_norm must be positive"),
])
def test_train_tbptt_errors(kwargs, match):
    model, (x, y) = _model(), _data()
    with pytest.raises(ValueError, match=match):
        tbptt.train_tbptt(model, x, y, nn.MSELoss(), device="cpu", progress=False, **kwargs)


def test_train_tbptt_shape_error():
    model, (x, y) = _model(), _data()
    with pytest.raises(ValueError, match=r"y: expected shape"):
        tbptt.train_tbptt(model, x, y[:1], nn.MSELoss(), k=5, device="cpu", progress=False)


def test_train_tbptt_stops_on_a_non_finite_loss():
    model, (x, y) = _model(), _data()
    history = tbptt.train_tbptt(model, x, y, lambda a, b: (a - b).mean() * float("nan"), k=5,
                                device="cpu", progress=False)
    assert history.diverged and len(history.step_loss) == 1


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU on this machine")
def test_train_tbptt_on_gpu():
    model, (x, y) = _model(), _data()
    tbptt.train_tbptt(model, x, y, nn.MSELoss(), k=5, device="cuda", progress=False)
    assert next(model.parameters()).is_cuda
    cost = measure_update(model, x[:, :5], y[:, :5], nn.MSELoss())
    assert cost.peak_cuda_bytes > 0


# --- the loss of sparse targets ------------------------------------------------------------

def test_masked_cross_entropy():
    logits = torch.randn(2, 6, 3, requires_grad=True)
    targets = torch.full((2, 6), IGNORE)
    empty = tbptt.masked_cross_entropy(logits, targets)
    empty.backward()
    assert empty.item() == 0.0
    targets[0, 2], targets[1, 5] = 1, 2
    expected = nn.functional.cross_entropy(logits.reshape(-1, 3), targets.reshape(-1), ignore_index=IGNORE)
    torch.testing.assert_close(tbptt.masked_cross_entropy(logits, targets), expected)
    with pytest.raises(ValueError, match=r"targets: expected shape \(batch, time\) = \(2, 6\), got \(2, 5\)"):
        tbptt.masked_cross_entropy(logits, targets[:, :5])


# --- the model ----------------------------------------------------------------------------

@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_recurrent_model_shapes(cell):
    model = RecurrentModel(3, 4, 2, cell)
    y_hat, h = model(torch.randn(5, 7, 3))
    assert y_hat.shape == (5, 7, 2)
    assert (h[0] if cell == "lstm" else h).shape == (1, 5, 4)


def test_recurrent_model_errors():
    with pytest.raises(ValueError, match="cell: expected one of rnn, gru, lstm, got 'transformer'"):
        RecurrentModel(3, 4, 2, "transformer")
    with pytest.raises(ValueError, match="x: expected 3 features, got 2"):
        RecurrentModel(3, 4, 2)(torch.randn(5, 7, 2))


# ------------------------------------------------------------------ review fixes
def test_train_tbptt_rejects_a_nan_clip():
    x, y = _data()
    with pytest.raises(ValueError, match="clip_grad_norm must be positive"):
        tbptt.train_tbptt(_model(), x, y, nn.MSELoss(), k=5, clip_grad_norm=float("nan"), device="cpu", progress=False)


@pytest.mark.parametrize("which", ["full", "truncated"])
def test_gradients_move_the_data_to_the_models_device(which):
    # The "meta" device stands in for a GPU: a model there and data on the CPU used to fail
    # with "Input and parameter tensors are not at the same device".
    model = RecurrentModel(2, 5, 1).to("meta")
    x, y = torch.randn(3, 8, 2), torch.randn(3, 8, 1)
    g = (tbptt.full_bptt_gradient(model, x, y, nn.MSELoss()) if which == "full"
         else tbptt.truncated_gradient(model, x, y, nn.MSELoss(), 3))
    assert g.device.type == "meta"
    assert g.shape == (sum(p.numel() for p in model.parameters()),)


def test_train_tbptt_on_epoch_end_equals_epochs_one_at_a_time():
    x, y = _data()
    model, seen = _model(), []
    h = tbptt.train_tbptt(model, x, y, nn.functional.mse_loss, k=5, epochs=3, lr=0.01, progress=False,
                          on_epoch_end=lambda m, history: seen.append(len(history.train_loss)) or len(seen) == 2)
    assert seen == [1, 2] and len(h.train_loss) == len(h.epoch_seconds) == 2
    other = _model()
    optimizer = torch.optim.Adam(other.parameters(), lr=0.01)
    losses = [tbptt.train_tbptt(other, x, y, nn.functional.mse_loss, k=5, optimizer=optimizer,
                                progress=False).train_loss[0] for _ in range(2)]
    assert h.train_loss == losses
