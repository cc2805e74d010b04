"""The parameter-count exercises of chapters 1 (``nn.RNN``) and 5 (``nn.LSTM``), checked alike.

One formula, :func:`rnn_course.recurrent.gated.count_parameters_formula`, gives the right count and,
combined, what each classic slip gives, so a wrong answer can be named:

- ``one_bias``: one bias vector per layer and direction instead of PyTorch's two;
- ``no_bias``: the biases forgotten;
- ``one_direction``: a bidirectional layer counted once (exactly half the right count);
- ``upper_reads_input``: every layer counted like the first (layers above read x);
- ``upper_reads_h``: in a bidirectional stack, layers above read H instead of 2H features;
- ``gru`` / ``rnn``: the count of another cell (3 or 1 gate blocks).
"""
from __future__ import annotations

from typing import Callable

import torch

from ..i18n import _
from ..recurrent import count_parameters_formula

Config = tuple[int, int, int, bool]  # input_size, hidden_size, num_layers, bidirectional


def slip_counts(kind: str, input_size: int, hidden_size: int, num_layers: int, bidirectional: bool
                ) -> dict[str, int]:
    """The right count of ``kind`` (key ``"right"``) and what each slip gives."""
    D, H, L, bi = input_size, hidden_size, num_layers, bidirectional
    right = count_parameters_formula(kind, D, H, L, bi)
    no_bias = count_parameters_formula(kind, D, H, L, bi, bias=False)
    first = count_parameters_formula(kind, D, H, 1, bi)
    return {"right": right, "one_bias": (right + no_bias) // 2, "no_bias": no_bias,
            "one_direction": right // 2 if bi else right, "upper_reads_input": L * first,
            "upper_reads_h": first + (L - 1) * count_parameters_formula(kind, H, H, 1, bi),
            "gru": count_parameters_formula("gru", D, H, L, bi), "rnn": count_parameters_formula("rnn", D, H, L, bi)}


def _as_count(value: object) -> int | str:
    """The learner's answer as an int, or the hint saying why it is not a count."""
    if isinstance(value, torch.Tensor) and value.numel() == 1:
        value = value.item()
    try:
        number = None if isinstance(value, (bool, str, bytes)) else float(value)
    except (TypeError, ValueError):
        number = None
    if number is None:
        return _("return a whole number (an int), got {type}: {value!r}.").format(type=type(value).__name__, value=value)
    if number != round(number):
        return _("a parameter count is a whole number, got {value}.").format(value=value)
    return int(round(number))


def check_count(fn: Callable, kind: str, configs: list[Config], hints: dict[str, str], name: str
                ) -> tuple[bool, str]:
    """Call ``fn(D, H, num_layers=L, bidirectional=bi)`` on every config; name the slip if one fits."""
    answers = {}
    for D, H, L, bi in configs:
        got = _as_count(fn(D, H, num_layers=L, bidirectional=bi))
        if isinstance(got, str):
            return False, got
        answers[(D, H, L, bi)] = got
    counts = {c: slip_counts(kind, *c) for c in configs}
    wrong = [c for c in configs if answers[c] != counts[c]["right"]]
    if not wrong:
        return True, _("your formula matches nn.{module} on {n} configurations "
                       "(layers, directions, both biases).").format(module=kind.upper(), n=len(configs))
    for slip, hint in hints.items():
        if all(answers[c] == counts[c][slip] for c in configs):
            return False, _(hint)
    D, H, L, bi = wrong[0]
    g = {"rnn": "", "gru": "3", "lstm": "4"}[kind]
    return False, _("{name}({D}, {H}, num_layers={L}, bidirectional={bi}) returned {got}, expected "
                    "{expected} ({wrong} of {total} configurations wrong). Per layer "
                    "and direction: {g}H·(D_k + H) weights plus 2·{g}H biases, with D_k the input size of layer k.").format(
        name=name, D=D, H=H, L=L, bi=bi, got=answers[wrong[0]], expected=counts[wrong[0]]['right'], wrong=len(wrong),
        total=len(configs), g=g)

