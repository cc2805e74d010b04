"""rnn_course.data.mitbih_beats: the beat table on real records, the split, the patients.

Tests on real records read the offline PhysioNet mirror ($RNN_COURSE_DATA, see conftest.py)
and are skipped when it is missing. The split tests need no data: they are the guard that
no patient other than the documented 201/202 is ever on two sides of a split the lab uses.
"""
from __future__ import annotations

from itertools import combinations

import numpy as np
import pytest

from rnn_course.data import (
    CLASSES, DS1, DS2, PACED_RECORDS, VALIDATION, Beats, ecg_filter, extract_beats, lab_splits,
    load_beats, match_beats, mitbih_records, patient_of, relative_rr, rr_features,
)
from rnn_course.data.mitbih_beats import beat_windows
from rnn_course.data.splits import assert_disjoint


# ================================================================== matching detections to beats
def test_match_beats_pairs_within_150_ms_closest_first():
    fs = 360
    ref = np.array([1000, 2000, 3000, 4000])
    # 2000 is 54 samples (150 ms) from 2054: matched; 3000 is 55 samples from 3055: missed;
    # two detections near 1000: the closer one matches, the other is a false detection.
    det = np.array([990, 1003, 2054, 3055, 5000])
    match = match_beats(ref, det, fs)
    assert match.tolist() == [1, 2, -1, -1]
    # one detection between two reference beats goes to the closer one only
    assert match_beats(np.array([100, 160]), np.array([150]), fs).tolist() == [-1, 0]
    assert match_beats(np.array([100]), np.zeros(0, dtype=int), fs).tolist() == [-1]
    with pytest.raises(ValueError, match="detected: expected strictly increasing integer"):
        match_beats(ref, np.array([5.0, 2.0]), fs)


def test_match_beats_agrees_with_wfdb_on_a_jittered_record(rng):
    processing = pytest.importorskip("wfdb.processing")
    ref = np.cumsum(rng.integers(200, 400, size=500))
    keep = rng.random(500) > 0.02                               # 2 % missed
    det = np.unique(np.concatenate([ref[keep] + rng.integers(-30, 31, keep.sum()),
                                    rng.integers(0, ref[-1], 10)]))   # 10 false
    match = match_beats(ref, det, 360)
    c = processing.compare_annotations(ref, det, 54)
    assert (match >= 0).sum() == c.tp and (match < 0).sum() == c.fn


# ================================================================== the split and the patients
def test_ds1_ds2_and_paced_records_cover_the_database_once():
    assert len(DS1) == len(DS2) == 22 and len(PACED_RECORDS) == 4
    everything = list(DS1) + list(DS2) + list(PACED_RECORDS)
    assert len(set(everything)) == 48 and sorted(everything) == mitbih_records()
    assert not set(PACED_RECORDS) & (set(DS1) | set(DS2))


def test_records_201_and_202_are_one_patient_and_every_other_record_its_own():
    assert patient_of("201") == patient_of("202") == patient_of(202) == "201/202"
    others = [r for r in mitbih_records() if r not in ("201", "202")]
    assert [patient_of(r) for r in others] == others
    assert len({patient_of(r) for r in mitbih_records()}) == 47
    with pytest.raises(ValueError, match="unknown MIT-BIH record '99'"):
        patient_of("99")


def test_ds1_and_ds2_share_only_the_documented_patient():
    with pytest.raises(ValueError) as info:
        assert_disjoint(DS1=[patient_of(r) for r in DS1], DS2=[patient_of(r) for r in DS2])
    assert "share 1 group(s): 201/202" in str(info.value)
    assert_disjoint(DS1=[patient_of(r) for r in DS1],
                    DS2_without_202=[patient_of(r) for r in DS2 if r != "202"])


def test_no_other_patient_is_on_two_sides_of_a_split_the_lab_uses():
    """Fails if an edit to the lab's splits puts any patient but 201/202 on two sides."""
    splits = lab_splits()
    assert set(splits) == {"train", "validation", "test"}
    assert set(splits["train"]) | set(splits["validation"]) == set(DS1)
    assert splits["test"] == DS2 and splits["validation"] == VALIDATION
    for (a, ra), (b, rb) in combinations(splits.items(), 2):
        shared = {patient_of(r) for r in ra} & {patient_of(r) for r in rb}
        allowed = {"201/202"} if {a, b} == {"train", "test"} else set()
        assert shared == allowed, (a, b, shared)
    # The published split's one exception is really there (201 trains, 202 tests) ...
    assert "201" in splits["train"] and "202" in splits["test"]
    # ... and without 202 the lab's splits are patient-disjoint.
    assert_disjoint(**{k: [patient_of(r) for r in v if r != "202"] for k, v in splits.items()})


# ================================================================== RR features (no data needed)
def test_rr_features_use_the_past_only():
    samples = np.array([0, 300, 600, 900, 1000, 1400, 1700, 2000])   # beat 4 is premature
    rr = rr_features(samples, fs=100.0, local=3, long=5)
    assert rr.shape == (8, 4)
    np.testing.assert_allclose(rr[1:, 0], [3, 3, 3, 1, 4, 3, 3])     # rr_pre (s)
    np.testing.assert_allclose(rr[:-1, 1], [3, 3, 3, 1, 4, 3, 3])    # rr_post (s)
    assert np.isnan(rr[0, 0]) and np.isnan(rr[-1, 1]) and np.isnan(rr[:2, 2:]).all()
    # beat 4 (premature, rr_pre = 1 s): its local mean is over the 3 intervals before, all 3 s
    assert rr[4, 2] == pytest.approx(3.0) and rr[4, 0] / rr[4, 2] == pytest.approx(1 / 3)
    # beat 5: the 3 intervals before its rr_pre are 3, 3, 1 -> 7/3; the long mean is (3+3+3+1)/4
    assert rr[5, 2] == pytest.approx(7 / 3) and rr[5, 3] == pytest.approx(2.5)
    # beat 2: the only earlier interval
    assert rr[2, 2] == rr[2, 3] == pytest.approx(3.0)


def test_rr_features_do_not_change_when_the_future_changes():
    rng = np.random.default_rng(0)
    samples = np.cumsum(rng.integers(250, 350, size=50))
    later = samples.copy()
    later[30:] += 77  # every beat from 30 on arrives later
    a, b = rr_features(samples, 360.0), rr_features(later, 360.0)
    np.testing.assert_array_equal(a[:29, [0, 2, 3]], b[:29, [0, 2, 3]])  # rr_pre and the means
    np.testing.assert_array_equal(a[:29, 1], b[:29, 1])                  # rr_post until beat 28


def test_relative_rr_columns_and_errors():
    rr = np.array([[0.5, 1.0, 1.0, 0.8]])
    np.testing.assert_allclose(relative_rr(rr), [[0.5, 1.0, 0.625, 1.25, 1.25]])
    with pytest.raises(ValueError, match=r"rr: expected shape \(n_beats, 4\)"):
        relative_rr(np.ones((3, 5)))


@pytest.mark.parametrize("samples,match", [
    (np.array([0.0, 1.0]), "sample indices"),
    (np.array([[0, 1]]), "1-D array"),
    (np.array([0, 5, 5]), "strictly increasing"),
])
def test_rr_features_reject_bad_beat_positions(samples, match):
    with pytest.raises(ValueError, match=match):
        rr_features(samples, 360.0)


def test_rr_features_reject_bad_windows():
    with pytest.raises(ValueError, match="local: expected a positive int"):
        rr_features(np.arange(5), 360.0, local=0)
    with pytest.raises(ValueError, match="long: expected a positive int"):
        rr_features(np.arange(5), 360.0, long=2.5)


# ================================================================== filter and windows
def test_causal_filter_ignores_the_future_and_zero_phase_does_not():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(4000)
    y = x.copy()
    y[3000:] += 5.0  # change only the future
    np.testing.assert_array_equal(ecg_filter(x, 360.0)[:3000], ecg_filter(y, 360.0)[:3000])
    assert np.abs(ecg_filter(x, 360.0, zero_phase=True)[:3000]
                  - ecg_filter(y, 360.0, zero_phase=True)[:3000]).max() > 1e-3


def test_filter_removes_a_constant_offset_and_checks_its_inputs():
    assert np.abs(ecg_filter(np.full(20000, 3.0), 360.0, zero_phase=True)).max() < 1e-3
    with pytest.raises(ValueError, match=r"signal: expected one lead"):
        ecg_filter(np.ones((10, 2)), 360.0)
    with pytest.raises(ValueError, match=r"band: expected 0 < low < high < fs/2 = 180 Hz"):
        ecg_filter(np.ones(100), 360.0, band=(0.5, 200.0))


def test_beat_windows_mark_windows_that_run_off_the_record():
    signal = np.arange(100, dtype=float)
    windows, inside = beat_windows(signal, np.array([1, 50, 98]), before=2, after=3, step=2)
    assert inside.tolist() == [False, True, False]
    np.testing.assert_array_equal(windows[1], [46, 48, 50, 52, 54])
    assert (windows[~inside] == 0).all()


# ================================================================== real records from the mirror
@pytest.fixture(scope="module")
def beats100(mirror_module):
    return extract_beats("100")


@pytest.fixture(scope="module")
def mirror_module():
    from rnn_course.data import cache_dir

    if not (cache_dir() / "physionet" / "mitdb" / "1.0.0" / "100.dat").exists():
        pytest.skip(f"PhysioNet mirror not found at {cache_dir()}; set RNN_COURSE_DATA")


def test_record_100_class_counts(beats100):
    # 2273 beats (2239 N, 33 A, 1 V); the first two and the last (all N) lack a neighbour.
    assert beats100.counts() == {"N": 2236, "S": 33, "V": 1, "F": 0, "Q": 0}
    assert len(beats100) == 2270 and set(beats100.patient) == {"100"}


def test_record_208_class_counts_include_fusion_and_q(mirror_module):
    # 208.atr: 1586 N, 2 S, 992 V, 373 F, 2 Q beats (2955); the first two and the last dropped.
    assert extract_beats("208").counts() == {"N": 1585, "S": 2, "V": 991, "F": 372, "Q": 2}


def test_record_100_first_beats_rr_intervals(beats100):
    # The first R peaks of 100.atr are at samples 77, 370, 662, 946, 1231 (360 Hz).
    assert beats100.sample[:3].tolist() == [662, 946, 1231]
    np.testing.assert_allclose(beats100.rr[0], [292 / 360, 284 / 360, 293 / 360, 293 / 360], rtol=1e-6)
    np.testing.assert_allclose(beats100.rr[1], [284 / 360, 285 / 360, 292.5 / 360, 292.5 / 360], rtol=1e-6)
    assert np.isfinite(beats100.rr).all()


def test_record_100_waveforms(beats100):
    b = beats100
    assert b.wave.shape == (2270, 62) and b.wave.dtype == np.float32
    assert b.wave_fs == 90.0 and b.wave_t0 == pytest.approx(-22 / 90)
    r_index = 22  # the sample at the R peak
    peak = np.abs(b.wave).argmax(axis=1)
    assert np.median(np.abs(peak - r_index)) <= 1  # the R peak sits at the middle of the QRS
    assert b.label.dtype == np.int64 and set(np.unique(b.label)) <= set(range(len(CLASSES)))


def test_paced_records_are_refused_with_a_clear_message(mirror_module):
    for record in PACED_RECORDS:
        with pytest.raises(ValueError, match=f"record {record} is a paced record") as info:
            extract_beats(record)
        assert "102, 104, 107, 217" in str(info.value)
    with pytest.raises(ValueError, match="record 217 is a paced record"):
        load_beats(["100", "217"])


def test_load_beats_keeps_records_in_order_and_selects(mirror_module):
    b = load_beats(["201", "202"])
    assert isinstance(b, Beats) and set(b.patient) == {"201/202"}
    names = list(dict.fromkeys(b.record))
    assert names == ["201", "202"]
    one = b.of_records("202")
    assert set(one.record) == {"202"} and np.all(np.diff(one.sample) > 0)
    with pytest.raises(ValueError, match=r"records \['100'\] are not in this table"):
        b.of_records(["100"])
    with pytest.raises(ValueError, match="mask: expected a boolean array"):
        b.select(np.ones(3, dtype=bool))
    with pytest.raises(ValueError, match="records: expected at least one record name"):
        load_beats([])


def test_detected_beats_of_record_100_match_the_annotations(beats100):
    # XQRS finds every beat of record 100 within 150 ms of its annotation, and no other.
    det = extract_beats("100", positions="detected")
    ann = beats100
    assert det.detected.all() and (det.label >= 0).all() and len(det) == len(ann)
    assert det.counts() == ann.counts() and np.abs(det.sample - ann.sample).max() <= 54
    assert np.isfinite(det.rr).all() and det.wave.shape == ann.wave.shape
    assert ann.detected.all()
    with pytest.raises(ValueError, match="positions: expected 'annotated' or 'detected'"):
        extract_beats("100", positions="xqrs")


def test_detect_beats_refuses_two_leads():
    from rnn_course.data.mitbih_beats import detect_beats

    with pytest.raises(ValueError, match=r"lead: expected one filtered lead"):
        detect_beats(np.zeros((10, 2)), 360)
    with pytest.raises(ValueError, match="step: expected a positive int"):
        detect_beats(np.zeros(1000), 360, step=0)


def test_score_detector_on_record_100(mirror_module):
    from rnn_course.data.mitbih_beats import score_detector

    s = score_detector("100")
    assert s["n_reference"] == s["n_detected"] == s["n_matched"] == 2273
    assert abs(s["offset_ms"]) < 10 and s["cpu_s"] >= 0
    with pytest.raises(ValueError, match="record 217 is a paced record"):
        score_detector("217")
