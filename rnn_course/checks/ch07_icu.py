"""Exercise checks of chapter 7, ICU part (in-hospital mortality, PhysioNet 2012, GRU-D).

- ``check_time_since_last(fn)``: ``fn(mask) -> delta`` for a NumPy mask ``(N, T, D)`` of
  0/1, returning the hours since each variable's previous measurement as Che et al. (2018)
  define it: 0 at the first step, then ``1 + delta[t-1]`` after an unmeasured hour and 1
  after a measured one (hourly steps).
- ``check_input_decay(fn)``: ``fn(x, m, x_last, delta, w, b, x_mean) -> x_hat``, GRU-D's
  input decay on float64 tensors ``(N, T, D)`` (``w``, ``b``, ``x_mean`` are ``(D,)``).
- ``check_subgroup_auroc(fn)``: ``fn(y_true, y_score, groups) -> dict`` mapping each group to
  the AUROC of its stays, leaving out groups whose stays all share one outcome.

When an answer is wrong, the checks rebuild the usual mistakes and name the one that
reproduces the learner's numbers.
"""
from __future__ import annotations

from typing import Any, Callable

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from ..data.icu import time_since_last
from ..i18n import _
from . import compare, diagnose, exercise_check


# ----------------------------------------------------------------------------- delta
def _masks() -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    hand = np.array([[1, 0, 0, 1, 0, 1], [0, 0, 0, 0, 0, 0], [1, 1, 1, 1, 1, 1], [0, 1, 0, 0, 0, 0]],
                    dtype=np.float32).T[None]  # (1, T=6, D=4): a gap, never, always, a long gap
    return [hand, (rng.random((3, 7, 5)) < 0.35).astype(np.float32)]


def _delta_mistakes(mask: np.ndarray) -> list[tuple[np.ndarray, str]]:
    T = mask.shape[1]
    t = np.arange(T).reshape(1, T, 1)
    last_at_or_before = np.maximum.accumulate(np.where(mask > 0, t, 0), axis=1)
    reference = time_since_last(mask)
    ever_before = np.zeros_like(mask, dtype=bool)
    ever_before[:, 1:] = np.maximum.accumulate(mask, axis=1)[:, :-1] > 0
    return [
        (t - last_at_or_before + 0 * mask,
         _("you count from the current step: delta is the time since the *previous* measurement, "
           "so a variable measured at step t still has delta_t = 1 (if also measured at t-1), not 0.")),
        (np.broadcast_to(np.minimum(t, 1), mask.shape),
         _("your delta is 1 after every step: after an unmeasured hour it must grow, delta_t = 1 + delta_(t-1).")),
        (np.where(ever_before, reference, 0.0),
         _("before a variable's first measurement delta must count the hours since the first step "
           "(0, 1, 2, ...), not stay at 0: the model should know how long it has gone unmeasured.")),
        (reference + (t > 0),
         _("your values are one too large after the first step: after a measured hour delta is 1, not 2.")),
        (np.broadcast_to(t, mask.shape),
         _("your delta ignores the mask: it is the time since admission, not since the last measurement.")),
        (time_since_last(mask.transpose(0, 2, 1)).transpose(0, 2, 1),  # the test masks have T != D
         _("you scanned along the wrong axis: time is axis 1 of (N, T, D), variables are axis 2.")),
    ]


@exercise_check
def check_time_since_last(fn: Callable) -> tuple[bool, str]:
    """Check ``fn(mask) -> delta`` against Che et al.'s definition on hand-made and random masks."""
    for mask in _masks():
        got = fn(mask.copy())
        ref = time_since_last(mask)
        hint = diagnose("delta", got, ref, _delta_mistakes(mask), axes="(stays, hours, variables)")
        if hint:
            return False, hint + _(" (mask of shape {shape})").format(shape=mask.shape)
    return True, _("delta matches Che et al.'s definition: a gap, a variable never measured, one always measured.")


# ----------------------------------------------------------------------------- input decay
def reference_input_decay(x: torch.Tensor, m: torch.Tensor, x_last: torch.Tensor, delta: torch.Tensor,
                          w: torch.Tensor, b: torch.Tensor, x_mean: torch.Tensor) -> torch.Tensor:
    """GRU-D's input decay: the measurement where there is one, else the last measurement
    decayed towards the mean with ``gamma = exp(-max(0, w * delta + b))``."""
    gamma = torch.exp(-torch.relu(w * delta + b))
    return m * x + (1 - m) * (gamma * x_last + (1 - gamma) * x_mean)


def _decay_inputs(seed: int, N: int, T: int, D: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    m = (torch.rand(N, T, D, generator=g, dtype=torch.float64) < 0.4).double()
    delta = torch.tensor(time_since_last(m.numpy()), dtype=torch.float64)
    x = torch.where(m > 0, r(N, T, D), torch.zeros(N, T, D, dtype=torch.float64))
    x_last = r(N, T, D)
    w = torch.linspace(-0.6, 0.9, D, dtype=torch.float64)  # some negative: the max(0, .) matters
    b = 0.1 * r(D)
    return dict(x=x, m=m, x_last=x_last, delta=delta, w=w, b=b, x_mean=r(D))


def _decay_mistakes(a: dict[str, torch.Tensor]) -> list[tuple[torch.Tensor, str]]:
    x, m, x_last, delta, w, b, x_mean = (a[k] for k in ("x", "m", "x_last", "delta", "w", "b", "x_mean"))
    gamma = torch.exp(-torch.relu(w * delta + b))
    no_max = torch.exp(-(w * delta + b))
    decayed = gamma * x_last + (1 - gamma) * x_mean
    return [
        (m * x + (1 - m) * (no_max * x_last + (1 - no_max) * x_mean),
         _("you left out the max(0, .): with a negative rate gamma exceeds 1 and the imputation "
           "overshoots instead of decaying. Use gamma = exp(-max(0, w * delta + b)) (torch.relu).")),
        (m * x + (1 - m) * gamma * x_last,
         _("your imputation decays towards 0; it must decay towards the variable's mean x_mean: "
           "gamma * x_last + (1 - gamma) * x_mean.")),
        (m * x + (1 - m) * ((1 - gamma) * x_last + gamma * x_mean),
         _("gamma and 1 - gamma are swapped: just after a measurement (delta small, gamma near 1) "
           "the imputation should stay near x_last.")),
        (decayed,
         _("you replaced the measured values too: where m = 1 keep x itself, x_hat = m * x + (1 - m) * (...).")),
        (m * x + (1 - m) * x_last,
         _("there is no decay in your answer: x_last is carried forward unchanged (that is forward filling).")),
        (m * x + (1 - m) * (torch.exp(-torch.relu(w * delta) - b) * x_last
                            + (1 - torch.exp(-torch.relu(w * delta) - b)) * x_mean),
         _("the bias goes inside the max: gamma = exp(-max(0, w * delta + b)).")),
    ]


@exercise_check
def check_input_decay(fn: Callable) -> tuple[bool, str]:
    """Check ``fn(x, m, x_last, delta, w, b, x_mean) -> x_hat`` on two random cases."""
    for k, (N, T, D) in enumerate([(2, 6, 4), (3, 5, 2)]):
        a = _decay_inputs(k, N, T, D)
        got = fn(**{name: v.clone() for name, v in a.items()})
        ref = reference_input_decay(**a)
        hint = diagnose("x_hat", got, ref, _decay_mistakes(a), axes="(stays, hours, variables)")
        if hint:
            return False, hint + _(" (batch={batch}, time={time}, variables={variables})").format(batch=N, time=T, variables=D)
    return True, _("x_hat keeps measured values and decays the others from x_last towards the mean.")


# ----------------------------------------------------------------------------- subgroups
def reference_subgroup_auroc(y_true: Any, y_score: Any, groups: Any) -> dict:
    """AUROC of each group's stays; groups with a single outcome class are left out."""
    y, s, g = np.asarray(y_true), np.asarray(y_score, dtype=float), np.asarray(groups)
    out = {}
    for group in np.unique(g):
        inside = g == group
        if len(np.unique(y[inside])) == 2:
            out[group.item() if hasattr(group, "item") else group] = float(roc_auc_score(y[inside], s[inside]))
    return out


def _subgroup_case() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(11)
    groups = np.repeat([1, 2, 3, 4, 5], [60, 50, 70, 40, 12])
    y = (rng.random(groups.size) < 0.2).astype(int)
    y[groups == 5] = 0  # a group without a single death: no AUROC
    strength = np.array([0, 2.0, 0.8, 1.4, 0.3, 1.0])[groups]  # the model works better in some groups
    score = 1 / (1 + np.exp(-(strength * y + rng.normal(0, 1, groups.size))))
    return y, score, groups


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


@exercise_check
def check_subgroup_auroc(fn: Callable) -> tuple[bool, str]:
    """Check ``fn(y_true, y_score, groups) -> {group: AUROC}`` on five groups, one without deaths."""
    y, score, groups = _subgroup_case()
    got = fn(y.copy(), score.copy(), groups.copy())
    ref = reference_subgroup_auroc(y, score, groups)
    if not isinstance(got, dict):
        return False, _("return a dict {{group: AUROC}}, e.g. {{1: 0.83, 2: 0.79}}; got {type}.").format(
            type=type(got).__name__)
    keys = {str(k): v for k, v in got.items()}
    if "5" in keys:
        return False, _("group 5 has no deaths, so its AUROC is undefined; leave such groups out "
                        "(check that both classes are present before calling roc_auc_score).")
    missing = [k for k in ref if str(k) not in keys]
    if missing:
        return False, _("groups {missing} are missing from your dict (expected keys {expected}).").format(
            missing=missing, expected=sorted(ref))
    values = {k: _as_float(keys[str(k)]) for k in ref}
    if any(v is None for v in values.values()):
        return False, _("each value should be a number (the group's AUROC).")
    overall = roc_auc_score(y, score)
    if all(abs(v - overall) < 1e-9 for v in values.values()):
        return False, _("every group got the same AUROC, that of all stays together: select each group's "
                        "stays first, y_true[groups == g] and y_score[groups == g].")
    if all(abs(v - (1 - ref[k])) < 1e-9 for k, v in values.items()):
        return False, _("your AUROCs are 1 - the right ones: roc_auc_score takes (y_true, y_score) in that "
                        "order, and a higher score must mean a higher risk of death.")
    for k in ref:
        problem = compare(_("AUROC of group {group}").format(group=k), values[k], ref[k], atol=1e-9, rtol=1e-7)
        if problem:
            return False, problem
    return True, _("the AUROC of each of the {n} groups matches, and the group without deaths is left out.").format(
        n=len(ref))

