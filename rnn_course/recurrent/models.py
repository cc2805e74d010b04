"""Recurrent models the labs share."""
from __future__ import annotations

import torch
from torch import nn

from ..validation import expect_int, expect_ndim

_CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class LastStep(nn.Module):
    """Many-to-one: a one-layer ``nn.RNN``/``nn.GRU``/``nn.LSTM``, read out at the last step.

    ``forward(x (batch, time, n_in)) -> (batch, n_out)``: a linear layer applied to the
    last hidden state. ``cell`` is ``"rnn"``, ``"gru"`` or ``"lstm"`` (any case);
    ``nonlinearity`` (``"tanh"`` or ``"relu"``) applies to ``"rnn"`` only. The recurrent
    layer is built before the read-out, so a seed gives the same weights as writing the
    two layers by hand in that order.
    """

    def __init__(self, n_in: int, n_out: int, hidden: int = 32, *, cell: str = "rnn",
                 nonlinearity: str = "tanh"):
        super().__init__()
        for name, value in (("n_in", n_in), ("n_out", n_out), ("hidden", hidden)):
            expect_int(name, value)
        kind = cell.lower() if isinstance(cell, str) else cell
        if kind not in _CELLS:
            raise ValueError(f"cell: expected one of {', '.join(_CELLS)}, got {cell!r}")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"nonlinearity: expected 'tanh' or 'relu', got {nonlinearity!r}")
        if kind != "rnn" and nonlinearity != "tanh":
            raise ValueError(f"nonlinearity: only cell='rnn' takes one, got {nonlinearity!r} "
                             f"with cell={cell!r}")
        options = {"nonlinearity": nonlinearity} if kind == "rnn" else {}
        self.rnn = _CELLS[kind](n_in, hidden, batch_first=True, **options)
        self.head = nn.Linear(hidden, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expect_ndim("x", x, 3, ("batch", "time", "features"))
        out, _ = self.rnn(x)
        return self.head(out[:, -1])
