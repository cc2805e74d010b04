"""Every data set of the course: verified PhysioNet downloads and their loaders (MIT-BIH,
Challenge 2012 and its hourly ICU grid), batches of beats cut inside each record, the seeded
synthetic tasks (``tasks``, ``timestamps``, ``sigs``), and the check that splits share no
patient."""
from .cache import DATA_ENV_VAR, DataError, cache_dir, fetch, fetch_many, registry
from .mitbih import AAMI_CLASSES, MitbihRecord, load_mitbih_record, mitbih_records
from .mitbih_beats import (
    CLASSES, DS1, DS2, PACED_RECORDS, VALIDATION, Beats, detect_beats, ecg_filter, extract_beats,
    lab_splits, load_beats, match_beats, patient_of, relative_rr, rr_features, score_detector,
)
from .physionet2012 import Physionet2012, load_physionet2012
from .record_batches import BeatWindows, record_sequences
from .splits import assert_disjoint

__all__ = [
    "DATA_ENV_VAR", "DataError", "cache_dir", "fetch", "fetch_many", "registry",
    "AAMI_CLASSES", "MitbihRecord", "load_mitbih_record", "mitbih_records",
    "CLASSES", "DS1", "DS2", "PACED_RECORDS", "VALIDATION", "Beats", "detect_beats", "ecg_filter",
    "extract_beats", "lab_splits", "load_beats", "match_beats", "patient_of", "relative_rr",
    "rr_features", "score_detector",
    "Physionet2012", "load_physionet2012",
    "BeatWindows", "record_sequences",
    "assert_disjoint",
]
