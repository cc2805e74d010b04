"""The seq2seq lab's comparisons: beam against greedy search, and padding with packing and the
source mask switched on or off."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rnn_course.seq2seq import (PAD_ID, Decoded, Seq2Seq, Translation, beam_vs_greedy,
                                greedy_decode, packing_and_mask, padding_effects)
from single_thread import one_thread  # noqa: F401  (autouse: one CPU thread)


def _model(seed=0):
    torch.manual_seed(seed)
    return Seq2Seq(9, 7, emb_size=4, hidden_size=5, attention="general").double().eval()


def _sources(seed=0, n=20, S=6):
    g = torch.Generator().manual_seed(seed)
    lengths = torch.randint(1, S + 1, (n,), generator=g)
    src = torch.randint(4, 9, (n, S), generator=g)
    src[torch.arange(S) >= lengths[:, None]] = PAD_ID
    return src, lengths


def test_beam_vs_greedy_counts_changes_fixes_and_breaks():
    greedy = Translation(["a", "b", "c", "d"], torch.tensor([-1.0, -2.0, -3.0, -1.0]), None)
    beam = Translation(["a", "x", "y", "d"], torch.tensor([-1.0, -1.5, -2.5, -1.1]), None)
    greedy_ok, beam_ok = np.array([True, False, True, False]), np.array([True, True, False, False])
    row = beam_vs_greedy(greedy, greedy_ok, beam, beam_ok)
    assert row["greedy exact match"] == row["beam exact match"] == 0.5
    assert row["answers changed"] == 2 and row["mean log-prob gain where changed"] == 0.5
    assert row["fixed by beam"] == 1 and row["broken by beam"] == 1
    assert row["beam below greedy"] == 1                      # "d": same text, lower score
    same = beam_vs_greedy(greedy, greedy_ok, greedy, greedy_ok)
    assert same["answers changed"] == 0 and same["mean log-prob gain where changed"] == 0.0


def test_beam_vs_greedy_rejects_mismatched_lengths():
    greedy = Translation(["a", "b"], torch.zeros(2), None)
    with pytest.raises(ValueError, match="beam_ok: expected 2"):
        beam_vs_greedy(greedy, np.array([True, False]), greedy, np.array([True]))


def test_packing_and_mask_switches_and_restores_even_after_an_error():
    model = _model()
    with packing_and_mask(model, pack=False, mask=False):
        assert (model.encoder.pack, model.use_source_mask) == (False, False)
    assert (model.encoder.pack, model.use_source_mask) == (True, True)
    with pytest.raises(RuntimeError), packing_and_mask(model, pack=True, mask=False):
        raise RuntimeError("inside")
    assert (model.encoder.pack, model.use_source_mask) == (True, True)
    with pytest.raises(TypeError, match="expected a Seq2Seq"):
        with packing_and_mask(object(), pack=True, mask=True):
            pass


def test_padding_changes_nothing_with_packing_and_mask_and_something_without():
    model = _model()
    src, lengths = _sources()
    padded = torch.nn.functional.pad(src, (0, 10), value=PAD_ID)   # 10 more pad columns
    unpadded = greedy_decode(model, src, lengths, max_len=8).tokens
    on = padding_effects(greedy_decode(model, padded, lengths, max_len=8), lengths, unpadded)
    assert on == {"attention on padding": 0.0, "answers that differ from unpadded": 0}
    with packing_and_mask(model, pack=True, mask=False):
        off = padding_effects(greedy_decode(model, padded, lengths, max_len=8), lengths, unpadded)
    assert 0.0 < off["attention on padding"] < 1.0


def test_padding_effects_averages_over_real_output_steps_only():
    tokens = torch.tensor([[5, 2], [2, PAD_ID]])              # the last step of row 1 is padding
    weights = torch.tensor([[[0.5, 0.5], [1.0, 0.0]], [[0.0, 1.0], [0.0, 1.0]]])
    lengths = torch.tensor([1, 2])                            # row 0's second position is padding
    effects = padding_effects(Decoded(tokens, torch.zeros(2), weights), lengths,
                              torch.tensor([[5, 2, 0], [3, 2, 0]]))
    assert effects == {"attention on padding": pytest.approx(0.5 / 3),
                       "answers that differ from unpadded": 1}


def test_padding_effects_bad_input():
    tokens = torch.tensor([[5, 2]])
    with pytest.raises(ValueError, match="weights=None"):
        padding_effects(Decoded(tokens, torch.zeros(1), None), torch.tensor([1]), tokens)
    with pytest.raises(ValueError, match="lengths"):
        padding_effects(Decoded(tokens, torch.zeros(1), torch.ones(1, 2, 3)),
                        torch.tensor([1, 2]), tokens)
