"""GRU-D: a GRU that reads the mask and the time since the last measurement (Che et al. 2018).

Shape legend: N batch (stays), T time steps, D variables, H hidden units. Inputs are
batch-first ``(N, T, D)``: ``values`` (anything, e.g. NaN, where ``mask`` is 0), ``mask``
(1 measured, 0 not) and ``delta`` (time since the previous measurement,
:func:`rnn_course.data.icu.time_since_last`).

The equations, in the paper's notation (Sci Rep 8:6085, eqs. for GRU-D):

- decay rates ``gamma = exp(-max(0, W_gamma delta_t + b_gamma))``: the rate
  ``max(0, ...)`` is never negative, so ``gamma`` lies in (0, 1] and only ever shrinks;
- input decay, with ``W_gamma_x`` diagonal (one rate per variable):
  ``x_hat = m * x + (1 - m) * (gamma_x * x_last + (1 - gamma_x) * x_mean)``, where
  ``x_last`` is the variable's last measurement and ``x_mean`` its empirical mean;
- hidden-state decay, with a full ``W_gamma_h`` ``(H, D)``: ``h_hat = gamma_h * h_{t-1}``;
- a GRU step on ``x_hat`` and ``h_hat`` in which the mask enters every gate:
  ``z = sigmoid(W_z x_hat + U_z h_hat + V_z m + b_z)``, ``r`` likewise,
  ``h_tilde = tanh(W x_hat + U (r * h_hat) + V m + b)``,
  ``h_t = (1 - z) * h_hat + z * h_tilde``.

Note the paper's GRU keeps the old state with ``1 - z`` (as Chung et al. 2014 write it),
whereas PyTorch's ``nn.GRU`` keeps it with ``z``; the reset gate is applied before the
product with ``U``, as in Cho et al. (2014). With both decays switched off (``gamma = 1``)
the cell is a GRU reading ``[x_forward_filled, m]``: the control for what the decays add.

Everything that does not depend on the hidden state (decayed inputs, input and mask
products, hidden decay rates) is computed for all steps at once; only the recurrence loops.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..validation import expect_int, expect_same_device, expect_shape


def last_observed(values: torch.Tensor, mask: torch.Tensor, fill: torch.Tensor) -> torch.Tensor:
    """``(N, T, D)``: each variable's last measurement at or before step t; ``fill`` ``(D,)``
    before the first one."""
    T = values.shape[1]
    steps = torch.arange(T, dtype=values.dtype, device=values.device).view(1, T, 1)
    seen = torch.where(mask > 0, steps, -1.0)  # the step of each measurement, else -1
    running = [seen[:, 0]]
    for t in range(1, T):  # a running maximum: faster on a CPU than cummax over dim 1
        running.append(torch.maximum(running[-1], seen[:, t]))
    index = torch.stack(running, dim=1).long()  # (N, T, D): step of the last measurement
    filled = values.nan_to_num(0.0).gather(1, index.clamp_min(0))
    return torch.where(index >= 0, filled, fill.expand_as(values))


class GRUD(nn.Module):
    """One GRU-D layer over batch-first ``(N, T, D)`` inputs; returns ``(outputs, h_T)``.

    Args:
        input_size: D, the number of variables.
        hidden_size: H.
        x_mean: ``(D,)`` the empirical mean each missing input decays towards (default 0, the
            mean of standardised training data).
        input_decay, hidden_decay: switch the two decays off (``gamma = 1``) for ablations.

    Parameters: ``decay_x_weight`` and ``decay_x_bias`` ``(D,)`` (the diagonal
    ``W_gamma_x``), ``decay_h`` (``W_gamma_h`` ``(H, D)`` and ``b_gamma_h``; these are None
    when their decay is switched off),
    ``input_proj`` ``(3H, 2D)`` holding ``[W | V]`` for the gates r, z, n with their biases,
    ``hidden_rz`` ``(2H, H)`` holding ``U_r, U_z`` and ``hidden_n`` ``(H, H)`` holding ``U``.
    """

    def __init__(self, input_size: int, hidden_size: int, x_mean: torch.Tensor | None = None,
                 input_decay: bool = True, hidden_decay: bool = True) -> None:
        super().__init__()
        for name, v in (("input_size", input_size), ("hidden_size", hidden_size)):
            expect_int(name, v)
        self.input_size, self.hidden_size = input_size, hidden_size
        self.input_decay, self.hidden_decay = bool(input_decay), bool(hidden_decay)
        x_mean = torch.zeros(input_size) if x_mean is None else torch.as_tensor(x_mean)
        if not x_mean.is_floating_point():
            x_mean = x_mean.float()
        expect_shape("x_mean", x_mean, (input_size,), ("variables",))
        self.register_buffer("x_mean", x_mean.clone())
        # A switched-off decay has no parameters, so parameter counts compare fairly.
        self.decay_x_weight = nn.Parameter(torch.empty(input_size)) if self.input_decay else None
        self.decay_x_bias = nn.Parameter(torch.empty(input_size)) if self.input_decay else None
        self.decay_h = nn.Linear(input_size, hidden_size) if self.hidden_decay else None
        self.input_proj = nn.Linear(2 * input_size, 3 * hidden_size)
        self.hidden_rz = nn.Linear(hidden_size, 2 * hidden_size, bias=False)
        self.hidden_n = nn.Linear(hidden_size, hidden_size, bias=False)
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """Gate weights ~ U(-1/sqrt(H), 1/sqrt(H)) as in ``nn.GRU``. Decay weights ~ U(0, 1/sqrt(D))
        and decay biases 0, so every rate starts positive: a rate whose ``W delta + b`` starts
        negative sits where max(0, .) has zero gradient and would never learn."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for layer in (self.input_proj, self.hidden_rz, self.hidden_n):
            for p in layer.parameters():
                nn.init.uniform_(p, -bound, bound)
        decay_bound = 1.0 / math.sqrt(self.input_size)
        if self.input_decay:
            nn.init.uniform_(self.decay_x_weight, 0.0, decay_bound)
            nn.init.zeros_(self.decay_x_bias)
        if self.hidden_decay:
            nn.init.uniform_(self.decay_h.weight, 0.0, decay_bound)
            nn.init.zeros_(self.decay_h.bias)

    def decay_rates(self, delta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(gamma_x (N, T, D), gamma_h (N, T, H))``, each in (0, 1]; all ones when switched off."""
        if self.input_decay:
            gamma_x = torch.exp(-torch.relu(delta * self.decay_x_weight + self.decay_x_bias))
        else:
            gamma_x = torch.ones_like(delta)
        if self.hidden_decay:
            gamma_h = torch.exp(-torch.relu(self.decay_h(delta)))
        else:
            gamma_h = delta.new_ones(*delta.shape[:-1], self.hidden_size)
        return gamma_x, gamma_h

    def impute(self, values: torch.Tensor, mask: torch.Tensor, gamma_x: torch.Tensor) -> torch.Tensor:
        """``x_hat`` ``(N, T, D)``: the measurement where there is one, else the last measurement
        decayed towards the mean by ``gamma_x``."""
        mean = self.x_mean.to(values.dtype)
        x_last = last_observed(values, mask, mean)
        decayed = gamma_x * x_last + (1 - gamma_x) * mean
        return torch.where(mask > 0, values.nan_to_num(0.0), decayed)

    def gate_inputs(self, x_hat: torch.Tensor, mask: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
        """What the gates read at each step: ``[x_hat, m]`` ``(N, T, 2D)``."""
        return torch.cat([x_hat, mask], dim=-1)

    def _check(self, values: torch.Tensor, mask: torch.Tensor, delta: torch.Tensor,
               h0: torch.Tensor | None) -> None:
        for name, x in (("values", values), ("mask", mask), ("delta", delta)):
            if not isinstance(x, torch.Tensor):
                raise TypeError(f"{name}: expected a torch.Tensor, got {type(x).__name__}")
            expect_shape(name, x, (None, None, self.input_size), ("batch", "time", "variables"))
        if not values.shape == mask.shape == delta.shape:
            raise ValueError(f"values, mask, delta: expected one shape (batch, time, variables), got "
                             f"{tuple(values.shape)}, {tuple(mask.shape)}, {tuple(delta.shape)}")
        p = self.input_proj.weight
        for name, x in (("values", values), ("mask", mask), ("delta", delta)):
            if x.dtype != p.dtype:
                raise TypeError(f"{name}: expected dtype {p.dtype} (the parameters' dtype), got {x.dtype}")
        expect_same_device(values=values, mask=mask, delta=delta, parameters=p)
        if h0 is not None:
            expect_shape("h0", h0, (values.shape[0], self.hidden_size), ("batch", "hidden"))

    def forward(self, values: torch.Tensor, mask: torch.Tensor, delta: torch.Tensor,
                h0: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """Run over ``(N, T, D)`` inputs; returns ``outputs`` ``(N, T, H)`` and ``h_T`` ``(N, H)``."""
        self._check(values, mask, delta, h0)
        N, T, _ = values.shape
        gamma_x, gamma_h = self.decay_rates(delta)
        x_hat = self.impute(values, mask, gamma_x)
        gi = self.input_proj(self.gate_inputs(x_hat, mask, delta))  # (N, T, 3H): W x_hat + V m + b
        gi_rz, gi_n = gi[..., :2 * self.hidden_size], gi[..., 2 * self.hidden_size:]
        h = values.new_zeros(N, self.hidden_size) if h0 is None else h0
        outputs = []
        for t in range(T):
            h_hat = gamma_h[:, t] * h  # hidden-state decay
            r, z = torch.sigmoid(gi_rz[:, t] + self.hidden_rz(h_hat)).chunk(2, dim=-1)
            h_tilde = torch.tanh(gi_n[:, t] + self.hidden_n(r * h_hat))  # reset before the product
            h = (1 - z) * h_hat + z * h_tilde
            outputs.append(h)
        return torch.stack(outputs, dim=1), h


class GRUSimple(GRUD):
    """GRU-Simple, Che et al.'s (2018) control: a plain GRU reading ``[x, m, delta / s]``.

    ``x`` is forward-filled (the mean ``x_mean`` before the first measurement), ``m`` the
    mask and ``delta / s`` the time since the last measurement divided by ``delta_scale``
    ``s`` (e.g. the window's length, 48 hours), so that it lies on the scale of the mask and
    does not saturate the gates. There are no decays: GRU-Simple reads what GRU-D reads,
    without its structure. Call and returns as :class:`GRUD`; ``input_proj`` is ``(3H, 3D)``.
    """

    def __init__(self, input_size: int, hidden_size: int, x_mean: torch.Tensor | None = None,
                 delta_scale: float = 1.0) -> None:
        super().__init__(input_size, hidden_size, x_mean, input_decay=False,
                         hidden_decay=False)
        if isinstance(delta_scale, bool) or not isinstance(delta_scale, (int, float)) \
                or not delta_scale > 0:
            raise ValueError(f"delta_scale: expected a positive number, got {delta_scale!r}")
        self.delta_scale = float(delta_scale)
        self.input_proj = nn.Linear(3 * input_size, 3 * hidden_size)
        self.reset_parameters()

    def gate_inputs(self, x_hat: torch.Tensor, mask: torch.Tensor, delta: torch.Tensor) -> torch.Tensor:
        """``[x_hat, m, delta / delta_scale]`` ``(N, T, 3D)``."""
        return torch.cat([x_hat, mask, delta / self.delta_scale], dim=-1)
