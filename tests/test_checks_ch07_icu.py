"""Chapter 7 (ICU) checks: right answers pass, the usual mistakes get their specific hint,
stubs and crashing answers fail without raising."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from sklearn.metrics import roc_auc_score

from rnn_course.checks.ch07_icu import (
    check_input_decay, check_subgroup_auroc, check_time_since_last, reference_input_decay, reference_subgroup_auroc,
)
from rnn_course.data.icu import time_since_last


# ---- delta ------------------------------------------------------------------------------------
def delta_loop(mask):
    """A learner's loop over time, as the exercise's solution writes it."""
    delta = np.zeros_like(mask, dtype=float)
    for t in range(1, mask.shape[1]):
        delta[:, t] = np.where(mask[:, t - 1] > 0, 1.0, 1.0 + delta[:, t - 1])
    return delta


def test_delta_reference_and_loop_pass(capsys):
    assert check_time_since_last(time_since_last)
    assert check_time_since_last(delta_loop)
    assert check_time_since_last(lambda m: torch.tensor(delta_loop(m)))  # a tensor is fine too
    assert "✅ check_time_since_last: passed" in capsys.readouterr().out


def _since_current(mask):
    t = np.arange(mask.shape[1]).reshape(1, -1, 1)
    return t - np.maximum.accumulate(np.where(mask > 0, t, 0), axis=1)


def _no_growth(mask):
    return np.broadcast_to(np.minimum(np.arange(mask.shape[1]), 1).reshape(1, -1, 1), mask.shape).copy()


def _zero_before_first(mask):
    delta = delta_loop(mask)
    seen = np.zeros_like(mask, dtype=bool)
    seen[:, 1:] = np.maximum.accumulate(mask, axis=1)[:, :-1] > 0
    return np.where(seen, delta, 0.0)


@pytest.mark.parametrize("fn, hint", [
    (_since_current, "previous* measurement"),
    (_no_growth, "must grow"),
    (_zero_before_first, "before a variable's first measurement"),
    (lambda m: delta_loop(m) + (np.arange(m.shape[1]) > 0).reshape(1, -1, 1), "one too large"),
    (lambda m: np.broadcast_to(np.arange(m.shape[1]).reshape(1, -1, 1), m.shape).copy(), "ignores the mask"),
    (lambda m: delta_loop(m.transpose(0, 2, 1)).transpose(0, 2, 1), "wrong axis"),
    (lambda m: delta_loop(m)[:, :, 0], "wrong shape"),
    (lambda m: None, "forget to `return`"),
    (lambda m: 1 / 0, "ZeroDivisionError"),
])
def test_delta_mistakes_get_their_hint(fn, hint, capsys):
    result = check_time_since_last(fn)
    assert not result and hint in result.message, result.message
    assert "❌ check_time_since_last" in capsys.readouterr().out


def test_delta_stub_fails_politely():
    def stub(mask):
        raise NotImplementedError("exercise ex-ch07-icu-delta")
    result = check_time_since_last(stub)
    assert not result and "not implemented yet" in result.message


# ---- input decay ------------------------------------------------------------------------------
def test_input_decay_reference_passes():
    assert check_input_decay(reference_input_decay)

    def with_where(x, m, x_last, delta, w, b, x_mean):  # another correct way to write it
        gamma = torch.exp(-torch.clamp(w * delta + b, min=0))
        return torch.where(m > 0, x, gamma * x_last + (1 - gamma) * x_mean)
    assert check_input_decay(with_where)


def _decay(no_max=False, towards_zero=False, swapped=False, ignore_mask=False, no_decay=False, bias_outside=False):
    def fn(x, m, x_last, delta, w, b, x_mean):
        rate = w * delta + b
        if bias_outside:
            rate = torch.relu(w * delta) + b
        elif not no_max:
            rate = torch.relu(rate)
        gamma = torch.exp(-rate)
        mean = torch.zeros_like(x_mean) if towards_zero else x_mean
        decayed = (1 - gamma) * x_last + gamma * mean if swapped else gamma * x_last + (1 - gamma) * mean
        if no_decay:
            decayed = x_last
        return decayed if ignore_mask else m * x + (1 - m) * decayed
    return fn


@pytest.mark.parametrize("kwargs, hint", [
    (dict(no_max=True), "left out the max(0, .)"),
    (dict(towards_zero=True), "decays towards 0"),
    (dict(swapped=True), "swapped"),
    (dict(ignore_mask=True), "replaced the measured values"),
    (dict(no_decay=True), "forward filling"),
    (dict(bias_outside=True), "bias goes inside the max"),
])
def test_input_decay_mistakes_get_their_hint(kwargs, hint):
    result = check_input_decay(_decay(**kwargs))
    assert not result and hint in result.message, result.message


def test_input_decay_wrong_shape_and_crash():
    result = check_input_decay(lambda x, m, x_last, delta, w, b, x_mean: x[:, -1])
    assert not result and "wrong shape" in result.message and "(stays, hours, variables)" in result.message
    result = check_input_decay(lambda x, m, x_last, delta, w, b, x_mean: x @ x)
    assert not result and "raised RuntimeError" in result.message


# ---- subgroups ----------------------------------------------------------------------------------
def subgroup_auroc(y_true, y_score, groups):
    out = {}
    for g in np.unique(groups):
        inside = groups == g
        if 0 < y_true[inside].sum() < inside.sum():
            out[int(g)] = roc_auc_score(y_true[inside], y_score[inside])
    return out


def test_subgroup_reference_passes():
    assert check_subgroup_auroc(reference_subgroup_auroc)
    assert check_subgroup_auroc(subgroup_auroc)
    assert check_subgroup_auroc(lambda y, s, g: {str(k): v for k, v in subgroup_auroc(y, s, g).items()})


def _overall(y, s, g):
    return {int(k): roc_auc_score(y, s) for k in np.unique(g) if 0 < y[g == k].sum() < (g == k).sum()}


def _with_empty_group(y, s, g):
    return {**subgroup_auroc(y, s, g), 5: float("nan")}


@pytest.mark.parametrize("fn, hint", [
    (_overall, "that of all stays together"),
    (_with_empty_group, "group 5 has no deaths"),
    (lambda y, s, g: {k: 1 - v for k, v in subgroup_auroc(y, s, g).items()}, "1 - the right ones"),
    (lambda y, s, g: list(subgroup_auroc(y, s, g).values()), "return a dict"),
    (lambda y, s, g: {k: v for k, v in subgroup_auroc(y, s, g).items() if k != 2}, "groups [2] are missing"),
    (lambda y, s, g: {k: "high" for k in subgroup_auroc(y, s, g)}, "should be a number"),
    (lambda y, s, g: {k: round(v, 1) for k, v in subgroup_auroc(y, s, g).items()}, "wrong values"),
])
def test_subgroup_mistakes_get_their_hint(fn, hint):
    result = check_subgroup_auroc(fn)
    assert not result and hint in result.message, result.message


def test_subgroup_without_a_class_check_gets_the_hint():
    # scikit-learn scores a one-class group as NaN with a warning (older versions raised).
    def every_group(y, s, g):
        return {int(k): roc_auc_score(y[g == k], s[g == k]) for k in np.unique(g)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = check_subgroup_auroc(every_group)
    assert not result and ("group 5 has no deaths" in result.message or "raised ValueError" in result.message)
