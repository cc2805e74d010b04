"""Per-class sensitivity and positive predictivity, as arrhythmia papers report them.

For each class ``c``, from a confusion matrix ``C`` (rows: true class, columns: predicted):

- sensitivity ``Se_c = C[c, c] / C[c, :].sum()``: the fraction of true ``c`` beats found;
- positive predictivity ``+P_c = C[c, c] / C[:, c].sum()``: the fraction of ``c`` calls
  that are right (the precision, or positive predictive value);
- macro-F1: the mean over classes of ``2 Se +P / (Se + +P)``.

Beats of one patient are not independent, so confidence intervals resample *records*: the
confusion matrix of every record is counted once (:func:`confusion_by_record`), and each
bootstrap draw sums the matrices of the drawn records (:func:`rnn_course.bootstrap.group_bootstrap`
with one sample per record). That makes a thousand resamples of fifty thousand beats cost
milliseconds. The point estimates agree with scikit-learn's ``recall_score``,
``precision_score`` and ``f1_score`` (tested).
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .bootstrap import group_bootstrap


def confusion_by_record(y_true, y_pred, records, n_classes: int) -> tuple[np.ndarray, np.ndarray]:
    """Confusion matrices of every record: ``(names (R,), counts (R, K, K))``.

    ``y_true``, ``y_pred`` and ``records`` have one entry per beat. Beats whose true class is
    outside ``0 .. K-1`` (e.g. -100 for the unscored class Q) are left out.
    """
    y_true, y_pred, records = np.asarray(y_true), np.asarray(y_pred), np.asarray(records)
    if not (y_true.shape == y_pred.shape == records.shape) or y_true.ndim != 1:
        raise ValueError(f"y_true, y_pred, records: expected three 1-D arrays of one length, got "
                         f"shapes {y_true.shape}, {y_pred.shape}, {records.shape}")
    if y_pred.size and (y_pred.min() < 0 or y_pred.max() >= n_classes):
        raise ValueError(f"y_pred: expected class indices 0 .. {n_classes - 1}, got values from "
                         f"{y_pred.min()} to {y_pred.max()}")
    scored = (y_true >= 0) & (y_true < n_classes)
    names, record_index = np.unique(records[scored], return_inverse=True)
    cell = (record_index * n_classes + y_true[scored]) * n_classes + y_pred[scored]
    counts = np.bincount(cell, minlength=len(names) * n_classes * n_classes)
    return names, counts.reshape(len(names), n_classes, n_classes)


def _total(confusion: np.ndarray) -> np.ndarray:
    c = np.asarray(confusion, dtype=np.float64)
    if c.ndim == 3:  # one matrix per record: pool them
        c = c.sum(axis=0)
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise ValueError(f"confusion: expected (K, K) or (records, K, K), got {np.shape(confusion)}")
    return c


def sensitivity(confusion: np.ndarray) -> np.ndarray:
    """``(K,)`` per-class sensitivity; NaN for a class with no true beats."""
    c = _total(confusion)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diag(c) / c.sum(axis=1)


def positive_predictivity(confusion: np.ndarray) -> np.ndarray:
    """``(K,)`` per-class positive predictivity; NaN for a class never predicted."""
    c = _total(confusion)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.diag(c) / c.sum(axis=0)


def macro_f1(confusion: np.ndarray) -> float:
    """Mean per-class F1; a class never predicted or never present scores 0 (as scikit-learn's
    ``f1_score(..., average="macro", zero_division=0)``)."""
    c = _total(confusion)
    tp, true, called = np.diag(c), c.sum(axis=1), c.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(true + called > 0, 2 * tp / (true + called), 0.0)
    return float(f1.mean())


def metrics_table(confusion: np.ndarray, classes: Sequence[str], *, n_boot: int = 1000, seed: int = 0,
                  level: float = 0.95) -> pd.DataFrame:
    """Se, +P per class and macro-F1, with bootstrap intervals over records.

    ``confusion``: ``(records, K, K)`` from :func:`confusion_by_record`. Returns one row per
    metric (``"Se N"``, ``"+P N"``, ..., ``"macro-F1"``) with columns ``estimate``, ``low``,
    ``high`` (fractions) and ``n_failed`` (resamples where the metric was undefined, e.g. no
    beat of the class among the drawn records; they are left out of the interval). A metric
    undefined on the full data has NaN everywhere.
    """
    conf = np.asarray(confusion)
    if conf.ndim != 3 or conf.shape[1:] != (len(classes), len(classes)):
        raise ValueError(f"confusion: expected (records, {len(classes)}, {len(classes)}), got {conf.shape}")
    metrics = {}
    for k, name in enumerate(classes):
        metrics[f"Se {name}"] = lambda c, k=k: sensitivity(c)[k]
        metrics[f"+P {name}"] = lambda c, k=k: positive_predictivity(c)[k]
    metrics["macro-F1"] = macro_f1
    rows = {}
    for name, fn in metrics.items():
        if not np.isfinite(fn(conf)):
            rows[name] = dict(estimate=np.nan, low=np.nan, high=np.nan, n_failed=n_boot)
            continue
        # Same seed for every metric: every metric sees the same resampled records.
        ci = group_bootstrap(fn, conf, n_boot=n_boot, seed=seed, level=level, max_failed=0.5)
        rows[name] = dict(estimate=ci.estimate, low=ci.low, high=ci.high, n_failed=ci.n_failed)
    return pd.DataFrame.from_dict(rows, orient="index")
