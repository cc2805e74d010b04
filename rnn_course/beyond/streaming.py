"""Streaming inference: one sample in, one output out.

A bedside monitor cannot wait for the end of the recording: it must update its output as each
sample arrives. A recurrent network carries a state of fixed size; a causal Transformer
carries a key-value cache that grows with every sample (:mod:`rnn_course.beyond.transformer`).
This module runs a GRU that way; :mod:`rnn_course.beyond.stream_cost` measures what each new
sample costs.
"""
from __future__ import annotations

import torch
from torch import nn

from ..validation import expect_shape


class StreamingGRU(nn.Module):
    """A GRU with a linear read-out at every step: ``(batch, time, input_size)`` -> ``(batch, time, n_out)``."""

    def __init__(self, input_size: int = 1, hidden_size: int = 64, num_layers: int = 2, n_out: int = 1) -> None:
        super().__init__()
        self.input_size = input_size
        self.rnn = nn.GRU(input_size, hidden_size, num_layers, batch_first=True)
        self.head = nn.Linear(hidden_size, n_out)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expect_shape("x", x, (None, None, self.input_size), ("batch", "time", "input_size"))
        return self.head(self.rnn(x)[0])

    def initial_state(self, batch_size: int = 1) -> torch.Tensor:
        """h_0 = zeros, ``(num_layers, batch, hidden_size)``, on the model's device and dtype."""
        p = self.head.weight
        return p.new_zeros(self.rnn.num_layers, batch_size, self.rnn.hidden_size)

    def extend(self, x: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The next samples ``(batch, new, input_size)`` -> outputs ``(batch, new, n_out)``, next state."""
        out, h = self.rnn(x, h)
        return self.head(out), h

    def step(self, x_t: torch.Tensor, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """One new sample ``(batch, input_size)`` -> output ``(batch, n_out)`` and the next state."""
        y, h = self.extend(x_t[:, None], h)
        return y[:, 0], h
