"""Confidence intervals by resampling patients, not measurements.

Beats of one patient, or hours of one ICU stay, are not independent: they share a heart, a
disease and a recording. Resampling single beats pretends they are, and gives intervals that
are too narrow. :func:`group_bootstrap` resamples whole groups (patients, records) with
replacement, recomputes the metric on everything the drawn groups contain, and reports the
percentile interval (Efron & Tibshirani 1993, ch. 13).

A paired comparison of two models on the same patients is the same call with a metric that
returns the difference, e.g. ``lambda y, a, b: roc_auc_score(y, a) - roc_auc_score(y, b)``:
each resample scores both models on the same patients, so their shared luck cancels.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..validation import expect_binary_labels, expect_int


@dataclass(frozen=True)
class Interval:
    """A point estimate with its bootstrap percentile interval.

    Attributes:
        estimate: the metric on the original data.
        low, high: the interval's ends.
        level: the nominal coverage, e.g. 0.95.
        samples: ``(n_valid,)`` the metric on every resample that could be scored.
        n_failed: resamples on which the metric raised ``ValueError`` or was not finite (e.g.
            AUROC on a resample with one class only); they are left out of the interval.
    """

    estimate: float
    low: float
    high: float
    level: float
    samples: np.ndarray
    n_failed: int = 0

    def __str__(self) -> str:
        return f"{self.estimate:.3f} ({self.low:.3f}–{self.high:.3f})"

    def contains(self, value: float) -> bool:
        return self.low <= value <= self.high


def _as_groups(groups: Any, n: int) -> tuple[np.ndarray, list[np.ndarray]]:
    groups = np.asarray(groups)
    if groups.ndim != 1 or len(groups) != n:
        raise ValueError(f"groups: expected one group label per sample, shape ({n},), got {groups.shape}")
    labels, inverse = np.unique(groups, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    members = np.split(order, np.cumsum(np.bincount(inverse))[:-1])
    return labels, members


def group_bootstrap(metric: Callable[..., float], *arrays: Any, groups: Any = None, n_boot: int = 1000,
                    level: float = 0.95, seed: int = 0, max_failed: float = 0.01) -> Interval:
    """Percentile confidence interval of ``metric(*arrays)``, resampling whole groups.

    Args:
        metric: called as ``metric(*subsets)`` where each subset is the matching array indexed
            by the samples of the drawn groups; returns a number.
        arrays: one or more arrays (NumPy, lists, tensors) of the same length ``n_samples``
            along their first axis, e.g. ``y_true, y_score``.
        groups: ``(n_samples,)`` the group (patient, record) of each sample. ``None`` makes each
            sample its own group (the ordinary bootstrap, right when samples are patients).
        n_boot: number of resamples; 1000 gives stable 95 % ends to about ±0.01 for AUROC.
        level: nominal coverage, in (0, 1).
        seed: seed of the resampling (NumPy ``default_rng``); the same seed gives the same
            interval.
        max_failed: the largest fraction of resamples on which ``metric`` may fail (raise
            ``ValueError`` or return NaN) before this is an error.
    """
    if not arrays:
        raise ValueError("group_bootstrap: pass at least one array to resample, e.g. y_true, y_score")
    arrays = tuple(np.asarray(a) for a in arrays)
    n = len(arrays[0])
    lengths = [len(a) for a in arrays]
    if any(k != n for k in lengths):
        raise ValueError(f"arrays: expected the same number of samples in each, got lengths {lengths}")
    if n == 0:
        raise ValueError("arrays: expected at least one sample, got 0")
    expect_int("n_boot", n_boot)
    if not 0 < level < 1:
        raise ValueError(f"level: expected a coverage strictly between 0 and 1 (e.g. 0.95), got {level!r}")
    labels, members = _as_groups(np.arange(n) if groups is None else groups, n)
    # One sample per group (e.g. one ICU stay per patient): index the draws directly, which
    # is the same resample as concatenating one-element groups, without the cost.
    singles = np.concatenate(members) if len(members) == n else None
    estimate = float(metric(*arrays))
    rng = np.random.default_rng(seed)
    samples, failed = [], 0
    for _ in range(n_boot):
        drawn = rng.integers(0, len(labels), size=len(labels))
        index = singles[drawn] if singles is not None else np.concatenate([members[g] for g in drawn])
        try:
            with warnings.catch_warnings():  # e.g. scikit-learn's "only one class present"
                warnings.simplefilter("ignore")
                value = float(metric(*(a[index] for a in arrays)))
        except ValueError:
            value = float("nan")
        if np.isfinite(value):
            samples.append(value)
        else:  # e.g. only one class among the drawn patients
            failed += 1
    if failed > max_failed * n_boot:
        raise ValueError(
            f"the metric failed on {failed} of {n_boot} resamples (more than {max_failed:.0%}); "
            f"with {len(labels)} groups some resamples lack a class. Use more groups or a metric "
            "defined on every resample")
    values = np.asarray(samples)
    tail = 100 * (1 - level) / 2
    low, high = np.percentile(values, [tail, 100 - tail])
    return Interval(estimate, float(low), float(high), float(level), values, failed)


def rank_auroc(y_true: Any, y_score: Any) -> float:
    """AUROC as the Mann–Whitney statistic (Hanley & McNeil 1982): the chance that a random
    positive scores above a random negative, ties counting one half.

    Equal to scikit-learn's ``roc_auc_score`` for binary labels and about ten times faster,
    which matters inside a 1,000-resample bootstrap. ``y_true`` ``(n,)`` of 0/1, ``y_score``
    ``(n,)``; raises ``ValueError`` when only one class is present (``group_bootstrap`` then
    leaves the resample out).
    """
    from scipy.stats import rankdata

    y_true, y_score = expect_binary_labels(y_true, y_score)
    positive = y_true == 1
    n_pos = int(positive.sum())
    n_neg = len(y_true) - n_pos
    if n_pos == 0 or n_neg == 0:
        raise ValueError("y_true: AUROC needs both classes, got only one")
    ranks = rankdata(y_score)  # ties get their average rank
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))
