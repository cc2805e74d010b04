"""Headless Chromium with the network off: the one start-up the book's PDF and browser check share.

``tools/make_pdf.py`` prints the book with it and ``tests/browser_check.py`` opens the built
site with it. Both drive Debian's ``chromium`` and ``chromium-driver`` with Selenium, in a
1280×900 window and a throw-away profile, with every request to the network refused: a proxy
that goes nowhere, no name resolution, and DevTools' offline emulation.
"""
from __future__ import annotations

import shutil
import tempfile
from contextlib import contextmanager
from typing import Iterator

WINDOW = (1280, 900)
FLAGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync", "--disable-quic",
    "--disable-extensions", "--hide-scrollbars", "--force-device-scale-factor=1",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
    # the network is off: any http(s) request goes to a proxy that is not there
    "--proxy-server=http://127.0.0.1:9", "--proxy-bypass-list=<-loopback>",
    "--host-resolver-rules=MAP * ~NOTFOUND",
]


def find_chromium() -> tuple[str, str] | None:
    """(chromium, chromedriver) paths, or None when either is missing."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@contextmanager
def open_chromium(missing: Exception, *, profile_prefix: str, page_load_timeout: float,
                  script_timeout: float, command_timeout: float | None = None,
                  logs: bool = False) -> Iterator[object]:
    """A Selenium driver of headless Chromium with the network off; quit on leaving.

    ``missing`` is raised when Chromium or its driver is not installed (each caller says what
    to install); the timeouts are in seconds (``command_timeout``: the driver's own HTTP
    calls, for a command as long as printing a book); ``logs`` records the console and the
    network (``driver.get_log("browser")`` and ``("performance")``)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    found = find_chromium()
    if found is None:
        raise missing
    browser, driver_path = found
    profile = tempfile.mkdtemp(prefix=profile_prefix)
    options = webdriver.ChromeOptions()
    options.binary_location = browser
    for flag in FLAGS + [f"--user-data-dir={profile}"]:
        options.add_argument(flag)
    if logs:
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        if command_timeout is not None:
            driver.command_executor.client_config.timeout = command_timeout
        driver.set_page_load_timeout(page_load_timeout)
        driver.set_script_timeout(script_timeout)
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
