"""minGRU and minLSTM (Feng et al. 2024, "Were RNNs All We Needed?"): gated RNNs trained as a scan.

Shapes: inputs ``x`` are ``(batch, time, input_size)``; states ``h`` are ``(batch, hidden_size)``.

The two cells keep the GRU's and the LSTM's *gated average* of old state and candidate, but
their gates and candidate see only the current input x_t, never h_{t-1}:

    minGRU:   z_t = σ(W_z x_t + b_z),   h̃_t = g(W_h x_t + b_h),
              h_t = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ h̃_t
    minLSTM:  f_t = σ(W_f x_t + b_f),   i_t = σ(W_i x_t + b_i),   h̃_t = g(W_h x_t + b_h),
              f'_t = f_t / (f_t + i_t),  i'_t = i_t / (f_t + i_t),
              h_t = f'_t ⊙ h_{t-1} + i'_t ⊙ h̃_t

Each is the linear recurrence h_t = a_t ⊙ h_{t-1} + b_t of :mod:`rnn_course.beyond.scan` with a and b
computed from the inputs alone, so training computes all steps at once. We use the paper's
log-space version (its appendix B.3): g(x) = x + 1/2 for x >= 0 and σ(x) for x < 0 keeps the
candidate, and so the state, positive, and the scan runs as :func:`~rnn_course.beyond.scan.log_space_scan`
on log a_t and log b_t computed directly with ``softplus`` (no log of a rounded-to-zero gate).

Note the convention: in minGRU (as in the paper) z_t weights the *new* candidate, whereas
PyTorch's ``nn.GRU`` keeps the *old* state with z_t.

Three ways to run a sequence, equal up to rounding: ``mode="log"`` (the paper's training mode)
runs Heinsen's log-space scan; ``mode="blelloch"`` runs the work-efficient scan
:func:`~rnn_course.beyond.scan.blelloch_scan` on a_t and b_t; ``mode="sequential"`` runs :meth:`step`
in a loop, as at inference on a stream, with a state of ``hidden_size`` numbers.
:func:`mode_differences` measures how far the modes are apart, in outputs and gradients.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .scan import blelloch_scan, log_space_scan
from ..validation import expect_ndim, expect_shape

MODES = ("log", "blelloch", "sequential")


def g(x: torch.Tensor) -> torch.Tensor:
    """The paper's positive activation: x + 1/2 for x >= 0, sigmoid(x) for x < 0 (continuous at 0)."""
    return torch.where(x >= 0, x + 0.5, torch.sigmoid(x))


def log_g(x: torch.Tensor) -> torch.Tensor:
    """log g(x), computed without forming g(x) for very negative x."""
    return torch.where(x >= 0, torch.log(F.relu(x) + 0.5), -F.softplus(-x))


class _MinRNN(nn.Module):
    """Shared input checks, modes and the scan; subclasses give the log-coefficients and one step."""

    n_blocks: int

    def __init__(self, input_size: int, hidden_size: int) -> None:
        super().__init__()
        if input_size < 1 or hidden_size < 1:
            raise ValueError(f"input_size and hidden_size must be positive, got {input_size}, {hidden_size}")
        self.input_size, self.hidden_size = input_size, hidden_size
        # One matrix for all blocks (like nn.GRU's stacked weight_ih), rows in the order of the blocks.
        self.linear = nn.Linear(input_size, self.n_blocks * hidden_size)

    def _log_coefficients(self, pre: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def step(self, x_t: torch.Tensor, h: torch.Tensor) -> torch.Tensor:
        """One step: ``x_t (batch, input_size)``, ``h (batch, hidden_size)`` -> next ``h``."""
        log_a, log_b = self._log_coefficients(self.linear(x_t))
        return torch.exp(log_a) * h + torch.exp(log_b)

    def initial_state(self, x: torch.Tensor) -> torch.Tensor:
        """The default h_0: zeros, ``(batch, hidden_size)``, on x's device and dtype."""
        return x.new_zeros(x.shape[0], self.hidden_size)

    def forward(self, x: torch.Tensor, h0: torch.Tensor | None = None, mode: str = "log"
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """All states ``(batch, time, hidden_size)`` and the last one ``(batch, hidden_size)``.

        ``h0`` must be non-negative (the log-space scan takes its logarithm); zeros by default.
        """
        expect_shape("x", x, (None, None, self.input_size), ("batch", "time", "input_size"))
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        if h0 is not None:
            expect_shape("h0", h0, (x.shape[0], self.hidden_size), ("batch", "hidden_size"))
            if bool((h0 < 0).any()):
                raise ValueError("h0 must be non-negative: minGRU/minLSTM states stay positive")
        if mode == "sequential":
            h = self.initial_state(x) if h0 is None else h0
            states = []
            for t in range(x.shape[1]):
                h = self.step(x[:, t], h)
                states.append(h)
            out = torch.stack(states, dim=1)
        elif mode == "blelloch":
            log_a, log_b = self._log_coefficients(self.linear(x))
            out = blelloch_scan(torch.exp(log_a), torch.exp(log_b), h0)
        else:
            log_a, log_b = self._log_coefficients(self.linear(x))
            log_h0 = None if h0 is None else torch.log(h0)
            out = torch.exp(log_space_scan(log_a, log_b, log_h0))
        return out, out[:, -1]


class MinGRU(_MinRNN):
    """minGRU layer: ``linear`` rows are the blocks [z; h̃], weight ``(2H, D)``."""

    n_blocks = 2

    def _log_coefficients(self, pre: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        k, cand = pre.chunk(2, dim=-1)
        log_z = -F.softplus(-k)        # log σ(k)
        log_one_minus_z = -F.softplus(k)  # log (1 - σ(k)) = log σ(-k)
        return log_one_minus_z, log_z + log_g(cand)


class MinLSTM(_MinRNN):
    """minLSTM layer: ``linear`` rows are the blocks [f; i; h̃], weight ``(3H, D)``."""

    n_blocks = 3

    def _log_coefficients(self, pre: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        k_f, k_i, cand = pre.chunk(3, dim=-1)
        # f' = f / (f + i) = σ(log f - log i); with log f = -softplus(-k_f), likewise for i.
        diff = F.softplus(-k_f) - F.softplus(-k_i)  # log i - log f
        return -F.softplus(diff), -F.softplus(-diff) + log_g(cand)


class MinRNNRegressor(nn.Module):
    """Many-to-one model: stacked minGRU (or minLSTM) layers, a linear read-out of the last state.

    ``x (batch, time, input_size)`` -> ``(batch, n_out)``. Layers above the first read the
    states of the layer below: the nonlinearity between layers is what makes a stack of these
    linear-in-h recurrences more than one linear recurrence.
    """

    def __init__(self, input_size: int, hidden_size: int, n_out: int = 1, num_layers: int = 1,
                 cell: str = "mingru", mode: str = "log") -> None:
        super().__init__()
        cells = {"mingru": MinGRU, "minlstm": MinLSTM}
        if cell not in cells:
            raise ValueError(f"cell must be one of {sorted(cells)}, got {cell!r}")
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
        sizes = [input_size] + [hidden_size] * num_layers
        self.layers = nn.ModuleList(cells[cell](sizes[k], hidden_size) for k in range(num_layers))
        self.head = nn.Linear(hidden_size, n_out)
        self.mode = mode

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        expect_ndim("x", x, 3, ("batch", "time", "input_size"))
        for layer in self.layers:
            x, _ = layer(x, mode=self.mode)
        return self.head(x[:, -1])


def count_min_parameters(cell: str, input_size: int, hidden_size: int) -> int:
    """Parameters of one minGRU (2 blocks) or minLSTM (3 blocks) layer: blocks * H * (D + 1)."""
    blocks = {"mingru": 2, "minlstm": 3}
    if cell not in blocks:
        raise ValueError(f"cell must be one of {sorted(blocks)}, got {cell!r}")
    return blocks[cell] * hidden_size * (input_size + 1)


def mode_differences(layer: _MinRNN, x: torch.Tensor, h0: torch.Tensor | None = None,
                     modes: tuple[str, ...] = ("log", "blelloch"),
                     reference: str = "sequential") -> dict[str, float]:
    """How far each mode of a minGRU/minLSTM ``layer`` is from the ``reference`` mode.

    ``x`` is ``(batch, time, input_size)``, ``h0`` ``(batch, hidden_size)`` or None. Each mode
    runs ``layer(x, h0, mode=...)``; its outputs and the gradients of ``sum(out ** 2)`` with
    respect to the layer's parameters are compared with the reference mode's. Returns
    ``{mode: largest absolute difference over the outputs and all gradients}``.
    """
    if not isinstance(layer, _MinRNN):
        raise TypeError(f"layer: expected a MinGRU or MinLSTM, got {type(layer).__name__}")
    wrong = [m for m in (*modes, reference) if m not in MODES]
    if wrong:
        raise ValueError(f"modes: expected names from {MODES}, got {wrong}")

    def run(mode: str) -> list[torch.Tensor]:
        out, _ = layer(x, h0, mode=mode)
        grads = torch.autograd.grad(out.square().sum(), list(layer.parameters()))
        return [out, *grads]

    expected = run(reference)
    return {mode: max((u - v).abs().max().item() for u, v in zip(run(mode), expected))
            for mode in modes}
