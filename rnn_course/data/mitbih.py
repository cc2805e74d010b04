"""MIT-BIH Arrhythmia Database loader (Moody & Mark 2001; PhysioNet, ODC-By 1.0).

48 half-hour two-lead ambulatory ECG records, 360 Hz, with cardiologists' beat annotations.
Reading the WFDB format (212-packed samples, header, annotation file) is left to ``wfdb``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import wfdb

from .cache import fetch, registry

DATABASE = "mitdb"

# Annotation symbols that mark a heartbeat (the rest mark rhythm changes, noise, etc.),
# grouped into the five AAMI EC57 classes used in most arrhythmia papers.
AAMI_CLASSES = {
    "N": "N", "L": "N", "R": "N", "e": "N", "j": "N",  # normal and bundle-branch-block beats
    "A": "S", "a": "S", "J": "S", "S": "S",  # supraventricular ectopic
    "V": "V", "E": "V",  # ventricular ectopic
    "F": "F",  # fusion of ventricular and normal
    "/": "Q", "f": "Q", "Q": "Q",  # paced, fusion of paced and normal, unclassifiable
}
BEAT_SYMBOLS = frozenset(AAMI_CLASSES)


def mitbih_records() -> list[str]:
    """The 48 record names, e.g. ``['100', '101', ..., '234']``."""
    return sorted({f.split(".")[0] for f in registry(DATABASE) if f.endswith(".atr") and "-" not in f and "/" not in f})


@dataclass
class MitbihRecord:
    """One MIT-BIH record.

    Attributes:
        name: record name, e.g. ``"100"``.
        signals: ``(n_samples, n_leads)`` float32 array in millivolts.
        fs: sampling frequency in Hz (360).
        lead_names: e.g. ``["MLII", "V5"]``.
        annotation_samples: ``(n_annotations,)`` int sample index of every annotation.
        annotation_symbols: ``(n_annotations,)`` str symbol of every annotation.
    """

    name: str
    signals: np.ndarray
    fs: float
    lead_names: list[str]
    annotation_samples: np.ndarray
    annotation_symbols: np.ndarray

    @property
    def n_samples(self) -> int:
        return self.signals.shape[0]

    @property
    def duration_s(self) -> float:
        return self.n_samples / self.fs

    @property
    def beat_mask(self) -> np.ndarray:
        """Boolean mask over the annotations: True where the annotation is a heartbeat."""
        return np.isin(self.annotation_symbols, list(BEAT_SYMBOLS))

    @property
    def beat_samples(self) -> np.ndarray:
        """Sample index of every heartbeat annotation (R-peak location)."""
        return self.annotation_samples[self.beat_mask]

    @property
    def beat_symbols(self) -> np.ndarray:
        """Symbol of every heartbeat annotation (``'N'``, ``'V'``, ``'A'``, ...)."""
        return self.annotation_symbols[self.beat_mask]

    def lead(self, name: str) -> np.ndarray:
        """The ``(n_samples,)`` signal of one lead, by name (e.g. ``"MLII"``)."""
        if name not in self.lead_names:
            raise ValueError(f"record {self.name} has leads {self.lead_names}, not {name!r}")
        return self.signals[:, self.lead_names.index(name)]


def load_mitbih_record(record: str | int, *, progress: bool = True) -> MitbihRecord:
    """Load one MIT-BIH record (signals in mV, sampling rate, lead names, annotations).

    Downloads ``<record>.hea/.dat/.atr`` into the cache if they are not there yet.
    """
    name = str(record)
    valid = mitbih_records()
    if name not in valid:
        raise ValueError(f"unknown MIT-BIH record {record!r}; expected one of {', '.join(valid)}")
    for ext in ("hea", "dat", "atr"):
        path = fetch(DATABASE, f"{name}.{ext}", progress=progress)
    stem = str(path.with_suffix(""))
    rec = wfdb.rdrecord(stem)
    ann = wfdb.rdann(stem, "atr")
    return MitbihRecord(
        name=name,
        signals=rec.p_signal.astype(np.float32),
        fs=float(rec.fs),
        lead_names=list(rec.sig_name),
        annotation_samples=np.asarray(ann.sample, dtype=np.int64),
        annotation_symbols=np.asarray(ann.symbol),
    )
