"""Exercise checks of chapter 3 (truncated BPTT).

- ``check_detach_state(detach_state)``: cut a hidden state (tensor, LSTM ``(h, c)`` tuple or
  ``None``) from the graph, keeping its values.
- ``check_make_streams(make_streams)``: cut one long signal ``(T,)``/``(T, F)`` into
  ``n_streams`` contiguous streams ``(n_streams, T // n_streams, F)`` for stateful batches.
"""
from __future__ import annotations

from typing import Any, Callable

import torch

from . import compare, exercise_check, to_numpy


def _attached_state(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A state that is part of a graph, as an RNN returns it: (h, the leaf it came from)."""
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(1, 2, 3, generator=g).requires_grad_(True)
    return torch.tanh(w * 2.0) + 0.5, w


def _tensor_hint(name: str, got: Any, original: torch.Tensor) -> str | None:
    """Hint for one detached tensor, or None if it is right."""
    if original.grad_fn is None:
        return (f"{name}: your function changed the caller's tensor in place (detach_() or requires_grad_(False)). "
                "Return a new tensor with h.detach() and leave the original alone.")
    if not isinstance(got, torch.Tensor):
        return f"{name}: expected a tensor as the result, got {type(got).__name__}."
    if got.requires_grad:
        return (f"{name}: the result still requires grad, so it is still attached to the graph. "
                "h.clone() or returning h keeps the history; h.detach() cuts it.")
    if got.shape == original.shape and torch.count_nonzero(got) == 0:
        return (f"{name}: you reset the state to zeros. Detaching must keep the values (the next chunk's "
                "forward pass still needs the past); only the gradient path is cut.")
    return compare(f"{name}, the result", got, original.detach(), atol=0, rtol=0, axes="(layers, batch, hidden)")


@exercise_check
def check_detach_state(detach_state: Callable[[Any], Any]) -> tuple[bool, str]:
    """Check ``detach_state`` on a tensor, an LSTM ``(h, c)`` tuple and ``None``."""
    h, _ = _attached_state(0)
    hint = _tensor_hint("for a tensor h", detach_state(h), h)
    if hint:
        return False, hint

    h, _ = _attached_state(1)
    c, _ = _attached_state(2)
    try:
        got = detach_state((h, c))
    except (AttributeError, TypeError) as e:
        return False, (f"an LSTM state (h, c) made your function raise {type(e).__name__}: {e}. A tuple has no "
                       ".detach(): detach each tensor and return them as a tuple.")
    if isinstance(got, list):
        return False, "for an LSTM state (h, c), return a tuple (as nn.LSTM expects), not a list."
    if not isinstance(got, tuple):
        return False, (f"for an LSTM state (h, c), expected a tuple of two detached tensors, got "
                       f"{type(got).__name__}. Check isinstance(h, tuple) and detach each element.")
    if len(got) != 2:
        return False, f"for an LSTM state (h, c), expected a tuple of 2 tensors, got {len(got)}."
    for name, part, original in (("h", got[0], h), ("c", got[1], c)):
        hint = _tensor_hint(f"for {name} of an LSTM state (h, c)", part, original)
        if hint:
            return False, hint

    try:
        none = detach_state(None)
    except (AttributeError, TypeError) as e:
        return False, (f"h=None (no state yet, before the first chunk) made your function raise {type(e).__name__}: "
                       f"{e}. Return None for None.")
    if none is not None:
        return False, f"for h=None (no state yet), return None, got {type(none).__name__}."
    return True, "tensors and (h, c) tuples keep their values and lose their history; None stays None."


def _reference_streams(series: torch.Tensor, n_streams: int) -> torch.Tensor:
    series = series if series.ndim == 2 else series[:, None]
    length = series.shape[0] // n_streams
    return series[: n_streams * length].reshape(n_streams, length, series.shape[1])


def _streams_hint(make_streams: Callable, series: torch.Tensor, n_streams: int) -> str | None:
    T = series.shape[0]
    expected = _reference_streams(series, n_streams)
    B, L, F = expected.shape
    try:
        got = make_streams(series.clone(), n_streams)
    except NotImplementedError:
        raise
    except (RuntimeError, ValueError) as e:
        if T % n_streams:
            return (f"a series of {T} samples in {n_streams} streams made your function raise "
                    f"{type(e).__name__}: {e}. {T} is not a multiple of {n_streams}: drop the last "
                    f"{T % n_streams} samples before reshaping.")
        raise
    arr = to_numpy(got)
    if arr is None or arr.dtype == object:
        return f"expected a tensor of shape (n_streams, length, features) = {(B, L, F)}, got {type(got).__name__}."
    where = f"(series of shape {tuple(series.shape)}, n_streams={n_streams})"
    if arr.shape == (B, L) and F == 1:
        return (f"the features axis is missing {where}: expected (n_streams, length, features) = {(B, L, F)}, "
                f"got {arr.shape}. Treat a (T,) series as (T, 1).")
    if arr.shape == (L, B, F) and L != B:
        return (f"the axes are swapped {where}: expected (n_streams, length, features) = {(B, L, F)}, got "
                f"{arr.shape}. Streams are batch rows, so they come first.")
    if arr.shape[:1] == (B,) and arr.ndim == 3 and arr.shape[1] != L:
        return (f"wrong stream length {where}: expected {L} = {T} // {n_streams} steps per stream, got "
                f"{arr.shape[1]}. Drop the last {T % n_streams} samples, never pad.")
    if arr.shape == expected.shape:
        interleaved = series[: B * L].reshape(L, B, F).transpose(0, 1)
        if torch.equal(torch.as_tensor(arr, dtype=series.dtype), interleaved) and B > 1:
            return (f"the streams are interleaved {where}: row 0 holds every {B}th sample, so the next chunk "
                    f"of a row does not continue it. Reshape to (n_streams, length, features), not "
                    f"(length, n_streams, features) followed by a transpose.")
        start = series[T - B * L :].reshape(B, L, F)
        if T % B and torch.equal(torch.as_tensor(arr, dtype=series.dtype), start):
            return (f"you dropped the first {T % B} samples {where}; drop the remainder at the end, so the "
                    "first stream starts where the recording starts.")
    return compare(f"the streams {where}", got, expected, atol=0, rtol=0,
                   axes="(n_streams, length, features)")


@exercise_check
def check_make_streams(make_streams: Callable[[torch.Tensor, int], Any]) -> tuple[bool, str]:
    """Check ``make_streams(series, n_streams)`` on a 1-D and a 2-D series."""
    cases = [(torch.arange(23, dtype=torch.float32), 4),
             (torch.arange(20, dtype=torch.float32).reshape(10, 2), 3),
             (torch.arange(12, dtype=torch.float32), 3)]
    for series, n_streams in cases:
        hint = _streams_hint(make_streams, series, n_streams)
        if hint:
            return False, hint
    return True, "each row is one contiguous piece of the signal, so chunk i+1 of a row continues chunk i."
