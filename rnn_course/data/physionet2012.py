"""PhysioNet/Computing in Cardiology Challenge 2012 loader (Silva et al. 2012; ODC-By 1.0).

Each ICU stay is a file of ``Time,Parameter,Value`` rows covering the first 48 hours:
general descriptors (Age, Gender, Height, ICUType, Weight) at time 00:00, then irregularly
sampled vital signs and laboratory values. Outcomes (in-hospital death, SAPS-I, SOFA, length
of stay, survival) are in ``Outcomes-<set>.txt``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .cache import fetch, fetch_many, registry

DATABASE = "challenge-2012"
SETS = ("a", "b")
DESCRIPTORS = ("RecordID", "Age", "Gender", "Height", "ICUType", "Weight")


@dataclass
class Physionet2012:
    """All ICU stays of one set.

    Attributes:
        events: tidy table, one row per measurement, columns
            ``RecordID`` (int), ``minutes`` (int, since ICU admission, 0–2880),
            ``parameter`` (str), ``value`` (float). Descriptors appear at minute 0;
            -1 means "not recorded" for them, as in the original files.
        outcomes: one row per stay, indexed by ``RecordID``, columns ``SAPS-I``, ``SOFA``,
            ``Length_of_stay``, ``Survival``, ``In-hospital_death``.
    """

    events: pd.DataFrame
    outcomes: pd.DataFrame

    @property
    def record_ids(self) -> np.ndarray:
        return self.outcomes.index.to_numpy()


def _parse(path) -> tuple[list, list, list, list]:
    ids, minutes, params, values = [], [], [], []
    with open(path) as f:
        header = f.readline().strip()
        if header != "Time,Parameter,Value":
            raise ValueError(f"{path}: expected header 'Time,Parameter,Value', got {header!r}")
        record_id = None
        for line in f:
            time, param, value = line.rstrip("\n").split(",")
            if param == "RecordID":
                record_id = int(float(value))
                continue
            hh, mm = time.split(":")
            ids.append(record_id)
            minutes.append(int(hh) * 60 + int(mm))
            params.append(param)
            values.append(float(value))
    return ids, minutes, params, values


def load_physionet2012(set_name: str = "a", *, progress: bool = True) -> Physionet2012:
    """Load every ICU stay of set ``"a"`` or ``"b"`` (4,000 each) and their outcomes."""
    name = str(set_name).lower().removeprefix("set-")
    if name not in SETS:
        raise ValueError(f"unknown PhysioNet 2012 set {set_name!r}; expected one of {list(SETS)}")
    files = sorted(f for f in registry(DATABASE) if f.startswith(f"set-{name}/"))
    paths = fetch_many(DATABASE, files, progress=progress)
    cols: tuple[list, list, list, list] = ([], [], [], [])
    for p in paths:
        for acc, part in zip(cols, _parse(p)):
            acc.extend(part)
    events = pd.DataFrame({
        "RecordID": np.asarray(cols[0], dtype=np.int64),
        "minutes": np.asarray(cols[1], dtype=np.int32),
        "parameter": pd.Categorical(cols[2]),
        "value": np.asarray(cols[3], dtype=np.float64),
    })
    outcomes = pd.read_csv(fetch(DATABASE, f"Outcomes-{name}.txt", progress=progress)).set_index("RecordID")
    return Physionet2012(events=events, outcomes=outcomes)
