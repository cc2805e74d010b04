"""Per-class sensitivity and positive predictivity, as arrhythmia papers report them.

For each class ``c``, from a confusion matrix ``C`` (rows: true class, columns: predicted):

- sensitivity ``Se_c = C[c, c] / C[c, :].sum()``: the fraction of true ``c`` beats found;
- positive predictivity ``+P_c = C[c, c] / C[:, c].sum()``: the fraction of ``c`` calls
  that are right (the precision, or positive predictive value);
- macro-F1: the mean over classes of ``2 Se +P / (Se + +P)``.

Beats of one patient are not independent, so confidence intervals resample *records*: the
confusion matrix of every record is counted once (:func:`confusion_by_record`), and each
bootstrap draw sums the matrices of the drawn records
(:func:`rnn_course.clinical.bootstrap.group_bootstrap` with one sample per record). That makes a thousand resamples of fifty thousand beats cost
milliseconds. The point estimates agree with scikit-learn's ``recall_score``,
``precision_score`` and ``f1_score`` (tested).

AAMI EC57 reports two summaries over records (:func:`ec57_statistics`): *gross* statistics
from the counts pooled over records (each beat weighs the same) and *average* statistics, the
mean of the per-record values over the records where the value is defined (each record weighs
the same). A paired comparison of two classifiers (:func:`paired_differences`) resamples the
same records for both.

Beats found by a QRS detector are scored as EC57 scores a detector: a detection and a
reference beat match when they lie within 150 ms of each other
(:func:`rnn_course.data.mitbih_beats.match_beats`). For the classes,
:func:`confusion_by_record` takes ``y_true = -1`` for a detection that matches no beat (a
false detection, one more row) and ``y_pred = K`` for a beat the detector missed (one
more column): a missed beat lowers its class's Se, a false detection the +P of the class it
was called.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from .bootstrap import group_bootstrap


def confusion_by_record(y_true, y_pred, records, n_classes: int, *,
                        detected: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Confusion matrices of every record: ``(names (R,), counts (R, K, K))``.

    ``y_true``, ``y_pred`` and ``records`` have one entry per beat. Beats whose true class is
    outside ``0 .. K-1`` (e.g. -100 for the unscored class Q) are left out.

    ``detected=True`` scores beats found by a detector: the counts are ``(R, K+1, K+1)``,
    ``y_true = -1`` marks a false detection (counted in row ``K``) and ``y_pred = K`` a
    reference beat the detector missed (column ``K``).
    """
    y_true, y_pred, records = np.asarray(y_true), np.asarray(y_pred), np.asarray(records)
    if not (y_true.shape == y_pred.shape == records.shape) or y_true.ndim != 1:
        raise ValueError(f"y_true, y_pred, records: expected three 1-D arrays of one length, got "
                         f"shapes {y_true.shape}, {y_pred.shape}, {records.shape}")
    top = n_classes + 1 if detected else n_classes
    if y_pred.size and (y_pred.min() < 0 or y_pred.max() >= top):
        raise ValueError(f"y_pred: expected class indices 0 .. {top - 1}, got values from "
                         f"{y_pred.min()} to {y_pred.max()}")
    y_true = np.where(y_true == -1, n_classes, y_true) if detected else y_true
    scored = (y_true >= 0) & (y_true < top)
    if detected and np.any(scored & (y_true == n_classes) & (y_pred == n_classes)):
        raise ValueError("a beat is marked both a false detection (y_true = -1) and missed "
                         f"(y_pred = {n_classes})")
    names, record_index = np.unique(records[scored], return_inverse=True)
    cell = (record_index * top + y_true[scored]) * top + y_pred[scored]
    counts = np.bincount(cell, minlength=len(names) * top * top)
    return names, counts.reshape(len(names), top, top)


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


def macro_f1(confusion: np.ndarray, n_classes: int | None = None) -> float:
    """Mean per-class F1; a class never predicted or never present scores 0 (as scikit-learn's
    ``f1_score(..., average="macro", zero_division=0)``). ``n_classes``: average over the first
    ``n_classes`` classes only (``K`` for the ``(K+1, K+1)`` counts of detected beats)."""
    c = _total(confusion)
    tp, true, called = np.diag(c), c.sum(axis=1), c.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(true + called > 0, 2 * tp / (true + called), 0.0)
    return float(f1[:n_classes].mean())


def _scored_classes(confusion, classes) -> np.ndarray:
    conf = np.asarray(confusion)
    k = len(classes)
    if conf.ndim != 3 or conf.shape[1] != conf.shape[2] or conf.shape[1] not in (k, k + 1):
        raise ValueError(f"confusion: expected (records, {k}, {k}), or (records, {k + 1}, "
                         f"{k + 1}) for detected beats, got {conf.shape}")
    return conf


def _metric_functions(classes: Sequence[str]) -> dict:
    """``{"Se N": fn, "+P N": fn, ..., "macro-F1": fn}``, each ``fn(counts) -> float``."""
    metrics = {}
    for k, name in enumerate(classes):
        metrics[f"Se {name}"] = lambda c, k=k: sensitivity(c)[k]
        metrics[f"+P {name}"] = lambda c, k=k: positive_predictivity(c)[k]
    metrics["macro-F1"] = lambda c: macro_f1(c, len(classes))
    return metrics


def metrics_table(confusion: np.ndarray, classes: Sequence[str], *, n_boot: int = 1000, seed: int = 0,
                  level: float = 0.95) -> pd.DataFrame:
    """Se, +P per class and macro-F1, with bootstrap intervals over records.

    ``confusion``: ``(records, K, K)`` from :func:`confusion_by_record` (or ``(records, K+1,
    K+1)`` for detected beats, whose last row and column are not a class). Returns one row per
    metric (``"Se N"``, ``"+P N"``, ..., ``"macro-F1"``) with columns ``estimate``, ``low``,
    ``high`` (fractions) and ``n_failed`` (resamples where the metric was undefined, e.g. no
    beat of the class among the drawn records; they are left out of the interval). A metric
    undefined on the full data has NaN everywhere.
    """
    conf = _scored_classes(confusion, classes)
    metrics = _metric_functions(classes)
    rows = {}
    for name, fn in metrics.items():
        if not np.isfinite(fn(conf)):
            rows[name] = dict(estimate=np.nan, low=np.nan, high=np.nan, n_failed=n_boot)
            continue
        # Same seed for every metric: every metric sees the same resampled records.
        ci = group_bootstrap(fn, conf, n_boot=n_boot, seed=seed, level=level, max_failed=0.5)
        rows[name] = dict(estimate=ci.estimate, low=ci.low, high=ci.high, n_failed=ci.n_failed)
    return pd.DataFrame.from_dict(rows, orient="index")


def paired_differences(confusion_a: np.ndarray, confusion_b: np.ndarray, classes: Sequence[str], *,
                       n_boot: int = 1000, seed: int = 0, level: float = 0.95) -> pd.DataFrame:
    """Model A minus model B on the same records, with paired bootstrap intervals.

    ``confusion_a``, ``confusion_b``: ``(records, K, K)`` counts of two classifiers on the
    same records in the same order. Every resample draws records once and scores both models
    on them, so what the records share cancels. Same rows and columns as
    :func:`metrics_table`; an interval that excludes 0 says the difference is larger than the
    resampling of patients explains.
    """
    a, b = _scored_classes(confusion_a, classes), _scored_classes(confusion_b, classes)
    if a.shape != b.shape or not np.array_equal(a.sum(axis=2), b.sum(axis=2)):
        raise ValueError(f"confusion_a, confusion_b: expected the counts of two models on the "
                         f"same beats of the same records, got shapes {a.shape}, {b.shape} or "
                         "different true classes per record")
    rows = {}
    for name, fn in _metric_functions(classes).items():
        def diff(x, y, fn=fn):
            return fn(x) - fn(y)

        if not np.isfinite(diff(a, b)):
            rows[name] = dict(estimate=np.nan, low=np.nan, high=np.nan, n_failed=n_boot)
            continue
        ci = group_bootstrap(diff, a, b, n_boot=n_boot, seed=seed, level=level, max_failed=0.5)
        rows[name] = dict(estimate=ci.estimate, low=ci.low, high=ci.high, n_failed=ci.n_failed)
    return pd.DataFrame.from_dict(rows, orient="index")


def per_record_table(names: Sequence[str], confusion: np.ndarray,
                     classes: Sequence[str]) -> pd.DataFrame:
    """Se and +P of every class on every record: one row per record, columns ``"Se N"``,
    ``"+P N"``, ... (fractions; NaN where the record has no beat of the class, or the model
    never called it). ``names`` and ``confusion`` as :func:`confusion_by_record` returns them.
    """
    conf = _scored_classes(confusion, classes)
    if len(names) != len(conf):
        raise ValueError(f"names: expected one name per record ({len(conf)}), got {len(names)}")
    rows = {}
    for name, c in zip(names, conf):
        se, ppv = sensitivity(c), positive_predictivity(c)
        rows[str(name)] = {**{f"Se {k}": se[i] for i, k in enumerate(classes)},
                           **{f"+P {k}": ppv[i] for i, k in enumerate(classes)}}
    return pd.DataFrame.from_dict(rows, orient="index")


def ec57_statistics(confusion: np.ndarray, classes: Sequence[str]) -> pd.DataFrame:
    """AAMI EC57's gross and average Se and +P of every class, as fractions.

    ``gross``: from the counts summed over records, so each beat weighs the same (the pooled
    numbers of :func:`metrics_table`). ``average``: the mean of the per-record values
    (:func:`per_record_table`) over the records where the value is defined, so each record
    weighs the same. A third row, ``records``, says over how many records each average runs.
    """
    conf = _scored_classes(confusion, classes)
    per_record = per_record_table(np.arange(len(conf)), conf, classes)
    se, ppv = sensitivity(conf), positive_predictivity(conf)
    gross = {**{f"Se {k}": se[i] for i, k in enumerate(classes)},
             **{f"+P {k}": ppv[i] for i, k in enumerate(classes)}}
    return pd.DataFrame({"gross": gross, "average": per_record.mean(skipna=True),
                         "records": per_record.notna().sum()}).T[per_record.columns]


def detector_statistics(n_reference, n_detected, n_matched) -> pd.DataFrame:
    """A QRS detector's Se and +P per record, and EC57's gross and average rows.

    Arguments: ``(R,)`` counts per record of reference beats, detections, and matched pairs
    (:func:`rnn_course.data.mitbih_beats.match_beats`). Returns a table indexed by record
    position and then ``"gross"`` and ``"average"``, with columns ``TP``, ``FN``, ``FP``, ``Se``, ``+P`` (fractions).
    """
    ref, det, tp = (np.asarray(a, dtype=np.int64) for a in (n_reference, n_detected, n_matched))
    if not (ref.shape == det.shape == tp.shape) or ref.ndim != 1:
        raise ValueError(f"expected three 1-D arrays of counts per record, got shapes "
                         f"{ref.shape}, {det.shape}, {tp.shape}")
    if np.any(tp > np.minimum(ref, det)) or np.any(tp < 0):
        raise ValueError("n_matched: expected 0 <= matched <= reference and detected beats")
    table = pd.DataFrame({"TP": tp, "FN": ref - tp, "FP": det - tp})
    with np.errstate(invalid="ignore", divide="ignore"):
        table["Se"] = table.TP / (table.TP + table.FN)
        table["+P"] = table.TP / (table.TP + table.FP)
        total = table[["TP", "FN", "FP"]].sum()
        table.loc["gross"] = [*total, total.TP / (total.TP + total.FN),
                              total.TP / (total.TP + total.FP)]
    table.loc["average"] = [np.nan] * 3 + [table.Se.iloc[:-1].mean(), table["+P"].iloc[:-1].mean()]
    return table
