"""rnn_course.seq2seq.exposure: edit distance between outputs and targets (a skipped digit is one edit,
not one per later position), the edits after a first one, and true-prefix predictions."""
from __future__ import annotations

import math

import pytest
import torch

from rnn_course.seq2seq.exposure import edit_profile, edit_script, true_prefix_predictions
from rnn_course.seq2seq.vocab import EOS_ID, Vocab, encode_pairs


def test_a_skipped_digit_is_one_edit_not_one_per_later_position():
    target = "1234567890"
    assert edit_script("123567890", target) == [("delete", 3)]      # positionally 7 wrong
    assert edit_script("12344567890", target) in ([("insert", 3)], [("insert", 4)])  # a repeat
    assert edit_script("1294567890", target) == [("substitute", 2)]
    profile = edit_profile(["123567890"], [target])
    assert profile["character error rate"] == pytest.approx(1 / 10)
    assert profile["edits after the first, per wrong output"] == 0


def test_edit_script_is_a_minimal_alignment():
    assert len(edit_script("sitting", "kitten")) == 3                # the textbook example
    assert edit_script("", "ab") == [("delete", 0), ("delete", 1)]
    assert edit_script("ab", "") == [("insert", 0), ("insert", 0)]
    assert edit_script("abc", "abc") == []
    assert edit_script([1, 2, EOS_ID], [1, 3, 2, EOS_ID]) == [("delete", 1)]  # token lists too


def test_edit_profile_counts_edits_before_and_after_the_first():
    outputs, targets = ["1245", "12345", "19395"], ["12345"] * 3
    profile = edit_profile(outputs, targets)
    assert profile["character error rate"] == pytest.approx(3 / 15)
    assert profile["outputs with an edit"] == pytest.approx(2 / 3)
    assert profile["edits after the first, per wrong output"] == pytest.approx(1 / 2)
    # first edits at positions 2 and 1: 3 + 2 tokens up to them, 5 in the right output
    assert profile["rate of a first edit"] == pytest.approx(2 / 10)
    assert profile["edit rate after the first edit"] == pytest.approx(1 / 5)  # 2 + 3 tokens after


def test_edit_profile_of_right_outputs_has_no_rate_after_an_edit():
    profile = edit_profile(["ab"], ["ab"])
    assert profile["character error rate"] == 0 and profile["rate of a first edit"] == 0
    assert math.isnan(profile["edit rate after the first edit"])


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


def test_true_prefix_predictions_are_the_argmax_at_each_target_position():
    chars = Vocab.build(["0123"])
    sources, targets = ["01", "0123"], ["12", "3210"]
    pairs = encode_pairs(sources, targets, chars, chars)
    rows = true_prefix_predictions(_Teacher(pairs.tgt_out, [2, 0]), sources, targets, chars, chars)
    want = [chars.encode(t, eos=True) for t in targets]
    assert [len(r) for r in rows] == [3, 5]
    assert [edit_script(r, w) for r, w in zip(rows, want)] == [[("substitute", 2)],
                                                              [("substitute", 0)]]


def test_bad_input_says_what_arrived():
    with pytest.raises(ValueError, match="outputs and targets: expected one target per item, got 2 and 1"):
        edit_profile(["a", "b"], ["a"])
    with pytest.raises(ValueError, match="expected at least one example"):
        edit_profile([], [])
    with pytest.raises(ValueError, match="targets: expected non-empty"):
        edit_profile(["a"], [""])
