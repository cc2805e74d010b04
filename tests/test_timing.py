"""Tests of rnn_course.timing: the clock, the call counter, autograd depth and saved bytes."""
from __future__ import annotations

import pytest
import torch

import time

from torch import nn

from rnn_course import timing
from rnn_course.recurrent.tbptt import RecurrentModel
from rnn_course.timing import (CountCalls, autograd_depth, autograd_saved_bytes, count_work,
                               fastest_seconds, measure_update, median_seconds, timed_call)
from rnn_course.recurrent.gated import ScratchGRU
from rnn_course.beyond.scan import blelloch_scan, linear_recurrence_loop


def test_median_seconds_runs_warmup_and_repeats():
    calls = []
    t = median_seconds(lambda: calls.append(1), repeats=3, warmup=2, device="cpu")
    assert len(calls) == 5 and t >= 0
    with pytest.raises(ValueError, match="repeats"):
        median_seconds(lambda: None, repeats=0)
    with pytest.raises(ValueError, match="warmup"):
        median_seconds(lambda: None, warmup=-1)


def test_fastest_seconds_takes_turns_and_keeps_each_ones_fastest_call():
    calls = []
    work = {name: (lambda name=name: calls.append(name)) for name in ("a", "b")}
    t = fastest_seconds(work, rounds=3, warmup=1, device="cpu")
    assert calls == ["a", "b"] * 4 and set(t) == {"a", "b"} and all(v >= 0 for v in t.values())


def test_fastest_seconds_keeps_each_ones_fastest_call_on_a_scripted_clock(monkeypatch):
    # A clock that the functions advance by known amounts stands for the CPU time: the result
    # is exact, whatever the machine or its load (a real clock would make this test flaky).
    now = [0.0]
    costs = {"light": iter([5.0, 1.0, 3.0, 2.0]), "heavy": iter([9.0, 8.0, 12.0, 8.5])}  # warm-up first

    def work(name):
        def run():
            now[0] += next(costs[name])
        return run

    monkeypatch.setattr(timing.time, "process_time", lambda: now[0])
    t = fastest_seconds({"light": work("light"), "heavy": work("heavy")}, rounds=3, warmup=1, device="cpu")
    assert t == {"light": 1.0, "heavy": 8.0}  # the warm-up round (5.0, 9.0) is not counted


def test_fastest_seconds_on_a_cpu_does_not_count_time_the_process_does_not_work():
    # sleeping stands for the cores being busy with another program
    t = fastest_seconds({"sleep": lambda: time.sleep(0.05)}, rounds=2, warmup=0, device="cpu")
    assert t["sleep"] < 0.02, t


@pytest.mark.parametrize("bad, match", [({}, "non-empty mapping"), ([lambda: None], "non-empty mapping"),
                                        ({"a": 1}, "non-empty mapping")])
def test_fastest_seconds_bad_functions(bad, match):
    with pytest.raises(ValueError, match=match):
        fastest_seconds(bad)


def test_fastest_seconds_bad_counts():
    with pytest.raises(ValueError, match="rounds: expected a positive int, got 0"):
        fastest_seconds({"a": lambda: None}, rounds=0)
    with pytest.raises(ValueError, match="warmup"):
        fastest_seconds({"a": lambda: None}, warmup=-1)


def test_depth_of_a_chain_and_of_a_fork():
    x = torch.randn(3, requires_grad=True)
    assert autograd_depth((x * 2).sin().sum(), x) == 3
    assert autograd_depth(x.exp().exp().exp().sum() + x.sum(), x) == 5  # the longer branch counts


def test_depth_grows_with_t_for_recurrences_and_like_log_t_for_the_scan():
    depth = {}
    for T in (8, 16, 32, 64):
        a = torch.rand(1, T, 2, requires_grad=True)
        depth["loop", T] = autograd_depth(linear_recurrence_loop(a, a)[:, -1].sum(), a)
        depth["scan", T] = autograd_depth(blelloch_scan(a, a)[:, -1].sum(), a)
        gru = ScratchGRU(2, 3, batch_first=True)
        depth["gru", T] = autograd_depth(gru(a)[0][:, -1].sum(), a)
    for kind in ("loop", "gru"):
        steps = [depth[kind, 2 * T] - depth[kind, T] for T in (8, 16, 32)]
        assert steps[1] == 2 * steps[0] and steps[2] == 4 * steps[0]  # linear in T
    steps = [depth["scan", 2 * T] - depth["scan", T] for T in (8, 16, 32)]
    assert steps[0] == steps[1] == steps[2] > 0  # a constant per doubling: log T


def test_bad_arguments():
    x = torch.randn(3, requires_grad=True)
    with pytest.raises(ValueError, match="leaf tensor"):
        autograd_depth(x.sum(), x * 2)
    with pytest.raises(ValueError, match="leaf tensor"):
        autograd_depth(x.sum(), torch.randn(3))
    with pytest.raises(ValueError, match="no autograd graph"):
        autograd_depth(torch.ones(1), x)
    y = torch.randn(3, requires_grad=True)
    with pytest.raises(ValueError, match="does not depend on x"):
        autograd_depth(y.sum(), x)


# --- memory and time of one update (measure_update) ----------------------------------------------------------------------

def test_autograd_saved_bytes_counts_each_storage_once():
    a = torch.ones(100, requires_grad=True)
    b = torch.ones(100, requires_grad=True)
    saved, out = autograd_saved_bytes(lambda: (a * b).sum())
    assert saved == 2 * 100 * 4 and out.item() == 100.0
    saved_three, _ = autograd_saved_bytes(lambda: (a * b * b).sum())
    assert saved_three == 3 * 100 * 4  # a, b and a * b; b is saved twice but counted once


@pytest.mark.slow
def test_saved_bytes_and_work_grow_with_the_chunk_length():
    torch.manual_seed(0)
    model = RecurrentModel(1, 16, 1, "gru")
    x, y = torch.randn(8, 200, 1), torch.randn(8, 200, 1)
    short = measure_update(model, x[:, :20], y[:, :20], nn.MSELoss(), repeats=1)
    long = measure_update(model, x[:, :200], y[:, :200], nn.MSELoss(), repeats=1)
    assert long.saved_bytes > 5 * short.saved_bytes
    assert long.seconds > 0 and short.seconds > 0  # times are measured; what they grow with is counted:
    flops = [count_work(lambda k=k: nn.MSELoss()(model(x[:, :k], None)[0], y[:, :k]).backward()).flops
             for k in (20, 200)]
    model.zero_grad(set_to_none=True)
    assert flops[1] > 9 * flops[0], flops  # 10x the steps, about 10x the arithmetic
    assert short.peak_cuda_bytes is None
    assert all(p.grad is None for p in model.parameters())


def test_timed_call_returns_the_time_and_the_result():
    seconds, result = timed_call(lambda: 41 + 1, device="cpu")
    assert result == 42 and seconds >= 0
    now = iter([1.0, 3.5])
    assert timed_call(lambda: None, clock=lambda: next(now)) == (2.5, None)


def test_count_calls_counts_each_call_by_name():
    x = torch.ones(3)
    with CountCalls() as counter:
        torch.add(x, 1)
        torch.add(x, 2)
        x.sum()
    assert counter.calls["add"] == 2 and counter.calls["sum"] == 1
    assert count_work(lambda: torch.add(x, 1)).calls == 1
