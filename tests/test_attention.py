"""Attention scores against their formulas; the source mask gives padded positions exactly zero weight."""
from __future__ import annotations

import pytest
import torch

from rnn_course.seq2seq.attention import SCORES, Attention, masked_softmax


def _inputs(batch=3, T=4, S=6, D=5, seed=0):
    g = torch.Generator().manual_seed(seed)
    query = torch.randn(batch, T, D, generator=g, dtype=torch.float64)
    keys = torch.randn(batch, S, D, generator=g, dtype=torch.float64)
    lengths = torch.tensor([S, 3, 1])[:batch]
    mask = torch.arange(S) < lengths[:, None]
    return query, keys, mask


def _seeded_attention(score):
    """A float64 Attention(score, 5, 5) with PyTorch's seed 0, and the inputs of ``_inputs``."""
    torch.manual_seed(0)
    return Attention(score, 5, 5).double(), *_inputs()


@pytest.mark.parametrize("score", SCORES)
def test_padded_positions_get_exactly_zero_weight_and_rows_sum_to_one(score):
    attention, query, keys, mask = _seeded_attention(score)
    context, weights = attention(query, keys, mask)
    assert context.shape == (3, 4, 5) and weights.shape == (3, 4, 6)
    assert (weights[~mask[:, None, :].expand_as(weights)] == 0).all()
    assert torch.allclose(weights.sum(-1), torch.ones(3, 4, dtype=torch.float64), atol=1e-12)
    assert torch.allclose(weights[2, :, 0], torch.ones(4, dtype=torch.float64))  # a source of length 1


@pytest.mark.parametrize("score", SCORES)
def test_changing_padded_positions_changes_nothing(score):
    attention, query, keys, mask = _seeded_attention(score)
    context, weights = attention(query, keys, mask)
    noisy = keys.clone()
    noisy[~mask] = 1e3 * torch.randn(int((~mask).sum()), 5, dtype=torch.float64)  # garbage where padded
    context2, weights2 = attention(query, noisy, mask)
    assert torch.equal(weights, weights2) and torch.equal(context, context2)
    # the control: without the mask, the same garbage changes the result
    assert not torch.allclose(attention(query, keys)[0], attention(query, noisy)[0])


def test_scores_match_the_papers_formulas():
    torch.manual_seed(0)
    query, keys, _ = _inputs(D=5)
    dot = Attention("dot", 5, 5).double()
    assert torch.allclose(dot.scores(query, keys), torch.einsum("btd,bsd->bts", query, keys))
    general = Attention("general", 5, 7).double()
    keys7 = torch.randn(3, 6, 7, dtype=torch.float64)
    W = general.W.weight  # (query_size, key_size)
    assert torch.allclose(general.scores(query, keys7), torch.einsum("btd,de,bse->bts", query, W, keys7))
    additive = Attention("additive", 5, 7, attention_size=4).double()
    b, t, s = 1, 2, 3
    manual = additive.v.weight[0] @ torch.tanh(additive.W_q.weight @ query[b, t] + additive.W_k.weight @ keys7[b, s])
    assert torch.allclose(additive.scores(query, keys7)[b, t, s], manual)


def test_masked_softmax_checks_its_inputs():
    scores = torch.zeros(2, 1, 3)
    with pytest.raises(ValueError, match="at least one True"):
        masked_softmax(scores, torch.tensor([[True, False, False], [False, False, False]]))
    with pytest.raises(TypeError, match="torch.bool"):
        masked_softmax(scores, torch.ones(2, 3))
    with pytest.raises(ValueError, match="mask"):
        masked_softmax(scores, torch.ones(2, 4, dtype=torch.bool))
    assert torch.allclose(masked_softmax(scores, None), torch.full((2, 1, 3), 1 / 3))


def test_bad_configuration_and_shapes():
    with pytest.raises(ValueError, match="expected one of"):
        Attention("cosine", 4, 4)
    with pytest.raises(ValueError, match="query_size == key_size"):
        Attention("dot", 4, 8)
    attention = Attention("general", 4, 8)
    with pytest.raises(ValueError, match="query"):
        attention(torch.zeros(2, 1, 5), torch.zeros(2, 3, 8))
    with pytest.raises(ValueError, match="keys"):
        attention(torch.zeros(2, 1, 4), torch.zeros(3, 3, 8))
    with pytest.raises(ValueError, match="mask"):
        attention(torch.zeros(2, 1, 4), torch.zeros(2, 3, 8), torch.ones(2, 4, dtype=torch.bool))
