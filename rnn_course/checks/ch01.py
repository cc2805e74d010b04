"""Exercise checks of chapter 1 (RNN basics). PyTorch's layout throughout: a weight is
stored as ``(out_features, in_features)``, so a batch ``x (batch, in)`` is multiplied as ``x @ W.T``.

- ``check_rnn_step(fn)``: ``fn(x, h_prev, W_ih, W_hh, b_ih, b_hh) -> h`` with x (N, I),
  h_prev (N, H), W_ih (H, I), W_hh (H, H), b_ih and b_hh (H,): one step of ``nn.RNN``.
- ``check_count_rnn_params(fn)``: ``fn(input_size, hidden_size, num_layers=1,
  bidirectional=False) -> int``, the number of parameters of that ``nn.RNN``.
- ``check_jordan_step(fn)``: ``fn(x, y_prev, W_xh, W_yh, b_h, W_hy, b_y) -> (h, y)``, one
  step of a Jordan network, whose recurrence feeds back the previous *output* y_{t-1}.

Each recognises the classic mistakes (a transposed weight, a forgotten bias, only one of
PyTorch's two biases, a bidirectional layer counted once ...) and names them.
"""
from __future__ import annotations

from typing import Any, Callable

import torch
from ..i18n import N_, _
from . import diagnose, exercise_check, matches
from .counting import check_count


def _matmul_hint(error: RuntimeError, shapes: str) -> str:
    return _("a matrix product failed ({error}). PyTorch stores weights as (out, in): {shapes}. "
             "With the batch first, multiply as x @ W.T.").format(error=error, shapes=shapes)


# ----------------------------------------------------------------------------- rnn_step
def _rnn_step_case(seed: int, N: int = 3, I: int = 4, H: int = 5) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    return {"x": r(N, I), "h_prev": torch.tanh(r(N, H)), "W_ih": 0.5 * r(H, I), "W_hh": 0.5 * r(H, H),
            "b_ih": r(H), "b_hh": r(H)}


def rnn_step_reference(x: torch.Tensor, h_prev: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor,
                       b_ih: torch.Tensor, b_hh: torch.Tensor) -> torch.Tensor:
    """One step of ``nn.RNN``: tanh(x W_ih^T + b_ih + h_prev W_hh^T + b_hh), shape (batch, hidden)."""
    return torch.tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh)


def _rnn_step_mistakes(x, h_prev, W_ih, W_hh, b_ih, b_hh) -> tuple[torch.Tensor, list[tuple[torch.Tensor, str]]]:
    a_x, a_h = x @ W_ih.T, h_prev @ W_hh.T
    a = a_x + a_h + b_ih + b_hh
    return rnn_step_reference(x, h_prev, W_ih, W_hh, b_ih, b_hh), [
        (torch.tanh(a_x + a_h), _("you forgot the biases: add b_ih + b_hh inside the tanh.")),
        (torch.tanh(a_x + a_h + b_ih), _("you used only b_ih: nn.RNN has two bias vectors, b_ih and b_hh; add both.")),
        (torch.tanh(a_x + a_h + b_hh), _("you used only b_hh: nn.RNN has two bias vectors, b_ih and b_hh; add both.")),
        (torch.tanh(a_x + h_prev @ W_hh + b_ih + b_hh),
         _("W_hh is applied transposed (its square shape hides it): PyTorch stores it as (out, in), "
           "so use h_prev @ W_hh.T.")),
        (torch.tanh(a_x + b_ih + b_hh), _("the previous hidden state is missing: add h_prev @ W_hh.T — "
                                          "that term is what makes the network recurrent.")),
        (a, _("you forgot the tanh: h = tanh(x @ W_ih.T + b_ih + h_prev @ W_hh.T + b_hh).")),
        (torch.relu(a), _("you used ReLU; nn.RNN's default nonlinearity is tanh.")),
        (torch.sigmoid(a), _("you used the sigmoid; nn.RNN's default nonlinearity is tanh.")),
        (torch.tanh(a).T, _("your result is (hidden, batch): keep the batch first, e.g. x @ W_ih.T rather than W_ih @ x.T.")),
    ]


@exercise_check
def check_rnn_step(fn: Callable[..., Any]) -> tuple[bool, str]:
    """Compare ``fn(x, h_prev, W_ih, W_hh, b_ih, b_hh)`` with one ``nn.RNN`` step (3 cases)."""
    for seed, (N, I, H) in enumerate([(3, 4, 5), (1, 2, 6), (4, 7, 3)]):
        case = _rnn_step_case(seed, N, I, H)
        try:
            got = fn(*(v.clone() for v in case.values()))  # in the documented order
        except RuntimeError as e:
            if "shape" not in str(e) and "size" not in str(e):
                raise
            return False, _matmul_hint(e, _("W_ih is (hidden, input) = ({H}, {I}), W_hh is ({H}, {H})").format(H=H, I=I))
        if isinstance(got, (tuple, list)):
            return False, _("return only the new hidden state h, a tensor of shape (batch, hidden), not a tuple.")
        ref, mistakes = _rnn_step_mistakes(**case)
        hint = diagnose("h", got, ref, mistakes, axes="(batch, hidden)")
        if hint:
            return False, _("{hint} (case {case}: batch={batch}, input={input}, hidden={hidden})").format(
                hint=hint, case=seed + 1, batch=N, input=I, hidden=H)
    return True, _("your step matches nn.RNN on 3 random cases (both biases, tanh, weights as (out, in)).")


# ----------------------------------------------------------------------------- count_rnn_params
PARAM_CASES = [(1, 16, 1, False), (3, 5, 2, False), (3, 5, 1, True), (3, 5, 2, True), (10, 4, 3, True)]

_COUNT_HINTS = {
    "one_bias": N_("you counted one bias per layer and direction; nn.RNN has two, bias_ih and bias_hh "
                   "(hidden_size each)."),
    "no_bias": N_("you forgot the biases: each layer and direction has bias_ih and bias_hh (hidden_size each)."),
    "one_direction": N_("a bidirectional layer has two independent sets of weights (forward and backward): "
                        "multiply each layer's count by 2 when bidirectional=True."),
    "upper_reads_input": N_("layers above the first read the hidden state of the layer below, not x: their "
                            "weight_ih is (H, H), or (H, 2H) when bidirectional."),
    "upper_reads_h": N_("in a bidirectional stack, layer 2 reads the forward and backward states "
                        "concatenated, so its weight_ih is (H, 2H), not (H, H)."),
}


@exercise_check
def check_count_rnn_params(fn: Callable[..., Any]) -> tuple[bool, str]:
    """Compare ``fn(input_size, hidden_size, num_layers=..., bidirectional=...)`` with nn.RNN on 5 configs."""
    return check_count(fn, "rnn", PARAM_CASES, _COUNT_HINTS, "count_rnn_params")


# ----------------------------------------------------------------------------- jordan_step
def _jordan_case(seed: int, N: int = 3, I: int = 4, H: int = 5, O: int = 2) -> dict[str, torch.Tensor]:
    g = torch.Generator().manual_seed(100 + seed)
    r = lambda *s: torch.randn(*s, generator=g, dtype=torch.float64)  # noqa: E731
    return {"x": r(N, I), "y_prev": r(N, O), "W_xh": 0.5 * r(H, I), "W_yh": 0.5 * r(H, O), "b_h": r(H),
            "W_hy": 0.5 * r(O, H), "b_y": r(O)}


def jordan_reference(x, y_prev, W_xh, W_yh, b_h, W_hy, b_y) -> tuple[torch.Tensor, torch.Tensor]:
    """One Jordan step: h = tanh(x W_xh^T + y_prev W_yh^T + b_h), y = h W_hy^T + b_y."""
    h = torch.tanh(x @ W_xh.T + y_prev @ W_yh.T + b_h)
    return h, h @ W_hy.T + b_y


@exercise_check
def check_jordan_step(fn: Callable[..., Any]) -> tuple[bool, str]:
    """Compare ``fn(x, y_prev, W_xh, W_yh, b_h, W_hy, b_y) -> (h, y)`` with the reference (2 cases)."""
    for seed, (N, I, H, O) in enumerate([(3, 4, 5, 2), (2, 3, 6, 4)]):
        c = _jordan_case(seed, N, I, H, O)
        try:
            out = fn(*(v.clone() for v in c.values()))
        except RuntimeError as e:
            if "shape" not in str(e) and "size" not in str(e):
                raise
            return False, _matmul_hint(e, _("W_xh is (H, I) = ({H}, {I}), W_yh is ({H}, {O}), W_hy is ({O}, {H})").format(
                H=H, I=I, O=O))
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            return False, _("return two tensors, (h, y): the new hidden state and the new output.")
        h, y = out
        ref_h, ref_y = jordan_reference(**c)
        a = c["x"] @ c["W_xh"].T + c["y_prev"] @ c["W_yh"].T
        if matches(h, ref_y) and matches(y, ref_h):
            return False, _("you returned (y, h); return them in the order (h, y).")
        h_hint = diagnose("h", h, ref_h, [
            (torch.tanh(a), _("h: you forgot the bias b_h.")),
            (torch.tanh(c["x"] @ c["W_xh"].T + c["b_h"]), _("h: the previous output is missing: add y_prev @ W_yh.T — "
                                                            "in a Jordan network the output is what recurs.")),
            (a + c["b_h"], _("h: you forgot the tanh.")),
        ], axes="(batch, hidden)")
        if h_hint:
            return False, _("{hint} (case {case})").format(hint=h_hint, case=seed + 1)
        y_hint = diagnose("y", y, ref_y, [
            (torch.tanh(ref_y), _("y: the output is linear, y = h @ W_hy.T + b_y, with no tanh.")),
            (ref_h @ c["W_hy"].T, _("y: you forgot the output bias b_y.")),
            ((a + c["b_h"]) @ c["W_hy"].T + c["b_y"], _("y: compute y from h after the tanh, not from the pre-activation.")),
        ], axes="(batch, output)")
        if y_hint:
            return False, _("{hint} (case {case})").format(hint=y_hint, case=seed + 1)
    return True, _("your Jordan step returns the right (h, y) on 2 random cases.")

