"""rnn_course.training: fit() learns, records what it promises, clips for real, stops on
divergence, and rejects bad input with clear errors; evaluate() is a weighted mean loss."""
from __future__ import annotations

import math
import re

import pytest
import torch
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence
from torch.utils.data import DataLoader, TensorDataset

from rnn_course.training import History, count_parameters, evaluate, fit, grad_norm

mse = nn.functional.mse_loss
CPU = torch.device("cpu")


def regression(n=64, batch=16, seed=0, scale=1.0):
    """A seeded linear problem y = x @ w + noise, as a list of (x, y) batches."""
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 3, generator=g)
    y = (x @ torch.tensor([[1.5], [-2.0], [0.5]]) + 0.01 * torch.randn(n, 1, generator=g)) * scale
    return [(x[i:i + batch], y[i:i + batch]) for i in range(0, n, batch)]


def model(seed=0):
    torch.manual_seed(seed)
    return nn.Linear(3, 1)


# ------------------------------------------------------------------ learning and history
def test_fit_reduces_the_loss():
    data = regression()
    m = model()
    before = evaluate(m, data, mse)
    h = fit(m, data, mse, epochs=30, lr=0.05, device=CPU, progress=False)
    after = evaluate(m, data, mse)
    assert not h.diverged
    assert after < 0.01 * before, (before, after)
    assert h.train_loss[-1] < 0.05 * h.train_loss[0]
    assert torch.allclose(m.weight.detach(), torch.tensor([[1.5, -2.0, 0.5]]), atol=0.05)


def test_fit_is_repeatable_with_a_seed():
    runs = [fit(model(1), regression(), mse, epochs=2, device=CPU, progress=False).step_loss for _ in range(2)]
    assert runs[0] == runs[1]


def test_history_lengths_and_epoch_means():
    data = regression(n=64, batch=16)  # 4 steps per epoch
    h = fit(model(), data, mse, epochs=3, val_loader=data[:2], device=CPU, progress=False)
    assert isinstance(h, History)
    assert len(h.step_loss) == len(h.grad_norm) == 12
    assert len(h.train_loss) == len(h.val_loss) == 3
    for e in range(3):
        assert h.train_loss[e] == pytest.approx(sum(h.step_loss[4 * e:4 * e + 4]) / 4)
    assert all(g > 0 and math.isfinite(g) for g in h.grad_norm)
    assert h.diverged is False


def test_history_without_validation_has_no_val_loss():
    h = fit(model(), regression(), mse, epochs=2, device=CPU, progress=False)
    assert h.val_loss == [] and len(h.train_loss) == 2


def test_val_loss_is_evaluate_after_each_epoch():
    data = regression()
    m = model()
    h = fit(m, data, mse, epochs=1, val_loader=data, device=CPU, progress=False)
    assert h.val_loss[0] == pytest.approx(evaluate(m, data, mse))


def test_fit_accepts_a_dataloader_and_an_optimizer():
    (x, y), = regression(n=32, batch=32)
    loader = DataLoader(TensorDataset(x, y), batch_size=8)  # batches are [x, y] lists
    m = model()
    frozen = [p.detach().clone() for p in m.parameters()]
    h = fit(m, loader, mse, epochs=2, optimizer=torch.optim.SGD(m.parameters(), lr=0.0), device=CPU, progress=False)
    assert len(h.step_loss) == 8
    assert all(torch.equal(a, b) for a, b in zip(frozen, m.parameters()))  # lr=0: the given optimizer was used


def test_fit_spreads_tuple_inputs_over_forward_arguments():
    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.lin = nn.Linear(3, 1)

        def forward(self, x, scale):
            return self.lin(x) * scale

    data = [((x, torch.tensor(2.0)), y) for x, y in regression()]
    h = fit(TwoInputs(), data, mse, epochs=1, device=CPU, progress=False)
    assert len(h.step_loss) == 4


def test_fit_passes_a_packed_sequence_as_one_input():
    class LastHidden(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.GRU(1, 4, batch_first=True)
            self.out = nn.Linear(4, 1)

        def forward(self, packed):
            _, h = self.rnn(packed)
            return self.out(h[-1])

    torch.manual_seed(0)
    x = torch.randn(3, 5, 1)
    packed = pack_padded_sequence(x, torch.tensor([5, 3, 2]), batch_first=True, enforce_sorted=True)
    h = fit(LastHidden(), [(packed, torch.zeros(3, 1))], mse, epochs=2, device=CPU, progress=False)
    assert len(h.step_loss) == 2


def test_progress_bar_goes_to_stderr_only_when_asked(capsys):
    fit(model(), regression(), mse, epochs=2, device=CPU, progress=True)
    assert "epochs" in capsys.readouterr().err
    fit(model(), regression(), mse, epochs=2, device=CPU, progress=False)
    captured = capsys.readouterr()
    assert captured.err == "" and captured.out == ""


# ------------------------------------------------------------------ clipping
def test_clip_grad_norm_bounds_the_gradient_the_optimizer_uses():
    data = regression(scale=100.0)  # large targets: large gradients
    m = model()
    opt = torch.optim.SGD(m.parameters(), lr=1e-4)
    seen, updates = [], []
    before = {}

    def pre_step(optimizer, args, kwargs):
        seen.append(grad_norm(m.parameters()))
        before["p"] = [p.detach().clone() for p in m.parameters()]

    def post_step(optimizer, args, kwargs):
        delta = torch.cat([(p.detach() - q).flatten() for p, q in zip(m.parameters(), before["p"])])
        updates.append(float(delta.norm()) / 1e-4)  # plain SGD: update = lr * gradient

    opt.register_step_pre_hook(pre_step)
    opt.register_step_post_hook(post_step)
    h = fit(m, data, mse, epochs=2, optimizer=opt, clip_grad_norm=1.0, device=CPU, progress=False)
    assert len(seen) == len(updates) == len(h.grad_norm) == 8
    assert min(h.grad_norm) > 10.0  # the recorded norm is from before clipping, so clipping was active
    for pre, post, upd in zip(h.grad_norm, seen, updates):
        assert post <= 1.0 + 1e-5
        assert post == pytest.approx(min(pre, 1.0), rel=1e-4)
        assert upd == pytest.approx(post, rel=1e-3)


def test_clip_grad_norm_leaves_small_gradients_alone():
    data = regression()
    m1, m2 = model(), model()
    h1 = fit(m1, data, mse, epochs=1, device=CPU, progress=False)
    h2 = fit(m2, data, mse, epochs=1, clip_grad_norm=1e6, device=CPU, progress=False)
    assert h1.step_loss == h2.step_loss
    assert all(torch.equal(a, b) for a, b in zip(m1.parameters(), m2.parameters()))


# ------------------------------------------------------------------ divergence
def test_huge_learning_rate_diverges_and_stops_early(capsys):
    data = regression(scale=10.0)
    m = model()
    h = fit(m, data, mse, epochs=50, optimizer=torch.optim.SGD(m.parameters(), lr=50.0), device=CPU, progress=False)
    assert h.diverged is True
    assert not math.isfinite(h.step_loss[-1])
    assert all(math.isfinite(s) for s in h.step_loss[:-1])
    assert len(h.step_loss) < 50 * 4  # stopped early
    assert len(h.grad_norm) == len(h.step_loss) - 1  # no backward pass for the bad step
    assert len(h.train_loss) < 50
    out = capsys.readouterr().out
    assert "stopped: the loss became" in out and "smaller learning rate or gradient clipping" in out


def test_nan_input_diverges_at_the_first_step():
    x = torch.full((4, 3), float("nan"))
    h = fit(model(), [(x, torch.zeros(4, 1))], mse, epochs=3, device=CPU, progress=False)
    assert h.diverged and len(h.step_loss) == 1 and math.isnan(h.step_loss[0])
    assert h.grad_norm == [] and h.train_loss == []


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("epochs", [0, -1, 2.5, "3", True, None])
def test_bad_epochs(epochs):
    with pytest.raises(ValueError, match=re.escape(f"epochs: expected a positive int, got {epochs!r}")):
        fit(model(), regression(), mse, epochs=epochs, device=CPU, progress=False)


@pytest.mark.parametrize("clip", [0, -1.0, float("nan")])
def test_bad_clip_grad_norm(clip):
    with pytest.raises(ValueError, match="clip_grad_norm must be positive or None"):
        fit(model(), regression(), mse, epochs=1, clip_grad_norm=clip, device=CPU, progress=False)


def test_batches_that_are_not_pairs():
    x, y = regression()[0]
    with pytest.raises(ValueError, match=r"each batch must be an \(inputs, targets\) pair, got Tensor$"):
        fit(model(), [x], mse, epochs=1, device=CPU, progress=False)
    with pytest.raises(ValueError, match=r"pair, got tuple of length 3"):
        fit(model(), [(x, y, y)], mse, epochs=1, device=CPU, progress=False)
    with pytest.raises(ValueError, match=r"pair, got dict"):
        fit(model(), [{"x": x, "y": y}], mse, epochs=1, device=CPU, progress=False)


def test_empty_loader():
    with pytest.raises(ValueError, match="fit: train_loader yielded no batches"):
        fit(model(), [], mse, epochs=1, device=CPU, progress=False)
    with pytest.raises(ValueError, match="evaluate: the loader yielded no batches"):
        evaluate(model(), [], mse)


def test_unknown_device_string():
    with pytest.raises(ValueError, match="unknown device 'nodevice': expected one of cuda, mps, cpu"):
        fit(model(), regression(), mse, epochs=1, device="nodevice", progress=False)


# ------------------------------------------------------------------ evaluate and grad_norm
def test_evaluate_is_the_size_weighted_mean_loss():
    (x, y), = regression(n=40, batch=40)
    m = model()
    uneven = [(x[:30], y[:30]), (x[30:], y[30:])]  # batches of 30 and 10
    assert evaluate(m, uneven, mse) == pytest.approx(float(mse(m(x), y).detach()), rel=1e-6)


def test_evaluate_uses_eval_mode_and_no_grad():
    torch.manual_seed(0)
    m = nn.Sequential(nn.Linear(3, 16), nn.Dropout(0.5), nn.Linear(16, 1))
    data = regression()
    m.train()
    a, b = evaluate(m, data, mse), evaluate(m, data, mse)
    assert a == b  # dropout off
    assert not m.training
    assert all(p.grad is None for p in m.parameters())


def test_grad_norm_is_the_global_l2_norm():
    m = nn.Linear(2, 1)
    assert grad_norm(m.parameters()) == 0.0  # no gradients yet
    m.weight.grad = torch.tensor([[3.0, 0.0]])
    assert grad_norm(m.parameters()) == pytest.approx(3.0)  # bias without a gradient is skipped
    m.bias.grad = torch.tensor([4.0])
    assert grad_norm(m.parameters()) == pytest.approx(5.0)


# ------------------------------------------------------------------ review fixes
def test_to_device_copies_to_the_cpu_synchronously(monkeypatch):
    # A non-blocking GPU → CPU copy may be read before it has finished: only copies to an
    # accelerator may be asynchronous. Record the flag each .to() call receives.
    from rnn_course.training import to_device

    calls = []
    original = torch.Tensor.to

    def recording_to(self, *args, **kwargs):
        calls.append((torch.device(args[0]).type, kwargs.get("non_blocking", False)))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(torch.Tensor, "to", recording_to)
    to_device((torch.zeros(2), [torch.ones(1)]), "cpu")
    to_device(torch.zeros(2), torch.device("meta"))
    assert calls == [("cpu", False), ("cpu", False), ("meta", True)]


@pytest.mark.parametrize("reduction", ["none", "sum_of_rows"])
def test_a_loss_that_is_not_a_scalar_is_named(reduction):
    loss_fn = (lambda p, y: nn.functional.mse_loss(p, y, reduction="none")) if reduction == "none" \
        else (lambda p, y: ((p - y) ** 2).sum(dim=1))
    with pytest.raises(ValueError, match=r"loss: expected a scalar tensor .* got shape \(16, 1\)|got shape \(16,\)"):
        fit(model(), regression(), loss_fn, epochs=1, device=CPU, progress=False)



# ------------------------------------------------------------------ count_parameters
def test_count_parameters_sums_the_trainable_parameters_of_a_built_model():
    from rnn_course import seq2seq
    from rnn_course.recurrent.gated import count_parameters_formula

    lstm = nn.LSTM(3, 5, num_layers=2)
    assert count_parameters(lstm) == count_parameters_formula("lstm", 3, 5, 2) == 440
    head = nn.Linear(5, 2)
    head.bias.requires_grad_(False)  # frozen parameters are not counted
    assert count_parameters(head) == 10
    assert seq2seq.count_parameters is count_parameters  # the chapter 6 labs import it there


# ------------------------------------------------------------------ per-epoch callback
def test_on_epoch_end_sees_every_epoch_and_equals_epochs_one_at_a_time():
    data = regression()
    seen = []
    h = fit(model(), data, mse, epochs=3, lr=0.05, val_loader=data, device=CPU, progress=False,
            on_epoch_end=lambda m, history: seen.append((len(history.train_loss), evaluate(m, data, mse))))
    assert [e for e, _ in seen] == [1, 2, 3]
    assert [v for _, v in seen] == pytest.approx(h.val_loss)
    m = model()
    optimizer = torch.optim.Adam(m.parameters(), lr=0.05)
    one_at_a_time = [fit(m, data, mse, epochs=1, optimizer=optimizer, device=CPU, progress=False).train_loss[0]
                     for _ in range(3)]
    assert h.train_loss == one_at_a_time
    assert len(h.epoch_seconds) == 3 and all(s >= 0 for s in h.epoch_seconds)


def test_on_epoch_end_returning_true_stops_training():
    h = fit(model(), regression(), mse, epochs=10, device=CPU, progress=False,
            on_epoch_end=lambda m, history: len(history.train_loss) == 2)
    assert len(h.train_loss) == len(h.epoch_seconds) == 2 and len(h.step_loss) == 8


def test_keep_best_keeps_the_best_epoch_and_the_later_of_ties():
    from rnn_course.training import KeepBest

    net = model()
    scores = iter([0.5, 0.7, 0.6, 0.7, 0.1])
    weights = []

    def score(m):
        weights.append(m.weight.detach().clone())
        return next(scores)

    keep = KeepBest(score)
    history = fit(net, regression(), mse, epochs=5, lr=0.05, progress=False, on_epoch_end=keep)
    assert keep.scores == [0.5, 0.7, 0.6, 0.7, 0.1] and len(history.train_loss) == 5
    assert torch.equal(keep.state["weight"], weights[3])  # epoch 4: ties go to the later
    assert not torch.equal(keep.state["weight"], net.weight)  # a copy, not the live weights
    with pytest.raises(TypeError, match="score: expected a function"):
        KeepBest(0.5)


def test_train_timed_is_the_plain_loop_over_consecutive_batches():
    from rnn_course.training import train_timed

    g = torch.Generator().manual_seed(0)
    x, y = torch.randn(50, 3, generator=g), torch.randn(50, 1, generator=g)
    val = (torch.randn(8, 3, generator=g), torch.randn(8, 1, generator=g))
    torch.manual_seed(1)
    model = nn.Linear(3, 1)
    curve, seconds = train_timed(model, x, y, val, batch_size=8, lr=0.1, every=2)
    torch.manual_seed(1)
    ref = nn.Linear(3, 1)
    optimizer, expected = torch.optim.Adam(ref.parameters(), lr=0.1), []
    for k in range(6):  # 50 // 8 updates: the last 2 rows are not used
        loss = mse(ref(x[8 * k:8 * k + 8]), y[8 * k:8 * k + 8])
        optimizer.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(ref.parameters(), 1.0)
        optimizer.step()
        if k % 2 == 1:
            expected.append(mse(ref(val[0]), val[1]).item())
    assert curve == expected and len(seconds) == 6 and all(s > 0 for s in seconds)
    assert torch.equal(model.weight, ref.weight)


def test_train_timed_rejects_mismatched_rows_short_data_and_bad_sizes():
    from rnn_course.training import train_timed

    model, x, y = nn.Linear(3, 1), torch.randn(10, 3), torch.randn(10, 1)
    with pytest.raises(ValueError, match="same number of rows, got 10 and 9"):
        train_timed(model, x, y[:9], (x, y), batch_size=4, lr=0.1)
    with pytest.raises(ValueError, match="at least batch_size = 16 rows, got 10"):
        train_timed(model, x, y, (x, y), batch_size=16, lr=0.1)
    with pytest.raises(ValueError, match="batch_size"):
        train_timed(model, x, y, (x, y), batch_size=0, lr=0.1)
    with pytest.raises(ValueError, match="clip_grad_norm"):
        train_timed(model, x, y, (x, y), batch_size=4, lr=0.1, clip_grad_norm=0)
