"""rnn_course.clinical.thresholds: the challenge's event-1 score and the threshold that
maximises it, by hand, against the hand-written cumulative counts they replaced, and their
errors."""
from __future__ import annotations

import numpy as np
import pytest

from rnn_course.clinical import best_threshold, event1_score


def test_event1_score_by_hand():
    y = [1, 1, 0, 0, 0, 1]
    s = [0.9, 0.2, 0.8, 0.1, 0.3, 0.7]
    # threshold 0.5 flags 0.9, 0.8, 0.7: two of three deaths found, two of three flags right.
    assert event1_score(y, s, 0.5) == pytest.approx(2 / 3)
    assert event1_score(y, s, 0.95) == 0.0  # nothing flagged
    assert event1_score(y, s, 0.0) == pytest.approx(0.5)  # Se 1, +P 1/2


def test_best_threshold_beats_every_other_threshold(rng):
    for _ in range(5):
        y = (rng.random(60) < 0.2).astype(int)
        s = np.round(rng.random(60) + 0.5 * y, 1)  # ties on purpose
        threshold, score = best_threshold(y, s)
        assert event1_score(y, s, threshold) == pytest.approx(score)
        assert score >= max(event1_score(y, s, t) for t in np.unique(s)) - 1e-12


def _best_threshold_by_hand(y, s):
    """The implementation before sklearn's precision_recall_curve, kept as a reference."""
    y, s = np.asarray(y), np.asarray(s, dtype=float)
    order = np.argsort(-s, kind="stable")
    s_sorted, true_pos = s[order], np.cumsum(y[order])
    last_of_tie = np.r_[s_sorted[1:] != s_sorted[:-1], True]
    score = np.minimum(true_pos / max(y.sum(), 1), true_pos / np.arange(1, len(s) + 1))
    best = int(np.argmax(np.where(last_of_tie, score, -1.0)))
    return float(s_sorted[best]), float(score[best])


def _event1_by_hand(y, s, threshold):
    y, flagged = np.asarray(y), np.asarray(s, dtype=float) >= threshold
    true_pos = np.sum(flagged & (y == 1))
    predictivity = true_pos / flagged.sum() if flagged.any() else 0.0
    return float(min(true_pos / max(y.sum(), 1), predictivity))


def test_sklearn_curve_gives_the_same_numbers_as_the_hand_written_one(rng):
    for i in range(60):
        n = int(rng.integers(1, 60))
        y = (rng.random(n) < rng.random()).astype(int)
        y[:] = 0 if i % 10 == 0 else 1 if i % 10 == 1 else y  # no deaths, only deaths
        s = rng.random(n) + 0.5 * y
        s = np.round(s, 1) if i % 2 else s.astype(np.float32) if i % 3 == 0 else s  # ties
        assert best_threshold(y, s) == _best_threshold_by_hand(y, s)
        for t in [*np.unique(s)[:5], -1.0, 9.0]:
            assert event1_score(y, s, t) == _event1_by_hand(y, s, t)


def test_errors_say_what_was_expected():
    with pytest.raises(ValueError, match="labels 0 and 1"):
        event1_score([0, 2], [0.1, 0.2], 0.5)
    with pytest.raises(ValueError, match="same length"):
        best_threshold([0, 1], [0.1])


def test_predict_risk_is_the_sigmoid_of_the_logits_in_batches_and_in_eval_mode():
    import torch
    from torch import nn

    from rnn_course.clinical import predict_risk

    class TwoInputs(nn.Module):
        def __init__(self):
            super().__init__()
            self.linear, self.dropout = nn.Linear(3, 1), nn.Dropout(0.5)

        def forward(self, x, z):
            return self.linear(self.dropout(x)).squeeze(-1) + z[:, 0]

    torch.manual_seed(0)
    model, x, z = TwoInputs(), torch.randn(7, 3), torch.randn(7, 2)
    p = predict_risk(model, (x, z), batch_size=3)
    assert not model.training and p.shape == (7,) and p.dtype == np.float32
    with torch.no_grad():
        want = torch.sigmoid(model.linear(x).squeeze(-1) + z[:, 0]).numpy()
    np.testing.assert_allclose(p, want, rtol=1e-6)
    with pytest.raises(ValueError, match=r"first axes \[7, 6\]"):
        predict_risk(model, (x, z[:6]))
    with pytest.raises(ValueError, match="batch_size"):
        predict_risk(model, (x, z), batch_size=0)
