"""Tests of rnn_course.beyond.linear_attention: the masked and the recurrent forms agree."""
from __future__ import annotations

import pytest
import torch

from rnn_course.beyond.linear_attention import (elu_feature_map, linear_attention_masked,
                                         linear_attention_recurrent)


@pytest.mark.parametrize("shape, d_v", [((1, 1, 3), 2), ((2, 17, 4), 5), ((3, 64, 8), 8)])
def test_recurrent_form_equals_masked_form(shape, d_v):
    g = torch.Generator().manual_seed(sum(shape))
    q, k = (torch.randn(shape, generator=g, dtype=torch.float64) for _ in range(2))
    v = torch.randn(shape[0], shape[1], d_v, generator=g, dtype=torch.float64)
    y, (S, z) = linear_attention_recurrent(q, k, v)
    torch.testing.assert_close(y, linear_attention_masked(q, k, v), atol=1e-12, rtol=1e-12)
    assert y.shape == (shape[0], shape[1], d_v)
    assert S.shape == (shape[0], shape[2], d_v) and z.shape == (shape[0], shape[2])


def test_masked_form_is_the_formula_and_causal():
    torch.manual_seed(0)
    q, k, v = torch.randn(1, 6, 3), torch.randn(1, 6, 3), torch.randn(1, 6, 2)
    y = linear_attention_masked(q, k, v)
    t = 3
    w = elu_feature_map(k[0, :t + 1]) @ elu_feature_map(q[0, t])
    torch.testing.assert_close(y[0, t], (w[:, None] * v[0, :t + 1]).sum(0) / w.sum())
    v2 = v.clone()
    v2[0, t + 1:] += 100.0  # the future does not change the past
    torch.testing.assert_close(linear_attention_masked(q, k, v2)[0, :t + 1], y[0, :t + 1])


def test_feature_map_is_positive():
    assert (elu_feature_map(torch.linspace(-30, 50, 81, dtype=torch.float64)) > 0).all()


def test_bad_shapes_name_what_was_expected():
    with pytest.raises(ValueError, match="k: expected shape"):
        linear_attention_masked(torch.randn(1, 4, 3), torch.randn(1, 4, 2), torch.randn(1, 4, 2))
    with pytest.raises(ValueError, match="v: expected shape"):
        linear_attention_recurrent(torch.randn(1, 4, 3), torch.randn(1, 4, 3), torch.randn(1, 5, 2))
