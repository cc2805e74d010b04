"""A small, explicit training loop shared by the notebooks.

``fit`` moves every batch to the model's device, shows a plain ``tqdm`` progress bar,
records the loss of every step and epoch and the gradient norm of every step (before
clipping, so you can see what clipping did), optionally clips, and returns a ``History``.
``on_epoch_end`` is called after every epoch, for a metric of your own or to stop early.
Batches are ``(inputs, targets)`` pairs; ``inputs`` may be a tensor or a tuple of tensors.

``train_timed`` is the bare loop for comparing models at an equal budget: the same batches in
the same order, each update timed on its own.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import torch
from torch import nn
from torch.nn.utils.rnn import PackedSequence
from tqdm import tqdm

from .device import get_device, module_device
from .timing import timed_call
from .validation import expect_int


@dataclass
class History:
    """What happened during training.

    Attributes:
        step_loss: training loss of every optimisation step.
        grad_norm: global L2 norm of the gradient at every step, before clipping.
        train_loss: mean training loss of every epoch.
        val_loss: validation loss after every epoch (empty without validation data).
        epoch_end_step: number of steps taken when each epoch ended (where to plot epoch points).
        epoch_seconds: wall-clock seconds of every epoch's training (validation and
            ``on_epoch_end`` not included).
        diverged: True if training stopped early because the loss became NaN or infinite.
    """

    step_loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    epoch_end_step: list[int] = field(default_factory=list)
    epoch_seconds: list[float] = field(default_factory=list)
    diverged: bool = False


def to_device(batch: Any, device: torch.device) -> Any:
    """Move a tensor, or a (nested) tuple/list/dict of tensors, to ``device``.

    A ``PackedSequence`` moves as a whole (its ``batch_sizes`` stay on the CPU, as PyTorch
    requires); named tuples keep their type; anything else is returned unchanged. Copies to an
    accelerator are asynchronous; copies to the CPU are not (a non-blocking GPU → CPU copy
    could be read before it has finished).
    """
    if isinstance(batch, (torch.Tensor, PackedSequence)):
        return batch.to(device, non_blocking=torch.device(device).type != "cpu")
    if isinstance(batch, tuple) and hasattr(batch, "_fields"):  # a namedtuple
        return type(batch)(*(to_device(b, device) for b in batch))
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch


def _call(model: nn.Module, inputs: Any) -> torch.Tensor:
    # A tuple of inputs is spread over the model's arguments; a PackedSequence (itself a
    # tuple) is one input.
    if isinstance(inputs, (tuple, list)) and not isinstance(inputs, PackedSequence):
        return model(*inputs)
    return model(inputs)


def count_parameters(model: nn.Module) -> int:
    """Number of trainable parameters of a built model (the sum of their ``numel()``).

    For the count an ``nn.RNN``/``nn.GRU``/``nn.LSTM`` of given sizes would have, before
    building it, see :func:`rnn_course.recurrent.gated.count_parameters_formula`.
    """
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def grad_norm(parameters: Iterable[torch.nn.Parameter]) -> float:
    """Global L2 norm of all gradients (parameters without a gradient are skipped)."""
    norms = [p.grad.detach().norm() for p in parameters if p.grad is not None]
    return float(torch.stack(norms).norm()) if norms else 0.0


def _unpack(batch: Any) -> tuple[Any, torch.Tensor]:
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise ValueError(
            f"each batch must be an (inputs, targets) pair, got {type(batch).__name__}"
            + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else "")
        )
    return batch[0], batch[1]


@torch.no_grad()
def evaluate(model: nn.Module, loader: Iterable, loss_fn: Callable, device: torch.device | None = None) -> float:
    """Mean loss of ``model`` over ``loader`` (weighted by batch size), in eval mode."""
    device = device or module_device(model)
    model.eval()
    total, count = 0.0, 0
    for batch in loader:
        inputs, targets = to_device(_unpack(batch), device)
        n = len(targets)
        total += float(loss_fn(_call(model, inputs), targets)) * n
        count += n
    if count == 0:
        raise ValueError("evaluate: the loader yielded no batches")
    return total / count


def validate_clip_grad_norm(clip_grad_norm: float | None) -> None:
    """Raise ``ValueError`` unless the clipping threshold is None or a positive number."""
    if clip_grad_norm is not None and not clip_grad_norm > 0:  # also rejects NaN
        raise ValueError(f"clip_grad_norm must be positive or None, got {clip_grad_norm}")


def optimisation_step(model: nn.Module, loss: torch.Tensor, optimizer: torch.optim.Optimizer,
                      history: History, clip_grad_norm: float | None = None) -> bool:
    """One update from ``loss``: backward, record the gradient norm, clip, step, record the loss.

    Returns False, without updating, if the loss is NaN or infinite (``history.diverged`` is
    then set), so a caller can stop and a notebook can show the divergence.
    """
    if not isinstance(loss, torch.Tensor) or loss.numel() != 1:
        got = f"shape {tuple(loss.shape)}" if isinstance(loss, torch.Tensor) else type(loss).__name__
        raise ValueError(f"loss: expected a scalar tensor (one number, e.g. a loss with reduction='mean'), got {got}")
    history.step_loss.append(loss.item())
    if not torch.isfinite(loss):
        history.diverged = True
        return False
    optimizer.zero_grad()
    loss.backward()
    history.grad_norm.append(grad_norm(model.parameters()))  # before clipping
    if clip_grad_norm is not None:
        nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
    optimizer.step()
    return True


EpochCallback = Callable[[nn.Module, History], Any]


def end_epoch(history: History, model: nn.Module, seconds: float,
              on_epoch_end: EpochCallback | None) -> bool:
    """Record the epoch's duration and call ``on_epoch_end``; True if training should stop."""
    history.epoch_seconds.append(seconds)
    return on_epoch_end is not None and on_epoch_end(model, history) is True


def fit(
    model: nn.Module,
    train_loader: Iterable,
    loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor],
    *,
    epochs: int,
    optimizer: torch.optim.Optimizer | None = None,
    lr: float = 1e-3,
    val_loader: Iterable | None = None,
    clip_grad_norm: float | None = None,
    device: torch.device | str | None = None,
    progress: bool = True,
    on_epoch_end: EpochCallback | None = None,
) -> History:
    """Train ``model`` for ``epochs`` passes over ``train_loader``; return the :class:`History`.

    Args:
        loss_fn: ``loss_fn(model(inputs), targets)`` -> scalar tensor.
        optimizer: defaults to Adam with learning rate ``lr``.
        clip_grad_norm: if set, rescale the gradient so its global norm is at most this.
        device: where to train; by default the model's own device (see
            :mod:`rnn_course.device`). Naming one moves the model there first.
        on_epoch_end: called as ``on_epoch_end(model, history)`` after every epoch (after
            validation); if it returns ``True``, training stops there.
    """
    expect_int("epochs", epochs)
    validate_clip_grad_norm(clip_grad_norm)
    device = get_device(device) if device is not None else module_device(model)
    model.to(device)
    optimizer = optimizer or torch.optim.Adam(model.parameters(), lr=lr)
    history = History()
    bar = tqdm(range(epochs), desc="epochs", disable=not progress)
    for _ in bar:
        model.train()
        epoch_losses, started = [], time.perf_counter()
        for batch in train_loader:
            inputs, targets = to_device(_unpack(batch), device)
            loss = loss_fn(_call(model, inputs), targets)
            if not optimisation_step(model, loss, optimizer, history, clip_grad_norm):
                bar.write(f"stopped: the loss became {loss.item()} at step {len(history.step_loss) - 1} "
                          "(try a smaller learning rate or gradient clipping)")
                bar.close()
                return history
            epoch_losses.append(loss.item())
        if not epoch_losses:
            bar.close()
            raise ValueError("fit: train_loader yielded no batches")
        history.train_loss.append(sum(epoch_losses) / len(epoch_losses))
        history.epoch_end_step.append(len(history.step_loss))
        seconds = time.perf_counter() - started
        postfix = {"train": f"{history.train_loss[-1]:.4f}"}
        if val_loader is not None:
            history.val_loss.append(evaluate(model, val_loader, loss_fn, device))
            postfix["val"] = f"{history.val_loss[-1]:.4f}"
        bar.set_postfix(postfix)
        if end_epoch(history, model, seconds, on_epoch_end):
            break
    bar.close()
    return history


class KeepBest:
    """An ``on_epoch_end`` callback for :func:`fit` that keeps the weights of the best epoch.

    After every epoch it computes ``score(model)`` (higher is better, e.g. a validation
    AUROC), appends it to ``scores``, and, if it is the best so far (ties: the later epoch),
    keeps a copy of ``model.state_dict()`` in ``state``. Restore the best epoch afterwards
    with ``model.load_state_dict(keep.state)``. It never stops training.
    """

    def __init__(self, score: Callable[[nn.Module], float]) -> None:
        if not callable(score):
            raise TypeError(f"score: expected a function model -> number, got {type(score).__name__}")
        self.score = score
        self.scores: list[float] = []
        self.state: dict[str, torch.Tensor] | None = None

    def __call__(self, model: nn.Module, history: History) -> None:
        self.scores.append(self.score(model))
        if self.scores[-1] == max(self.scores):
            self.state = {n: p.detach().clone() for n, p in model.state_dict().items()}


def train_timed(model: nn.Module, x: torch.Tensor, y: torch.Tensor,
                validation: tuple[torch.Tensor, torch.Tensor], *, batch_size: int, lr: float,
                every: int = 25, clip_grad_norm: float | None = 1.0,
                loss_fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = nn.functional.mse_loss,
                ) -> tuple[list[float], list[float]]:
    """One Adam update per consecutive batch of ``(x, y)``, in order, each update timed.

    ``x`` is ``(n, ...)`` and ``y`` ``(n, ...)``: update k uses rows ``k * batch_size`` to
    ``(k + 1) * batch_size`` (``n // batch_size`` updates; a last partial batch is not used),
    so models given the same tensors see the same data in the same order. The model trains
    where it lives; batches are moved there. An update is ``loss_fn``, backward, clipping of
    the gradient norm to ``clip_grad_norm`` (None: no clipping) and an Adam step, timed with
    :func:`rnn_course.timing.timed_call`. Every ``every`` updates the loss on ``validation``
    (one ``(x_val, y_val)`` batch) is recorded. Returns ``(validation curve, seconds of
    every update)``.
    """
    expect_int("batch_size", batch_size)
    expect_int("every", every)
    validate_clip_grad_norm(clip_grad_norm)
    if len(x) != len(y):
        raise ValueError(f"x and y: expected the same number of rows, got {len(x)} and {len(y)}")
    if len(x) < batch_size:
        raise ValueError(f"x: expected at least batch_size = {batch_size} rows, got {len(x)}")
    device = module_device(model)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    xv, yv = to_device(tuple(validation), device)
    curve, update_seconds = [], []
    for k in range(len(x) // batch_size):
        xb = x[k * batch_size:(k + 1) * batch_size].to(device)
        yb = y[k * batch_size:(k + 1) * batch_size].to(device)

        def update() -> None:
            loss = loss_fn(model(xb), yb)
            optimizer.zero_grad()
            loss.backward()
            if clip_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
            optimizer.step()

        update_seconds.append(timed_call(update, device)[0])
        if (k + 1) % every == 0:
            with torch.no_grad():
                curve.append(loss_fn(model(xv), yv).item())
    return curve, update_seconds
