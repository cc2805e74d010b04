"""Seeded synthetic sequence tasks with long-range dependencies, and their chance levels.

Each generator draws from its own seeded ``torch.Generator`` and returns float32 ``inputs``
shaped ``(batch, time, features)`` and ``targets``. The lag between the information a model
needs and the step where it must answer dials the difficulty for a vanilla RNN.

- Adding problem, in the variant of Le, Jaitly & Hinton (2015): feature 0 is uniform noise
  in [0, 1), feature 1 marks two positions (one in each half); the target is the sum of the
  two marked values. Predicting the mean (1.0) scores MSE = Var(U + U') = 1/6: the chance
  baseline. Hochreiter & Schmidhuber (1997) introduced the task with values in [-1, 1], the
  first marker among the first ten steps, the target 0.5 + (X1 + X2) / 4 and a variable
  sequence length.
- Delayed recall: the first step shows one of ``n_classes`` symbols (one-hot); the rest are
  noise symbols; at the end the model must name the first symbol. Chance accuracy
  is ``1 / n_classes``.
- Delayed-cue stream: one long stream per batch row in which every cue must be named
  exactly ``delay`` steps later; a truncated-BPTT model learns it only when it backpropagates
  further than ``delay`` (chapter 3). Steps without a question have the target ``IGNORE``.
"""
from __future__ import annotations

import torch

from ..validation import expect_int

ADDING_CHANCE_MSE = 1.0 / 6.0
IGNORE = -100  # target of steps without a question (cross_entropy's ignore_index)


def _generator(seed: int) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(seed)
    return g


def adding_problem(n_samples: int, seq_len: int, *, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """Adding problem: ``inputs (n_samples, seq_len, 2)``, ``targets (n_samples, 1)``."""
    if seq_len < 2:
        raise ValueError(f"seq_len must be at least 2 (two marked positions), got {seq_len}")
    if n_samples < 1:
        raise ValueError(f"n_samples must be positive, got {n_samples}")
    g = _generator(seed)
    values = torch.rand(n_samples, seq_len, generator=g)
    half = seq_len // 2
    first = torch.randint(0, half, (n_samples,), generator=g)
    second = torch.randint(half, seq_len, (n_samples,), generator=g)
    markers = torch.zeros(n_samples, seq_len)
    rows = torch.arange(n_samples)
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    inputs = torch.stack([values, markers], dim=-1)
    targets = (values[rows, first] + values[rows, second]).unsqueeze(1)
    return inputs, targets


def delayed_recall(n_samples: int, seq_len: int, *, n_classes: int = 4, seed: int = 0
                   ) -> tuple[torch.Tensor, torch.Tensor]:
    """Delayed recall: ``inputs (n_samples, seq_len, n_classes + 1)``, ``targets (n_samples,)`` int64.

    Step 0 is a one-hot symbol in ``0..n_classes-1``; steps 1..seq_len-1 carry a random
    distractor in the same channels at a quarter of the amplitude plus a "wait" flag in the
    last channel. The target is the class shown at step 0.
    """
    if seq_len < 1 or n_classes < 2 or n_samples < 1:
        raise ValueError(f"need seq_len >= 1, n_classes >= 2, n_samples >= 1; got {seq_len}, {n_classes}, {n_samples}")
    g = _generator(seed)
    targets = torch.randint(0, n_classes, (n_samples,), generator=g)
    inputs = torch.zeros(n_samples, seq_len, n_classes + 1)
    inputs[torch.arange(n_samples), 0, targets] = 1.0
    if seq_len > 1:
        noise = torch.randint(0, n_classes, (n_samples, seq_len - 1), generator=g)
        inputs[:, 1:, :n_classes] = 0.25 * torch.nn.functional.one_hot(noise, n_classes).float()
        inputs[:, 1:, n_classes] = 1.0
    return inputs, targets


def recall_chance_accuracy(n_classes: int = 4) -> float:
    """Accuracy of guessing on :func:`delayed_recall`: ``1 / n_classes``."""
    return 1.0 / n_classes


def delayed_cue_stream(n_streams: int, n_steps: int, *, delay: int = 20, n_classes: int = 4,
                       max_gap: int = 10, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A stream of cues, each to be recalled exactly ``delay`` steps later.

    Returns ``x (n_streams, n_steps, n_classes + 1)`` float32 and ``y (n_streams, n_steps)``
    int64. A cue is a one-hot symbol in the first ``n_classes`` channels; ``delay`` steps later
    the last channel raises a question flag and the target is the cue's class. Between a
    question and the next cue there are 0..``max_gap`` quiet steps. Steps without a question
    have target ``IGNORE`` (-100). Guessing scores ``1 / n_classes`` and a cross-entropy of
    ``log(n_classes)``.
    """
    for name, value in (("n_streams", n_streams), ("n_steps", n_steps), ("delay", delay)):
        expect_int(name, value)
    if n_classes < 2 or max_gap < 0:
        raise ValueError(f"need n_classes >= 2 and max_gap >= 0, got {n_classes} and {max_gap}")
    g = _generator(seed)

    def draw(high: int) -> int:
        return int(torch.randint(0, high, (1,), generator=g))

    x = torch.zeros(n_streams, n_steps, n_classes + 1)
    y = torch.full((n_streams, n_steps), IGNORE, dtype=torch.int64)
    for b in range(n_streams):
        t = draw(max_gap + 1)
        while t + delay < n_steps:
            c = draw(n_classes)
            x[b, t, c], x[b, t + delay, n_classes], y[b, t + delay] = 1.0, 1.0, c
            t += delay + 1 + draw(max_gap + 1)
    return x, y
