"""A real browser signs in: headless Chromium (Debian's ``chromium`` and ``chromium-driver``,
driven by selenium) goes through the example project's login page, ministack's managed login form
and the callback, and lands on the signed-in page; then it signs out, and signs in by password.

Everything on 127.0.0.1: ministack (the session fixture), the example project under gunicorn,
chromedriver, and a Chromium with its background services off and a fresh profile. ``make test``
installs Chromium (scripts/system_packages.sh); where it is missing the tests fail with the command
that installs it, never skip.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import WAIT, chromium
from tests.support.ministack_server import Ministack

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def demo() -> Any:
    """examples/demo.py's helpers: the example project under gunicorn, the sign-in pool."""
    sys.path.insert(0, str(REPO / "examples"))
    try:
        import demo as module
    finally:
        sys.path.remove(str(REPO / "examples"))
    return module


@pytest.fixture(scope="module")
def example_project(demo: Any, ministack: Ministack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The example project with HOSTED_UI on ministack's managed login, under gunicorn."""
    workdir = tmp_path_factory.mktemp("example-project")
    port = demo.free_port()
    app_url = f"http://127.0.0.1:{port}"
    pool = demo.create_hosted_pool(ministack.url, app_url)
    base_env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "FASTCOGNITO_"))}
    base_env.pop("PYTHONPATH", None)
    base_env.update(
        {
            "DJANGO_SETTINGS_MODULE": "project.settings",
            "EXAMPLE_DB_PATH": str(workdir / "db.sqlite3"),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env = demo.sign_in_env(base_env, ministack.url, pool, app_url)
    demo.migrate(env)
    with demo.gunicorn(env, workdir / "gunicorn.log", port=port) as base_url:
        yield base_url


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    with chromium(tmp_path) as driver:
        yield driver


def wait_for(driver: Any, css: str) -> Any:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(driver, WAIT).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, css)))


def test_sign_in_through_the_managed_login_in_chromium(browser: Any, example_project: str, ministack: Ministack) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{example_project}/")
    wait_for(browser, "#managed-login").click()

    # ministack's managed login page: a real form, filled and submitted as a person would.
    wait_for(browser, "input[name=username]")
    assert browser.current_url.startswith(f"{ministack.url}/oauth2/authorize?")
    assert "code_challenge_method=S256" in browser.current_url
    browser.find_element(By.NAME, "username").send_keys("alice")
    browser.find_element(By.NAME, "password").send_keys("Demo-Passw0rd!")
    browser.find_element(By.CSS_SELECTOR, "button[type=submit]").click()

    signed_in = wait_for(browser, "#signed-in-as")
    assert browser.current_url == f"{example_project}/signed-in/"
    assert "alice" in signed_in.text

    cookies = {cookie["name"]: cookie for cookie in browser.get_cookies()}
    assert cookies["access_token"]["httpOnly"] and cookies["access_token"]["path"] == "/"
    assert cookies["access_token"]["sameSite"] == "Lax"
    assert "fastcognito_refresh" not in cookies  # its path is /auth/refresh/ and /auth/logout/ only
    # HttpOnly, seen from the page itself: no script can read the token.
    assert "access_token" not in browser.execute_script("return document.cookie")

    browser.find_element(By.ID, "sign-out").click()
    wait_for(browser, "#signed-out")
    assert browser.current_url == f"{example_project}/signed-out/"
    assert "access_token" not in {cookie["name"] for cookie in browser.get_cookies()}
    browser.get(f"{example_project}/signed-in/")
    wait_for(browser, "#managed-login")  # back on the login page: signed out


def test_sign_in_with_a_password_in_chromium(browser: Any, example_project: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{example_project}/")
    wait_for(browser, "#password-form")
    browser.find_element(By.NAME, "username").send_keys("alice")
    browser.find_element(By.NAME, "password").send_keys("wrong-password")
    browser.find_element(By.CSS_SELECTOR, "#password-form button").click()
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, WAIT).until(lambda driver: driver.find_element(By.ID, "error").text)
    assert browser.find_element(By.ID, "error").text == "incorrect username or password"

    browser.find_element(By.NAME, "password").clear()
    browser.find_element(By.NAME, "password").send_keys("Demo-Passw0rd!")
    browser.find_element(By.CSS_SELECTOR, "#password-form button").click()
    assert "alice" in wait_for(browser, "#signed-in-as").text
