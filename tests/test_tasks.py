"""Tests of rnn_course.data.tasks: seeded synthetic long-range tasks and their chance levels."""
from __future__ import annotations

import pytest
import torch

from rnn_course.data.tasks import (ADDING_CHANCE_MSE, IGNORE, adding_problem, delayed_cue_stream, delayed_recall,
                              recall_chance_accuracy)


@pytest.mark.parametrize("make", [
    lambda seed: adding_problem(16, 11, seed=seed),
    lambda seed: delayed_recall(16, 9, n_classes=3, seed=seed),
    lambda seed: delayed_cue_stream(3, 80, delay=5, seed=seed),
])
def test_tasks_are_seeded(make):
    a, b, c = make(0), make(0), make(1)
    for x, y in zip(a, b):
        assert torch.equal(x, y)
    assert not torch.equal(a[0], c[0])


@pytest.mark.parametrize("T", [2, 7, 10])
def test_adding_problem_shapes_markers_and_targets(T):
    x, y = adding_problem(500, T, seed=3)
    assert x.shape == (500, T, 2) and y.shape == (500, 1)
    assert x.dtype == torch.float32 and y.dtype == torch.float32
    values, markers = x[..., 0], x[..., 1]
    assert ((values >= 0) & (values < 1)).all()
    assert set(markers.unique().tolist()) <= {0.0, 1.0}
    assert (markers.sum(1) == 2).all()  # exactly two markers ...
    half = T // 2
    assert (markers[:, :half].sum(1) == 1).all() and (markers[:, half:].sum(1) == 1).all()  # ... one per half
    torch.testing.assert_close(y[:, 0], (values * markers).sum(1))  # target = sum of the marked values


def test_adding_chance_mse_is_one_sixth():
    _, y = adding_problem(40_000, 20, seed=0)
    mse = float(((y - 1.0) ** 2).mean())  # always predicting the mean, 1.0
    assert ADDING_CHANCE_MSE == pytest.approx(1 / 6)
    assert mse == pytest.approx(ADDING_CHANCE_MSE, abs=0.005)
    assert float(y.mean()) == pytest.approx(1.0, abs=0.01)


def test_adding_problem_errors():
    with pytest.raises(ValueError, match="seq_len must be at least 2.*got 1"):
        adding_problem(4, 1)
    with pytest.raises(ValueError, match="n_samples must be positive, got 0"):
        adding_problem(0, 5)


def test_delayed_recall_shapes_and_targets():
    x, y = delayed_recall(300, 12, n_classes=5, seed=2)
    assert x.shape == (300, 12, 6) and y.shape == (300,) and y.dtype == torch.int64
    assert torch.equal(x[:, 0, :5].argmax(-1), y)  # the answer is shown at step 0 ...
    assert (x[:, 0, 5] == 0).all() and (x[:, 1:, 5] == 1).all()  # ... then the "wait" flag
    assert (x[:, 1:, :5].max(-1).values == 0.25).all()  # distractors at a quarter amplitude
    assert set(y.tolist()) == set(range(5))


def test_delayed_recall_chance_and_errors():
    assert recall_chance_accuracy(4) == 0.25
    _, y = delayed_recall(20_000, 3, n_classes=4, seed=0)
    counts = torch.bincount(y, minlength=4).double() / len(y)
    assert float(counts.max()) == pytest.approx(0.25, abs=0.01)  # balanced: a constant guess scores 1/4
    with pytest.raises(ValueError, match="n_classes >= 2"):
        delayed_recall(4, 5, n_classes=1)
    with pytest.raises(ValueError, match="seq_len >= 1"):
        delayed_recall(4, 0)


def test_delayed_cue_stream_answers_are_the_cues_delay_steps_back():
    x, y = delayed_cue_stream(5, 300, delay=20, n_classes=4, seed=3)
    assert x.shape == (5, 300, 5) and y.shape == (5, 300) and y.dtype == torch.int64
    b, t = torch.nonzero(y != IGNORE, as_tuple=True)
    assert len(t) > 5 * 300 // 32  # at least one query every delay + 1 + max_gap steps
    assert torch.equal(x[b, t - 20, :4].argmax(-1), y[b, t])
    assert torch.all(x[b, t, 4] == 1) and x[..., 4].sum() == len(t)
    assert x[..., :4].sum() >= len(t)
    x2, y2 = delayed_cue_stream(5, 300, delay=20, n_classes=4, seed=3)
    assert torch.equal(x, x2) and torch.equal(y, y2)


def test_delayed_cue_stream_errors():
    with pytest.raises(ValueError, match="delay: expected a positive int"):
        delayed_cue_stream(2, 100, delay=0)
    with pytest.raises(ValueError, match="n_classes >= 2"):
        delayed_cue_stream(2, 100, n_classes=1)
