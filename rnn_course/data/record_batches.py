"""Training batches for a model that reads each record in time order.

A sequence model of heartbeats must never see two patients in one sequence, nor beats out of
their order. :func:`record_sequences` cuts per-beat arrays into one group of tensors per
record, in time order; :class:`BeatWindows` cuts every record into windows of consecutive
beats, at a new random offset every pass, and shuffles whole windows, never the beats inside
them.
"""
from __future__ import annotations

from typing import Iterator, Sequence

import numpy as np
import torch

from ..validation import expect_int


def record_sequences(records: np.ndarray, *arrays: np.ndarray) -> list[tuple[torch.Tensor, ...]]:
    """The rows of every array, grouped by record: one tuple of tensors per record.

    ``records``: ``(n,)`` record name of each beat; ``arrays``: each ``(n, ...)``, one row per
    beat, e.g. RR features ``(n, 5)``, waveforms ``(n, W)`` and labels ``(n,)``. Returns a
    list over the records, in the order they first appear in ``records``, of tuples
    ``(rr (T, 5), wave (T, W), y (T,))`` for that record's ``T`` beats, in their order.
    """
    records = np.asarray(records)
    if records.ndim != 1 or not arrays:
        raise ValueError(f"record_sequences: expected a 1-D array of record names and at least "
                         f"one array, got records of shape {records.shape} and {len(arrays)} arrays")
    for i, a in enumerate(arrays):
        if np.ndim(a) == 0 or len(a) != len(records):
            raise ValueError(f"arrays[{i}]: expected one row per beat ({len(records)}), got "
                             f"shape {np.shape(a)}")
    return [tuple(torch.from_numpy(a[records == r]) for a in arrays)
            for r in dict.fromkeys(records)]


class BeatWindows:
    """Batches ``((rr, wave), y)`` of windows of ``length`` beats cut inside each record.

    ``records``: a list of ``(rr (T, 5), wave (T, W), y (T,))`` tensors per record, as
    :func:`record_sequences` returns them. Each pass draws one random start offset in
    ``0 .. length-1`` for every record, in order, cuts that record from the offset into whole
    windows (the beats left over at either end are unused in that pass), and then shuffles
    the windows of all records together. Batches hold ``rr (batch, length, 5)``,
    ``wave (batch, length, W)`` and ``y (batch, length)``; the last one may be smaller.
    The random numbers come from ``numpy.random.default_rng(seed)``, so the same ``seed``
    gives the same batches.
    """

    def __init__(self, records: Sequence[tuple[torch.Tensor, ...]], length: int = 64,
                 batch_size: int = 64, seed: int = 0):
        if not records or any(len(t) != 3 or len({len(a) for a in t}) != 1 for t in records):
            raise ValueError("records: expected a non-empty list of (rr, wave, y) tensors of one "
                             "length per record, as record_sequences returns them")
        expect_int("length", length, hint="beats per window")
        expect_int("batch_size", batch_size)
        self.records, self.length, self.batch_size = records, length, batch_size
        self.rng = np.random.default_rng(seed)

    def __iter__(self) -> Iterator[tuple[tuple[torch.Tensor, torch.Tensor], torch.Tensor]]:
        L, cut = self.length, []
        for tensors in self.records:                       # a new offset every pass
            start = self.rng.integers(L)
            n = max((len(tensors[0]) - start) // L, 0)
            cut.append([t[start:start + n * L].reshape(n, L, *t.shape[1:])
                        for t in tensors])
        rr, wave, y = (torch.cat(parts) for parts in zip(*cut))
        if len(y) == 0:
            raise ValueError(f"BeatWindows: no record holds a window of {L} beats")
        order = torch.from_numpy(self.rng.permutation(len(y)))   # shuffle whole windows
        for i in range(0, len(y), self.batch_size):
            j = order[i:i + self.batch_size]
            yield (rr[j], wave[j]), y[j]
