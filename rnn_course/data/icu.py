"""From the PhysioNet 2012 events table to model inputs: an hourly grid, masks and time gaps,
normalised with statistics of the training stays only, the features of the classical
baselines, and shuffled minibatches for the networks.

Shape legend: N stays, T hourly steps (48), D time-series variables (37).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np
import pandas as pd
import torch

from ..validation import expect_int

# The 36 time series of Silva et al. (2012), plus Weight, which is measured repeatedly too.
VARIABLES: tuple[str, ...] = (
    "ALP", "ALT", "AST", "Albumin", "BUN", "Bilirubin", "Cholesterol", "Creatinine", "DiasABP",
    "FiO2", "GCS", "Glucose", "HCO3", "HCT", "HR", "K", "Lactate", "MAP", "MechVent", "Mg",
    "NIDiasABP", "NIMAP", "NISysABP", "Na", "PaCO2", "PaO2", "Platelets", "RespRate", "SaO2",
    "SysABP", "Temp", "TroponinI", "TroponinT", "Urine", "WBC", "Weight", "pH",
)
# Recorded once, at minute 0, with -1 for "not recorded". Weight at minute 0 is the
# admission weight (a descriptor); later Weight rows are time-series measurements.
DESCRIPTORS: tuple[str, ...] = ("Age", "Gender", "Height", "ICUType", "Weight")
ICU_TYPES = {1: "Coronary care", 2: "Cardiac surgery recovery", 3: "Medical", 4: "Surgical"}
SUMMARIES: tuple[str, ...] = ("first", "last", "min", "max", "mean", "count")


@dataclass
class IcuGrid:
    """Hourly model inputs of N stays.

    Attributes:
        values: ``(N, T, D)`` float, mean of the hour's measurements; NaN where ``mask`` is 0.
        mask: ``(N, T, D)`` float, 1 where the variable was measured in that hour, else 0.
        delta: ``(N, T, D)`` float, hours since the last measurement before step t
            (Che et al. 2018): 0 at t = 0, then ``delta[t-1] + 1`` after an unmeasured hour
            and 1 after a measured one.
        record_ids: ``(N,)`` the stays' RecordIDs, in the order of the first axis.
        variables: the D variable names, in the order of the last axis.
    """

    values: np.ndarray
    mask: np.ndarray
    delta: np.ndarray
    record_ids: np.ndarray
    variables: tuple[str, ...]

    def __len__(self) -> int:
        return len(self.record_ids)

    def subset(self, index: Any) -> "IcuGrid":
        """The stays selected by ``index`` (positions or a boolean array), in that order."""
        return IcuGrid(self.values[index], self.mask[index], self.delta[index],
                       self.record_ids[index], self.variables)


def _check_events(events: Any) -> None:
    if not isinstance(events, pd.DataFrame):
        raise TypeError(f"events: expected the pandas DataFrame of load_physionet2012(...).events, "
                        f"got {type(events).__name__}")
    missing = {"RecordID", "minutes", "parameter", "value"} - set(events.columns)
    if missing:
        raise ValueError(f"events: expected columns RecordID, minutes, parameter, value; "
                         f"missing {sorted(missing)}")


def _row_index(events: pd.DataFrame, record_ids: Any) -> tuple[np.ndarray, np.ndarray]:
    """The stays' IDs (sorted, unless given) and each event's row among them (-1: not asked)."""
    if record_ids is None:
        record_ids = np.unique(events["RecordID"].to_numpy())
    record_ids = np.asarray(record_ids)
    if record_ids.ndim != 1 or len(np.unique(record_ids)) != len(record_ids):
        raise ValueError(f"record_ids: expected a 1-D array of distinct RecordIDs, got shape "
                         f"{record_ids.shape} with {len(record_ids) - len(np.unique(record_ids))} repeats")
    rows = pd.Index(record_ids).get_indexer(events["RecordID"].to_numpy())
    return record_ids, rows


def time_since_last(mask: np.ndarray, step_hours: float = 1.0) -> np.ndarray:
    """``delta`` of Che et al. (2018) from a ``(..., T, D)`` mask: time since the previous
    measurement, counted from the first step when there was none; 0 at the first step."""
    mask = np.asarray(mask)
    if mask.ndim < 2:
        raise ValueError(f"mask: expected shape (..., time, variables), got {mask.shape}")
    T = mask.shape[-2]
    t = np.arange(T).reshape((T, 1))
    last_at_or_before = np.maximum.accumulate(np.where(mask > 0, t, 0), axis=-2)
    last_before = np.zeros_like(last_at_or_before)
    last_before[..., 1:, :] = last_at_or_before[..., :-1, :]
    return ((t - last_before) * step_hours).astype(np.float32)


def hourly_grid(events: pd.DataFrame, record_ids: Any = None, hours: int = 48,
                variables: Sequence[str] = VARIABLES) -> IcuGrid:
    """Bin the time series of ``events`` into ``hours`` hourly steps: values, mask, delta.

    Args:
        events: the tidy table of :func:`rnn_course.data.load_physionet2012`.
        record_ids: the stays to include, in this order (default: every stay, sorted). A
            stay with no measurement gets an all-zero mask.
        hours: number of hourly steps T; measurements after ``60 * hours`` minutes are dropped,
            except minute ``60 * hours`` itself, which joins the last hour.
        variables: the D time-series variables, in the order of the last axis.

    Several measurements in one hour are averaged (hour ``t`` holds minutes 60t to 60t + 59).
    Descriptor rows (minute 0) are left out. Returns an :class:`IcuGrid` of three
    ``(N, T, D)`` arrays: ``values`` (NaN where nothing was measured), ``mask`` (1 measured,
    0 not) and ``delta``, the hours since the variable was last measured before step ``t``,
    as Che et al. (2018) define it (0 at the first step).
    """
    _check_events(events)
    expect_int("hours", hours)
    variables = tuple(variables)
    unknown = sorted(set(variables) - set(VARIABLES))
    if unknown:
        raise ValueError(f"variables: expected names from VARIABLES, got unknown {unknown}")
    record_ids, rows = _row_index(events, record_ids)
    column = pd.Index(variables).get_indexer(events["parameter"].astype(str).to_numpy())
    minutes = events["minutes"].to_numpy()
    is_descriptor = (minutes == 0) & events["parameter"].isin(DESCRIPTORS).to_numpy()
    keep = (rows >= 0) & (column >= 0) & ~is_descriptor & (minutes <= 60 * hours)
    hour = np.minimum(minutes[keep] // 60, hours - 1)
    N, T, D = len(record_ids), int(hours), len(variables)
    flat = (rows[keep] * T + hour) * D + column[keep]  # one bin per (stay, hour, variable)
    counts = np.bincount(flat, minlength=N * T * D).reshape(N, T, D)
    sums = np.bincount(flat, weights=events["value"].to_numpy()[keep], minlength=N * T * D)
    mask = (counts > 0).astype(np.float32)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = (sums.reshape(N, T, D) / counts).astype(np.float32)  # NaN where counts == 0
    return IcuGrid(values, mask, time_since_last(mask), record_ids, variables)


@dataclass
class Normaliser:
    """Per-variable clipping bounds and standardisation, fitted on training stays only.

    Attributes (each ``(D,)``): ``low``, ``high`` clip bounds; ``mean``, ``std`` of the
    clipped training measurements. A variable never measured in training gets mean 0, std 1.
    """

    low: np.ndarray
    high: np.ndarray
    mean: np.ndarray
    std: np.ndarray

    @classmethod
    def fit(cls, grid: IcuGrid, quantiles: tuple[float, float] = (0.005, 0.995)) -> "Normaliser":
        """Fit on ``grid`` (the training stays): clip bounds at ``quantiles`` of the observed
        hourly values, then mean and standard deviation of the clipped values."""
        lo_q, hi_q = quantiles
        if not 0 <= lo_q < hi_q <= 1:
            raise ValueError(f"quantiles: expected 0 <= low < high <= 1, got {quantiles}")
        D = grid.values.shape[-1]
        low, high, mean, std = np.zeros(D), np.zeros(D), np.zeros(D), np.ones(D)
        for d in range(D):  # D = 37 columns, each vectorised
            observed = grid.values[..., d][grid.mask[..., d] > 0]
            if observed.size == 0:
                low[d], high[d] = -np.inf, np.inf
                continue
            low[d], high[d] = np.quantile(observed, [lo_q, hi_q])
            clipped = np.clip(observed, low[d], high[d])
            mean[d] = clipped.mean()
            std[d] = clipped.std() if clipped.std() > 0 else 1.0
        return cls(low, high, mean, std)

    def __call__(self, grid: IcuGrid) -> IcuGrid:
        """A copy of ``grid`` whose values are clipped and standardised (NaN stays NaN)."""
        if grid.values.shape[-1] != len(self.mean):
            raise ValueError(f"grid: expected {len(self.mean)} variables (as fitted), "
                             f"got {grid.values.shape[-1]}")
        values = ((np.clip(grid.values, self.low, self.high) - self.mean) / self.std).astype(np.float32)
        return IcuGrid(values, grid.mask, grid.delta, grid.record_ids, grid.variables)


def forward_fill(values: np.ndarray, mask: np.ndarray, fill: Any = 0.0) -> np.ndarray:
    """``(N, T, D)``: the last measurement at or before each step; ``fill`` (a number or a
    ``(D,)`` array, e.g. the training mean) before the first measurement."""
    values, mask = np.asarray(values), np.asarray(mask)
    if values.shape != mask.shape or values.ndim != 3:
        raise ValueError(f"values and mask: expected the same shape (N, T, D), got {values.shape} "
                         f"and {mask.shape}")
    T = values.shape[1]
    t = np.arange(T).reshape(1, T, 1)
    last = np.maximum.accumulate(np.where(mask > 0, t, -1), axis=1)  # -1: nothing yet
    filled = np.take_along_axis(values, np.maximum(last, 0), axis=1)
    fill = np.broadcast_to(np.asarray(fill, dtype=values.dtype), values.shape[-1:])
    return np.where(last >= 0, filled, fill).astype(values.dtype)


def summary_features(grid: IcuGrid) -> tuple[np.ndarray, list[str]]:
    """Per-variable first, last, min, max and mean of the hourly values, and the count of
    measured hours: ``(N, 6 * D)`` plus the column names. A variable never measured in a stay
    gets 0 for the first five (the training mean, if ``grid`` was normalised) and count 0."""
    v, m = grid.values, grid.mask > 0
    N, T, D = v.shape
    count = m.sum(axis=1)
    seen = count > 0
    t = np.arange(T).reshape(1, T, 1)
    first_t = np.where(m, t, T).min(axis=1)
    last_t = np.where(m, t, -1).max(axis=1)
    take = lambda idx: np.take_along_axis(v, np.clip(idx, 0, T - 1)[:, None, :], axis=1)[:, 0]  # noqa: E731
    with np.errstate(invalid="ignore"):
        stats = {
            "first": take(first_t), "last": take(last_t),
            "min": np.where(m, v, np.inf).min(axis=1), "max": np.where(m, v, -np.inf).max(axis=1),
            "mean": np.where(m, v, 0).sum(axis=1) / np.maximum(count, 1),
        }
    columns = [np.where(seen, stats[s], 0.0) for s in SUMMARIES[:-1]] + [count]
    names = [f"{var}_{s}" for s in SUMMARIES for var in grid.variables]
    return np.concatenate(columns, axis=1).astype(np.float32), names


def static_table(events: pd.DataFrame, record_ids: Any = None) -> pd.DataFrame:
    """The admission descriptors, one row per stay (indexed by RecordID, in the order asked),
    columns Age, Gender, Height, ICUType, Weight; NaN where the file says -1 or has no row."""
    _check_events(events)
    record_ids, rows = _row_index(events, record_ids)
    at_zero = (events["minutes"].to_numpy() == 0) & events["parameter"].isin(DESCRIPTORS).to_numpy() & (rows >= 0)
    rows_0 = events.loc[at_zero, ["RecordID", "parameter", "value"]]
    table = rows_0.pivot_table(index="RecordID", columns="parameter", values="value",
                               aggfunc="first", observed=True)
    table = table.reindex(index=record_ids, columns=list(DESCRIPTORS))
    return table.where(table != -1)


def static_features(table: pd.DataFrame, reference: pd.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Encode :func:`static_table` rows for a model, with statistics of ``reference`` (the
    training stays): age, height and weight standardised (missing: 0 plus a missing flag),
    gender as male = 1 (missing: 0.5), ICU type one-hot. Returns ``(N, 10)`` and the names."""
    for name, t in (("table", table), ("reference", reference)):
        if not isinstance(t, pd.DataFrame) or not set(DESCRIPTORS) <= set(t.columns):
            raise ValueError(f"{name}: expected a static_table(...) DataFrame with columns {list(DESCRIPTORS)}")
    columns, names = [], []
    for var in ("Age", "Height", "Weight"):
        mu, sd = reference[var].mean(), reference[var].std()
        z = ((table[var] - mu) / (sd if sd > 0 else 1.0)).clip(-5, 5)
        columns += [z.fillna(0.0).to_numpy()]
        names += [var]
        if var != "Age":
            columns += [table[var].isna().to_numpy(dtype=float)]
            names += [f"{var}_missing"]
    columns += [table["Gender"].fillna(0.5).to_numpy()]
    names += ["Male"]
    for code, label in ICU_TYPES.items():
        columns += [(table["ICUType"] == code).to_numpy(dtype=float)]
        names += [f"ICU: {label}"]
    return np.stack(columns, axis=1).astype(np.float32), names


class ShuffledBatches:
    """Minibatches of the stays in a new random order on every pass, for ``training.fit``.

    Args:
        inputs: tensors with the stays on the first axis, e.g. ``(values, mask, delta,
            static)`` of shapes ``(N, T, D)`` three times and ``(N, S)``.
        target: ``(N,)`` outcomes (0/1), yielded as float32.
        batch_size: stays per batch; the last batch of a pass may be smaller.
        seed: seeds the batches' own ``torch.Generator``, so the order of the stays does not
            depend on, or change, the global random state.

    Iterating yields ``(tuple(t[idx] for t in inputs), target[idx])``. Every pass draws one
    ``torch.randperm(N)`` from the generator: pass e sees the e-th permutation.
    """

    def __init__(self, inputs: Sequence[Any], target: Any, batch_size: int = 256,
                 seed: int = 0) -> None:
        self.inputs = tuple(inputs)
        if not self.inputs or not all(isinstance(t, torch.Tensor) for t in self.inputs):
            raise TypeError(f"inputs: expected a non-empty sequence of tensors, got "
                            f"{[type(t).__name__ for t in self.inputs]}")
        self.target = torch.as_tensor(np.asarray(target), dtype=torch.float32)
        sizes = {len(t) for t in self.inputs} | {len(self.target)}
        if self.target.ndim != 1 or len(sizes) != 1:
            raise ValueError(f"inputs and target: expected the same number of stays N and "
                             f"target of shape (N,), got first axes {[len(t) for t in self.inputs]} "
                             f"and target shape {tuple(self.target.shape)}")
        self.batch_size = expect_int("batch_size", batch_size)
        self.generator = torch.Generator().manual_seed(expect_int("seed", seed, low=0))

    def __len__(self) -> int:
        return -(-len(self.target) // self.batch_size)  # batches per pass

    def __iter__(self):
        order = torch.randperm(len(self.target), generator=self.generator)
        for i in range(0, len(order), self.batch_size):
            idx = order[i:i + self.batch_size]
            yield tuple(t[idx] for t in self.inputs), self.target[idx]
