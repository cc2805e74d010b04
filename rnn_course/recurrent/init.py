"""Initialising the recurrent weights W_hh, the lever on vanishing and exploding gradients.

The backward pass through time multiplies by W_hh once per step, so its spectral radius
(max |eigenvalue|) sets how fast the error signal shrinks or grows (chapter 4). This module
rescales W_hh to a chosen spectral radius, makes it orthogonal (Saxe et al. 2014), or sets it
to the identity (the IRNN of Le, Jaitly & Hinton 2015, with ReLU units).

Functions ending in ``_`` change the module in place and return it, like ``torch.nn.init``.
"""
from __future__ import annotations

import numbers

import torch
from torch import nn

from .diagnostics import spectral_radius


def scale_to_spectral_radius(W: torch.Tensor, rho: float) -> torch.Tensor:
    """Return ``W * rho / spectral_radius(W)``: a copy of square ``W`` with spectral radius ``rho``."""
    if isinstance(rho, bool) or not isinstance(rho, numbers.Real) or not rho > 0:  # NumPy scalars too
        raise ValueError(f"rho: expected a positive number, got {rho!r}")
    current = spectral_radius(W)  # validates W: square floating-point tensor
    if current == 0.0:
        raise ValueError("W has spectral radius 0 (all eigenvalues are zero), so it cannot be rescaled")
    return W.detach() * (rho / current)


def _recurrent_weights(rnn: nn.Module) -> list[nn.Parameter]:
    if not isinstance(rnn, nn.RNNBase):
        raise TypeError(f"expected nn.RNN, nn.GRU or nn.LSTM, got {type(rnn).__name__}")
    if getattr(rnn, "proj_size", 0):
        raise ValueError("LSTMs with proj_size > 0 are not supported")
    return [p for name, p in rnn.named_parameters() if name.startswith("weight_hh")]


@torch.no_grad()
def set_spectral_radius_(rnn: nn.RNN, rho: float) -> nn.RNN:
    """Rescale every W_hh of an ``nn.RNN`` (each layer and direction) to spectral radius ``rho``."""
    if not isinstance(rnn, nn.RNN):
        raise TypeError(f"set_spectral_radius_ expects an nn.RNN, got {type(rnn).__name__}; "
                        "for gated cells use orthogonal_init_")
    for W in _recurrent_weights(rnn):
        W.copy_(scale_to_spectral_radius(W, rho))
    return rnn


@torch.no_grad()
def orthogonal_init_(rnn: nn.RNNBase, gain: float = 1.0) -> nn.RNNBase:
    """Set each (hidden, hidden) block of every W_hh to a random orthogonal matrix times ``gain``.

    ``nn.LSTM`` stacks 4 gate blocks and ``nn.GRU`` 3 in ``weight_hh``; each block is made
    orthogonal separately. Input weights and biases are left as they are.
    """
    if not gain > 0:
        raise ValueError(f"gain: expected a positive number, got {gain!r}")
    for W in _recurrent_weights(rnn):
        for block in W.split(rnn.hidden_size, dim=0):
            nn.init.orthogonal_(block, gain=gain)
    return rnn


@torch.no_grad()
def identity_init_(rnn: nn.RNN, scale: float = 1.0) -> nn.RNN:
    """Set every W_hh of an ``nn.RNN`` to ``scale * I`` and all biases to zero.

    With ``nn.RNN(..., nonlinearity="relu")`` this is the IRNN (Le et al. 2015): while the
    units are active, h_t = h_{t-1} + W_ih x_t, so the state (and the gradient) is carried
    forward unchanged. Input weights are left as they are.
    """
    if not isinstance(rnn, nn.RNN):
        raise TypeError(f"identity_init_ expects an nn.RNN, got {type(rnn).__name__}")
    if not scale > 0:
        raise ValueError(f"scale: expected a positive number, got {scale!r}")
    for W in _recurrent_weights(rnn):
        W.copy_(scale * torch.eye(rnn.hidden_size, dtype=W.dtype, device=W.device))
    for name, p in rnn.named_parameters():
        if name.startswith("bias"):
            p.zero_()
    return rnn
