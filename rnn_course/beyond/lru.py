"""A linear recurrent unit (LRU; Orvieto et al. 2023), computed with the course's parallel scan.

Shapes: inputs ``u`` are ``(batch, time, d_model)``; the state is ``(batch, n_state)``, complex.

One LRU layer is a *diagonal*, complex linear recurrence between two projections:

    mu_j = exp(-exp(nu_j) + i exp(psi_j))           diagonal entries, |mu_j| < 1 always
    h_t  = mu ⊙ h_{t-1} + beta ⊙ (B u_t)              beta_j = exp(beta_log_j)
    y_t  = Re(C h_t) + D ⊙ u_t

(the paper writes lambda, nu^log, theta^log and gamma for our mu, nu, psi and beta; the
course keeps lambda, theta and gamma for other things). Each state unit is the linear
recurrence h_t = a_t h_{t-1} + b_t of :mod:`rnn_course.beyond.scan` with a constant a = mu_j, so
the whole sequence is one :func:`~rnn_course.beyond.scan.blelloch_scan`.

Initialisation, as in the paper: |mu_j|^2 uniform on [r_min^2, r_max^2] (the eigenvalues
uniform on a ring of the complex plane), phase uniform on [0, max_phase];
beta_j = sqrt(1 - |mu_j|^2) at init, which keeps the state's variance that of the input
for white noise; B, C complex Gaussian scaled by 1/sqrt(2 d_model) and 1/sqrt(n_state);
D real Gaussian. Trained, as in the paper: nu, psi and log beta (the log forms).
"""
from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from .scan import blelloch_scan, linear_recurrence_loop
from ..validation import expect_ndim, expect_shape

MODES = ("scan", "loop")


class LRU(nn.Module):
    """One LRU layer: ``u (batch, time, d_model)`` -> ``y (batch, time, d_model)``, real."""

    def __init__(self, d_model: int, n_state: int, r_min: float = 0.0, r_max: float = 1.0,
                 max_phase: float = 2 * math.pi) -> None:
        super().__init__()
        if d_model < 1 or n_state < 1:
            raise ValueError(f"d_model and n_state must be positive, got {d_model}, {n_state}")
        if not 0 <= r_min < r_max <= 1:
            raise ValueError(f"need 0 <= r_min < r_max <= 1, got r_min={r_min}, r_max={r_max}")
        if not 0 < max_phase <= 2 * math.pi:
            raise ValueError(f"max_phase must be in (0, 2 pi], got {max_phase}")
        self.d_model, self.n_state = d_model, n_state
        u1, u2 = torch.rand(n_state), torch.rand(n_state)
        nu = torch.log(-0.5 * torch.log(u1 * (r_max**2 - r_min**2) + r_min**2))
        self.nu_log = nn.Parameter(nu)                                   # |mu| = exp(-exp(nu))
        self.psi_log = nn.Parameter(torch.log(max_phase * u2))         # phase = exp(psi)
        self.beta_log = nn.Parameter(0.5 * torch.log(1 - torch.exp(-2 * torch.exp(nu))))
        self.B_re = nn.Parameter(torch.randn(n_state, d_model) / math.sqrt(2 * d_model))
        self.B_im = nn.Parameter(torch.randn(n_state, d_model) / math.sqrt(2 * d_model))
        self.C_re = nn.Parameter(torch.randn(d_model, n_state) / math.sqrt(n_state))
        self.C_im = nn.Parameter(torch.randn(d_model, n_state) / math.sqrt(n_state))
        self.D = nn.Parameter(torch.randn(d_model))

    def eigenvalues(self) -> torch.Tensor:
        """The diagonal of the recurrence, ``(n_state,)`` complex, each inside the unit circle."""
        return torch.exp(torch.complex(-torch.exp(self.nu_log), torch.exp(self.psi_log)))

    def forward(self, u: torch.Tensor, mode: str = "scan") -> torch.Tensor:
        expect_shape("u", u, (None, None, self.d_model), ("batch", "time", "d_model"))
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        B = torch.complex(self.B_re, self.B_im) * torch.exp(self.beta_log)[:, None]
        b = u.to(B.dtype) @ B.T                                  # (batch, time, n_state)
        a = self.eigenvalues().expand_as(b)
        h = blelloch_scan(a, b) if mode == "scan" else linear_recurrence_loop(a, b)
        return (h @ torch.complex(self.C_re, self.C_im).T).real + self.D * u


class LRURegressor(nn.Module):
    """Many-to-one model: a linear encoder, ``num_layers`` residual blocks, a read-out.

    Block (simplified from the paper's): ``x <- x + W2 gelu(LRU(x)) + b2``, a position-wise
    MLP after each LRU and a skip connection, without the paper's normalisation, GLU and
    dropout. ``x (batch, time, input_size)`` -> ``(batch, n_out)`` from the last step.
    """

    def __init__(self, input_size: int, d_model: int, n_state: int, n_out: int = 1,
                 num_layers: int = 2, **lru_kwargs: float) -> None:
        super().__init__()
        self.encoder = nn.Linear(input_size, d_model)
        self.lrus = nn.ModuleList(LRU(d_model, n_state, **lru_kwargs) for _ in range(num_layers))
        self.mlps = nn.ModuleList(nn.Linear(d_model, d_model) for _ in range(num_layers))
        self.head = nn.Linear(d_model, n_out)

    def forward(self, x: torch.Tensor, mode: str = "scan") -> torch.Tensor:
        expect_ndim("x", x, 3, ("batch", "time", "input_size"))
        x = self.encoder(x)
        for lru, mlp in zip(self.lrus, self.mlps):
            x = x + mlp(F.gelu(lru(x, mode=mode)))
        return self.head(x[:, -1])


def count_lru_parameters(d_model: int, n_state: int) -> int:
    """Parameters of one LRU layer: nu, psi, beta (n_state each), B and C complex, D."""
    return 3 * n_state + 2 * (2 * n_state * d_model) + d_model
