"""rnn_course.beat_metrics: per-record confusion counts, Se/+P/macro-F1 equal to
scikit-learn's, bootstrap intervals over records, and input errors."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, f1_score, precision_score, recall_score

from rnn_course.beat_metrics import (
    confusion_by_record, macro_f1, metrics_table, positive_predictivity, sensitivity,
)


def _beats(rng, n=3000, n_records=12, k=4):
    y = rng.choice(k, size=n, p=[0.85, 0.05, 0.08, 0.02])
    pred = np.where(rng.random(n) < 0.7, y, rng.integers(0, k, size=n))
    records = rng.integers(0, n_records, size=n).astype(str)
    return y, pred, records


def test_confusion_by_record_matches_sklearn_per_record(rng):
    y, pred, records = _beats(rng)
    y[:10] = -100  # unscored beats (Q) are left out
    names, conf = confusion_by_record(y, pred, records, 4)
    assert conf.shape == (len(names), 4, 4) and conf.sum() == (y >= 0).sum()
    for name, c in zip(names, conf):
        m = (records == name) & (y >= 0)
        np.testing.assert_array_equal(c, confusion_matrix(y[m], pred[m], labels=range(4)))


def test_pooled_metrics_equal_scikit_learn(rng):
    y, pred, records = _beats(rng)
    conf = confusion_by_record(y, pred, records, 4)[1]
    np.testing.assert_allclose(sensitivity(conf), recall_score(y, pred, labels=range(4), average=None))
    np.testing.assert_allclose(positive_predictivity(conf),
                               precision_score(y, pred, labels=range(4), average=None))
    assert macro_f1(conf) == pytest.approx(f1_score(y, pred, labels=range(4), average="macro"))


def test_undefined_metrics_are_nan_and_f1_counts_them_as_zero():
    conf = np.array([[8, 0, 2], [1, 0, 0], [0, 0, 0]])  # class 1 never predicted, class 2 absent
    se, ppv = sensitivity(conf), positive_predictivity(conf)
    assert se[0] == pytest.approx(0.8) and se[1] == 0 and np.isnan(se[2])
    assert ppv[0] == pytest.approx(8 / 9) and np.isnan(ppv[1]) and ppv[2] == 0
    y = np.array([0] * 10 + [1])
    pred = np.array([0] * 8 + [2, 2, 0])
    assert macro_f1(conf) == pytest.approx(
        f1_score(y, pred, labels=range(3), average="macro", zero_division=0))


def test_metrics_table_intervals_resample_records(rng):
    y, pred, records = _beats(rng, n_records=20)
    conf = confusion_by_record(y, pred, records, 4)[1]
    table = metrics_table(conf, ["N", "S", "V", "F"], n_boot=300, seed=1)
    assert list(table.index) == ["Se N", "+P N", "Se S", "+P S", "Se V", "+P V", "Se F", "+P F", "macro-F1"]
    assert (table["low"] <= table["estimate"]).all() and (table["estimate"] <= table["high"]).all()
    assert table.loc["Se N", "estimate"] == pytest.approx(sensitivity(conf)[0])
    assert (table["high"] > table["low"]).all() and (table["n_failed"] == 0).all()
    assert metrics_table(conf, ["N", "S", "V", "F"], n_boot=300, seed=1).equals(table)  # seeded


def test_metrics_table_interval_reflects_disagreeing_records():
    # Two kinds of record: the model finds every S beat in half of them and none in the rest.
    conf = np.zeros((10, 2, 2), dtype=int)
    conf[:, 0, 0] = 100
    conf[:5, 1, 1] = 20
    conf[5:, 1, 0] = 20
    se_s = metrics_table(conf, ["N", "S"], n_boot=500).loc["Se S"]
    assert se_s.estimate == pytest.approx(0.5) and se_s.low < 0.3 and se_s.high > 0.7


def test_metrics_table_marks_a_metric_undefined_on_the_whole_data():
    conf = np.zeros((5, 2, 2), dtype=int)
    conf[:, 0, 0] = 10
    conf[:, 1, 0] = 1  # class 1 is present but never predicted: its +P is undefined
    table = metrics_table(conf, ["N", "S"], n_boot=50)
    assert np.isnan(table.loc["+P S", ["estimate", "low", "high"]].astype(float)).all()
    assert table.loc["Se S", "estimate"] == 0


def test_errors_say_what_was_expected():
    with pytest.raises(ValueError, match="three 1-D arrays of one length"):
        confusion_by_record([0, 1], [0], ["a", "b"], 2)
    with pytest.raises(ValueError, match=r"class indices 0 .. 1, got values from 0 to 3"):
        confusion_by_record([0, 1], [0, 3], ["a", "b"], 2)
    with pytest.raises(ValueError, match=r"confusion: expected \(K, K\) or \(records, K, K\)"):
        sensitivity(np.ones((2, 3)))
    with pytest.raises(ValueError, match=r"confusion: expected \(records, 2, 2\)"):
        metrics_table(np.ones((2, 3, 3)), ["N", "S"])
