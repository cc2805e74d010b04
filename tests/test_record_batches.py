"""rnn_course.data.record_batches: beats grouped by record and windows cut inside records."""
from __future__ import annotations

import numpy as np
import pytest
import torch

from rnn_course.data import BeatWindows, record_sequences


def _records(lengths, seed=0):
    """Per-record (rr, wave, y); y encodes record and position: 1000 * record + beat."""
    g = np.random.default_rng(seed)
    names = np.repeat([f"r{i}" for i in range(len(lengths))], lengths)
    rr = g.normal(size=(len(names), 5)).astype(np.float32)
    wave = g.normal(size=(len(names), 7)).astype(np.float32)
    y = np.concatenate([1000 * i + np.arange(n) for i, n in enumerate(lengths)])
    return names, rr, wave, y


def test_record_sequences_keeps_first_appearance_order_and_time_order():
    records = np.array(["b", "b", "a", "a", "a", "c"])
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    y = np.array([0, 1, 2, 3, -100, 1])
    groups = record_sequences(records, x, y)
    assert [len(g[0]) for g in groups] == [2, 3, 1]
    assert groups[1][0].tolist() == [[4, 5], [6, 7], [8, 9]] and groups[1][1].tolist() == [2, 3, -100]
    assert groups[0][0].dtype == torch.float32 and groups[0][1].dtype == torch.int64


def test_record_sequences_refuses_arrays_of_another_length():
    with pytest.raises(ValueError, match=r"arrays\[1\]: expected one row per beat \(3\)"):
        record_sequences(np.array(["a", "a", "b"]), np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match="at least one array"):
        record_sequences(np.array(["a"]))


def _reference_batches(records, length, batch_size, seed, passes):
    """The lab's original inline loop: the draws the package class must reproduce."""
    rng, out = np.random.default_rng(seed), []
    for _ in range(passes):
        cut = []
        for tensors in records:
            start = rng.integers(length)
            n = (len(tensors[0]) - start) // length
            cut.append([t[start:start + n * length].reshape(n, length, *t.shape[1:]) for t in tensors])
        rr, wave, y = (torch.cat(parts) for parts in zip(*cut))
        order = torch.from_numpy(rng.permutation(len(y)))
        out += [((rr[j], wave[j]), y[j]) for j in order.split(batch_size)]
    return out


def test_beat_windows_draws_exactly_as_the_inline_loop_did():
    records = record_sequences(*_records([150, 97, 300, 64]))
    windows = BeatWindows(records, length=16, batch_size=5, seed=3)
    got = [b for _ in range(2) for b in windows]       # two passes: new offsets each time
    want = _reference_batches(records, 16, 5, 3, passes=2)
    assert len(got) == len(want)
    for ((rr, wave), y), ((rr0, wave0), y0) in zip(got, want):
        assert torch.equal(rr, rr0) and torch.equal(wave, wave0) and torch.equal(y, y0)


def test_beat_windows_are_consecutive_beats_of_one_record():
    records = record_sequences(*_records([150, 97, 300]))
    batches = list(BeatWindows(records, length=16, batch_size=4, seed=0))
    y = torch.cat([b[1] for b in batches])
    assert batches[0][0][0].shape == (4, 16, 5) and batches[0][0][1].shape == (4, 16, 7)
    assert (y.diff(dim=1) == 1).all()                  # one record, in time order
    assert len(y) == len(torch.unique(y[:, 0])) and len(y) >= 150 // 16 + 97 // 16 + 300 // 16 - 3


def test_beat_windows_refuses_bad_input():
    records = record_sequences(*_records([20]))
    with pytest.raises(ValueError, match="length: expected a positive int"):
        BeatWindows(records, length=0)
    with pytest.raises(ValueError, match="records: expected a non-empty list"):
        BeatWindows([])
    with pytest.raises(ValueError, match="records: expected a non-empty list"):
        BeatWindows([(torch.zeros(3, 5), torch.zeros(2, 7), torch.zeros(3))])
    with pytest.raises(ValueError, match="no record holds a window of 64 beats"):
        list(BeatWindows(records, length=64))
