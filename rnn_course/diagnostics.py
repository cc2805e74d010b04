"""Gradient diagnostics for recurrent networks.

``hidden_grad_norms`` unrolls a PyTorch recurrent module one step at a time, so that every
hidden state h_t is a tensor we can ask for its gradient, and returns ||dL/dh_t|| for each
t. With the loss on the last step only, this shows how much of the error signal reaches
step t: flat for a healthy network, decaying geometrically when gradients vanish, growing
when they explode.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from .validation import check_ndim


def hidden_grad_norms(
    rnn: nn.RNNBase,
    inputs: torch.Tensor,
    loss_fn: Callable[[torch.Tensor], torch.Tensor] | None = None,
) -> torch.Tensor:
    """Return ``(time,)`` tensor of ||dL/dh_t|| (averaged over the batch) for a stepped RNN.

    Args:
        rnn: a one-layer, unidirectional ``nn.RNN``, ``nn.GRU`` or ``nn.LSTM`` with
            ``batch_first=True``. For an LSTM, h_t is the hidden (not the cell) state.
        inputs: ``(batch, time, features)``.
        loss_fn: maps the last hidden state ``(batch, hidden)`` to a scalar loss; the default
            is the sum of the last hidden state, whose gradient at step T is all ones.
    """
    check_ndim("inputs", inputs, 3, ("batch", "time", "features"))
    if not getattr(rnn, "batch_first", False) or rnn.num_layers != 1 or rnn.bidirectional:
        raise ValueError("hidden_grad_norms expects a one-layer, unidirectional module with batch_first=True")
    if inputs.shape[-1] != rnn.input_size:
        raise ValueError(f"inputs: expected {rnn.input_size} features, got {inputs.shape[-1]}")
    loss_fn = loss_fn or (lambda h: h.sum())
    inputs = inputs.to(next(rnn.parameters()).device)
    hidden, states = None, []
    for t in range(inputs.shape[1]):
        _, hidden = rnn(inputs[:, t : t + 1], hidden)
        h = hidden[0] if isinstance(hidden, tuple) else hidden  # (1, batch, hidden)
        states.append(h)
    loss = loss_fn(states[-1][0])
    grads = torch.autograd.grad(loss, states)
    return torch.stack([g[0].norm(dim=-1).mean() for g in grads]).detach().cpu()
