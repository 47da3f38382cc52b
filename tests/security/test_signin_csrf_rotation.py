"""Security review, issue 17, finding 14: the CSRF token rotates at every sign-in.

An attacker who planted a CSRF cookie in the victim's browser (a sibling subdomain can) knows
the token; before the fix it kept working after the victim signed in, so the attacker could
forge requests as the victim. ``django.contrib.auth.login()`` rotates it; so do we.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tests.support.django.signin import PASSWORD, CognitoStandIn, signin

pytestmark = pytest.mark.slow

PLANTED = "attackerknowsthistoken0123456789"  # 32 characters of Django's alphabet


def planted_browser() -> Client:
    browser = Client(enforce_csrf_checks=True)
    browser.cookies["csrftoken"] = PLANTED
    # The planted token works before the sign-in (refresh/ answers, not 403).
    assert browser.post("/auth/refresh/", HTTP_X_CSRFTOKEN=PLANTED).status_code == 401
    return browser


def assert_planted_token_is_dead(browser: Client) -> None:
    assert browser.cookies["csrftoken"].value not in ("", PLANTED)
    assert browser.post("/auth/refresh/", HTTP_X_CSRFTOKEN=PLANTED).status_code == 403
    fresh = browser.cookies["csrftoken"].value
    assert browser.post("/auth/refresh/", HTTP_X_CSRFTOKEN=fresh).status_code == 200


def test_planted_csrf_token_dies_at_password_sign_in(signin_site: Callable[..., None]) -> None:
    browser = planted_browser()
    answer = signin(browser, "alice", PASSWORD, HTTP_X_CSRFTOKEN=PLANTED)
    assert answer.status_code == 200, answer.content
    assert_planted_token_is_dead(browser)


def test_planted_csrf_token_dies_at_the_callback(
    signin_site: Callable[..., None], cognito_stand_in: CognitoStandIn
) -> None:
    browser = planted_browser()
    authorize_url = str(browser.get("/auth/login/")["Location"])
    answer = browser.get("/auth/callback/", cognito_stand_in.authorize(authorize_url, "alice"))
    assert answer.status_code == 302, answer.content
    assert_planted_token_is_dead(browser)


def test_planted_csrf_token_dies_when_a_refresh_changes_the_user(
    signin_site: Callable[..., None], cognito_stand_in: CognitoStandIn
) -> None:
    """A refresh cookie of another user than the access cookie's (tossed in by an attacker) is
    a change of user: a new CSRF token too."""
    signin_site(AUTO_REFRESH=True)
    browser = Client(enforce_csrf_checks=True)
    browser.cookies["csrftoken"] = PLANTED
    browser.cookies["fastcognito_access"] = cognito_stand_in.access_token("alice", expired=True)
    browser.cookies["fastcognito_refresh"] = cognito_stand_in.refresh_token("mallory")
    answer = browser.get("/plain/whoami/")
    assert answer.status_code == 200, answer.content
    assert browser.cookies["csrftoken"].value not in ("", PLANTED)
    assert browser.post("/auth/refresh/", HTTP_X_CSRFTOKEN=PLANTED).status_code == 403
