"""An operating threshold for a risk score, and the PhysioNet/CinC Challenge 2012 event-1
score (min(Se, +P)) that chooses it."""
from __future__ import annotations

import warnings
from typing import Any

import numpy as np
from sklearn.metrics import precision_recall_curve, precision_score, recall_score

from ..validation import expect_binary_labels


def event1_score(y_true: Any, y_score: Any, threshold: float) -> float:
    """The challenge's event-1 score: min(sensitivity, positive predictivity) when a stay is
    predicted to die if ``y_score >= threshold`` (Silva et al. 2012). 0 if nothing is flagged."""
    y, s = expect_binary_labels(y_true, y_score)
    flagged = (s >= threshold).astype(int)
    sensitivity = recall_score(y, flagged, labels=[0, 1], zero_division=0)
    predictivity = precision_score(y, flagged, labels=[0, 1], zero_division=0)
    return float(min(sensitivity, predictivity))


def best_threshold(y_true: Any, y_score: Any) -> tuple[float, float]:
    """The threshold (one of the scores; the highest of equally good ones) that maximises
    :func:`event1_score` on these data, and that score. Choose it on validation stays, then
    apply it unchanged to the test set."""
    y, s = expect_binary_labels(y_true, y_score)
    with warnings.catch_warnings():  # no deaths: sklearn sets recall to 1, the challenge to 0
        warnings.simplefilter("ignore", UserWarning)
        precision, recall, thresholds = precision_recall_curve(y, s, pos_label=1)
    # the last point of the curve flags nothing; thresholds are the distinct scores, ascending
    score = np.minimum(precision[:-1], recall[:-1] if y.any() else 0.0)
    best = len(score) - 1 - int(np.argmax(score[::-1]))
    return float(thresholds[best]), float(score[best])
