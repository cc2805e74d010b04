"""Training encoder–decoders: a loop with a step budget.

- :func:`train_seq2seq` runs a fixed number of Adam updates with the learning rate warmed up
  linearly and then decayed linearly to zero, gradient-norm clipping, and optionally a
  teacher-forcing ratio that changes with the update number (scheduled sampling).
- :func:`inverse_sigmoid_decay` is one of the schedules of Bengio et al. (2015).
- :func:`fixed_batch_update` makes one update on one fixed batch a function, to time it or
  count its calls into PyTorch.

A budget counted in updates, not seconds, gives the same model on every machine.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
from torch import nn
from tqdm import tqdm

from ..device import module_device
from .model import seq2seq_loss
from ..training import History, optimisation_step, to_device
from .vocab import Pairs, batches
from ..validation import expect_int


def inverse_sigmoid_decay(k: float) -> Callable[[int], float]:
    """Bengio et al.'s (2015) inverse sigmoid schedule ``eps_i = k / (k + exp(i / k))``, ``k >= 1``:
    the probability of feeding the true token at update ``i``, falling from about 1 towards 0."""
    if not k >= 1:
        raise ValueError(f"k: expected k >= 1, got {k}")
    return lambda i: k / (k + math.exp(min(i / k, 700.0)))  # exp overflows past 709


def train_seq2seq(model: nn.Module, pairs: Pairs, *, steps: int, batch_size: int, lr: float,
                  warmup: float = 0.1, clip_grad_norm: float | None = 1.0,
                  teacher_forcing: float | Callable[[int], float] | None = None, seed: int = 0,
                  device: torch.device | None = None, progress: bool = True) -> History:
    """``steps`` Adam updates on shuffled batches of ``pairs``; returns the :class:`History`.

    Args:
        lr: peak learning rate, reached after ``warmup * steps`` updates and then decayed
            linearly, to about ``lr / steps`` at the last update.
        teacher_forcing: a fixed ratio, or a function of the update number (e.g.
            :func:`inverse_sigmoid_decay`) that sets ``model.teacher_forcing_ratio`` before
            every update; ``None`` keeps the model's own ratio.
        seed: seeds the batch order (epoch ``e`` is shuffled with ``seed + e``).
    """
    expect_int("steps", steps)
    if not 0.0 <= warmup < 1.0:
        raise ValueError(f"warmup: expected a share of the steps in [0, 1), got {warmup}")
    device = device or next(model.parameters()).device
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    n_warm = max(1, round(warmup * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(  # up to lr over n_warm updates, then down to lr / steps
        optimizer, lambda i: (i + 1) / n_warm if i < n_warm else max(0.0, (steps - i) / (steps - n_warm + 1)))
    history = History()
    bar = tqdm(total=steps, desc="updates", disable=not progress)
    epoch = 0
    model.train()
    while len(history.step_loss) < steps:
        for (src, lengths, tgt_in), tgt_out in batches(pairs, batch_size, seed=seed + epoch):
            if teacher_forcing is not None:
                step = len(history.step_loss)
                model.teacher_forcing_ratio = teacher_forcing(step) if callable(teacher_forcing) else teacher_forcing
            src, tgt_in, tgt_out = to_device((src, tgt_in, tgt_out), device)
            loss = seq2seq_loss(model(src, lengths, tgt_in), tgt_out)
            if not optimisation_step(model, loss, optimizer, history, clip_grad_norm):
                bar.close()
                raise RuntimeError(f"the loss became {loss.item()} at update {len(history.step_loss)}; "
                                   "try a smaller learning rate")
            schedule.step()
            bar.update()
            if len(history.step_loss) % 50 == 0:
                bar.set_postfix(loss=f"{history.step_loss[-1]:.4f}")
            if len(history.step_loss) == steps:
                break
        epoch += 1
        start = history.epoch_end_step[-1] if history.epoch_end_step else 0
        history.train_loss.append(sum(history.step_loss[start:]) / (len(history.step_loss) - start))
        history.epoch_end_step.append(len(history.step_loss))
    bar.close()
    model.eval()
    return history


def fixed_batch_update(model: nn.Module, pairs: Pairs, *, batch_size: int, seed: int = 0,
                       lr: float = 1e-3) -> Callable[[], None]:
    """One training update on one fixed batch, as a function of no arguments (to time or count).

    The batch is the first of ``batches(pairs, batch_size, seed=seed)``: ``src (batch, S)``,
    ``lengths (batch,)`` (kept on the CPU), ``tgt_in`` and ``tgt_out (batch, T)``, moved to the
    model's device. The model is put in training mode, and an Adam optimiser with learning rate
    ``lr`` is made here. Every call of the returned function is one update: the loss
    ``seq2seq_loss(model(src, lengths, tgt_in), tgt_out)``, its backward pass and an Adam step
    (whose state carries over from call to call).
    """
    if not isinstance(pairs, Pairs):
        raise TypeError(f"pairs: expected Pairs (from encode_pairs), got {type(pairs).__name__}")
    if len(pairs.src) == 0:
        raise ValueError("pairs: expected at least one pair, got none")
    if not lr > 0:
        raise ValueError(f"lr: expected a positive learning rate, got {lr}")
    model.train()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    (src, lengths, tgt_in), tgt_out = next(iter(batches(pairs, batch_size, seed=seed)))
    src, tgt_in, tgt_out = to_device((src, tgt_in, tgt_out), module_device(model))

    def update() -> None:
        loss = seq2seq_loss(model(src, lengths, tgt_in), tgt_out)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return update
