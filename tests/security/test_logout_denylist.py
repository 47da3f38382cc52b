"""Issue 17, finding 9: a sign-out whose revocation could not be stored.

With Redis out of memory (``noeviction``) the logout view answered 500: no cookie cleared, no
``RevokeToken`` call, the refresh token still valid. With Redis stopped it answered 200 and
revoked nothing. Now every step that can be done is done (``RevokeToken`` at Cognito, the cookies
cleared, the session ended), and the answer is a 503 ``denylist_unavailable`` that leads on to
Cognito's ``/logout``, logged at ERROR without the token: never a 500, never a false success.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from django.test import Client, override_settings

from tests.support.ministack_server import LOGOUT_URI, PASSWORD, REDIRECT_URI, CognitoApp, submit_login_form

pytestmark = pytest.mark.slow

ACCESS = "fastcognito_access"
REFRESH = "fastcognito_refresh"
PROTECTED = "/plain/protected/"
LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fastcognito-security"}


@pytest.fixture
def app(cognito_app: CognitoApp, redis_server: Any) -> Iterator[CognitoApp]:
    """Sign-in through ministack; revocations on their own Redis, throttling elsewhere."""
    client = cognito_app.confidential
    settings_value = {
        "USER_POOL_ID": cognito_app.pool_id,
        "CLIENT_ID": [cognito_app.confidential.client_id, cognito_app.public.client_id],
        "TOKEN_USE": "access",
        "JWKS_URL": cognito_app.jwks_url,
        "COOKIE_NAME": ACCESS,
        "DENYLIST": "revocations",
        "HOSTED_UI": {
            "DOMAIN": cognito_app.url,
            "CLIENT_ID": client.client_id,
            "CLIENT_SECRET": client.client_secret,
            "REDIRECT_URI": REDIRECT_URI,
            "LOGOUT_URI": LOGOUT_URI,
            "API_URL": cognito_app.url,
            "TIMEOUT": 2,
            "CACHE": "default",
        },
    }
    caches_setting = {"default": LOCMEM, "revocations": redis_server.cache_settings()}
    with override_settings(CACHES=caches_setting, FASTCOGNITO=settings_value):
        yield cognito_app


def signed_in_browser() -> Client:
    browser = Client()
    authorize_url = browser.get("/auth/login/")["Location"]
    submitted = submit_login_form(authorize_url, "alice", PASSWORD)
    query = parse_qs(urlsplit(submitted.headers["Location"]).query)
    answer = browser.get("/auth/callback/", {name: values[0] for name, values in query.items()})
    assert answer.status_code == 302, answer.content
    return browser


def fill_up(server: Any) -> None:
    """Redis out of memory under ``noeviction``: reads work, every write is refused. The limit
    goes below what the data already takes, so that no write fits, however small."""
    with server.client() as client:
        client.mset({f"ballast:{number}": b"x" * 1024 for number in range(512)})
        used = int(client.info("memory")["used_memory"])
        server.fill(str(used - 256 * 1024), "noeviction")
        with pytest.raises(redis.exceptions.OutOfMemoryError):
            client.set("probe", b"x")
        assert client.get("ballast:0") is not None


def assert_signed_out_everywhere_but_the_denylist(
    browser: Client, answer: Any, access_token: str, refresh_token: str, caplog: pytest.LogCaptureFixture
) -> None:
    # The cookies are cleared.
    for morsel in answer.cookies.values():
        if morsel.key in (ACCESS, REFRESH):
            assert morsel.value == "" and morsel["max-age"] == 0
    assert {morsel.key for morsel in answer.cookies.values()} >= {ACCESS, REFRESH}
    # RevokeToken was called: the refresh token is refused by Cognito.
    browser.cookies[REFRESH] = refresh_token
    replay = browser.post("/auth/refresh/")
    assert replay.status_code == 401 and replay.json()["code"] == "invalid_grant"
    # Logged at ERROR, without any token.
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert any("could not be revoked" in record.getMessage() for record in errors)
    assert access_token not in caplog.text and refresh_token not in caplog.text


@pytest.mark.parametrize("accept", ["application/json", "text/html"])
def test_logout_with_the_denylist_out_of_memory_is_a_503_not_a_500(
    app: CognitoApp, redis_server: Any, accept: str, caplog: pytest.LogCaptureFixture
) -> None:
    browser = signed_in_browser()
    access_token, refresh_token = browser.cookies[ACCESS].value, browser.cookies[REFRESH].value
    copy = Client()
    copy.cookies[ACCESS] = access_token
    assert copy.get(PROTECTED).status_code == 200
    fill_up(redis_server)
    with caplog.at_level(logging.INFO, logger="fastcognito"):
        answer = browser.post("/auth/logout/", HTTP_ACCEPT=accept)
    assert answer.status_code == 503, answer.content
    if accept == "application/json":
        body = answer.json()
        assert body["code"] == "denylist_unavailable"
        assert urlsplit(body["logout_url"]).path == "/logout"
        assert parse_qs(urlsplit(body["logout_url"]).query)["logout_uri"] == [LOGOUT_URI]
    else:
        assert answer["Content-Type"].startswith("text/html")
        page = answer.content.decode()
        assert "denylist_unavailable" in page and f"{app.url}/logout?" in page
    assert_signed_out_everywhere_but_the_denylist(browser, answer, access_token, refresh_token, caplog)
    # Reported as it is: the access token was not revoked, and still works until it expires.
    assert copy.get(PROTECTED).status_code == 200


def test_logout_with_the_denylist_stopped_is_a_503_not_a_false_success(
    app: CognitoApp, redis_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    browser = signed_in_browser()
    access_token, refresh_token = browser.cookies[ACCESS].value, browser.cookies[REFRESH].value
    redis_server.stop()
    with caplog.at_level(logging.INFO, logger="fastcognito"):
        answer = browser.post("/auth/logout/", HTTP_ACCEPT="application/json")
    assert answer.status_code == 503, answer.content
    assert answer.json()["code"] == "denylist_unavailable"
    assert "/logout?" in answer.json()["logout_url"]
    assert_signed_out_everywhere_but_the_denylist(browser, answer, access_token, refresh_token, caplog)


def test_logout_with_the_denylist_up_revokes(app: CognitoApp, caplog: pytest.LogCaptureFixture) -> None:
    browser = signed_in_browser()
    copy = Client()
    copy.cookies[ACCESS] = browser.cookies[ACCESS].value
    answer = browser.post("/auth/logout/", HTTP_ACCEPT="application/json")
    assert answer.status_code == 200 and "/logout?" in answer.json()["logout_url"]
    refused = copy.get(PROTECTED)
    assert (refused.status_code, refused.json()["code"]) == (401, "revoked")
