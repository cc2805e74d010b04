"""Where a decoder's mistakes fall: reading the true prefix (as in teacher-forced training) or
its own output (as at inference). Exposure bias shows as errors that follow errors.

- ``wrong_with_true_prefix(model, sources, targets, src_vocab, tgt_vocab)``  one boolean array
  per example, ``(len(target) + 1,)``: which target tokens, EOS last, the model's most probable
  next token gets wrong when it is fed the true previous tokens
- ``wrong_with_own_prefix(outputs, targets)``  the same for decoded outputs; a missing, early or
  late EOS counts as a wrong token
- ``error_profile(rows)``  the share of wrong tokens, and that share after an earlier mistake
  in the same example and with none before
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import torch

from .seq2seq_training import encode_pairs
from .vocab import Vocab

_END, _MISSING = object(), object()  # EOS, and a position after the output has ended


def _check_pairs(first: Sequence, targets: Sequence[str], name: str) -> None:
    if len(first) != len(targets):
        raise ValueError(f"{name} and targets: expected one target per item, got {len(first)} and {len(targets)}")


@torch.no_grad()
def wrong_with_true_prefix(model: torch.nn.Module, sources: Sequence[str], targets: Sequence[str],
                           src_vocab: Vocab, tgt_vocab: Vocab) -> list[np.ndarray]:
    """Run ``model(src, lengths, tgt_in)`` teacher-forced; per example, ``(len(target) + 1,)``
    booleans, True where the argmax differs from the target token (EOS included)."""
    _check_pairs(sources, targets, "sources")
    pairs = encode_pairs(list(sources), list(targets), src_vocab, tgt_vocab)
    device = next(model.parameters()).device
    logits = model(pairs.src.to(device), pairs.lengths, pairs.tgt_in.to(device))  # (batch, time, vocab)
    wrong = (logits.argmax(-1).cpu() != pairs.tgt_out).numpy()
    return [row[:len(tgt_vocab.encode(t)) + 1] for row, t in zip(wrong, targets)]


def wrong_with_own_prefix(outputs: Sequence[str], targets: Sequence[str]) -> list[np.ndarray]:
    """Per example, ``(len(target) + 1,)`` booleans comparing the decoded text, then its EOS,
    with the target, then EOS, character by character."""
    _check_pairs(outputs, targets, "outputs")
    rows = []
    for out, target in zip(outputs, targets):
        want = list(target) + [_END]
        got = (list(out) + [_END] + [_MISSING] * len(want))[:len(want)]
        rows.append(np.array([g != w for g, w in zip(got, want)]))
    return rows


def error_profile(rows: Sequence[np.ndarray]) -> dict[str, float]:
    """Share of wrong tokens over all ``rows``, and among tokens with and without an earlier
    mistake in the same row."""
    if not len(rows):
        raise ValueError("rows: expected at least one example, got none")
    wrong = np.concatenate(rows)
    earlier = np.concatenate([np.cumsum(r) - r > 0 for r in rows])  # a mistake before this token
    return {"characters wrong": wrong.mean(),
            "P(wrong | earlier mistake)": wrong[earlier].mean(),
            "P(wrong | no earlier mistake)": wrong[~earlier].mean()}
