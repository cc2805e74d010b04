"""Tests of rnn_course.cost: median wall time, fastest time in turns, and autograd depth."""
from __future__ import annotations

import pytest
import torch

import time

from rnn_course import cost
from rnn_course.cost import autograd_depth, fastest_seconds, median_seconds
from rnn_course.gated import ScratchGRU
from rnn_course.scan import blelloch_scan, linear_recurrence_loop


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

    monkeypatch.setattr(cost.time, "process_time", lambda: now[0])
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
