"""Truncated backpropagation through time (TBPTT): carry the hidden state, cut the gradient.

Shapes (batch-first throughout): B = parallel streams, T = time steps, F = input features,
H = hidden units. Inputs are ``x (B, T, F)``; targets ``y (B, T, ...)`` are aligned with the
inputs step by step. A model is any module with ``model(x_chunk, h) -> (y_hat, h)``, where
``h`` is ``None`` (start from zeros), a tensor, or an LSTM's ``(h, c)`` tuple.

One long signal is cut into B contiguous streams (stateful batching: row b of chunk i+1
continues row b of chunk i); training carries the state across chunks and detaches it at
every update, so ``k`` steps are backpropagated (Williams & Peng's k2) and the weights are
updated every ``k1`` steps. The module also measures the bias truncation introduces (the
gradient with and without it); what an update keeps in memory and costs in time is measured
by :func:`rnn_course.timing.measure_update`.
"""
from __future__ import annotations

import time
from typing import Any, Callable, Iterator

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from ..device import get_device, module_device
from ..data.tasks import IGNORE
from ..training import EpochCallback, History, end_epoch, optimisation_step, validate_clip_grad_norm
from ..validation import expect_int, expect_ndim

State = Any  # None, a tensor (B layout of the module), or a tuple of tensors such as (h, c)


def detach_state(h: State) -> State:
    """Return the hidden state with the same values but cut from the graph that made it.

    Accepts ``None``, a tensor, or a tuple/list of them (an LSTM's ``(h, c)``); returns the
    same structure. ``h.detach()`` makes a new tensor; the original is left untouched.
    """
    if h is None:
        return None
    if isinstance(h, torch.Tensor):
        return h.detach()
    if isinstance(h, (tuple, list)):
        parts = [detach_state(s) for s in h]
        return tuple(parts) if isinstance(h, tuple) else parts
    raise TypeError(f"detach_state: expected None, a tensor or a tuple of tensors such as an LSTM's "
                    f"(h, c), got {type(h).__name__}")


def make_streams(series: torch.Tensor | np.ndarray, n_streams: int) -> torch.Tensor:
    """Cut a long signal into ``n_streams`` contiguous pieces, one per batch row.

    ``series (T_total,)`` or ``(T_total, F)`` -> float32 ``(B, T_total // B, F)``; stream b is
    ``series[b * L : (b + 1) * L]`` with ``L = T_total // B`` (the last ``T_total % B`` samples
    are dropped). Consecutive chunks of a row are therefore consecutive pieces of the signal.
    """
    series = torch.as_tensor(series)
    if series.ndim == 1:
        series = series[:, None]
    expect_ndim("series", series, 2, ("time", "features"))
    n_streams = expect_int("n_streams", n_streams)
    if n_streams > series.shape[0]:
        raise ValueError(f"n_streams: expected at most {series.shape[0]} (the series length), got {n_streams}")
    length = series.shape[0] // n_streams
    return series[: n_streams * length].reshape(n_streams, length, series.shape[1]).float()


def chunk_sequence(x: torch.Tensor, y: torch.Tensor, k: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield consecutive chunks ``(x[:, s:s+k], y[:, s:s+k])`` for ``s = 0, k, 2k, ...``.

    ``x (B, T, F)``, ``y (B, T, ...)``; the last chunk is shorter when ``k`` does not divide T.
    """
    expect_ndim("x", x, 3, ("batch", "time", "features"))
    k = expect_int("k", k, hint="time steps")
    if tuple(y.shape[:2]) != tuple(x.shape[:2]):
        raise ValueError(f"y: expected shape (batch, time, ...) = ({x.shape[0]}, {x.shape[1]}, ...) "
                         f"to match x, got {tuple(y.shape)}")
    for start in range(0, x.shape[1], k):
        yield x[:, start : start + k], y[:, start : start + k]


class RecurrentModel(nn.Module):
    """``nn.RNN``/``nn.GRU``/``nn.LSTM`` plus a linear read-out at every step.

    ``forward(x (B, T, F), h=None) -> (y_hat (B, T, O), h)``: the interface TBPTT needs.
    """

    def __init__(self, input_size: int, hidden_size: int, output_size: int, cell: str = "gru"):
        super().__init__()
        cells = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
        if cell not in cells:
            raise ValueError(f"cell: expected one of {', '.join(cells)}, got {cell!r}")
        self.rnn = cells[cell](input_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, output_size)

    def forward(self, x: torch.Tensor, h: State = None) -> tuple[torch.Tensor, State]:
        expect_ndim("x", x, 3, ("batch", "time", "features"))
        if x.shape[-1] != self.rnn.input_size:
            raise ValueError(f"x: expected {self.rnn.input_size} features, got {x.shape[-1]}")
        out, h = self.rnn(x, h)
        return self.head(out), h


def _update_windows(T: int, k: int, k1: int) -> Iterator[tuple[int, int, int]]:
    """(start of the backpropagated window, start of the new steps, end) of every update.

    The window is the (up to) ``k1`` new steps plus the ``k - k1`` steps before them.
    """
    previous = 0
    for end in [*range(k1, T, k1), T]:
        yield max(0, previous - (k - k1)), previous, end
        previous = end


def train_tbptt(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    *,
    k: int,
    k1: int | None = None,
    epochs: int = 1,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 1e-3,
    clip_grad_norm: float | None = None,
    device: torch.device | str | None = None,
    progress: bool = True,
    on_epoch_end: EpochCallback | None = None,
) -> History:
    """Train ``model`` on the streams ``x (B, T, F)``, ``y (B, T, ...)`` with truncated BPTT.

    Every ``k1`` steps (default ``k``) the loss of the ``k1`` new steps is backpropagated
    through the last ``k`` steps (``k1 <= k``), and the weights are updated. The hidden state is
    carried from one update to the next (so the forward pass sees the whole past) but detached
    (so the backward pass stops ``k`` steps back). Each epoch starts from a zero state.
    ``clip_grad_norm`` rescales each update's gradient to at most that global norm, as in
    :func:`~rnn_course.training.fit`. Returns a :class:`~rnn_course.training.History` (loss
    and gradient norm of every update). Trains on the model's own device, or on ``device``
    if one is named (the model is moved there first). ``on_epoch_end(model, history)`` is
    called after every epoch, as in :func:`~rnn_course.training.fit` (``True`` stops).
    """
    k = expect_int("k", k, hint="time steps")
    k1 = k if k1 is None else expect_int("k1", k1, hint="time steps")
    if k1 > k:
        raise ValueError(f"k1 (steps between updates) must be at most k (steps backpropagated), got k1={k1}, k={k}")
    epochs = expect_int("epochs", epochs)
    validate_clip_grad_norm(clip_grad_norm)
    next(chunk_sequence(x, y, k))  # validates shapes
    device = get_device(device) if device is not None else module_device(model)
    model.to(device)
    x, y = x.to(device), y.to(device)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    windows = list(_update_windows(x.shape[1], k, k1))
    history = History()
    bar = tqdm(total=epochs * len(windows), desc=f"TBPTT k={k}", disable=not progress)
    for _ in range(epochs):
        model.train()
        states: dict[int, State] = {0: None}  # detached states at update boundaries
        total, started = 0.0, time.perf_counter()
        for i, (start, new, end) in enumerate(windows):
            base = max(t for t in states if t <= start)
            h = states[base]
            if base < start:  # k > k1: catch up, without a graph, to the window start
                with torch.no_grad():
                    _, h = model(x[:, base:start], h)
            y_hat, h = model(x[:, start:end], detach_state(h))
            loss = loss_fn(y_hat[:, new - start :], y[:, new:end])
            if not optimisation_step(model, loss, optimizer, history, clip_grad_norm):
                bar.write(f"stopped: the loss became {loss.item()} at update {len(history.step_loss) - 1}")
                bar.close()
                return history
            total += loss.item() * (end - new)
            states[end] = detach_state(h)
            if i + 1 < len(windows):  # forget the states no later window starts from
                keep = max(t for t in states if t <= windows[i + 1][0])
                states = {t: s for t, s in states.items() if t >= keep}
            bar.update()
        history.train_loss.append(total / x.shape[1])
        history.epoch_end_step.append(len(history.step_loss))
        bar.set_postfix(loss=f"{history.train_loss[-1]:.4f}")
        if end_epoch(history, model, time.perf_counter() - started, on_epoch_end):
            break
    bar.close()
    return history


def _flat_grad(loss: torch.Tensor, params: list[torch.Tensor]) -> torch.Tensor:
    grads = torch.autograd.grad(loss, params, allow_unused=True)
    return torch.cat([(torch.zeros_like(p) if g is None else g).reshape(-1) for p, g in zip(params, grads)])


def full_bptt_gradient(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable) -> torch.Tensor:
    """Flattened gradient of ``loss_fn(model(x)[0], y)`` over the whole sequence (full BPTT).

    ``loss_fn`` should average over batch and time (e.g. ``nn.MSELoss()``). The model's
    ``.grad`` fields are not touched; ``x`` and ``y`` are moved to the model's device.
    """
    next(chunk_sequence(x, y, x.shape[1]))  # validates shapes
    params = [p for p in model.parameters() if p.requires_grad]
    x, y = x.to(params[0].device), y.to(params[0].device)
    y_hat, _ = model(x, None)
    return _flat_grad(loss_fn(y_hat, y), params)


def truncated_gradient(model: nn.Module, x: torch.Tensor, y: torch.Tensor, loss_fn: Callable, k: int) -> torch.Tensor:
    """The same gradient as :func:`full_bptt_gradient`, but with the state detached every ``k`` steps.

    The chunk losses are weighted by ``chunk length / T``, so their sum is the whole-sequence
    loss; only the gradient differs (each term stops at its chunk start). ``k >= T`` gives the
    full gradient exactly. ``x`` and ``y`` are moved to the model's device.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    x, y = x.to(params[0].device), y.to(params[0].device)
    T, h, total = x.shape[1], None, None
    for x_chunk, y_chunk in chunk_sequence(x, y, k):
        y_hat, h = model(x_chunk, detach_state(h))
        g = _flat_grad(loss_fn(y_hat, y_chunk) * (x_chunk.shape[1] / T), params)
        total = g if total is None else total + g
    return total


def cosine_similarity(a: torch.Tensor, b: torch.Tensor) -> float:
    """Cosine of the angle between two flattened gradients (1 = same direction)."""
    if a.shape != b.shape:
        raise ValueError(f"gradients must have the same shape, got {tuple(a.shape)} and {tuple(b.shape)}")
    return float(torch.nn.functional.cosine_similarity(a.double(), b.double(), dim=0))


def masked_cross_entropy(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean cross-entropy over the steps whose target is not ``IGNORE`` (0 if there are none).

    ``logits (B, T, C)``, ``targets (B, T)``.
    """
    if tuple(logits.shape[:2]) != tuple(targets.shape):
        raise ValueError(f"targets: expected shape (batch, time) = {tuple(logits.shape[:2])}, got {tuple(targets.shape)}")
    total = nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1),
                                        ignore_index=IGNORE, reduction="sum")
    return total / (targets != IGNORE).sum().clamp(min=1)
