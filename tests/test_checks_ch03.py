"""The chapter-3 checks: the reference passes, typical mistakes get specific hints, stubs fail quietly."""
from __future__ import annotations

import pytest
import torch

from rnn_course.recurrent import tbptt
from rnn_course.checks import ch03


def _stub(*args, **kwargs):
    raise NotImplementedError("write your code here")


@pytest.mark.parametrize("check, reference", [(ch03.check_detach_state, tbptt.detach_state),
                                              (ch03.check_make_streams, tbptt.make_streams)])
def test_reference_passes(check, reference, capsys):
    result = check(reference)
    assert result.passed, result.message
    assert capsys.readouterr().out.startswith("✅ " + check.__name__)


@pytest.mark.parametrize("check", [ch03.check_detach_state, ch03.check_make_streams])
def test_stub_fails_without_raising(check, capsys):
    result = check(_stub)
    assert not result.passed and "not implemented yet" in result.message
    assert capsys.readouterr().out.startswith("❌ " + check.__name__)


# --- detach_state -------------------------------------------------------------------------

def _tensor_only(h):
    return h.detach()


def _list_version(h):
    if h is None:
        return None
    if isinstance(h, tuple):
        return [s.detach() for s in h]
    return h.detach()


def _no_none(h):
    if isinstance(h, tuple):
        return tuple(s.detach() for s in h)
    return h.detach()


@pytest.mark.parametrize("wrong, hint", [
    (lambda h: h, "still requires grad"),
    (lambda h: h.clone(), "clone()"),
    (lambda h: torch.zeros_like(h).detach() if isinstance(h, torch.Tensor) else h, "reset the state to zeros"),
    (lambda h: h.detach_() if isinstance(h, torch.Tensor) else h, "in place"),
    (lambda h: h.detach() * 2 if isinstance(h, torch.Tensor) else h, "wrong values"),
    (_tensor_only, "A tuple has no .detach()"),
    (_list_version, "not a list"),
    (lambda h: None if h is None else (h[0].detach() if isinstance(h, tuple) else h.detach()), "got Tensor"),
    (lambda h: None if h is None else (tuple(s.detach() for s in h) + (1,) if isinstance(h, tuple) else h.detach()),
     "2 tensors, got 3"),
    (lambda h: None if h is None else ((h[0].detach(), h[1]) if isinstance(h, tuple) else h.detach()),
     "for c of an LSTM state (h, c): the result still requires grad"),
    (_no_none, "Return None for None"),
    (lambda h: torch.zeros(1) if h is None else tbptt.detach_state(h), "return None, got Tensor"),
])
def test_detach_state_hints(wrong, hint):
    result = ch03.check_detach_state(wrong)
    assert not result.passed
    assert hint in result.message, result.message


# --- make_streams -------------------------------------------------------------------------

def _as_2d(series):
    return series if series.ndim == 2 else series[:, None]


def _interleaved(series, n_streams):
    s = _as_2d(series)
    L = s.shape[0] // n_streams
    return s[: n_streams * L].reshape(L, n_streams, s.shape[1]).transpose(0, 1)


def _drop_start(series, n_streams):
    s = _as_2d(series)
    L = s.shape[0] // n_streams
    return s[s.shape[0] - n_streams * L:].reshape(n_streams, L, s.shape[1])


def _no_feature_axis(series, n_streams):
    return tbptt.make_streams(series, n_streams)[..., 0]


def _no_drop(series, n_streams):
    s = _as_2d(series)
    return s.reshape(n_streams, -1, s.shape[1])


def _swapped(series, n_streams):
    return tbptt.make_streams(series, n_streams).transpose(0, 1)


def _padded(series, n_streams):
    s = _as_2d(series)
    L = -(-s.shape[0] // n_streams)
    padded = torch.cat([s, s.new_zeros(n_streams * L - s.shape[0], s.shape[1])])
    return padded.reshape(n_streams, L, s.shape[1])


@pytest.mark.parametrize("wrong, hint", [
    (_interleaved, "interleaved"),
    (_drop_start, "dropped the first 3 samples"),
    (_no_feature_axis, "features axis is missing"),
    (_no_drop, "drop the last 3 samples before reshaping"),
    (_swapped, "axes are swapped"),
    (_padded, "Drop the last 3 samples, never pad"),
    (lambda s, b: tbptt.make_streams(s, b) + 1, "wrong values"),
    (lambda s, b: "streams", "got str"),
])
def test_make_streams_hints(wrong, hint):
    result = ch03.check_make_streams(wrong)
    assert not result.passed
    assert hint in result.message, result.message


def test_make_streams_numpy_output_is_accepted():
    assert ch03.check_make_streams(lambda s, b: tbptt.make_streams(s, b).numpy()).passed
