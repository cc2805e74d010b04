"""Exercise checks of chapter 3 (truncated BPTT).

- ``check_detach_state(detach_state)``: cut a hidden state (tensor, LSTM ``(h, c)`` tuple or
  ``None``) from the graph, keeping its values.
- ``check_make_streams(make_streams)``: cut one long signal ``(T,)``/``(T, F)`` into
  ``n_streams`` contiguous streams ``(n_streams, T // n_streams, F)`` for stateful batches.
"""
from __future__ import annotations

from typing import Any, Callable

import torch

from ..i18n import _
from . import compare, exercise_check, to_numpy


def _attached_state(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A state that is part of a graph, as an RNN returns it: (h, the leaf it came from)."""
    g = torch.Generator().manual_seed(seed)
    w = torch.randn(1, 2, 3, generator=g).requires_grad_(True)
    return torch.tanh(w * 2.0) + 0.5, w


def _tensor_hint(name: str, got: Any, original: torch.Tensor) -> str | None:
    """Hint for one detached tensor, or None if it is right."""
    if original.grad_fn is None:
        return _("{name}: your function changed the caller's tensor in place (detach_() or requires_grad_(False)). "
                 "Return a new tensor with h.detach() and leave the original alone.").format(name=name)
    if not isinstance(got, torch.Tensor):
        return _("{name}: expected a tensor as the result, got {type}.").format(name=name, type=type(got).__name__)
    if got.requires_grad:
        return _("{name}: the result still requires grad, so it is still attached to the graph. "
                 "h.clone() or returning h keeps the history; h.detach() cuts it.").format(name=name)
    if got.shape == original.shape and torch.count_nonzero(got) == 0:
        return _("{name}: you reset the state to zeros. Detaching must keep the values (the next chunk's "
                 "forward pass still needs the past); only the gradient path is cut.").format(name=name)
    return compare(_("{name}, the result").format(name=name), got, original.detach(), atol=0, rtol=0,
                   axes="(layers, batch, hidden)")


@exercise_check
def check_detach_state(detach_state: Callable[[Any], Any]) -> tuple[bool, str]:
    """Check ``detach_state`` on a tensor, an LSTM ``(h, c)`` tuple and ``None``."""
    h, _leaf = _attached_state(0)
    hint = _tensor_hint(_("for a tensor h"), detach_state(h), h)
    if hint:
        return False, hint

    h, _leaf = _attached_state(1)
    c, _leaf = _attached_state(2)
    try:
        got = detach_state((h, c))
    except (AttributeError, TypeError) as e:
        return False, _("an LSTM state (h, c) made your function raise {error}: {message}. A tuple has no "
                        ".detach(): detach each tensor and return them as a tuple.").format(
            error=type(e).__name__, message=e)
    if isinstance(got, list):
        return False, _("for an LSTM state (h, c), return a tuple (as nn.LSTM expects), not a list.")
    if not isinstance(got, tuple):
        return False, _("for an LSTM state (h, c), expected a tuple of two detached tensors, got "
                        "{type}. Check isinstance(h, tuple) and detach each element.").format(type=type(got).__name__)
    if len(got) != 2:
        return False, _("for an LSTM state (h, c), expected a tuple of 2 tensors, got {n}.").format(n=len(got))
    for name, part, original in (("h", got[0], h), ("c", got[1], c)):
        hint = _tensor_hint(_("for {name} of an LSTM state (h, c)").format(name=name), part, original)
        if hint:
            return False, hint

    try:
        none = detach_state(None)
    except (AttributeError, TypeError) as e:
        return False, _("h=None (no state yet, before the first chunk) made your function raise {error}: "
                        "{message}. Return None for None.").format(error=type(e).__name__, message=e)
    if none is not None:
        return False, _("for h=None (no state yet), return None, got {type}.").format(type=type(none).__name__)
    return True, _("tensors and (h, c) tuples keep their values and lose their history; None stays None.")


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
            return _("a series of {T} samples in {n_streams} streams made your function raise "
                     "{error}: {message}. {T} is not a multiple of {n_streams}: drop the last "
                     "{extra} samples before reshaping.").format(
                T=T, n_streams=n_streams, error=type(e).__name__, message=e, extra=T % n_streams)
        raise
    arr = to_numpy(got)
    if arr is None or arr.dtype == object:
        return _("expected a tensor of shape (n_streams, length, features) = {expected}, got {type}.").format(
            expected=(B, L, F), type=type(got).__name__)
    where = _("(series of shape {shape}, n_streams={n_streams})").format(shape=tuple(series.shape), n_streams=n_streams)
    if arr.shape == (B, L) and F == 1:
        return _("the features axis is missing {where}: expected (n_streams, length, features) = {expected}, "
                 "got {got}. Treat a (T,) series as (T, 1).").format(where=where, expected=(B, L, F), got=arr.shape)
    if arr.shape == (L, B, F) and L != B:
        return _("the axes are swapped {where}: expected (n_streams, length, features) = {expected}, got "
                 "{got}. Streams are batch rows, so they come first.").format(where=where, expected=(B, L, F),
                                                                              got=arr.shape)
    if arr.shape[:1] == (B,) and arr.ndim == 3 and arr.shape[1] != L:
        return _("wrong stream length {where}: expected {L} = {T} // {n_streams} steps per stream, got "
                 "{got}. Drop the last {extra} samples, never pad.").format(
            where=where, L=L, T=T, n_streams=n_streams, got=arr.shape[1], extra=T % n_streams)
    if arr.shape == expected.shape:
        interleaved = series[: B * L].reshape(L, B, F).transpose(0, 1)
        if torch.equal(torch.as_tensor(arr, dtype=series.dtype), interleaved) and B > 1:
            return _("the streams are interleaved {where}: row 0 holds every {B}th sample, so the next chunk "
                     "of a row does not continue it. Reshape to (n_streams, length, features), not "
                     "(length, n_streams, features) followed by a transpose.").format(where=where, B=B)
        start = series[T - B * L :].reshape(B, L, F)
        if T % B and torch.equal(torch.as_tensor(arr, dtype=series.dtype), start):
            return _("you dropped the first {n} samples {where}; drop the remainder at the end, so the "
                     "first stream starts where the recording starts.").format(n=T % B, where=where)
    return compare(_("the streams {where}").format(where=where), got, expected, atol=0, rtol=0,
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
    return True, _("each row is one contiguous piece of the signal, so chunk i+1 of a row continues chunk i.")

