"""Tests of rnn_course.beyond.transformer: causality, and streaming with a KV cache = the full pass."""
from __future__ import annotations

import math

import pytest
import torch

from rnn_course.beyond.transformer import CausalSelfAttention, CausalTransformer, KVCache, sinusoidal_position


def _model(**kwargs) -> CausalTransformer:
    torch.manual_seed(0)
    return CausalTransformer(**{"input_size": 2, "d_model": 16, "n_heads": 4, "n_layers": 2, "d_ff": 24,
                                "n_out": 3, **kwargs}).double().eval()


def test_attention_is_causal():
    torch.manual_seed(1)
    att = CausalSelfAttention(8, 2).double()
    x = torch.randn(2, 10, 8, dtype=torch.float64)
    y = att(x)
    x2 = x.clone()
    x2[:, 6:] = torch.randn(2, 4, 8, dtype=torch.float64)  # change the future of position 5
    torch.testing.assert_close(att(x2)[:, :6], y[:, :6], atol=1e-14, rtol=0)
    assert (att(x2)[:, 6:] - y[:, 6:]).abs().max() > 1e-3


def test_attention_matches_pytorch_reference():
    torch.manual_seed(2)
    att = CausalSelfAttention(8, 2).double()
    x = torch.randn(3, 7, 8, dtype=torch.float64)
    q, k, v = att._split(x)
    ref = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=True)
    ref = att.out(ref.transpose(1, 2).reshape(3, 7, 8))
    torch.testing.assert_close(att(x), ref, atol=1e-12, rtol=1e-12)


def test_sinusoidal_position():
    pe = sinusoidal_position(torch.arange(5), 6)
    assert pe.shape == (5, 6)
    torch.testing.assert_close(pe[3, 0], torch.tensor(math.sin(3.0), dtype=torch.float64))
    torch.testing.assert_close(pe[3, 1], torch.tensor(math.cos(3.0), dtype=torch.float64))
    torch.testing.assert_close(pe[2, 4], torch.tensor(math.sin(2 / 10000 ** (4 / 6)), dtype=torch.float64))
    with pytest.raises(ValueError, match="even"):
        sinusoidal_position(torch.arange(3), 5)


def test_steps_and_blocks_equal_the_full_pass():
    model = _model()
    x = torch.randn(2, 40, 2, dtype=torch.float64)
    full = model(x)
    cache = model.initial_state(2)
    outs = []
    for t in range(17):  # one sample at a time ...
        y, cache = model.step(x[:, t], cache)
        outs.append(y[:, None])
    for start, end in [(17, 20), (20, 33), (33, 34), (34, 40)]:  # ... then blocks of varying size
        y, cache = model.extend(x[:, start:end], cache)
        outs.append(y)
    torch.testing.assert_close(torch.cat(outs, dim=1), full, atol=1e-12, rtol=1e-12)
    assert cache.length == 40


def test_cache_size_grows_by_two_layers_d_model_per_sample():
    model = _model()
    cache = model.initial_state(1)
    sizes = []
    for t in range(40):
        _, cache = model.step(torch.randn(1, 2, dtype=torch.float64), cache)
        sizes.append(cache.nbytes)
    per_sample = 2 * 2 * 16 * 8  # keys and values, 2 layers, d_model 16, float64
    assert sizes == [per_sample * (t + 1) for t in range(40)]
    assert per_sample * 40 <= cache.allocated_bytes <= 2 * per_sample * 40


def test_empty_cache_and_bad_inputs():
    assert KVCache(3).nbytes == 0 and KVCache(3).length == 0
    with pytest.raises(ValueError, match="multiple of n_heads"):
        CausalSelfAttention(10, 3)
    model = _model()
    with pytest.raises(ValueError, match=r"x: expected shape \(batch, time, input_size\)"):
        model(torch.randn(2, 5, 3, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"x: expected shape \(batch, new, input_size\)"):
        model.extend(torch.randn(2, 5), model.initial_state(2))
