"""Headless Chromium for the tests that need a browser (the sign-in page, the documentation site's
diagrams): Debian's chromium and chromium-driver, which `make test` installs
(scripts/system_packages.sh). A missing browser fails the test with the command that installs it,
never skips it."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
)
WAIT = 20
"""Seconds a page load or a wait for an element may take."""


@contextmanager
def chromium(profile: Path, extra_flags: Sequence[str] = ()) -> Iterator[Any]:
    """A selenium driver for headless Chromium with its profile in ``profile``."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_binary = shutil.which("chromium"), shutil.which("chromedriver")
    if binary is None or driver_binary is None:
        pytest.fail(
            "Chromium is not installed: `make test` installs it (scripts/system_packages.sh); by hand: "
            "sudo apt-get install -y chromium chromium-driver",
            pytrace=False,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in (*CHROMIUM_FLAGS, *extra_flags):
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile / 'profile'}")
    # An explicit driver: selenium's manager never runs (it would look for drivers online).
    service = Service(executable_path=driver_binary, log_output=str(profile / "chromedriver.log"))
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(WAIT)
    try:
        yield driver
    finally:
        driver.quit()
