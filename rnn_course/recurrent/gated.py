"""LSTM and GRU written from scratch with tensor operations, in PyTorch's parameter layout.

Shape legend (as in ``torch.nn.LSTM``): N batch, T time, D input features, H hidden units,
L layers. Inputs are ``(T, N, D)``, or ``(N, T, D)`` with ``batch_first=True``, or unbatched
``(T, D)``; states are ``(L, N, H)``.

Layer ``k`` holds ``weight_ih_l{k}`` ``(G*H, D_k)``, ``weight_hh_l{k}`` ``(G*H, H)`` and the two
biases ``bias_ih_l{k}``, ``bias_hh_l{k}`` ``(G*H,)``, with the gate blocks stacked in torch's
order: LSTM ``i, f, g, o`` (G = 4), GRU ``r, z, n`` (G = 3). The names match, so
``ScratchLSTM.from_torch(nn.LSTM(...))`` or ``load_state_dict`` moves weights across.

PyTorch's GRU applies the reset gate *after* the hidden-state product,
``n = tanh(W_in x + b_in + r * (W_hn h + b_hn))``; the paper variant (Cho et al. 2014,
``reset_after=False``) applies it before, ``n = tanh(W_in x + b_in + W_hn (r * h) + b_hn)``.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from ..validation import expect_int, expect_shape

GATES = {"rnn": 1, "gru": 3, "lstm": 4}


def lstm_cell(x: torch.Tensor, h: torch.Tensor, c: torch.Tensor, w_ih: torch.Tensor,
              w_hh: torch.Tensor, b_ih: torch.Tensor | None = None, b_hh: torch.Tensor | None = None
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """One LSTM step: x (N, D), h and c (N, H), w_ih (4H, D), w_hh (4H, H) -> (h_next, c_next)."""
    gates = x @ w_ih.T + h @ w_hh.T  # (N, 4H): all four gates in two matmuls
    for b in (b_ih, b_hh):
        if b is not None:
            gates = gates + b
    i, f, g, o = gates.chunk(4, dim=-1)
    i, f, g, o = torch.sigmoid(i), torch.sigmoid(f), torch.tanh(g), torch.sigmoid(o)
    c_next = f * c + i * g  # the additive cell path: dc_next/dc = f along it
    h_next = o * torch.tanh(c_next)
    return h_next, c_next


def gru_cell(x: torch.Tensor, h: torch.Tensor, w_ih: torch.Tensor, w_hh: torch.Tensor,
             b_ih: torch.Tensor | None = None, b_hh: torch.Tensor | None = None,
             reset_after: bool = True) -> torch.Tensor:
    """One GRU step: x (N, D), h (N, H), w_ih (3H, D), w_hh (3H, H) -> h_next (N, H).

    ``reset_after=True`` is PyTorch's (and cuDNN's) form; ``False`` is the paper's.
    """
    gi = x @ w_ih.T if b_ih is None else x @ w_ih.T + b_ih
    i_r, i_z, i_n = gi.chunk(3, dim=-1)
    w_hr, w_hz, w_hn = w_hh.chunk(3, dim=0)
    b_hr, b_hz, b_hn = (None, None, None) if b_hh is None else b_hh.chunk(3)
    if reset_after:  # one matmul gives the hidden-state part of all three gates
        gh = h @ w_hh.T if b_hh is None else h @ w_hh.T + b_hh
        h_r, h_z, h_n = gh.chunk(3, dim=-1)
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        n = torch.tanh(i_n + r * h_n)
    else:  # r is needed before the W_hn product: a second, sequential matmul
        h_r, h_z = h @ w_hr.T, h @ w_hz.T
        if b_hh is not None:
            h_r, h_z = h_r + b_hr, h_z + b_hz
        r, z = torch.sigmoid(i_r + h_r), torch.sigmoid(i_z + h_z)
        h_n = (r * h) @ w_hn.T
        n = torch.tanh(i_n + (h_n if b_hn is None else h_n + b_hn))
    return (1 - z) * n + z * h


def count_parameters_formula(kind: str, input_size: int, hidden_size: int, num_layers: int = 1,
                     bidirectional: bool = False, bias: bool = True) -> int:
    """Number of parameters of ``nn.RNN``/``nn.GRU``/``nn.LSTM`` with these sizes, by formula.

    (To count the parameters of a model already built, use
    :func:`rnn_course.training.count_parameters`.)

    Per layer and direction: ``G * H * (D_k + H)`` weights plus ``2 * G * H`` biases, with
    G = 1, 3, 4 gate blocks and D_k = input_size for layer 0, ``H * directions`` above it.
    """
    if kind not in GATES:
        raise ValueError(f"kind: expected one of {', '.join(GATES)}, got {kind!r}")
    for name, v in (("input_size", input_size), ("hidden_size", hidden_size), ("num_layers", num_layers)):
        expect_int(name, v)
    g, h, dirs = GATES[kind], hidden_size, 2 if bidirectional else 1
    total = 0
    for k in range(num_layers):
        d_k = input_size if k == 0 else h * dirs
        total += dirs * (g * h * (d_k + h) + (2 * g * h if bias else 0))
    return total


class _ScratchRNN(nn.Module):
    """Shared machinery: parameters in torch's names, input checks, the loop over layers."""

    kind = ""

    def __init__(self, input_size: int, hidden_size: int, num_layers: int = 1, bias: bool = True,
                 batch_first: bool = False, device: torch.device | str | None = None,
                 dtype: torch.dtype | None = None) -> None:
        super().__init__()
        count_parameters_formula(self.kind, input_size, hidden_size, num_layers)  # validates the sizes
        self.input_size, self.hidden_size, self.num_layers = input_size, hidden_size, num_layers
        self.bias, self.batch_first = bias, batch_first
        g, opts = GATES[self.kind], {"device": device, "dtype": dtype}
        for k in range(num_layers):
            d_k = input_size if k == 0 else hidden_size
            setattr(self, f"weight_ih_l{k}", nn.Parameter(torch.empty(g * hidden_size, d_k, **opts)))
            setattr(self, f"weight_hh_l{k}", nn.Parameter(torch.empty(g * hidden_size, hidden_size, **opts)))
            if bias:
                setattr(self, f"bias_ih_l{k}", nn.Parameter(torch.empty(g * hidden_size, **opts)))
                setattr(self, f"bias_hh_l{k}", nn.Parameter(torch.empty(g * hidden_size, **opts)))
        self.reset_parameters()

    def reset_parameters(self) -> None:
        """PyTorch's initialisation: every parameter ~ U(-1/sqrt(H), 1/sqrt(H))."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            nn.init.uniform_(p, -bound, bound)

    def layer_params(self, k: int) -> tuple[torch.Tensor, ...]:
        """``(w_ih, w_hh, b_ih, b_hh)`` of layer ``k`` (biases are None when ``bias=False``)."""
        return tuple(getattr(self, f"{name}_l{k}", None) for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"))

    @classmethod
    def from_torch(cls, module: nn.RNNBase, **kwargs) -> "_ScratchRNN":
        """A scratch copy of a torch ``nn.LSTM``/``nn.GRU`` with the same sizes, weights, dtype, device."""
        expected = {"lstm": nn.LSTM, "gru": nn.GRU}[cls.kind]
        if not isinstance(module, expected):
            raise TypeError(f"module: expected an nn.{expected.__name__}, got {type(module).__name__}")
        if module.bidirectional or getattr(module, "proj_size", 0) or module.dropout:
            raise ValueError("module: expected a unidirectional module without proj_size or dropout, got "
                             f"bidirectional={module.bidirectional}, proj_size={getattr(module, 'proj_size', 0)}, "
                             f"dropout={module.dropout}")
        p = next(module.parameters())
        new = cls(module.input_size, module.hidden_size, module.num_layers, module.bias,
                  module.batch_first, device=p.device, dtype=p.dtype, **kwargs)
        new.load_state_dict(module.state_dict())
        return new

    def _check_input(self, x: torch.Tensor) -> None:
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"input: expected a torch.Tensor, got {type(x).__name__}")
        p = self.weight_ih_l0
        if x.dim() not in (2, 3):
            layout = "(batch, time, features)" if self.batch_first else "(time, batch, features)"
            raise ValueError(f"input: expected 3 dimensions {layout} or 2 (time, features), "
                             f"got shape {tuple(x.shape)}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"input: expected {self.input_size} features in the last dimension, "
                             f"got shape {tuple(x.shape)}")
        if x.dtype != p.dtype:
            raise TypeError(f"input: expected dtype {p.dtype} (the parameters' dtype), got {x.dtype}")
        if x.device != p.device:
            raise RuntimeError(f"input: expected a tensor on {p.device} (where the parameters are), got {x.device}; "
                               "move it with .to(device)")

    def _check_state(self, name: str, s: torch.Tensor, batch: int, batched: bool) -> torch.Tensor:
        p = self.weight_ih_l0
        if not isinstance(s, torch.Tensor):
            raise TypeError(f"{name}: expected a torch.Tensor, got {type(s).__name__}")
        if batched:
            expect_shape(name, s, (self.num_layers, batch, self.hidden_size), ("layers", "batch", "hidden"))
        else:
            expect_shape(name, s, (self.num_layers, self.hidden_size), ("layers", "hidden"))
            s = s.unsqueeze(1)
        if s.dtype != p.dtype:
            raise TypeError(f"{name}: expected dtype {p.dtype} (the parameters' dtype), got {s.dtype}")
        if s.device != p.device:
            raise RuntimeError(f"{name}: expected a tensor on {p.device}, got {s.device}; move it with .to(device)")
        return s

    def _step(self, x: torch.Tensor, state: tuple[torch.Tensor, ...], params: tuple) -> tuple[torch.Tensor, ...]:
        """One time step of one layer: x (N, D_k), state (h,) or (h, c) each (N, H) -> the new state."""
        raise NotImplementedError

    def _run(self, x: torch.Tensor, states: list[torch.Tensor | None]):
        """Run all layers over time. ``states``: per-state ``(L, N, H)`` tensors or None (zeros)."""
        self._check_input(x)
        n_states = len(states)
        batched = x.dim() == 3
        if not batched:
            x = x.unsqueeze(1)  # (T, 1, D)
        elif self.batch_first:
            x = x.transpose(0, 1)  # (T, N, D): loop over the first axis
        T, N = x.shape[0], x.shape[1]
        names = ["h_0", "c_0"][:n_states]
        zeros = x.new_zeros(self.num_layers, N, self.hidden_size)
        states = [zeros if s is None else self._check_state(n, s, N, batched) for n, s in zip(names, states)]
        finals = [[] for _ in range(n_states)]
        for k in range(self.num_layers):
            params = self.layer_params(k)
            state = tuple(s[k] for s in states)
            outs = []
            for t in range(T):
                state = self._step(x[t], state, params)
                outs.append(state[0])
            x = torch.stack(outs)  # (T, N, H): the next layer's input
            for f, s in zip(finals, state):
                f.append(s)
        finals = [torch.stack(f) for f in finals]  # (L, N, H)
        if not batched:
            return x.squeeze(1), [f.squeeze(1) for f in finals]
        return (x.transpose(0, 1) if self.batch_first else x), finals


class ScratchLSTM(_ScratchRNN):
    """A multi-layer LSTM equivalent to ``nn.LSTM`` (no projections, one direction).

    ``forward(input, (h_0, c_0))`` returns ``output, (h_n, c_n)`` exactly like ``nn.LSTM``.
    """

    kind = "lstm"

    def _step(self, x, state, params):
        return lstm_cell(x, *state, *params)

    def forward(self, input: torch.Tensor, hx: tuple[torch.Tensor, torch.Tensor] | None = None
                ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
        """input (T, N, D), or (N, T, D) with batch_first, or (T, D); hx = (h_0, c_0), each (L, N, H).

        Returns ``output`` (T, N, H) (batch first if asked) and ``(h_n, c_n)``, each (L, N, H).
        """
        if hx is not None and not (isinstance(hx, (tuple, list)) and len(hx) == 2):
            raise TypeError(f"hx: expected a tuple (h_0, c_0) for an LSTM, got {type(hx).__name__}")
        out, (h_n, c_n) = self._run(input, list(hx) if hx is not None else [None, None])
        return out, (h_n, c_n)


class ScratchGRU(_ScratchRNN):
    """A multi-layer GRU equivalent to ``nn.GRU``; ``reset_after=False`` gives the paper's GRU.

    ``forward(input, h_0)`` returns ``output, h_n`` exactly like ``nn.GRU``.
    """

    kind = "gru"

    def __init__(self, *args, reset_after: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.reset_after = reset_after

    def _step(self, x, state, params):
        return (gru_cell(x, state[0], *params, reset_after=self.reset_after),)

    def forward(self, input: torch.Tensor, hx: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """input (T, N, D), or (N, T, D) with batch_first, or (T, D); hx = h_0 (L, N, H).

        Returns ``output`` (T, N, H) (batch first if asked) and ``h_n`` (L, N, H).
        """
        out, (h_n,) = self._run(input, [hx])
        return out, h_n

    def extra_repr(self) -> str:
        return f"{self.input_size}, {self.hidden_size}, num_layers={self.num_layers}, reset_after={self.reset_after}"
