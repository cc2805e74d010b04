"""Tests of rnn_course.beyond.streaming and .stream_cost: streamed outputs equal the full pass;
state sizes; error paths."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rnn_course.beyond.transformer import CausalTransformer
from rnn_course.beyond import StreamingGRU, profile_streams, state_nbytes


def _models():
    torch.manual_seed(0)
    return {"gru": StreamingGRU(1, 8, num_layers=2).double().eval(),
            "transformer": CausalTransformer(1, d_model=8, n_heads=2, n_layers=2, d_ff=8).double().eval()}


def test_gru_step_equals_full_pass():
    gru = _models()["gru"]
    x = torch.randn(3, 12, 1, dtype=torch.float64)
    h, outs = gru.initial_state(3), []
    for t in range(12):
        y, h = gru.step(x[:, t], h)
        outs.append(y)
    torch.testing.assert_close(torch.stack(outs, dim=1), gru(x), atol=1e-14, rtol=1e-14)
    assert h.shape == (2, 3, 8)


def test_profile_streams_outputs_and_state_sizes():
    models = _models()
    signal = torch.randn(200, 1, dtype=torch.float64)
    profiles = profile_streams(models, signal, [0, 10, 50, 120], n_timed=5, block=16)
    for name, model in models.items():
        p = profiles[name]
        assert p.n_seen.tolist() == [6, 16, 56, 126]  # one counted step, then 5 timed ones
        assert (p.seconds_per_sample > 0).all()
        torch.testing.assert_close(p.outputs, model(signal[None, :126])[0], atol=1e-12, rtol=1e-12)
    assert profiles["gru"].state_bytes.tolist() == [2 * 8 * 8] * 4  # (layers, batch, hidden) float64
    per_sample = 2 * 2 * 8 * 8  # keys and values, 2 layers, d_model 8, float64
    assert profiles["transformer"].state_bytes.tolist() == [per_sample * n for n in (6, 16, 56, 126)]
    # work per sample: constant for the GRU; for the Transformer, linear in the cached samples
    gru_flops, tf_flops = profiles["gru"].flops_per_sample, profiles["transformer"].flops_per_sample
    assert len(set(gru_flops.tolist())) == 1 and gru_flops[0] > 0
    cached = np.array([0, 10, 50, 120]) + 1  # keys attended to by the counted step
    slope = np.diff(tf_flops) / np.diff(cached)
    assert np.allclose(slope, slope[0]) and slope[0] == 2 * 2 * 2 * 8  # 2 layers x (q.k + a.v) x 2d


def test_checkpoint_inside_timed_steps_starts_after_them():
    profiles = profile_streams(_models(), torch.randn(50, 1, dtype=torch.float64), [0, 2], n_timed=4)
    assert profiles["gru"].n_seen.tolist() == [5, 10]


def test_state_nbytes():
    assert state_nbytes(torch.zeros(2, 3)) == 24
    assert state_nbytes((torch.zeros(2, 3), [torch.zeros(1, dtype=torch.float64)])) == 32
    with pytest.raises(TypeError, match="state must be"):
        state_nbytes("h")


def test_bad_arguments():
    models, signal = _models(), torch.randn(100, 1, dtype=torch.float64)
    with pytest.raises(ValueError, match=r"signal: expected shape \(time, input_size\)"):
        profile_streams(models, signal[:, 0], [0])
    with pytest.raises(ValueError, match="increasing"):
        profile_streams(models, signal, [10, 5])
    with pytest.raises(ValueError, match="increasing"):
        profile_streams(models, signal, [])
    with pytest.raises(ValueError, match="n_timed: expected a positive int"):
        profile_streams(models, signal, [0], n_timed=0)
    with pytest.raises(ValueError, match="the last checkpoint needs 105"):
        profile_streams(models, signal, [0, 90], n_timed=14)
    with pytest.raises(ValueError, match="models is empty"):
        profile_streams({}, signal, [0])
