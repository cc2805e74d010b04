"""Shared fixtures. Tests that need PhysioNet files use the cache in $RNN_COURSE_DATA
(CI points it at the offline mirror ../shared/data). When the files are not there they
FAIL if $RNN_COURSE_DATA or $CI was set by the caller (the mirror is then required), and
are skipped with the reason otherwise (a local run without the mirror)."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
MIRROR = ROOT.parent / "shared" / "data"
# Read before pytest_configure defaults the variable: did the caller ask for the mirror?
MIRROR_REQUIRED = bool(os.environ.get("RNN_COURSE_DATA", "").strip() or os.environ.get("CI"))


def need_data(*paths: Path) -> None:
    """Fail (mirror required) or skip (local run) unless every path exists."""
    missing = [p for p in paths if not p.exists()]
    if not missing:
        return
    message = (f"{len(missing)} PhysioNet file(s) missing from the data cache, e.g. {missing[0]}; "
               "set RNN_COURSE_DATA to the mirror")
    if MIRROR_REQUIRED:
        pytest.fail(message + " (required: RNN_COURSE_DATA or CI is set)", pytrace=False)
    pytest.skip(message)


def pytest_configure(config):
    config.addinivalue_line("markers", "built_html: checks on the built website and the executed labs it was "
                            "built from (run after the book build)")
    config.addinivalue_line("markers", "executes_lab: executes a chapter's lab notebook (not in `make check`)")
    config.addinivalue_line("markers", "slow: takes seconds (a book build, a kernel, a subprocess, training); "
                            "not in `make check`, run by `make test`")
    config.addinivalue_line("markers", "pdf: checks on the book's PDF (run after `make pdf`; also built_html)")
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
    need_data(path / "physionet" / "mitdb" / "1.0.0" / "100.dat")
    return path
