"""Clinical models and evaluation (chapter 7): GRU-D and GRU-Simple for irregular ICU series,
confidence intervals resampled over patients, per-class beat metrics as AAMI EC57 reports
them, and the operating threshold of a risk score."""
from .beat_metrics import (confusion_by_record, detector_statistics, ec57_statistics, macro_f1,
                           metrics_table, paired_differences, per_record_table,
                           positive_predictivity, sensitivity)
from .bootstrap import Interval, group_bootstrap, rank_auroc
from .grud import GRUD, GRUSimple, last_observed
from .thresholds import best_threshold, event1_score, predict_risk

__all__ = [
    "confusion_by_record", "detector_statistics", "ec57_statistics", "macro_f1", "metrics_table",
    "paired_differences", "per_record_table", "positive_predictivity", "sensitivity",
    "Interval", "group_bootstrap", "rank_auroc",
    "GRUD", "GRUSimple", "last_observed",
    "best_threshold", "event1_score", "predict_risk",
]
