"""PhysioNet/Computing in Cardiology Challenge 2012 loader (Silva et al. 2012; ODC-By 1.0).

Each ICU stay is a file of ``Time,Parameter,Value`` rows covering the first 48 hours:
general descriptors (Age, Gender, Height, ICUType, Weight) at time 00:00, then irregularly
sampled vital signs and laboratory values. Outcomes (in-hospital death, SAPS-I, SOFA, length
of stay, survival) are in ``Outcomes-<set>.txt``.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from .cache import fetch, fetch_many, registry

DATABASE = "challenge-2012"
SETS = ("a", "b")


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


HEADER = "Time,Parameter,Value"


def _read_events(paths: list) -> pd.DataFrame:
    """Parse the stays' files into one tidy table with a single ``read_csv`` call.

    Each file is ``Time,Parameter,Value`` rows (time ``HH:MM``) whose first row is
    ``00:00,RecordID,<id>``; the files are checked, joined, parsed once, and every row takes
    the RecordID above it.
    """
    bodies = []
    for path in paths:
        text = Path(path).read_text()
        header, _, body = text.partition("\n")
        if header.strip() != HEADER:
            raise ValueError(f"{path}: expected header {HEADER!r}, got {header.strip()!r}")
        if not body.startswith("00:00,RecordID,"):
            raise ValueError(f"{path}: expected the first row to be '00:00,RecordID,<id>', got {body[:40]!r}")
        bodies.append(body if body.endswith("\n") else body + "\n")
    # "HH:MM,Parameter,Value" -> "HH,MM,Parameter,Value": the C parser then splits the time too.
    text = "".join(bodies).replace(":", ",")
    raw = pd.read_csv(io.StringIO(text), header=None, names=["hh", "mm", "parameter", "value"],
                      dtype={"hh": np.int32, "mm": np.int32, "parameter": str, "value": np.float64})
    is_id = (raw["parameter"] == "RecordID").to_numpy()
    record_id = raw["value"].where(is_id).ffill().to_numpy()
    minutes = (raw["hh"] * 60 + raw["mm"]).to_numpy()
    keep = ~is_id
    return pd.DataFrame({
        "RecordID": record_id[keep].astype(np.int64),
        "minutes": minutes[keep].astype(np.int32),
        "parameter": pd.Categorical(raw["parameter"].to_numpy()[keep]),
        "value": raw["value"].to_numpy()[keep],
    })


def load_physionet2012(set_name: str = "a", *, progress: bool = True) -> Physionet2012:
    """Load every ICU stay of set ``"a"`` or ``"b"`` (4,000 each) and their outcomes."""
    name = str(set_name).lower().removeprefix("set-")
    if name not in SETS:
        raise ValueError(f"unknown PhysioNet 2012 set {set_name!r}; expected one of {list(SETS)}")
    files = sorted(f for f in registry(DATABASE) if f.startswith(f"set-{name}/"))
    paths = fetch_many(DATABASE, files, progress=progress)
    events = _read_events(paths)
    outcomes = pd.read_csv(fetch(DATABASE, f"Outcomes-{name}.txt", progress=progress)).set_index("RecordID")
    return Physionet2012(events=events, outcomes=outcomes)
