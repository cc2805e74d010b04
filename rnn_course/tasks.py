"""Seeded synthetic sequence tasks with long-range dependencies, and their chance levels.

Each generator returns float32 ``inputs`` shaped ``(batch, time, features)`` and ``targets``.
The lag between the information a model needs and the step where it must answer is about
``seq_len``, so ``seq_len`` dials the difficulty for a vanilla RNN.

- Adding problem, in the variant of Le, Jaitly & Hinton (2015): feature 0 is uniform noise in
  [0, 1), feature 1 marks two positions (one in each half); the target is the sum of the two
  marked values. Predicting the mean (1.0) scores MSE = Var(U + U') = 1/6: the chance baseline.
  (The original of Hochreiter & Schmidhuber 1997 draws values in [-1, 1], puts the first
  marker among the first ten steps, uses the target 0.5 + (X1 + X2)/4 and varies the length.)
- Delayed recall: the first step shows one of ``n_classes`` symbols (one-hot); the rest are
  noise symbols; at the end the model must name the first symbol. Chance accuracy
  is ``1 / n_classes``.
- Copy task (Hochreiter & Schmidhuber 1997; Arjovsky et al. 2016): a few symbols, a long
  blank delay, then a "go" marker; the model must reproduce the symbols at the end. Chance
  accuracy on the copied positions is ``1 / n_symbols``.
"""
from __future__ import annotations

import torch

ADDING_CHANCE_MSE = 1.0 / 6.0


def _generator(seed: int | None) -> torch.Generator:
    g = torch.Generator()
    g.manual_seed(0 if seed is None else seed)
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


def copy_task(n_samples: int, delay: int, *, n_copy: int = 5, n_symbols: int = 8, seed: int = 0
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """Copy task: ``inputs (n_samples, seq_len, n_symbols + 2)``, ``targets (n_samples, seq_len)`` int64.

    ``seq_len = n_copy + delay + n_copy``. Channel 0 is "blank", channels ``1..n_symbols``
    are the symbols and the last channel is the "go" marker. The first ``n_copy`` steps show
    random symbols (one-hot), then blanks for ``delay - 1`` steps, the go marker once, and
    blanks again. Targets are 0 ("blank") everywhere except the last ``n_copy`` steps, where
    they are the symbols (``1..n_symbols``) in their original order.
    """
    if n_samples < 1 or delay < 1 or n_copy < 1 or n_symbols < 2:
        raise ValueError("need n_samples >= 1, delay >= 1, n_copy >= 1, n_symbols >= 2; got "
                         f"{n_samples}, {delay}, {n_copy}, {n_symbols}")
    g = _generator(seed)
    seq_len = 2 * n_copy + delay
    symbols = torch.randint(1, n_symbols + 1, (n_samples, n_copy), generator=g)
    codes = torch.zeros(n_samples, seq_len, dtype=torch.int64)  # 0 = blank
    codes[:, :n_copy] = symbols
    codes[:, n_copy + delay - 1] = n_symbols + 1  # go marker
    inputs = torch.nn.functional.one_hot(codes, n_symbols + 2).float()
    targets = torch.zeros(n_samples, seq_len, dtype=torch.int64)
    targets[:, -n_copy:] = symbols
    return inputs, targets


def copy_chance_accuracy(n_symbols: int = 8) -> float:
    """Accuracy of guessing the copied positions of :func:`copy_task`: ``1 / n_symbols``."""
    return 1.0 / n_symbols
