"""Gradient diagnostics for recurrent networks.

``hidden_grad_norms`` unrolls a PyTorch recurrent module one step at a time, so that every
hidden state h_t is a tensor we can ask for its gradient, and returns ||dL/dh_t|| for each
t. With the loss on the last step only, this shows how much of the error signal reaches
step t: flat for a healthy network, decaying geometrically when gradients vanish, growing
when they explode.

``jacobian_products`` looks at the same thing from the inside: for a one-layer ``nn.RNN``
the step Jacobian is dh_k/dh_{k-1} = diag(f'(a_k)) W_hh (f = tanh or ReLU), and the
backward pass multiplies these matrices together. It returns the largest singular value of
the product dh_T/dh_t for every t. ``spectral_radius`` gives max |eigenvalue| of a matrix.

Time indices are 0-based like the tensors: ``states[t]`` is the hidden state after reading
``inputs[:, t]``, and T - 1 is the last step.
"""
from __future__ import annotations

from typing import Callable

import torch
from torch import nn

from ..validation import expect_ndim


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
    expect_ndim("inputs", inputs, 3, ("batch", "time", "features"))
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


def spectral_radius(W: torch.Tensor) -> float:
    """Return max |eigenvalue| of a square matrix ``W`` (computed in float64).

    For a symmetric matrix this equals the spectral norm (largest singular value); in
    general it is at most the spectral norm.
    """
    if not isinstance(W, torch.Tensor):
        raise TypeError(f"W: expected a torch.Tensor, got {type(W).__name__}")
    if W.ndim != 2 or W.shape[0] != W.shape[1]:
        raise ValueError(f"W: expected a square matrix (n, n), got shape {tuple(W.shape)}")
    if not W.is_floating_point():
        raise TypeError(f"W: expected a floating-point dtype, got {W.dtype}")
    eig = torch.linalg.eigvals(W.detach().cpu().double())
    return float(eig.abs().max())


def _one_sample(rnn: nn.Module, inputs: torch.Tensor) -> torch.Tensor:
    """Validate ``rnn`` and return ``inputs`` as a float64 ``(time, features)`` tensor."""
    if not isinstance(rnn, nn.RNN):
        raise TypeError(f"jacobian_products expects an nn.RNN (tanh or relu), got {type(rnn).__name__}; "
                        "gated cells (LSTM, GRU) have different step Jacobians")
    if rnn.num_layers != 1 or rnn.bidirectional:
        raise ValueError(f"jacobian_products expects a one-layer, unidirectional nn.RNN, got "
                         f"num_layers={rnn.num_layers}, bidirectional={rnn.bidirectional}")
    if inputs.ndim == 3:  # a batch of one, laid out as the module reads it
        batch_axis, layout = (0, "(1, time, features)") if rnn.batch_first else (1, "(time, 1, features)")
        if inputs.shape[batch_axis] != 1:
            raise ValueError(f"inputs: expected one sequence, (time, features) or {layout} for this "
                             f"batch_first={rnn.batch_first} module, got shape {tuple(inputs.shape)}")
        inputs = inputs.select(batch_axis, 0)
    expect_ndim("inputs", inputs, 2, ("time", "features"))
    if inputs.shape[-1] != rnn.input_size:
        raise ValueError(f"inputs: expected {rnn.input_size} features, got {inputs.shape[-1]}")
    return inputs.detach().cpu().double()


@torch.no_grad()
def jacobian_products(rnn: nn.RNN, inputs: torch.Tensor, *, all_singular_values: bool = False) -> torch.Tensor:
    """Singular values of the Jacobian products dh_{T-1}/dh_t of a one-layer ``nn.RNN``.

    The step Jacobian is ``dh_k/dh_{k-1} = diag(f'(a_k)) W_hh`` with f'(a) = 1 - tanh(a)^2
    for tanh (= 1 - h_k^2) and the indicator a > 0 for ReLU; the product over k = t+1..T-1
    is dh_{T-1}/dh_t. Computed in float64 on the CPU, starting from h = 0.

    Args:
        rnn: a one-layer, unidirectional ``nn.RNN`` (either ``batch_first``).
        inputs: one sequence, ``(time, features)``, or a batch of one in the module's layout:
            ``(1, time, features)`` if ``batch_first`` else ``(time, 1, features)``.
        all_singular_values: return every singular value, not only the largest.

    Returns:
        ``(time,)`` largest singular value (spectral norm) of dh_{T-1}/dh_t for every t,
        with 1.0 at t = T - 1 (the empty product); or ``(time, hidden)`` with all singular
        values, largest first, if ``all_singular_values``.
    """
    x = _one_sample(rnn, inputs)
    W_ih, W_hh = rnn.weight_ih_l0.detach().cpu().double(), rnn.weight_hh_l0.detach().cpu().double()
    bias = torch.zeros(rnn.hidden_size, dtype=torch.float64)
    if rnn.bias:
        bias = (rnn.bias_ih_l0 + rnn.bias_hh_l0).detach().cpu().double()
    h = torch.zeros(rnn.hidden_size, dtype=torch.float64)
    slopes = []  # f'(a_k) for every step k, shape (hidden,)
    for x_k in x:
        a = W_ih @ x_k + W_hh @ h + bias
        if rnn.nonlinearity == "tanh":
            h = torch.tanh(a)
            slopes.append(1 - h**2)
        else:
            h = torch.relu(a)
            slopes.append((a > 0).double())
    T, H = x.shape[0], rnn.hidden_size
    out = torch.zeros(T, H, dtype=torch.float64)
    product = torch.eye(H, dtype=torch.float64)  # dh_{T-1}/dh_{T-1}
    out[T - 1] = 1.0
    for k in range(T - 1, 0, -1):  # multiply on the right by dh_k/dh_{k-1}
        product = product @ (slopes[k][:, None] * W_hh)
        out[k - 1] = torch.linalg.svdvals(product)
    return out if all_singular_values else out[:, 0].clone()
