"""Gradient checking: is a hand-written backward pass right?

Two independent references for an analytic gradient:

- **finite differences**: nudge one number of the input by ±h and watch the loss,
  ``(f(x + h) - f(x - h)) / 2h`` (centred, error O(h²)), in float64;
- **autograd**: the same RNN written with torch operations in float64, differentiated by
  ``torch.autograd``.

Agreement is measured by ``rel_error`` (as in CS231n): in float64 a correct gradient gives
about 1e-7 or less, a wrong one 1e-2 or more.
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ..device import get_device
from .numpy_rnn import PARAM_NAMES, check_loss_arguments
from ..validation import expect_ndim, expect_shape


def rel_error(a: np.ndarray, b: np.ndarray) -> float:
    """Max relative error ``|a - b| / max(1e-8, |a| + |b|)`` over all entries (same shape)."""
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    expect_shape("b", b, a.shape)
    if a.size == 0:
        return 0.0
    return float(np.max(np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))))


def numerical_gradient(f: Callable[[np.ndarray], np.ndarray | float], x: np.ndarray,
                       df: np.ndarray | None = None, h: float = 1e-5) -> np.ndarray:
    """Centred-difference gradient of ``f`` with respect to ``x`` (float64, changed and restored in place).

    For a scalar ``f`` this is d f / d x. For an array-valued ``f`` pass the upstream gradient
    ``df`` (same shape as ``f(x)``): the result is d (sum(f(x) * df)) / d x, i.e. what a
    layer's backward pass returns for that upstream gradient.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError(f"x: expected a float64 NumPy array (finite differences need double precision), "
                        f"got {type(x).__name__} of dtype {getattr(x, 'dtype', None)}")
    if h <= 0:
        raise ValueError(f"h: expected a positive step, got {h}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        pos = np.array(f(x), dtype=np.float64)
        x[i] = old - h
        neg = np.array(f(x), dtype=np.float64)
        x[i] = old
        if df is None:
            if pos.size != 1:
                raise ValueError(f"f returned shape {pos.shape}: pass df (the upstream gradient) for array-valued f")
            grad[i] = (pos.item() - neg.item()) / (2 * h)
        else:
            expect_shape("df", df, pos.shape)
            grad[i] = np.sum((pos - neg) * df) / (2 * h)
    return grad


def finite_difference_errors(params: dict[str, np.ndarray], loss_fn: Callable[[dict[str, np.ndarray]], float],
                    analytic_grads: dict[str, np.ndarray], h: float = 1e-5) -> dict[str, float]:
    """Relative error between ``analytic_grads[name]`` and finite differences of ``loss_fn(params)``
    with respect to ``params[name]``, for every name in ``analytic_grads``.

    ``params`` may hold inputs too (``"x"``, ``"h0"``); it is copied to float64, not modified.
    """
    unknown = [k for k in analytic_grads if k not in params]
    if unknown:
        raise KeyError(f"analytic_grads has {unknown}, which params lacks; params has {sorted(params)}")
    work = {k: np.array(v, dtype=np.float64) for k, v in params.items()}
    errors = {}
    for name, grad in analytic_grads.items():
        expect_shape(f"analytic_grads[{name!r}]", grad, work[name].shape)
        numeric = numerical_gradient(lambda _: loss_fn(work), work[name], h=h)
        errors[name] = rel_error(grad, numeric)
    return errors


def autograd_gradients(params: dict[str, np.ndarray], x: np.ndarray, y: np.ndarray, h0: np.ndarray | None = None,
                       *, mode: str = "many_to_many", loss: str = "cross_entropy",
                       device: torch.device | str | None = None) -> tuple[float, dict[str, np.ndarray]]:
    """The loss and gradients of ``numpy_rnn.loss_and_grads``, computed by torch.autograd in float64.

    Same arguments and the same returned names (Wx, Wh, b, Wy, by, x, h0). Runs on ``device``
    (default the CPU, where NumPy arrays live; Apple's MPS has no float64, so it falls back
    to the CPU there).
    """
    check_loss_arguments(params, mode, loss)
    device = get_device(device) if device is not None else torch.device("cpu")
    device = torch.device("cpu") if device.type == "mps" else device
    expect_ndim("x", x, 3, ("batch", "time", "features"))
    h0 = np.zeros((x.shape[0], params["Wh"].shape[0])) if h0 is None else h0
    leaf = lambda a: torch.tensor(np.asarray(a), dtype=torch.float64, device=device, requires_grad=True)  # noqa: E731
    t = {k: leaf(params[k]) for k in PARAM_NAMES}
    t["x"], t["h0"] = leaf(x), leaf(h0)
    h, states = t["h0"], []
    for step in range(x.shape[1]):
        h = torch.tanh(t["x"][:, step] @ t["Wx"] + h @ t["Wh"] + t["b"])
        states.append(h)
    top = torch.stack(states, dim=1) if mode == "many_to_many" else states[-1]
    scores = top @ t["Wy"] + t["by"]
    N = x.shape[0]
    if loss == "cross_entropy":
        target = torch.as_tensor(np.asarray(y), dtype=torch.long, device=device)
        value = F.cross_entropy(scores.reshape(-1, scores.shape[-1]), target.reshape(-1), reduction="sum") / N
    else:
        target = torch.as_tensor(np.asarray(y), dtype=torch.float64, device=device)
        value = 0.5 * ((scores - target) ** 2).sum() / N
    value.backward()
    return float(value.detach()), {k: v.grad.detach().cpu().numpy() for k, v in t.items()}


def compare_gradients(a: dict[str, np.ndarray], b: dict[str, np.ndarray]) -> dict[str, float]:
    """``rel_error`` for every name the two gradient dicts share (e.g. NumPy vs autograd)."""
    shared = [k for k in a if k in b]
    if not shared:
        raise KeyError(f"no gradient names in common: {sorted(a)} vs {sorted(b)}")
    return {k: rel_error(a[k], b[k]) for k in shared}
