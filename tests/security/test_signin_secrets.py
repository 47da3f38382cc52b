"""Security review, issue 17, findings 13 and 15: what the sign-in views show when they fail.

With ``DEBUG`` Django's technical 500 page lists every frame's local variables: the password,
twice (``password`` and ``body``), before the fix. And deeply nested JSON bodies were a
``RecursionError``: a 500 instead of an answer with a code.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.support.django.signin import ACCESS, REFRESH, CognitoStandIn, signin, stand_in_settings

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


# A Cognito app client secret's shape (51 characters); no message may hold any part of it.
CLIENT_SECRET = "1q2w3e4r5t6y7u8i9o0pAbCdEfGhIjKlMnOpQrStUvWxYz01234"


def holds_the_secret(text: str) -> bool:
    return any(CLIENT_SECRET[start : start + 12] in text for start in range(0, len(CLIENT_SECRET) - 11))


@pytest.mark.parametrize(
    ("hosted", "shown"),
    [
        ({"CLIENT_SECRET": (CLIENT_SECRET,)}, "<a tuple>"),  # os.environ["..."], with a trailing comma
        ({"CLIENT_SECRET": CLIENT_SECRET.encode()}, "<a bytes>"),
        ({"CLIENT_SECRET": [CLIENT_SECRET]}, "<a list>"),
        (None, "<a tuple>"),  # the whole HOSTED_UI dict, with a trailing comma
    ],
    ids=["trailing-comma", "bytes", "list", "hosted-ui-tuple"],
)
def test_a_mistyped_client_secret_is_never_shown(
    cognito_stand_in: CognitoStandIn, caplog: pytest.LogCaptureFixture, hosted: Any, shown: str
) -> None:
    from django.apps import apps
    from django.core import checks
    from django.core.exceptions import ImproperlyConfigured
    from django.test import override_settings

    settings = stand_in_settings(cognito_stand_in, CLIENT_SECRET=CLIENT_SECRET)
    if hosted is None:
        settings["HOSTED_UI"] = ({"CLIENT_SECRET": CLIENT_SECRET, **settings["HOSTED_UI"]},)
    else:
        settings["HOSTED_UI"].update(hosted)
    with override_settings(FASTCOGNITO=settings):
        messages = checks.run_checks(tags=["fastcognito"])
        text = " ".join(f"{message.msg} {message.hint}" for message in messages)
        assert shown in text  # the type is named...
        assert not holds_the_secret(text)  # ...never the value
        with pytest.raises(ImproperlyConfigured) as start_up:
            apps.get_app_config("fastcognito").ready()
        assert shown in str(start_up.value) and not holds_the_secret(str(start_up.value))
        if hosted is not None:  # a HOSTED_UI that is not a dict is "not configured" for the views
            with caplog.at_level(logging.DEBUG):
                answer = Client(raise_request_exception=False).get("/auth/login/")
            assert answer.status_code == 503
            assert any(shown in record.getMessage() for record in caplog.records)
            assert not holds_the_secret(caplog.text)
            assert not holds_the_secret(answer.content.decode())
