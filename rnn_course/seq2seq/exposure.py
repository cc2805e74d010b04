"""Where a decoder's mistakes fall: reading the true prefix (as in teacher-forced training) or
its own output (as at inference). Exposure bias would show as edits that follow a first edit.

Outputs are compared with their targets by edit distance (Levenshtein), not position by
position: a skipped digit is one edit, however many characters follow it.

- ``true_prefix_predictions(model, sources, targets, src_vocab, tgt_vocab)``  per example, the
  model's most probable token ids at the ``len(target) + 1`` target positions (EOS last) when it
  is fed the true previous tokens
- ``edit_script(output, target)``  the edits of one minimal alignment, ``(op, position)``
- ``edit_profile(outputs, targets)``  character error rate, and how many edits follow a
  first one
"""
from __future__ import annotations

from typing import Hashable, Sequence

import numpy as np
import torch

from .vocab import Vocab, encode_pairs


def _check_pairs(first: Sequence, targets: Sequence, name: str) -> None:
    if len(first) != len(targets):
        raise ValueError(f"{name} and targets: expected one target per item, got {len(first)} and {len(targets)}")


@torch.no_grad()
def true_prefix_predictions(model: torch.nn.Module, sources: Sequence[str], targets: Sequence[str],
                            src_vocab: Vocab, tgt_vocab: Vocab) -> list[list[int]]:
    """Run ``model(src, lengths, tgt_in)`` teacher-forced; per example, the argmax token ids at
    the ``len(target) + 1`` target positions (its last is where EOS belongs)."""
    _check_pairs(sources, targets, "sources")
    pairs = encode_pairs(list(sources), list(targets), src_vocab, tgt_vocab)
    device = next(model.parameters()).device
    logits = model(pairs.src.to(device), pairs.lengths, pairs.tgt_in.to(device))  # (batch, time, vocab)
    best = logits.argmax(-1).cpu().tolist()
    return [row[:len(tgt_vocab.encode(t)) + 1] for row, t in zip(best, targets)]


def edit_script(output: Sequence[Hashable], target: Sequence[Hashable]) -> list[tuple[str, int]]:
    """The edits that turn ``target`` into ``output`` along one minimal alignment (Levenshtein),
    in target order: ``("substitute" | "delete" | "insert", i)``, where ``i`` is the target
    position replaced or deleted, or the one the insertion comes before. Its length is the edit
    distance."""
    n, m = len(target), len(output)
    cost = np.zeros((n + 1, m + 1), dtype=np.int64)   # cost[i, j]: target[:i] -> output[:j]
    cost[:, 0], cost[0, :] = np.arange(n + 1), np.arange(m + 1)
    for i in range(1, n + 1):
        for j in range(1, m + 1):
            cost[i, j] = min(cost[i - 1, j - 1] + (target[i - 1] != output[j - 1]),
                             cost[i - 1, j] + 1, cost[i, j - 1] + 1)
    edits, i, j = [], n, m
    while i or j:  # walk back: a match or substitution first, then a deletion, then an insertion
        if i and j and cost[i, j] == cost[i - 1, j - 1] + (target[i - 1] != output[j - 1]):
            if target[i - 1] != output[j - 1]:
                edits.append(("substitute", i - 1))
            i, j = i - 1, j - 1
        elif i and cost[i, j] == cost[i - 1, j] + 1:
            edits.append(("delete", i - 1))
            i -= 1
        else:
            edits.append(("insert", i))
            j -= 1
    return edits[::-1]


def edit_profile(outputs: Sequence[Sequence[Hashable]], targets: Sequence[Sequence[Hashable]]
                 ) -> dict[str, float]:
    """Compare each output with its target (strings or token lists, EOS included if it should
    count) by edit distance.

    Returns the character error rate (edits per target token), the share of outputs with an
    edit, the mean number of edits *after the first* in those outputs, the rate of a first edit
    (outputs with one, per target token up to and including the first edit's position, or the
    whole target if none) and the edit rate after it (the later edits, per target token after
    the first edit's position)."""
    _check_pairs(outputs, targets, "outputs")
    if not len(targets):
        raise ValueError("outputs: expected at least one example, got none")
    if any(len(t) == 0 for t in targets):
        raise ValueError("targets: expected non-empty sequences, got an empty one")
    total = later = wrong = before = after = 0
    for out, target in zip(outputs, targets):
        n = len(target)
        edits = [] if list(out) == list(target) else edit_script(out, target)
        total += len(edits)
        if not edits:
            before += n
            continue
        first = min(edits[0][1], n - 1)  # an insertion after the last token counts at the last
        wrong, later = wrong + 1, later + len(edits) - 1
        before, after = before + first + 1, after + n - first - 1
    n_tokens = sum(len(t) for t in targets)
    return {"character error rate": total / n_tokens,
            "outputs with an edit": wrong / len(targets),
            "edits after the first, per wrong output": later / wrong if wrong else float("nan"),
            "rate of a first edit": wrong / before,
            "edit rate after the first edit": later / after if after else float("nan")}
