"""rnn_course.data.icu: events to the hourly grid, delta as Che et al. define it, training-only
normalisation, summary and static features; hand-computed cases, the
real set-a where the mirror is present, and the error messages."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from rnn_course.data import icu


def _events(rows):
    return pd.DataFrame(rows, columns=["RecordID", "minutes", "parameter", "value"])


@pytest.fixture
def events():
    return _events([
        (7, 0, "Age", 70), (7, 0, "Gender", 1), (7, 0, "Height", -1), (7, 0, "ICUType", 3), (7, 0, "Weight", 80),
        (7, 0, "HR", 90),         # minute 0 time series: hour 0
        (7, 30, "HR", 100),       # same hour: averaged with 90
        (7, 90, "Weight", 82),    # a time-series weight (not minute 0)
        (7, 150, "HR", 80),       # hour 2
        (7, 2880, "HR", 60),      # the last minute joins the last hour
        (7, 2900, "HR", 999),     # after 48 h: dropped
        (5, 0, "Age", 40), (5, 0, "Gender", -1), (5, 0, "ICUType", 1), (5, 0, "Weight", -1),
        (5, 65, "Lactate", 4.0),
        (9, 10, "HR", 1.0),       # a stay that is not asked for
    ])


def test_hourly_grid_bins_averages_and_drops(events):
    grid = icu.hourly_grid(events, record_ids=[7, 5, 3])
    hr, weight, lactate = (icu.VARIABLES.index(v) for v in ("HR", "Weight", "Lactate"))
    assert grid.values.shape == grid.mask.shape == grid.delta.shape == (3, 48, 37)
    assert list(grid.record_ids) == [7, 5, 3] and grid.variables == icu.VARIABLES
    assert grid.values[0, 0, hr] == 95 and grid.values[0, 2, hr] == 80 and grid.values[0, 47, hr] == 60
    assert np.flatnonzero(grid.mask[0, :, hr]).tolist() == [0, 2, 47]  # minute 2900 dropped
    assert np.flatnonzero(grid.mask[0, :, weight]).tolist() == [1]      # admission weight is a descriptor
    assert np.flatnonzero(grid.mask[1, :, lactate]).tolist() == [1]
    assert grid.mask[2].sum() == 0 and np.isnan(grid.values[2]).all()  # stay 3 has no events
    assert np.isnan(grid.values[grid.mask == 0]).all() and not np.isnan(grid.values[grid.mask == 1]).any()
    assert grid.mask.sum() == 5  # stay 9 was not asked for
    assert len(grid) == 3 and list(grid.subset([1]).record_ids) == [5]


def test_default_record_ids_are_sorted(events):
    assert list(icu.hourly_grid(events).record_ids) == [5, 7, 9]


@pytest.mark.parametrize("mask, expected", [
    ([1, 0, 0, 1, 0, 1], [0, 1, 2, 3, 1, 2]),  # a gap of two unmeasured hours
    ([0, 0, 0, 0, 0, 0], [0, 1, 2, 3, 4, 5]),  # never measured: counted from the first step
    ([1, 1, 1, 1, 1, 1], [0, 1, 1, 1, 1, 1]),  # measured every hour
    ([0, 1, 0, 0, 0, 0], [0, 1, 1, 2, 3, 4]),  # a long gap after one measurement
])
def test_time_since_last_follows_che_et_al(mask, expected):
    m = np.array(mask, dtype=np.float32)[None, :, None]
    np.testing.assert_array_equal(icu.time_since_last(m)[0, :, 0], expected)
    np.testing.assert_array_equal(icu.time_since_last(m, step_hours=0.5)[0, :, 0], np.array(expected) / 2)


def test_time_since_last_matches_the_recursive_definition(rng):
    mask = (rng.random((4, 9, 3)) < 0.3).astype(np.float32)
    delta = np.zeros_like(mask)
    for t in range(1, 9):  # Che et al.: delta_t = 1 + delta_{t-1} after a missing step, else 1
        delta[:, t] = np.where(mask[:, t - 1] > 0, 1.0, 1.0 + delta[:, t - 1])
    np.testing.assert_array_equal(icu.time_since_last(mask), delta)


def test_forward_fill_uses_fill_before_the_first_measurement():
    values = np.array([[[np.nan, 1.0], [2.0, np.nan], [np.nan, np.nan], [3.0, 4.0]]], dtype=np.float32)
    mask = (~np.isnan(values)).astype(np.float32)
    filled = icu.forward_fill(values, mask, fill=np.array([-1.0, -2.0]))
    np.testing.assert_array_equal(filled[0], [[-1, 1], [2, 1], [2, 1], [3, 4]])
    with pytest.raises(ValueError, match=r"same shape \(N, T, D\)"):
        icu.forward_fill(values[0], mask[0])


def _grid(values):
    values = np.asarray(values, dtype=np.float32)
    mask = (~np.isnan(values)).astype(np.float32)
    return icu.IcuGrid(values, mask, icu.time_since_last(mask), np.arange(len(values)), tuple(f"v{i}" for i in
                                                                                               range(values.shape[-1])))


def test_normaliser_uses_training_statistics_only():
    train = _grid([[[1.0, np.nan], [3.0, np.nan]], [[5.0, np.nan], [np.nan, np.nan]]])
    norm = icu.Normaliser.fit(train, quantiles=(0.0, 1.0))
    assert norm.mean[0] == pytest.approx(3.0) and norm.std[0] == pytest.approx(np.std([1, 3, 5]))
    assert (norm.mean[1], norm.std[1]) == (0.0, 1.0)  # never measured in training
    test = _grid([[[100.0, 7.0], [np.nan, np.nan]]])
    out = norm(test)
    # The test stay's 100 is clipped to the training maximum 5, then standardised with
    # training statistics; its own mean plays no part.
    assert out.values[0, 0, 0] == pytest.approx((5 - 3) / np.std([1, 3, 5]))
    assert out.values[0, 0, 1] == 7.0 and np.isnan(out.values[0, 1]).all()
    assert out.mask is test.mask and test.values[0, 0, 0] == 100.0  # the input is not changed
    with pytest.raises(ValueError, match="expected 2 variables"):
        norm(_grid([[[1.0]]]))
    with pytest.raises(ValueError, match="quantiles"):
        icu.Normaliser.fit(train, quantiles=(0.9, 0.1))


def test_summary_features_by_hand():
    grid = _grid([[[np.nan, np.nan], [4.0, np.nan], [1.0, np.nan], [2.0, np.nan]]])
    features, names = icu.summary_features(grid)
    assert features.shape == (1, 12) and len(names) == 12
    got = dict(zip(names, features[0]))
    assert [got[f"v0_{s}"] for s in icu.SUMMARIES] == [4, 2, 1, 4, pytest.approx(7 / 3), 3]
    assert [got[f"v1_{s}"] for s in icu.SUMMARIES] == [0, 0, 0, 0, 0, 0]  # never measured


def test_static_table_and_features(events):
    table = icu.static_table(events, record_ids=[7, 5, 3])
    assert list(table.columns) == list(icu.DESCRIPTORS) and list(table.index) == [7, 5, 3]
    assert table.loc[7, "Weight"] == 80 and table.loc[7, "Age"] == 70  # the minute-0 weight
    assert np.isnan(table.loc[7, "Height"]) and np.isnan(table.loc[5, "Gender"]) and np.isnan(table.loc[5, "Weight"])
    assert table.loc[3].isna().all()
    features, names = icu.static_features(table, reference=table)
    assert features.shape == (3, 10) and len(names) == 10
    got = pd.DataFrame(features, columns=names, index=table.index)
    assert got.loc[5, "Weight_missing"] == 1 and got.loc[7, "Weight_missing"] == 0 and got.loc[5, "Weight"] == 0
    assert got.loc[7, "Male"] == 1 and got.loc[5, "Male"] == 0.5
    assert got.loc[7, "ICU: Medical"] == 1 and got.loc[5, "ICU: Coronary care"] == 1
    assert got.loc[3, [n for n in names if n.startswith("ICU")]].sum() == 0
    with pytest.raises(ValueError, match="static_table"):
        icu.static_features(table.drop(columns="Age"), table)


def test_errors_say_what_was_expected(events):
    with pytest.raises(TypeError, match="DataFrame of load_physionet2012"):
        icu.hourly_grid(events.to_numpy())
    with pytest.raises(ValueError, match="missing \\['value'\\]"):
        icu.hourly_grid(events.drop(columns="value"))
    with pytest.raises(ValueError, match="hours: expected a positive int"):
        icu.hourly_grid(events, hours=0)
    with pytest.raises(ValueError, match="unknown \\['Pulse'\\]"):
        icu.hourly_grid(events, variables=["HR", "Pulse"])
    with pytest.raises(ValueError, match="distinct RecordIDs"):
        icu.hourly_grid(events, record_ids=[7, 7])
    with pytest.raises(ValueError, match=r"\(\.\.\., time, variables\)"):
        icu.time_since_last(np.ones(3))


@pytest.mark.slow
def test_the_real_set_a(mirror):
    from rnn_course.data import load_physionet2012

    data = load_physionet2012("a", progress=False)
    grid = icu.hourly_grid(data.events, data.record_ids)
    assert grid.values.shape == (4000, 48, 37)
    # Every time-series row of the first 48 h (minute 0 excepted for descriptors) is in a bin.
    ev = data.events
    series = ev[ev["parameter"].isin(icu.VARIABLES) & ~((ev["minutes"] == 0) & ev["parameter"].isin(icu.DESCRIPTORS))]
    assert grid.mask.sum() <= len(series)
    assert 0.1 < grid.mask.mean() < 0.3  # sparse: most stay-hour-variable cells are empty
    hr = icu.VARIABLES.index("HR")
    assert grid.mask[:, :, hr].mean() > 0.8  # the heart rate is charted almost every hour
    table = icu.static_table(ev, data.record_ids)
    assert table["Age"].notna().all() and set(table["ICUType"].unique()) <= set(icu.ICU_TYPES)
    assert set(ev["parameter"].unique()) == set(icu.VARIABLES + icu.DESCRIPTORS)  # nothing left out


def _inline_batches(tensors, target, generator, size):
    """The lab's batching before it moved into icu.ShuffledBatches."""
    import torch
    order = torch.randperm(len(target), generator=generator)
    target = torch.tensor(target, dtype=torch.float32)
    for i in range(0, len(order), size):
        idx = order[i:i + size]
        yield tuple(t[idx] for t in tensors), target[idx]


def test_shuffled_batches_draw_what_the_inline_generator_drew():
    import torch
    torch.manual_seed(0)
    tensors = (torch.randn(10, 4, 3), torch.arange(10.0)[:, None])
    target = np.array([0, 1] * 5)
    batches = icu.ShuffledBatches(tensors, target, batch_size=4, seed=3)
    generator = torch.Generator().manual_seed(3)
    state = torch.get_rng_state()
    assert len(batches) == 3
    for _ in range(3):  # three passes, three permutations, in order
        got, want = list(batches), list(_inline_batches(tensors, target, generator, 4))
        assert [len(b[1]) for b in got] == [4, 4, 2]
        for (x, t), (x0, t0) in zip(got, want):
            assert t.dtype == torch.float32 and torch.equal(t, t0)
            assert all(torch.equal(a, b) for a, b in zip(x, x0))
    assert torch.equal(torch.get_rng_state(), state)  # the global generator is untouched
    seen = torch.cat([x[1][:, 0] for x, _ in batches]).sort().values
    assert torch.equal(seen, torch.arange(10.0))  # every stay once per pass


def test_shuffled_batches_errors():
    import torch
    with pytest.raises(TypeError, match="inputs: expected a non-empty sequence of tensors"):
        icu.ShuffledBatches([np.zeros(3)], [0, 1, 0])
    with pytest.raises(ValueError, match=r"first axes \[3, 4\]"):
        icu.ShuffledBatches([torch.zeros(3), torch.zeros(4)], [0, 1, 0])
    with pytest.raises(ValueError, match="target shape"):
        icu.ShuffledBatches([torch.zeros(2)], [[0, 1]])
    with pytest.raises(ValueError, match="batch_size: expected a positive int"):
        icu.ShuffledBatches([torch.zeros(3)], [0, 1, 0], batch_size=0)
