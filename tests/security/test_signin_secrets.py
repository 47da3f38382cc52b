"""Security review, issue 17, findings 13 and 15: what the sign-in views show when they fail.

With ``DEBUG`` Django's technical 500 page lists every frame's local variables: the password,
twice (``password`` and ``body``), before the fix. And deeply nested JSON bodies were a
``RecursionError``: a 500 instead of an answer with a code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.support.django.signin import ACCESS, REFRESH, CognitoStandIn, signin

pytestmark = pytest.mark.slow

# A password of alice's that the stand-in accepts, easy to find on a page.
SECRET_PASSWORD = "Sw0rdfish-and-chips!"


class SiteHookBroke(RuntimeError):
    pass


def broken_user_fields(claims: Any) -> dict[str, Any]:
    """A site's REPLICA["USER_FIELDS"] hook with a bug: it raises inside the sign-in."""
    raise SiteHookBroke("the site's own hook failed")


@pytest.mark.django_db
def test_debug_page_of_a_failing_signin_shows_no_password(
    signin_site: Callable[..., None], cognito_stand_in: CognitoStandIn, settings: Any
) -> None:
    cognito_stand_in.users["alice"] = SECRET_PASSWORD
    signin_site(DEBUG=True)
    settings.FASTCOGNITO = {
        **settings.FASTCOGNITO,
        "REPLICA": {"SESSION_LOGIN": True, "USER_FIELDS": f"{__name__}.broken_user_fields"},
    }
    browser = Client(raise_request_exception=False)
    # Left from an earlier sign-in: Django's page lists cookies whose names it does not take
    # for secrets.
    browser.cookies[ACCESS], browser.cookies[REFRESH] = cognito_stand_in.expired_session("alice")
    answer = signin(browser, "alice", SECRET_PASSWORD)
    assert answer.status_code == 500  # the site's bug, rendered by Django's technical page
    page = answer.content.decode()
    assert "SiteHookBroke" in page and "signin" in page  # the page does show the view's frames
    assert SECRET_PASSWORD not in page
    assert json.dumps(SECRET_PASSWORD)[1:-1] not in page
    for name in (ACCESS, REFRESH):
        assert browser.cookies[name].value not in page


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize(
    "body",
    [
        nested(100_000),
        '{"username": "alice", "password": ' + nested(5_000) + "}",
    ],
    ids=["deep", "deep-inside"],
)
def test_hostile_json_to_signin_is_a_400(
    signin_site: Callable[..., None], cognito_stand_in: CognitoStandIn, body: str
) -> None:
    answer = Client().post("/auth/signin/", body, content_type="application/json")
    assert answer.status_code == 400, answer.content
    assert answer.json()["code"] == "invalid_request"
    assert cognito_stand_in.calls["InitiateAuth"] == 0


@pytest.mark.parametrize(
    "body",
    [nested(100_000), '{"token": ' + nested(5_000) + "}"],
    ids=["deep", "deep-inside"],
)
def test_hostile_json_to_the_token_exchange_is_refused_not_a_500(body: str) -> None:
    # The exchange endpoint answers every unreadable body as a bad credential: 401 `malformed`.
    answer = Client().post("/auth/exchange/", body, content_type="application/json")
    assert answer.status_code == 401, answer.content
    assert answer.json()["code"] == "malformed"
