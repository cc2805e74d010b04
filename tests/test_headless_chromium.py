"""The headless-Chromium start-up that the PDF (tools/make_pdf.py) and the browser check share.

Fast: nothing here starts a browser. A missing Chromium or driver raises the caller's own
error (each says what to install), and the network-off flags are there for both callers."""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tools"))
import headless_chromium  # noqa: E402


@pytest.mark.parametrize("absent", ["chromium", "chromedriver"])
def test_a_missing_browser_or_driver_raises_the_callers_error(monkeypatch, absent):
    def which(name):  # the driver is there and the browser not, or the other way round
        return None if (name == "chromedriver") == (absent == "chromedriver") else f"/usr/bin/{name}"

    monkeypatch.setattr(shutil, "which", which)
    assert headless_chromium.find_chromium() is None
    with pytest.raises(SystemExit, match="install it"):
        with headless_chromium.open_chromium(SystemExit("install it"), profile_prefix="x-",
                                             page_load_timeout=1, script_timeout=1):
            pytest.fail("no browser should have started")


def test_the_network_is_off_and_the_window_fixed():
    flags = headless_chromium.FLAGS
    assert "--headless=new" in flags and "--proxy-server=http://127.0.0.1:9" in flags
    assert "--host-resolver-rules=MAP * ~NOTFOUND" in flags
    assert f"--window-size={headless_chromium.WINDOW[0]},{headless_chromium.WINDOW[1]}" in flags
