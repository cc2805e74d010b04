"""Attention over the encoder's outputs, with a source mask.

A decoder state (the **query**) scores every encoder output (the **keys**, which here are also
the values); a softmax over the source positions turns the scores into weights, and the
**context** is the weighted sum of the encoder outputs. Three score functions:

- ``"additive"``  ``v^T tanh(W_q q + W_k k)`` (Bahdanau et al. 2015; Luong et al. call it *concat*)
- ``"dot"``       ``q^T k`` (Luong et al. 2015; query and key sizes must match)
- ``"general"``   ``q^T W k`` (Luong et al. 2015)

The score function is one choice; *where* the decoder computes attention (from its previous
state, feeding the context into the recurrence, as Bahdanau et al.; or after the recurrence, as
Luong et al.) is another, made in :mod:`rnn_course.seq2seq`.

Shapes: ``query (batch, T, D_q)`` for T decoder steps at once (T = 1 when decoding step by
step), ``keys (batch, S, D_k)``, ``mask (batch, S)`` bool, True on real source positions.
Padded positions get a score of ``-inf`` and so a weight of exactly 0.
"""
from __future__ import annotations

import torch
from torch import nn

from ..validation import expect_dtype, expect_ndim, expect_shape

SCORES = ("additive", "dot", "general")


def masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Softmax over the last axis of ``scores (batch, T, S)``, with exactly zero weight where
    ``mask (batch, S)`` is False. Every row needs at least one True (an empty source has no
    context)."""
    expect_ndim("scores", scores, 3, ("batch", "T", "S"))
    if mask is None:
        return torch.softmax(scores, dim=-1)
    expect_shape("mask", mask, (scores.shape[0], scores.shape[2]), ("batch", "S"))
    expect_dtype("mask", mask, torch.bool)
    if not bool(mask.any(dim=-1).all()):
        raise ValueError("mask: every row needs at least one True (real) position; "
                         f"rows {torch.nonzero(~mask.any(dim=-1)).flatten().tolist()} have none")
    return _masked_softmax(scores, mask)


def _masked_softmax(scores: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    if mask is not None:
        scores = scores.masked_fill(~mask[:, None, :], float("-inf"))  # exp(-inf) = 0 exactly
    return torch.softmax(scores, dim=-1)


class Attention(nn.Module):
    """Score, normalise, sum: ``forward(query, keys, mask) -> (context, weights)``.

    Args:
        score: ``"additive"``, ``"dot"`` or ``"general"``.
        query_size: ``D_q``, the decoder state size.
        key_size: ``D_k``, the encoder output size (``2 * hidden`` for a bidirectional encoder).
        attention_size: hidden size of the additive score (default ``query_size``).
    """

    def __init__(self, score: str, query_size: int, key_size: int, attention_size: int | None = None):
        super().__init__()
        if score not in SCORES:
            raise ValueError(f"score: expected one of {SCORES}, got {score!r}")
        if score == "dot" and query_size != key_size:
            raise ValueError(f"the dot score needs query_size == key_size, got {query_size} and {key_size}; "
                             "use 'general' to learn a map between them")
        self.score, self.query_size, self.key_size = score, query_size, key_size
        if score == "general":
            self.W = nn.Linear(key_size, query_size, bias=False)  # q^T (W k)
        elif score == "additive":
            size = attention_size or query_size
            self.W_q = nn.Linear(query_size, size, bias=False)
            self.W_k = nn.Linear(key_size, size, bias=False)
            self.v = nn.Linear(size, 1, bias=False)

    def extra_repr(self) -> str:
        return f"score={self.score!r}, query_size={self.query_size}, key_size={self.key_size}"

    def scores(self, query: torch.Tensor, keys: torch.Tensor) -> torch.Tensor:
        """Unnormalised scores ``(batch, T, S)``."""
        if self.score == "dot":
            return query @ keys.transpose(1, 2)
        if self.score == "general":
            return query @ self.W(keys).transpose(1, 2)
        # additive: (batch, T, 1, A) + (batch, 1, S, A) -> tanh -> v -> (batch, T, S)
        return self.v(torch.tanh(self.W_q(query)[:, :, None] + self.W_k(keys)[:, None])).squeeze(-1)

    def forward(self, query: torch.Tensor, keys: torch.Tensor, mask: torch.Tensor | None = None
                ) -> tuple[torch.Tensor, torch.Tensor]:
        """``context (batch, T, D_k)`` and ``weights (batch, T, S)`` (rows sum to 1, 0 where masked).

        Shapes are checked here (cheap); that every mask row has a True position is not (it
        would synchronise a GPU at every decoding step): :func:`masked_softmax` checks it, and
        the encoder guarantees it by refusing empty sources.
        """
        expect_shape("query", query, (None, None, self.query_size), ("batch", "T", "query_size"))
        expect_shape("keys", keys, (query.shape[0], None, self.key_size), ("batch", "S", "key_size"))
        if mask is not None:
            expect_shape("mask", mask, keys.shape[:2], ("batch", "S"))
        weights = _masked_softmax(self.scores(query, keys), mask)
        return weights @ keys, weights
