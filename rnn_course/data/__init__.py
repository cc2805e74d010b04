"""Open PhysioNet data: a verified download cache and loaders for the course's databases."""
from .cache import DATA_ENV_VAR, DataError, cache_dir, fetch, fetch_many, registry
from .mitbih import AAMI_CLASSES, MitbihRecord, load_mitbih_record, mitbih_records
from .mitbih_beats import (
    CLASSES, DS1, DS2, PACED_RECORDS, VALIDATION, Beats, ecg_filter, extract_beats, lab_splits, load_beats,
    patient_of, relative_rr, rr_features,
)
from .physionet2012 import Physionet2012, load_physionet2012

__all__ = [
    "DATA_ENV_VAR", "DataError", "cache_dir", "fetch", "fetch_many", "registry",
    "AAMI_CLASSES", "MitbihRecord", "load_mitbih_record", "mitbih_records",
    "CLASSES", "DS1", "DS2", "PACED_RECORDS", "VALIDATION", "Beats", "ecg_filter", "extract_beats",
    "lab_splits", "load_beats", "patient_of", "relative_rr", "rr_features",
    "Physionet2012", "load_physionet2012",
]
