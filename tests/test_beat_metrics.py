"""rnn_course.clinical.beat_metrics: per-record confusion counts, Se/+P/macro-F1 equal to
scikit-learn's, bootstrap intervals over records, paired differences, EC57's gross and average
statistics, detected beats, and input errors."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import confusion_matrix, f1_score, precision_score, recall_score

from rnn_course.clinical.beat_metrics import (
    confusion_by_record, detector_statistics, ec57_statistics, macro_f1, metrics_table,
    paired_differences, per_record_table, positive_predictivity, sensitivity,
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
        metrics_table(np.ones((2, 4, 4)), ["N", "S"])


# ================================================================== EC57 and detected beats
def _two_records():
    # Record a: 8 N (1 called S), 2 S (both found). Record b: 10 N, 1 S (missed), 0 V.
    a = np.array([[7, 1], [0, 2]])
    b = np.array([[10, 0], [1, 0]])
    return np.stack([a, b])


def test_ec57_gross_pools_counts_and_average_means_defined_records():
    conf = _two_records()
    t = ec57_statistics(conf, ["N", "S"])
    # gross: pooled counts; S found 2 of 3, S calls right 2 of 3
    assert t.loc["gross", "Se S"] == pytest.approx(2 / 3)
    assert t.loc["gross", "+P S"] == pytest.approx(2 / 3)
    assert t.loc["gross", "Se N"] == pytest.approx(17 / 18)
    # average: mean of per-record values; record b never called S, so +P S is averaged
    # over record a alone
    assert t.loc["average", "Se S"] == pytest.approx((1.0 + 0.0) / 2)
    assert t.loc["average", "+P S"] == pytest.approx(2 / 3)
    assert t.loc["average", "Se N"] == pytest.approx((7 / 8 + 1.0) / 2)
    assert t.loc["records", "+P S"] == 1 and t.loc["records", "Se S"] == 2
    per = per_record_table(["a", "b"], conf, ["N", "S"])
    assert list(per.index) == ["a", "b"] and np.isnan(per.loc["b", "+P S"])
    assert per.loc["a", "+P N"] == pytest.approx(1.0) and per.loc["b", "+P N"] == pytest.approx(10 / 11)
    with pytest.raises(ValueError, match="one name per record"):
        per_record_table(["a"], conf, ["N", "S"])


def test_detected_beats_confusion_counts_missed_and_false_beats():
    # K = 2. Beats: N found as N, S missed, false detection called S, S found as S.
    y = np.array([0, 1, -1, 1])
    pred = np.array([0, 2, 1, 1])
    _, conf = confusion_by_record(y, pred, np.zeros(4, dtype=int), 2, detected=True)
    np.testing.assert_array_equal(conf[0], [[1, 0, 0], [0, 1, 1], [0, 1, 0]])
    assert sensitivity(conf)[1] == pytest.approx(0.5)           # the missed S counts
    assert positive_predictivity(conf)[1] == pytest.approx(0.5)  # the false one counts
    table = metrics_table(conf, ["N", "S"], n_boot=20)
    assert table.loc["macro-F1", "estimate"] == pytest.approx(macro_f1(conf, 2))
    assert macro_f1(conf, 2) == pytest.approx((1.0 + 0.5) / 2)
    with pytest.raises(ValueError, match="both a false detection"):
        confusion_by_record([-1], [2], ["r"], 2, detected=True)


def test_detector_statistics_gross_and_average():
    t = detector_statistics([10, 20], [12, 18], [9, 18])
    assert t.loc[0, "FN"] == 1 and t.loc[0, "FP"] == 3 and t.loc[1, "FP"] == 0
    assert t.loc["gross", "Se"] == pytest.approx(27 / 30)
    assert t.loc["gross", "+P"] == pytest.approx(27 / 30)
    assert t.loc["average", "Se"] == pytest.approx((0.9 + 0.9) / 2)
    assert t.loc["average", "+P"] == pytest.approx((9 / 12 + 1.0) / 2)
    with pytest.raises(ValueError, match="matched <= reference and detected"):
        detector_statistics([1], [1], [2])


def test_paired_differences_of_a_model_with_itself_are_zero(rng):
    y, pred, records = _beats(rng, n_records=15)
    conf = confusion_by_record(y, pred, records, 4)[1]
    same = paired_differences(conf, conf, ["N", "S", "V", "F"], n_boot=100)
    assert (same[["estimate", "low", "high"]].abs() < 1e-12).all().all()
    better = np.where(rng.random(len(y)) < 0.5, y, pred)         # right more often
    conf_b = confusion_by_record(y, better, records, 4)[1]
    d = paired_differences(conf_b, conf, ["N", "S", "V", "F"], n_boot=200)
    assert d.loc["macro-F1", "estimate"] == pytest.approx(macro_f1(conf_b) - macro_f1(conf))
    assert d.loc["macro-F1", "low"] > 0
    with pytest.raises(ValueError, match="same beats of the same records"):
        paired_differences(conf, conf[:-1], ["N", "S", "V", "F"])
