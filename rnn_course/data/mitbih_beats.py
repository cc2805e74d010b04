"""MIT-BIH heartbeats as a table for beat classification, and the inter-patient split.

Every annotated beat of a record becomes one row: its AAMI class, its RR intervals (raw and
relative to the patient's recent rhythm) and a short window of filtered lead MLII around its
R peak. Beats stay in time order within each record, so a sequence model can read them as
the cardiologist does, one after the other.

The split is the inter-patient split of de Chazal, O'Dwyer & Reilly (2004): records of DS1
for training (and validation), records of DS2 for testing, the four paced records excluded.
Records 201 and 202 come from the same subject (202's header: "taken from the same analog
tape as record 201") and the split puts 201 in DS1 and 202 in DS2; :func:`patient_of` maps
both to one patient so that :func:`rnn_course.data.splits.assert_disjoint` can see it.

Everything here uses only the past where a live monitor would have to: the RR features of a
beat use the beats before it plus the next beat (its post-RR interval, known one beat
later), and the default filter is causal.

Beat positions come from the cardiologists' annotations unless ``positions="detected"``:
then a QRS detector (wfdb's XQRS, :func:`detect_beats`) finds them, as a monitor must, and
each detection takes the class of the annotated beat within 150 ms of it.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, fields

import numpy as np
from scipy.signal import butter, sosfilt, sosfiltfilt
from wfdb import processing

from .mitbih import AAMI_CLASSES, MitbihRecord, load_mitbih_record, mitbih_records
from ..validation import expect_int

CLASSES = ("N", "S", "V", "F", "Q")  # AAMI EC57 classes; the label of a beat is its index here
DS1 = ("101", "106", "108", "109", "112", "114", "115", "116", "118", "119", "122",
       "124", "201", "203", "205", "207", "208", "209", "215", "220", "223", "230")
DS2 = ("100", "103", "105", "111", "113", "117", "121", "123", "200", "202", "210",
       "212", "213", "214", "219", "221", "222", "228", "231", "232", "233", "234")
PACED_RECORDS = ("102", "104", "107", "217")  # excluded: most of their beats are paced
SAME_SUBJECT = {"202": "201"}  # the database's only two records of one person
# The lab's validation patients: six DS1 records that hold S, V and F beats between them.
VALIDATION = ("118", "124", "205", "215", "220", "223")
RR_FEATURES = ("rr_pre", "rr_post", "rr_local", "rr_long")  # seconds
RELATIVE_RR = ("pre/local", "post/local", "pre/long", "post/long", "local/long")
LOCAL_BEATS = 10   # RR intervals averaged into a beat's local rhythm (about 8 s at 75 bpm)
LONG_BEATS = 300   # ... and into its longer-term rhythm (about 4 minutes at 75 bpm)
LEAD = "MLII"      # present in every record that is not paced
DETECTOR_STEP = 3  # the detector reads every 3rd sample (120 Hz), chosen on VALIDATION
MATCH_WINDOW_S = 0.15  # EC57: a detection within 150 ms of an annotated beat finds it


def patient_of(record: str | int) -> str:
    """The patient of a record: the record's own name, except ``"201/202"`` for 201 and 202."""
    name = str(record)
    if name not in mitbih_records():
        raise ValueError(f"unknown MIT-BIH record {record!r}; expected one of 100 ... 234")
    first = SAME_SUBJECT.get(name, name)
    partners = sorted({first, *(r for r, p in SAME_SUBJECT.items() if p == first)})
    return "/".join(partners)


def lab_splits() -> dict[str, tuple[str, ...]]:
    """The record splits of the chapter's lab: ``train`` (DS1 without :data:`VALIDATION`),
    ``validation`` and ``test`` (DS2). Only the patient of records 201 (train) and 202 (test)
    is on two sides, as in the published split."""
    return {"train": tuple(r for r in DS1 if r not in VALIDATION), "validation": VALIDATION,
            "test": DS2}


def refuse_paced(record: str | int) -> None:
    """Raise ``ValueError`` if ``record`` is one of the paced records (102, 104, 107, 217)."""
    if str(record) in PACED_RECORDS:
        raise ValueError(
            f"record {record} is a paced record: most of its beats are driven by a pacemaker "
            f"(AAMI class Q), and the inter-patient protocol excludes the paced records "
            f"{', '.join(PACED_RECORDS)}. Use the records of DS1 or DS2 instead.")


def ecg_filter(signal: np.ndarray, fs: float, *, zero_phase: bool = False,
               band: tuple[float, float] = (0.5, 40.0), order: int = 2) -> np.ndarray:
    """Band-pass Butterworth filter of a ``(n_samples,)`` ECG lead.

    The high-pass edge removes baseline wander (breathing, electrode movement), the low-pass
    edge muscle noise and mains hum. ``zero_phase=False`` runs the filter forward only: each
    output sample depends on the present and the past, as on a live monitor, at the price of
    a frequency-dependent delay that bends the waveform a little. ``zero_phase=True`` runs it
    forward and then backward over the whole signal (``sosfiltfilt``): no delay and no phase
    distortion, but every output sample depends on the future too.
    """
    signal = np.asarray(signal, dtype=np.float64)
    if signal.ndim != 1:
        raise ValueError(f"signal: expected one lead, shape (n_samples,), got {signal.shape}")
    low, high = band
    if not 0 < low < high < fs / 2:
        raise ValueError(f"band: expected 0 < low < high < fs/2 = {fs / 2:g} Hz, got {band}")
    sos = butter(order, [low, high], btype="bandpass", fs=fs, output="sos")
    return sosfiltfilt(sos, signal) if zero_phase else sosfilt(sos, signal)


def _mean_of_previous(rr: np.ndarray, n_beats: int, k: int) -> np.ndarray:
    """Mean of the (up to) ``k`` intervals that end before beat ``i``'s pre-RR interval.

    ``rr[j]`` is the interval ending at beat ``j + 1``; beat ``i`` (``i >= 2``) gets the mean
    of ``rr[max(i - 1 - k, 0) : i - 1]``. Beats 0 and 1 get NaN: there is no earlier interval.
    """
    csum = np.concatenate([[0.0], np.cumsum(rr)])
    out = np.full(n_beats, np.nan)
    i = np.arange(2, n_beats)
    start = np.maximum(i - 1 - k, 0)
    out[2:] = (csum[i - 1] - csum[start]) / (i - 1 - start)
    return out


def rr_features(beat_samples: np.ndarray, fs: float, local: int = LOCAL_BEATS,
                long: int = LONG_BEATS) -> np.ndarray:
    """RR features of every beat, ``(n_beats, 4)`` in seconds, columns :data:`RR_FEATURES`.

    - ``rr_pre``: time since the previous beat; ``rr_post``: time to the next beat.
    - ``rr_local``: mean of the (up to) ``local`` RR intervals *before* ``rr_pre``, the rhythm
      just before this beat; ``rr_long``: the same over ``long`` intervals. Both use the past
      only, so a monitor can compute them as the beat arrives.

    Undefined entries are NaN: ``rr_pre`` of the first beat, ``rr_post`` of the last, and the
    averages of the first two beats (no interval before their ``rr_pre``).
    """
    samples = np.asarray(beat_samples)
    if samples.ndim != 1 or not np.issubdtype(samples.dtype, np.integer):
        raise ValueError(f"beat_samples: expected a 1-D array of sample indices, got "
                         f"{samples.dtype} with shape {samples.shape}")
    if np.any(np.diff(samples) <= 0):
        raise ValueError("beat_samples: expected strictly increasing sample indices")
    for name, k in (("local", local), ("long", long)):
        expect_int(name, k, hint="a number of RR intervals")
    n = len(samples)
    rr = np.diff(samples) / fs                      # rr[j] = interval ending at beat j + 1
    pre, post = np.full(n, np.nan), np.full(n, np.nan)
    pre[1:], post[:-1] = rr, rr
    return np.stack([pre, post, _mean_of_previous(rr, n, local), _mean_of_previous(rr, n, long)],
                    axis=1)


def relative_rr(rr: np.ndarray) -> np.ndarray:
    """Ratios of the RR features, ``(n_beats, 5)``, columns :data:`RELATIVE_RR`.

    ``pre/local`` well below 1 marks a premature beat whatever the heart rate; ``post/local``
    above 1 a pause after it; ``local/long`` below 1 a run of fast beats (a tachycardia that
    started recently) rather than a patient whose heart is always fast.
    """
    rr = np.asarray(rr)
    if rr.ndim != 2 or rr.shape[1] != len(RR_FEATURES):
        raise ValueError(f"rr: expected shape (n_beats, {len(RR_FEATURES)}) with columns "
                         f"{RR_FEATURES}, got {rr.shape}")
    pre, post, local, long = rr.T
    return np.stack([pre / local, post / local, pre / long, post / long, local / long], axis=1)


def beat_windows(signal: np.ndarray, beat_samples: np.ndarray, *, before: int, after: int,
                 step: int) -> tuple[np.ndarray, np.ndarray]:
    """Windows of ``signal`` around each beat, every ``step``-th sample.

    Window ``i`` holds ``signal[s - before*step], ..., signal[s + (after-1)*step]`` with
    ``s = beat_samples[i]``: ``(n_beats, before + after)``. Returns the windows and a
    ``(n_beats,)`` mask, False where a window would run off the record (those rows are 0).
    """
    offsets = np.arange(-before, after) * step
    index = np.asarray(beat_samples)[:, None] + offsets
    inside = (index[:, 0] >= 0) & (index[:, -1] < len(signal))
    windows = np.zeros(index.shape, dtype=np.float32)
    windows[inside] = signal[index[inside]]
    return windows, inside


@dataclass
class Beats:
    """Beats of one or more records, in time order within each record.

    Attributes (``n`` beats, ``W`` waveform samples):
        record: ``(n,)`` record name of each beat, e.g. ``"100"``.
        patient: ``(n,)`` patient of each beat (:func:`patient_of`: 201 and 202 are one).
        sample: ``(n,)`` R-peak position in the record, in samples at 360 Hz.
        symbol: ``(n,)`` MIT-BIH annotation symbol (``"N"``, ``"A"``, ``"V"``, ...).
        label: ``(n,)`` int64 index of the AAMI class in :data:`CLASSES`.
        rr: ``(n, 4)`` float32 RR features in seconds, columns :data:`RR_FEATURES`
            (:func:`relative_rr` gives their ratios).
        wave: ``(n, W)`` float32 filtered lead MLII around the R peak, in mV.
        wave_fs: sampling rate of ``wave`` in Hz; ``wave_t0``: time of ``wave[:, 0]``
            relative to the R peak, in seconds.
        detected: ``(n,)`` bool. True for a beat the model reads: every annotated beat, or
            every detection (``label`` -1 where it matches no annotated beat: a false
            detection). False for an annotated beat the detector missed (its ``rr`` is NaN
            and its ``wave`` zeros).
    """

    record: np.ndarray
    patient: np.ndarray
    sample: np.ndarray
    symbol: np.ndarray
    label: np.ndarray
    rr: np.ndarray
    wave: np.ndarray
    wave_fs: float
    wave_t0: float
    detected: np.ndarray | None = None

    def __post_init__(self):
        if self.detected is None:
            self.detected = np.ones(len(self.label), dtype=bool)

    def __len__(self) -> int:
        return len(self.label)

    def select(self, mask: np.ndarray) -> "Beats":
        """The beats where ``mask`` (boolean, ``(n,)``) is True, in their order."""
        mask = np.asarray(mask)
        if mask.shape != (len(self),) or mask.dtype != bool:
            raise ValueError(f"mask: expected a boolean array of shape ({len(self)},), "
                             f"got {mask.dtype} {mask.shape}")
        return Beats(**{f.name: (getattr(self, f.name)[mask] if f.name not in ("wave_fs", "wave_t0")
                                  else getattr(self, f.name)) for f in fields(self)})

    def of_records(self, records) -> "Beats":
        """The beats of the given records (a name or a collection of names)."""
        wanted = {str(records)} if isinstance(records, (str, int)) else {str(r) for r in records}
        missing = wanted - set(np.unique(self.record).tolist())
        if missing:
            raise ValueError(f"records {sorted(missing)} are not in this table; "
                             f"it holds {sorted(set(self.record.tolist()))}")
        return self.select(np.isin(self.record, list(wanted)))

    def counts(self) -> dict[str, int]:
        """Number of beats of each AAMI class, ``{"N": ..., "S": ..., ...}``."""
        return dict(zip(CLASSES, np.bincount(self.label, minlength=len(CLASSES)).tolist()))


def match_beats(reference, detected, fs: float, window_s: float = 0.15) -> np.ndarray:
    """Pair detected beats with reference beats, as EC57 scores a beat detector.

    ``reference``, ``detected``: increasing sample positions, ``(n_ref,)`` and ``(n_det,)``.
    Two beats match when they are at most ``window_s`` apart (150 ms in EC57); each beat
    matches at most one other, the closest pairs first. Returns ``(n_ref,)``: the index in
    ``detected`` of each reference beat's match, or -1 where the detector missed it.
    Detections no reference beat points at are false detections.
    """
    ref, det = np.asarray(reference), np.asarray(detected)
    for name, x in (("reference", ref), ("detected", det)):
        if x.ndim != 1 or not np.issubdtype(x.dtype, np.integer) or np.any(np.diff(x) <= 0):
            raise ValueError(f"{name}: expected strictly increasing integer sample positions, "
                             f"got {x.dtype} with shape {x.shape}")
    if not (fs > 0 and window_s > 0):
        raise ValueError(f"fs, window_s: expected positive numbers, got {fs!r}, {window_s!r}")
    w = window_s * fs
    lo, hi = np.searchsorted(det, ref - w, "left"), np.searchsorted(det, ref + w, "right")
    i = np.repeat(np.arange(len(ref)), hi - lo)                  # candidate pairs (i, j)
    j = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)] or [np.zeros(0, int)])
    match, taken = np.full(len(ref), -1), np.zeros(len(det), bool)
    for k in np.argsort(np.abs(det[j] - ref[i]), kind="stable"):  # closest pairs first
        if match[i[k]] < 0 and not taken[j[k]]:
            match[i[k]], taken[j[k]] = j[k], True
    return match


def detect_beats(lead: np.ndarray, fs: float, step: int = DETECTOR_STEP) -> np.ndarray:
    """QRS positions found by wfdb's XQRS detector in a filtered lead, ``(n_beats,)``.

    ``lead``: ``(n_samples,)`` causally filtered signal (:func:`ecg_filter`). The detector
    reads every ``step``-th sample (the 40 Hz low-pass of the filter keeps that from
    aliasing much at 120 Hz) and its positions are returned in samples of ``lead``. Reading
    every sample costs XQRS about 2 s per half-hour record on one CPU, every third about 0.5 s.
    """
    lead = np.asarray(lead, dtype=np.float64)
    if lead.ndim != 1:
        raise ValueError(f"lead: expected one filtered lead, shape (n_samples,), got {lead.shape}")
    step = expect_int("step", step, hint="read every step-th sample")
    xqrs = processing.XQRS(sig=lead[::step], fs=fs / step)
    xqrs.detect(verbose=False)
    return np.unique(np.asarray(xqrs.qrs_inds, dtype=np.int64) * step)


def score_detector(record: str | int, step: int = DETECTOR_STEP) -> dict:
    """:func:`detect_beats` on one record's causally filtered lead MLII, against all its
    annotated beats: ``n_reference``, ``n_detected`` and ``n_matched`` (within 150 ms, for
    :func:`rnn_course.clinical.beat_metrics.detector_statistics`), ``offset_ms``, the median
    time from an annotated beat to its detection, and ``cpu_s``, the detector's CPU seconds."""
    refuse_paced(record)
    rec = load_mitbih_record(str(record), progress=False)
    lead = ecg_filter(rec.lead(LEAD), rec.fs)
    start = time.process_time()
    det = detect_beats(lead, rec.fs, step)
    cpu = time.process_time() - start
    match = match_beats(rec.beat_samples, det, rec.fs, MATCH_WINDOW_S)
    found = match >= 0
    offset = np.median(det[match[found]] - rec.beat_samples[found]) / rec.fs
    return dict(n_reference=len(match), n_detected=len(det), n_matched=int(found.sum()),
                offset_ms=1000 * float(offset), cpu_s=cpu)


def _detected_table(rec: MitbihRecord, lead: np.ndarray, reference: Beats, before: int,
                    after: int, step: int) -> dict:
    """Columns of :class:`Beats` for the detector's beats of one record, plus the annotated
    beats of ``reference`` it missed."""
    det = detect_beats(lead, rec.fs)
    match = match_beats(rec.beat_samples, det, rec.fs, MATCH_WINDOW_S)
    symbol = np.full(len(det), "", dtype=rec.beat_symbols.dtype)
    symbol[match[match >= 0]] = rec.beat_symbols[match >= 0]
    rr = rr_features(det, rec.fs)
    wave, inside = beat_windows(lead, det, before=before, after=after, step=step)
    keep = inside & np.isfinite(rr).all(axis=1)
    # Annotated beats of the reference table with no kept detection are missed, between the
    # first and the last kept detection (the edges lack neighbours on both paths).
    found = np.isin(match, np.flatnonzero(keep))[np.isin(rec.beat_samples, reference.sample)]
    lo, hi = det[keep][[0, -1]] + np.array([-1, 1]) * MATCH_WINDOW_S * rec.fs
    missed = ~found & (reference.sample >= lo) & (reference.sample <= hi)
    n_missed = int(missed.sum())
    sample = np.concatenate([det[keep], reference.sample[missed]])
    order = np.argsort(sample, kind="stable")
    label = np.array([CLASSES.index(AAMI_CLASSES[s]) if s else -1 for s in symbol[keep]],
                     dtype=np.int64)
    return dict(
        sample=sample[order], symbol=np.concatenate([symbol[keep], reference.symbol[missed]])[order],
        label=np.concatenate([label, reference.label[missed]])[order],
        rr=np.concatenate([rr[keep], np.full((n_missed, 4), np.nan)]).astype(np.float32)[order],
        wave=np.concatenate([wave[keep], np.zeros((n_missed, wave.shape[1]), np.float32)])[order],
        detected=np.concatenate([np.ones(int(keep.sum()), bool), np.zeros(n_missed, bool)])[order])


def extract_beats(record: MitbihRecord | str | int, *, zero_phase: bool = False, fs_out: float = 90.0,
                  window_s: tuple[float, float] = (0.25, 0.45),
                  positions: str = "annotated") -> Beats:
    """Every beat of one record with its class, RR features and waveform.

    Kept: beats with an AAMI class that have a previous interval before their ``rr_pre``
    (so the first two beats of a record are dropped), a next beat (the last is dropped) and
    a whole waveform window inside the record. The waveform is lead MLII, filtered by
    :func:`ecg_filter` (causal unless ``zero_phase``), taken every ``360 / fs_out`` samples
    from ``window_s[0]`` seconds before to ``window_s[1]`` seconds after the R peak. Paced
    records are refused (:func:`refuse_paced`).

    ``positions="detected"``: the beats are where :func:`detect_beats` finds them, with RR
    features and windows computed from those positions; each takes the class of the
    annotated beat within 150 ms (``label`` -1 if none: a false detection), and the annotated
    beats it missed are added with ``detected`` False.
    """
    if positions not in ("annotated", "detected"):
        raise ValueError(f"positions: expected 'annotated' or 'detected', got {positions!r}")
    name = record.name if isinstance(record, MitbihRecord) else str(record)
    refuse_paced(name)
    rec = record if isinstance(record, MitbihRecord) else load_mitbih_record(name, progress=False)
    step = round(rec.fs / fs_out)
    if step < 1 or abs(rec.fs / step - fs_out) > 1e-6:
        raise ValueError(f"fs_out: expected {rec.fs:g} Hz divided by a whole number, got {fs_out}")
    before, after = round(window_s[0] * fs_out), round(window_s[1] * fs_out)
    samples, symbols = rec.beat_samples, rec.beat_symbols
    rr = rr_features(samples, rec.fs)
    lead = ecg_filter(rec.lead(LEAD), rec.fs, zero_phase=zero_phase)
    wave, inside = beat_windows(lead, samples, before=before, after=after, step=step)
    keep = inside & np.isfinite(rr).all(axis=1)
    n = int(keep.sum())
    beats = Beats(
        record=np.full(n, name), patient=np.full(n, patient_of(name)),
        sample=samples[keep], symbol=symbols[keep],
        label=np.array([CLASSES.index(AAMI_CLASSES[s]) for s in symbols[keep]], dtype=np.int64),
        rr=rr[keep].astype(np.float32), wave=wave[keep],
        wave_fs=rec.fs / step, wave_t0=-before * step / rec.fs)
    if positions == "annotated":
        return beats
    columns = _detected_table(rec, lead, beats, before, after, step)
    n = len(columns["sample"])
    return Beats(record=np.full(n, name), patient=np.full(n, patient_of(name)), **columns,
                 wave_fs=beats.wave_fs, wave_t0=beats.wave_t0)


def load_beats(records, *, zero_phase: bool = False, positions: str = "annotated") -> Beats:
    """:func:`extract_beats` of several records, concatenated in the order given."""
    records = [str(r) for r in records]
    if not records:
        raise ValueError("records: expected at least one record name, e.g. DS1")
    for r in records:
        refuse_paced(r)
    parts = [extract_beats(r, zero_phase=zero_phase, positions=positions) for r in records]
    return Beats(**{f.name: (np.concatenate([getattr(p, f.name) for p in parts])
                             if f.name not in ("wave_fs", "wave_t0") else getattr(parts[0], f.name))
                    for f in fields(Beats)})
