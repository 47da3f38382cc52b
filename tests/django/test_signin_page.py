"""docs/sign-in.md, "A password sign-in page": the view and template shown there, read from the page
and run with Django's CSRF checks enforced, against ministack's Cognito.

The page must set the CSRF cookie (``ensure_csrf_cookie``), and the script must send it back in
``X-CSRFToken`` and read it again before the next attempt (a sign-in rotates it).
"""

from __future__ import annotations

import json
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.test import Client, override_settings
from django.urls import include, path

from tests.support.django.ministack_signin import ACCESS, fastcognito_settings
from tests.support.ministack_server import PASSWORD, CognitoApp

pytestmark = pytest.mark.slow

DOC = Path(__file__).resolve().parents[2] / "docs" / "sign-in.md"
SECTION = "## A password sign-in page"
URLCONF = "docs_signin_page_urls"


def documented_blocks() -> dict[str, str]:
    section = DOC.read_text(encoding="utf-8").split(SECTION, 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"```(python|html)\n(.*?)```", section, re.DOTALL))


@pytest.fixture
def signin_page_site(tmp_path: Path, cognito_app: CognitoApp) -> Iterator[types.ModuleType]:
    """The documented urls.py and views.py as this project's URL conf, the documented template in
    its template directory, FASTCOGNITO pointed at ministack."""
    blocks = documented_blocks()
    module = types.ModuleType(URLCONF)
    # What the reader's urls.py imports above the part the docs show.
    module.__dict__.update(path=path, include=include)
    exec(compile(blocks["python"], f"{DOC.name} ({SECTION})", "exec"), module.__dict__)  # noqa: S102
    # A control: the same view without ensure_csrf_cookie.
    module.urlpatterns.append(path("undecorated/", module.signin_page.__wrapped__))
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "signin.html").write_text(blocks["html"].split("\n", 1)[1], encoding="utf-8")
    template_settings = [{**django_settings.TEMPLATES[0], "DIRS": [str(templates)]}]
    sys.modules[URLCONF] = module
    try:
        with override_settings(
            ROOT_URLCONF=URLCONF,
            TEMPLATES=template_settings,
            FASTCOGNITO=fastcognito_settings(cognito_app, cognito_app.public),
        ):
            yield module
    finally:
        del sys.modules[URLCONF]


def sign_in(browser: Client, csrf_token: str | None) -> Any:
    headers = {"HTTP_X_CSRFTOKEN": csrf_token} if csrf_token is not None else {}
    body = json.dumps({"username": "alice", "password": PASSWORD})
    return browser.post("/auth/signin/", body, content_type="application/json", **headers)


def test_the_documented_page_sets_the_cookie_and_its_fetch_signs_in(signin_page_site: Any) -> None:
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/signin/")
    assert page.status_code == 200
    html = page.content.decode()
    # The template's {% url %} names the real view; the script sends the header it reads.
    assert 'fetch("/auth/signin/"' in html and '"X-CSRFToken": csrfToken()' in html
    token = browser.cookies["csrftoken"].value
    assert token

    assert sign_in(browser, None).status_code == 403  # without the header: Django's CSRF 403
    signed_in = sign_in(browser, token)
    assert signed_in.status_code == 200, signed_in.content
    assert signed_in.cookies[ACCESS].value and signed_in.cookies[ACCESS]["httponly"]

    # The sign-in rotated the CSRF token: the old value no longer passes, the cookie's new one does.
    rotated = browser.cookies["csrftoken"].value
    assert rotated != token
    assert sign_in(browser, token).status_code == 403
    assert sign_in(browser, rotated).status_code == 200


def test_without_ensure_csrf_cookie_the_page_gives_no_csrf_cookie(signin_page_site: Any) -> None:
    browser = Client(enforce_csrf_checks=True)
    assert browser.get("/undecorated/").status_code == 200
    assert "csrftoken" not in browser.cookies
    assert sign_in(browser, "").status_code == 403
