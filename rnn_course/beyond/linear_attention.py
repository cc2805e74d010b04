"""Causal linear attention (Katharopoulos et al. 2020, "Transformers are RNNs"), two ways.

Shapes: queries and keys ``q, k`` are ``(batch, time, d)``, values ``v`` are
``(batch, time, d_v)``; outputs are ``(batch, time, d_v)``.

Softmax attention weighs value j at step t by exp(q_t . k_j); linear attention by
phi(q_t) . phi(k_j), with a positive feature map phi (the paper's elu(x) + 1):

    y_t = sum_{j<=t} (phi(q_t) . phi(k_j)) v_j  /  sum_{j<=t} phi(q_t) . phi(k_j)

- ``linear_attention_masked``     that formula: a (time x time) score matrix, masked.
- ``linear_attention_recurrent``  the same outputs from a state carried step to step,
                                  S_t = S_{t-1} + phi(k_t) v_t^T  (d x d_v),
                                  z_t = z_{t-1} + phi(k_t)        (d,),
                                  y_t = S_t^T phi(q_t) / (z_t . phi(q_t)),
  a state whose size does not depend on t (the book writes S and z as calligraphic S and zeta).
"""
from __future__ import annotations

import torch
import torch.nn.functional as F

from ..validation import expect_ndim, expect_shape


def elu_feature_map(x: torch.Tensor) -> torch.Tensor:
    """The paper's phi(x) = elu(x) + 1: positive everywhere, so every weight is positive."""
    return F.elu(x) + 1


def _check(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> None:
    expect_ndim("q", q, 3, ("batch", "time", "d"))
    expect_shape("k", k, tuple(q.shape), ("batch", "time", "d"))
    expect_shape("v", v, (q.shape[0], q.shape[1], None), ("batch", "time", "d_v"))
    if q.shape[1] == 0:
        raise ValueError("the sequences are empty: q has 0 time steps")


def linear_attention_masked(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                            feature_map=elu_feature_map) -> torch.Tensor:
    """The quadratic form: all (t, j) scores at once, j > t masked out."""
    _check(q, k, v)
    scores = feature_map(q) @ feature_map(k).transpose(1, 2)      # (batch, time, time)
    T = q.shape[1]
    causal = torch.ones(T, T, dtype=torch.bool, device=q.device).tril()
    scores = scores.masked_fill(~causal, 0.0)
    return (scores @ v) / scores.sum(dim=-1, keepdim=True)


def linear_attention_recurrent(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                               feature_map=elu_feature_map
                               ) -> tuple[torch.Tensor, tuple[torch.Tensor, torch.Tensor]]:
    """The recurrent form: one step at a time. Returns the outputs and the last (S, z).

    S is ``(batch, d, d_v)`` and z ``(batch, d)``, whatever the length of the sequence.
    """
    _check(q, k, v)
    fq, fk = feature_map(q), feature_map(k)
    S = q.new_zeros(q.shape[0], q.shape[2], v.shape[2])
    z = q.new_zeros(q.shape[0], q.shape[2])
    outputs = []
    for t in range(q.shape[1]):
        S = S + fk[:, t, :, None] * v[:, t, None, :]       # + phi(k_t) v_t^T
        z = z + fk[:, t]                                    # + phi(k_t)
        numerator = (fq[:, t, None, :] @ S)[:, 0]           # phi(q_t)^T S_t, (batch, d_v)
        outputs.append(numerator / (fq[:, t] * z).sum(-1, keepdim=True))
    return torch.stack(outputs, dim=1), (S, z)
