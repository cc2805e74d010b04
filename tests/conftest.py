"""Shared fixtures. Tests that need PhysioNet files use the cache in $RNN_COURSE_DATA
(CI points it at the offline mirror ../shared/data) and are skipped with a clear reason
when the files are not there."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
MIRROR = ROOT.parent / "shared" / "data"


def pytest_configure(config):
    config.addinivalue_line("markers", "built_html: checks on the built website (run after the book build)")
    # Default the data cache to the offline mirror next to the checkout, as CI does.
    if not os.environ.get("RNN_COURSE_DATA") and MIRROR.is_dir():
        os.environ["RNN_COURSE_DATA"] = str(MIRROR)


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture
def mirror() -> Path:
    """The folder holding PhysioNet files (the data cache)."""
    from rnn_course.data import cache_dir

    path = cache_dir()
    if not (path / "physionet" / "mitdb" / "1.0.0" / "100.dat").exists():
        pytest.skip(f"PhysioNet mirror not found at {path}; set RNN_COURSE_DATA")
    return path
