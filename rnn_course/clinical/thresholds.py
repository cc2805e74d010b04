"""An operating threshold for a risk score, and the PhysioNet/CinC Challenge 2012 event-1
score (min(Se, +P)) that chooses it; :func:`predict_risk` gives a network's risk scores."""
from __future__ import annotations

import warnings
from typing import Any, Sequence

import numpy as np
import torch
from sklearn.metrics import precision_recall_curve, precision_score, recall_score

from ..device import module_device
from ..validation import expect_binary_labels, expect_int


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


@torch.no_grad()
def predict_risk(model: torch.nn.Module, inputs: Sequence[torch.Tensor],
                 batch_size: int = 1000) -> np.ndarray:
    """Predicted probabilities of the event, ``(N,)`` float32, from a model of logits.

    ``inputs`` are tensors with the N stays on the first axis (e.g. ``(values, mask, delta,
    static)``); ``model(*batch)`` must return ``(batch,)`` logits. The model is put in eval
    mode (no dropout) and fed ``batch_size`` stays at a time on its own device.
    """
    inputs = tuple(inputs)
    if not inputs or len({len(t) for t in inputs}) != 1:
        raise ValueError(f"inputs: expected tensors with the same number of stays on the first "
                         f"axis, got first axes {[len(t) for t in inputs]}")
    batch_size = expect_int("batch_size", batch_size)
    device = module_device(model)
    model.eval()
    logits = [model(*(t[i:i + batch_size].to(device) for t in inputs))
              for i in range(0, len(inputs[0]), batch_size)]
    return torch.sigmoid(torch.cat(logits)).cpu().numpy()
