"""Exercise checks of chapter 5 (LSTM and GRU).

- ``check_lstm_step(fn)``: one LSTM step in PyTorch's layout,
  ``fn(x, h, c, w_ih, w_hh, b_ih, b_hh) -> (h_next, c_next)``, gate blocks ``i, f, g, o``.
- ``check_coupled_lstm_step(fn)``: the coupled-gate LSTM (f = 1 - i), same signature, with
  three gate blocks ``i, g, o`` (``w_ih`` is ``(3H, D)``).
- ``check_lstm_param_count(fn)``: ``fn(input_size, hidden_size, num_layers=1,
  bidirectional=False) -> int``, the number of parameters of ``nn.LSTM``.

When an answer is wrong, the checks rebuild the usual mistakes (gate blocks in the wrong
order, sigmoid for the candidate, a missing bias, outputs swapped, ...) and name the one
that reproduces the learner's numbers.
"""
from __future__ import annotations

import itertools
from typing import Callable

import numpy as np
import torch

from ..i18n import N_, _
from . import compare, exercise_check, to_numpy
from .counting import check_count

_SHAPES = [(3, 4, 5), (1, 2, 3)]  # (batch N, input D, hidden H): distinct sizes expose swapped axes


def _inputs(n_gates: int, N: int, D: int, H: int, seed: int) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    return dict(x=r(N, D), h=r(N, H), c=r(N, H), w_ih=r(n_gates * H, D), w_hh=r(n_gates * H, H),
                b_ih=r(n_gates * H), b_hh=r(n_gates * H))


def _gated_step(x, h, c, w_ih, w_hh, b_ih, b_hh, *, order: str, coupled: bool = False, g_act=torch.tanh,
                use_b_ih: bool = True, use_b_hh: bool = True, tanh_c: bool = True, old_c_in_h: bool = False,
                swap_out: bool = False, cell: str = "standard"):
    """The reference step and its common mistakes (selected by the keyword options)."""
    z = x @ w_ih.T + h @ w_hh.T + (b_ih if use_b_ih else 0) + (b_hh if use_b_hh else 0)
    blocks = dict(zip(order, z.chunk(len(order), dim=-1)))
    i, g, o = torch.sigmoid(blocks["i"]), g_act(blocks["g"]), torch.sigmoid(blocks["o"])
    f = (1 - i) if coupled else torch.sigmoid(blocks["f"])
    c_next = {"standard": f * c + i * g, "no_input_gate": f * c + g, "swapped_roles": i * c + f * g,
              "f_equals_i": i * c + i * g}[cell]
    h_next = o * (torch.tanh(c if old_c_in_h else c_next) if tanh_c else c_next)
    return (c_next, h_next) if swap_out else (h_next, c_next)


def _mistakes(canonical: str, coupled: bool) -> list[tuple[dict, str]]:
    """(options, hint) for the usual wrong answers, most specific first."""
    roles = {"i": _("input gate i"), "f": _("forget gate f"), "g": _("candidate g"), "o": _("output gate o")}
    rows = ", ".join(_("{role} rows {n}H:{m}H").format(role=roles[k], n=n, m=n + 1) for n, k in enumerate(canonical))
    out = [
        (dict(swap_out=True), _("you returned (c_next, h_next); return them in the order (h_next, c_next).")),
        (dict(g_act=torch.sigmoid), _("the candidate g uses tanh (values in (-1, 1)), not sigmoid: only the gates "
                                      "are sigmoids, because they are fractions between 0 and 1.")),
        (dict(use_b_ih=False), _("you left out b_ih: PyTorch adds two biases to every gate, b_ih and b_hh.")),
        (dict(use_b_hh=False), _("you left out b_hh: PyTorch adds two biases to every gate, b_ih and b_hh.")),
        (dict(use_b_ih=False, use_b_hh=False), _("you left out both biases b_ih and b_hh.")),
        (dict(tanh_c=False), _("h_next = o * tanh(c_next): you forgot the tanh on the cell state.")),
        (dict(old_c_in_h=True), _("h_next must use the new cell state c_next, not the previous c.")),
        (dict(cell="no_input_gate"), _("the candidate must be scaled by the input gate: c_next = f * c + i * g.")),
        (dict(cell="swapped_roles"), _("f scales the old cell state and i scales the candidate: "
                                       "c_next = f * c + i * g, not i * c + f * g.")),
    ]
    if coupled:
        out.append((dict(cell="f_equals_i"), _("in the coupled LSTM the forget gate is f = 1 - i, not f = i.")))
    for perm in itertools.permutations(canonical):
        order = "".join(perm)
        if order != canonical:
            out.append((dict(order=order), _("the gate blocks are in the wrong order: you read them as "
                        "{order}; the layout is {layout} ({rows}).").format(
                order=", ".join(order), layout=", ".join(canonical), rows=rows)))
    return out


def _check_step(fn: Callable, canonical: str, coupled: bool) -> tuple[bool, str]:
    for k, (N, D, H) in enumerate(_SHAPES):
        args = _inputs(len(canonical), N, D, H, seed=k)
        out = fn(*(args[n].clone() for n in ("x", "h", "c", "w_ih", "w_hh", "b_ih", "b_hh")))
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            return False, _("return a tuple (h_next, c_next) of two tensors, got {type}.").format(type=type(out).__name__)
        ref = _gated_step(**args, order=canonical, coupled=coupled)
        problems = [compare(name, got, exp, axes="(batch, hidden)")
                    for name, got, exp in zip(("h_next", "c_next"), out, ref)]
        if not any(problems):
            continue
        if all(to_numpy(o) is not None and to_numpy(o).shape == (N, H) for o in out):
            for options, hint in _mistakes(canonical, coupled):
                wrong = _gated_step(**args, **{"order": canonical, "coupled": coupled, **options})
                if all(np.allclose(to_numpy(o), to_numpy(w), atol=1e-6, rtol=1e-5) for o, w in zip(out, wrong)):
                    return False, hint
        return False, next(p for p in problems if p) + _(" (batch={batch}, input={input}, hidden={hidden})").format(
            batch=N, input=D, hidden=H)
    return True, _("your step matches the reference for {n} random inputs, batch sizes included.").format(n=len(_SHAPES))


@exercise_check
def check_lstm_step(fn: Callable) -> tuple[bool, str]:
    """Check ``fn(x, h, c, w_ih, w_hh, b_ih, b_hh) -> (h_next, c_next)`` (gate order i, f, g, o)."""
    return _check_step(fn, "ifgo", coupled=False)


@exercise_check
def check_coupled_lstm_step(fn: Callable) -> tuple[bool, str]:
    """Check the coupled-gate LSTM step: blocks i, g, o (w_ih is (3H, D)); f = 1 - i."""
    return _check_step(fn, "igo", coupled=True)


_COUNT_CONFIGS = [(10, 20, 1, False), (3, 8, 2, False), (5, 7, 3, True), (1, 1, 1, True), (6, 4, 2, True)]

_COUNT_HINTS = {
    "gru": N_("that is the GRU's count (3 gate blocks); an LSTM has 4 blocks: i, f, g, o."),
    "rnn": N_("each of the 4 gate blocks (i, f, g, o) has its own weights and biases: multiply by 4."),
    "one_bias": N_("PyTorch has two bias vectors per layer and direction, b_ih and b_hh, each 4H long."),
    "no_bias": N_("you forgot the biases: two vectors b_ih and b_hh of length 4H per layer and direction."),
    "one_direction": N_("a bidirectional LSTM has a complete second set of parameters for the backward "
                        "direction: multiply each layer by 2."),
    "upper_reads_input": N_("layers above the first read the previous layer's output (size H, or 2H when "
                            "bidirectional), not the input features."),
    "upper_reads_h": N_("with bidirectional=True, layers above the first read both directions "
                        "concatenated: their input size is 2H."),

}


@exercise_check
def check_lstm_param_count(fn: Callable) -> tuple[bool, str]:
    """Check ``fn(input_size, hidden_size, num_layers=1, bidirectional=False) -> int`` against nn.LSTM."""
    return check_count(fn, "lstm", _COUNT_CONFIGS, _COUNT_HINTS, "lstm_param_count")
