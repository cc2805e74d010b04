"""The group bootstrap: right coverage with clustered data, determinism, paired differences,
and errors that say what was expected."""
from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from rnn_course.clinical.bootstrap import Interval, group_bootstrap, rank_auroc
from rnn_course.data.splits import assert_disjoint


def _clustered(rng, n_groups=30, per_group=20, spread=1.0):
    """Samples whose group shares a random offset: the truth (mean 0) varies between groups."""
    offsets = rng.normal(0, spread, n_groups)
    groups = np.repeat(np.arange(n_groups), per_group)
    values = offsets[groups] + rng.normal(0, 1.0, groups.size)
    return values, groups


@pytest.mark.slow
def test_group_interval_covers_truth_at_about_the_nominal_rate():
    rng = np.random.default_rng(0)
    hits_group, hits_naive, trials = 0, 0, 200
    for t in range(trials):
        values, groups = _clustered(rng)
        hits_group += group_bootstrap(np.mean, values, groups=groups, n_boot=200, seed=t).contains(0.0)
        hits_naive += group_bootstrap(np.mean, values, n_boot=200, seed=t).contains(0.0)
    # 95 % nominal; with 200 trials the binomial standard error is about 1.5 points, and the
    # percentile bootstrap with 30 groups is known to undercover slightly.
    assert 0.87 <= hits_group / trials <= 0.99, hits_group
    # Resampling single samples ignores the shared offsets: far too narrow.
    assert hits_naive / trials < 0.6, hits_naive


def test_same_seed_same_interval_and_other_seed_differs(rng):
    values, groups = _clustered(rng)
    a = group_bootstrap(np.mean, values, groups=groups, n_boot=200, seed=1)
    b = group_bootstrap(np.mean, values, groups=groups, n_boot=200, seed=1)
    c = group_bootstrap(np.mean, values, groups=groups, n_boot=200, seed=2)
    assert (a.low, a.high) == (b.low, b.high) and (a.low, a.high) != (c.low, c.high)
    assert a.estimate == pytest.approx(values.mean()) and a.low < a.estimate < a.high
    assert isinstance(a, Interval) and a.samples.shape == (200,) and a.n_failed == 0
    assert str(a).count("(") == 1 and "–" in str(a)


def test_resamples_whole_groups():
    # Two groups with constant values 0 and 1 (10 and 30 samples): every resample is all of one
    # group, all of the other, or both, so the mean takes exactly three values.
    values = np.r_[np.zeros(10), np.ones(30)]
    groups = np.r_[np.zeros(10), np.ones(30)]
    result = group_bootstrap(np.mean, values, groups=groups, n_boot=300, seed=0)
    assert set(np.round(result.samples, 6)) == {0.0, 0.75, 1.0}


def test_one_sample_per_group_is_the_ordinary_bootstrap():
    # Each stay its own patient: the resample is the drawn samples themselves, whether groups
    # are omitted or given as distinct labels in any order.
    rng = np.random.default_rng(5)
    values = rng.normal(size=50)
    result = group_bootstrap(np.mean, values, n_boot=100, seed=4)
    draws = np.random.default_rng(4)
    expected = [values[draws.integers(0, 50, size=50)].mean() for _ in range(100)]
    np.testing.assert_allclose(result.samples, expected)
    labels = 1000 - np.arange(50)  # distinct labels, sorted the other way
    relabelled = group_bootstrap(np.mean, values, groups=labels, n_boot=100, seed=4)
    order = np.argsort(labels)
    draws = np.random.default_rng(4)
    expected = [values[order[draws.integers(0, 50, size=50)]].mean() for _ in range(100)]
    np.testing.assert_allclose(relabelled.samples, expected)


def test_paired_difference_of_two_scores():
    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 400)
    good = y + rng.normal(0, 0.5, 400)
    worse = y + rng.normal(0, 1.5, 400)
    diff = group_bootstrap(lambda t, a, b: roc_auc_score(t, a) - roc_auc_score(t, b), y, good, worse,
                           n_boot=300)
    assert diff.low > 0, diff  # the better score wins on (nearly) every resample
    same = group_bootstrap(lambda t, a, b: roc_auc_score(t, a) - roc_auc_score(t, b), y, good, good,
                           n_boot=50)
    assert same.estimate == 0 and same.low == same.high == 0


def test_failed_resamples_are_counted_or_refused():
    y = np.r_[np.zeros(19), 1]
    score = np.linspace(0, 1, 20)
    with pytest.raises(ValueError, match="failed on .* resamples"):
        group_bootstrap(roc_auc_score, y, score, n_boot=200)  # the one positive is often missing
    result = group_bootstrap(roc_auc_score, y, score, n_boot=200, max_failed=1.0)
    assert 0 < result.n_failed < 200 and len(result.samples) == 200 - result.n_failed


@pytest.mark.parametrize("kwargs, message", [
    (dict(groups=np.zeros(3)), r"groups: expected one group label per sample, shape \(4,\)"),
    (dict(n_boot=0), "n_boot: expected a positive int, got 0"),
    (dict(level=95), "level: expected a coverage strictly between 0 and 1"),
])
def test_bad_arguments_say_what_was_expected(kwargs, message):
    with pytest.raises(ValueError, match=message):
        group_bootstrap(np.mean, np.arange(4.0), **kwargs)


def test_arrays_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match=r"same number of samples .* lengths \[3, 4\]"):
        group_bootstrap(lambda a, b: 0.0, np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="at least one array"):
        group_bootstrap(np.mean)


def test_assert_disjoint_names_the_shared_patients():
    assert_disjoint(train=[1, 1, 2], validation=[3], test=np.array([4, 5]))
    with pytest.raises(ValueError, match=r"train and test share 1 group\(s\): 2"):
        assert_disjoint(train=[1, 2], validation=[3], test=[2, 4])
    with pytest.raises(ValueError, match="at least two named splits"):
        assert_disjoint(train=[1])
    with pytest.raises(TypeError, match="expected a collection of group labels"):
        assert_disjoint(train="101", test=["101"])


def test_auroc_equals_scikit_learn_with_and_without_ties():
    rng = np.random.default_rng(0)
    y = (rng.random(500) < 0.2).astype(int)
    for score in (rng.random(500) + 0.5 * y, np.round(rng.random(500) + 0.5 * y, 1)):
        assert rank_auroc(y, score) == pytest.approx(roc_auc_score(y, score), abs=1e-12)
    assert rank_auroc([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]) == 0.5


def test_auroc_says_what_was_expected():
    with pytest.raises(ValueError, match="both classes"):
        rank_auroc([1, 1, 1], [0.2, 0.3, 0.4])
    with pytest.raises(ValueError, match="same length"):
        rank_auroc([0, 1], [0.2, 0.3, 0.4])
    with pytest.raises(ValueError, match="labels 0 and 1"):
        rank_auroc([0, 2], [0.2, 0.3])
