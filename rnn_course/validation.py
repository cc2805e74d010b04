"""Input checks whose errors say what was expected and what arrived.

Learners hit shape errors constantly; a message such as
``x: expected shape (batch, time, features) = (?, ?, 3), got (32, 100)`` saves an hour.
Use ``None`` in an expected shape for "any size".
"""
from __future__ import annotations

import numbers
from typing import Any, Sequence

import numpy as np
import torch


def _fmt(shape: Sequence[Any]) -> str:
    return "(" + ", ".join("?" if s is None else str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def expect_int(name: str, value: Any, low: int = 1, high: int | None = None, hint: str = "") -> int:
    """Return ``value`` as an ``int`` if it is a whole number from ``low`` to ``high``.

    Otherwise raise ``ValueError`` naming what was expected and what arrived, e.g.
    ``k: expected a positive int (time steps), got 0``; ``hint`` goes in the parentheses.
    ``True`` is an int to Python but never a count, so booleans are refused; NumPy integers
    are accepted.
    """
    if (isinstance(value, bool) or not isinstance(value, numbers.Integral)
            or value < low or (high is not None and value > high)):
        if high is not None:
            want = f"an integer from {low} to {high}"
        else:
            want = {1: "a positive int", 0: "a non-negative int"}.get(low, f"an int >= {low}")
        raise ValueError(f"{name}: expected {want}{f' ({hint})' if hint else ''}, got {value!r}")
    return int(value)


def expect_shape(name: str, x: Any, expected: Sequence[int | None], names: Sequence[str] | None = None) -> None:
    """Raise ``ValueError`` unless ``x.shape`` matches ``expected`` (``None`` = any size).

    ``names`` optionally labels the axes, e.g. ``("batch", "time", "features")``.
    """
    if not hasattr(x, "shape"):
        raise TypeError(f"{name}: expected an array or tensor, got {type(x).__name__}")
    shape = tuple(x.shape)
    ok = len(shape) == len(expected) and all(e is None or e == s for s, e in zip(shape, expected))
    if not ok:
        label = f"{_fmt(names)} = " if names else ""
        raise ValueError(f"{name}: expected shape {label}{_fmt(expected)}, got {_fmt(shape)}")


def expect_ndim(name: str, x: Any, ndim: int, names: Sequence[str] | None = None) -> None:
    """Raise ``ValueError`` unless ``x`` has ``ndim`` dimensions."""
    expect_shape(name, x, (None,) * ndim, names)


def _dtype_name(dtype: Any) -> str:
    """``torch.float32`` for torch dtypes, ``float32`` for NumPy ones (not ``<class 'numpy.float32'>``)."""
    if isinstance(dtype, torch.dtype):
        return str(dtype)
    try:
        return str(np.dtype(dtype))
    except TypeError:
        return str(dtype)


def expect_dtype(name: str, x: Any, *allowed: Any) -> None:
    """Raise ``TypeError`` unless ``x.dtype`` is one of ``allowed`` (torch or NumPy dtypes)."""
    dtype = getattr(x, "dtype", None)
    if dtype is None or not any(dtype == a for a in allowed):
        want = " or ".join(_dtype_name(a) for a in allowed)
        raise TypeError(f"{name}: expected dtype {want}, got {dtype}")


def expect_same_device(**tensors: torch.Tensor) -> None:
    """Raise ``RuntimeError`` if the given tensors live on different devices."""
    devices = {k: t.device for k, t in tensors.items() if isinstance(t, torch.Tensor)}
    if len(set(devices.values())) > 1:
        listing = ", ".join(f"{k} on {d}" for k, d in devices.items())
        raise RuntimeError(f"tensors must be on one device, got {listing}; move them with .to(device)")


def as_float_array(name: str, x: Any) -> np.ndarray:
    """Return ``x`` as a floating NumPy array, or raise ``TypeError`` naming what arrived."""
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().numpy()
    arr = np.asarray(x)
    if not np.issubdtype(arr.dtype, np.number):
        raise TypeError(f"{name}: expected numbers, got dtype {arr.dtype}")
    return arr.astype(np.float64) if not np.issubdtype(arr.dtype, np.floating) else arr


def expect_binary_labels(y_true: Any, y_score: Any) -> tuple[np.ndarray, np.ndarray]:
    """``(labels, scores)`` as ``(n,)`` int and float arrays, after checking that they are two
    1-D arrays of one length and that every label is 0 or 1; otherwise ``ValueError``."""
    y, s = np.asarray(y_true), np.asarray(y_score, dtype=float)
    if y.ndim != 1 or s.shape != y.shape:
        raise ValueError(f"y_true and y_score: expected two 1-D arrays of the same length, got shapes "
                         f"{y.shape} and {s.shape}")
    if not np.isin(y, (0, 1)).all():
        raise ValueError(f"y_true: expected labels 0 and 1, got values {np.unique(y)[:5].tolist()}")
    return y.astype(int), s
