"""rnn_course.exposure: which target tokens a decoder gets wrong with the true prefix and with
its own, and the profile of errors after errors."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rnn_course.exposure import error_profile, wrong_with_own_prefix, wrong_with_true_prefix
from rnn_course.seq2seq_training import encode_pairs
from rnn_course.vocab import Vocab


def test_own_prefix_counts_eos_and_every_character():
    rows = wrong_with_own_prefix(["123", "12", "1234", "193"], ["123", "123", "123", "123"])
    assert [r.tolist() for r in rows] == [
        [False, False, False, False],   # right, EOS included
        [False, False, True, True],     # EOS too early, then nothing
        [False, False, False, True],    # no EOS where the target ends
        [False, True, False, False],    # one wrong digit
    ]


def test_own_prefix_rows_follow_the_target_length():
    rows = wrong_with_own_prefix(["", "abcdef"], ["ab", "a"])
    assert [len(r) for r in rows] == [3, 2] and rows[0].all() and rows[1].tolist() == [False, True]


def test_error_profile_separates_errors_after_errors():
    rows = [np.array([False, True, True, False]), np.array([False, False, False])]
    profile = error_profile(rows)
    assert profile["characters wrong"] == pytest.approx(2 / 7)
    assert profile["P(wrong | earlier mistake)"] == pytest.approx(1 / 2)   # tokens 3 and 4 of row 1
    assert profile["P(wrong | no earlier mistake)"] == pytest.approx(1 / 5)
    # a (N, T) array is rows too
    assert error_profile(np.stack([rows[0][:3], rows[1]])) == error_profile([rows[0][:3], rows[1]])


class _Teacher(torch.nn.Module):
    """Predicts the true next token at every position except ``wrong_at`` (one per row)."""

    def __init__(self, tgt_out: torch.Tensor, wrong_at: list[int]):
        super().__init__()
        self.scale = torch.nn.Parameter(torch.ones(()))
        self.tgt_out, self.wrong_at = tgt_out, wrong_at

    def forward(self, src, lengths, tgt_in):
        logits = torch.nn.functional.one_hot(self.tgt_out, 8).float() * self.scale
        for row, t in enumerate(self.wrong_at):
            logits[row, t] = torch.roll(logits[row, t], 1)
        return logits


def test_true_prefix_marks_the_positions_the_argmax_gets_wrong():
    chars = Vocab.build(["0123"])
    sources, targets = ["01", "0123"], ["12", "3210"]
    pairs = encode_pairs(sources, targets, chars, chars)
    rows = wrong_with_true_prefix(_Teacher(pairs.tgt_out, [2, 0]), sources, targets, chars, chars)
    assert [r.tolist() for r in rows] == [[False, False, True], [True, False, False, False, False]]


def test_mismatched_lengths_say_what_arrived():
    with pytest.raises(ValueError, match="outputs and targets: expected one target per item, got 2 and 1"):
        wrong_with_own_prefix(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="expected at least one example"):
        error_profile([])
