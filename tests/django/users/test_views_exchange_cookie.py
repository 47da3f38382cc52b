"""The exchange's refresh token in an HttpOnly cookie (REPLICA["EXCHANGE_REFRESH_COOKIE"]), the
refresh/ that reads it and the logout/ that revokes it, as django-rest-microservice had them, with
genuine moto tokens; both need a CSRF token, since the cookie is ambient."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core import checks
from django.test import Client, override_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from tests.support import CognitoPool
from tests.support.django.replica import moto_settings

pytestmark = pytest.mark.django_db

EXCHANGE, REFRESH, LOGOUT = "/api/auth/exchange/", "/api/auth/refresh/", "/api/auth/logout/"
NAME = "fastcognito_exchange"


def site(cognito: CognitoPool, cookie: Any) -> Any:
    replica = {} if cookie is None else {"EXCHANGE_REFRESH_COOKIE": cookie}
    return override_settings(
        ROOT_URLCONF="tests.support.django.exchange_urls", FASTCOGNITO=moto_settings(cognito, REPLICA=replica)
    )


@pytest.fixture
def cookie_site(cognito: CognitoPool) -> Iterator[CognitoPool]:
    with site(cognito, {"PATH": "/api/auth"}):
        yield cognito


def browser() -> Client:
    """A browser: the CSRF middleware checks every unsafe request."""
    return Client(enforce_csrf_checks=True)


def exchange(client: Client, cognito: CognitoPool, username: str = "alice") -> Any:
    token = cognito.login(username)["AccessToken"]
    answer = client.post(EXCHANGE, {"token": token}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    return answer


def with_csrf(client: Client) -> dict[str, str]:
    """A CSRF token as a page of the site would have it: the cookie, and the header."""
    client.cookies["csrftoken"] = "a" * 32
    return {"HTTP_X_CSRFTOKEN": "a" * 32}


def test_the_refresh_token_comes_in_an_http_only_cookie(cookie_site: CognitoPool) -> None:
    client = browser()
    answer = exchange(client, cookie_site)
    assert set(answer.json()) == {"access"}
    morsel = answer.cookies[NAME]
    assert morsel["httponly"] and morsel["secure"] and morsel["samesite"] == "Strict"
    assert morsel["path"] == "/api/auth"
    refresh = RefreshToken(morsel.value)
    assert refresh["user_id"] == str(User.objects.get(username="alice").pk)
    assert abs(int(morsel["max-age"]) - (refresh["exp"] - time.time())) < 5


def test_the_exchange_itself_needs_no_csrf_token_and_takes_no_form(cookie_site: CognitoPool) -> None:
    # The token comes in a JSON body, which a cross-site form cannot send: no login CSRF.
    client = browser()
    exchange(client, cookie_site)
    token = cookie_site.login("bob")["AccessToken"]
    forged = browser().post(EXCHANGE, {"token": token})  # a form post
    assert forged.status_code == 401 and forged.json()["code"] == "not_authenticated"
    assert NAME not in forged.cookies


def test_refresh_needs_the_csrf_token(cookie_site: CognitoPool) -> None:
    client = browser()
    exchange(client, cookie_site)
    assert client.post(REFRESH).status_code == 403
    answer = client.post(REFRESH, **with_csrf(client))
    assert answer.status_code == 200, answer.content
    assert AccessToken(answer.json()["access"])["user_id"] == str(User.objects.get(username="alice").pk)
    assert answer["Cache-Control"].startswith("max-age=0") or "no-store" in answer["Cache-Control"]


@pytest.mark.parametrize("cookie", [None, "", "not.a.token"])
def test_refresh_without_a_good_cookie_is_a_401(cookie_site: CognitoPool, cookie: str | None) -> None:
    client = browser()
    if cookie is not None:
        client.cookies[NAME] = cookie
    answer = client.post(REFRESH, **with_csrf(client))
    assert answer.status_code == 401
    assert answer.json()["code"] == ("invalid_token" if cookie else "not_authenticated")
    if cookie:
        assert answer.cookies[NAME]["max-age"] == 0  # a dead cookie is cleared


def test_refresh_of_an_inactive_user_is_a_401(cookie_site: CognitoPool) -> None:
    client = browser()
    exchange(client, cookie_site)
    User.objects.filter(username="alice").update(is_active=False)
    assert client.post(REFRESH, **with_csrf(client)).status_code == 401


def test_without_the_cookie_setting_the_pair_is_in_the_body_and_refresh_is_404(cognito: CognitoPool) -> None:
    with site(cognito, None):
        client = browser()
        answer = exchange(client, cognito)
        assert set(answer.json()) == {"access", "refresh"} and NAME not in answer.cookies
        assert client.post(REFRESH, **with_csrf(client)).status_code == 404


def test_logout_revokes_the_refresh_token_and_clears_the_cookie(cookie_site: CognitoPool) -> None:
    client = browser()
    refresh = exchange(client, cookie_site).cookies[NAME].value
    # Recorded as issued (capped to the Cognito token), for simplejwt's admin and a site's own
    # "sign out everywhere".
    jti, exp = RefreshToken(refresh, verify=False)["jti"], RefreshToken(refresh, verify=False)["exp"]
    outstanding = OutstandingToken.objects.get(jti=jti)
    assert outstanding.user.username == "alice" and outstanding.expires_at.timestamp() == exp
    forged = client.post(LOGOUT)
    assert forged.status_code == 403
    assert not BlacklistedToken.objects.exists()  # nothing done before the CSRF check passed
    answer = client.post(LOGOUT, **with_csrf(client))
    assert answer.status_code == 204
    assert answer.cookies[NAME]["max-age"] == 0 and answer.cookies[NAME]["path"] == "/api/auth"
    assert BlacklistedToken.objects.filter(token=outstanding).exists()
    # The revoked token refreshes nothing any more, even put back by hand.
    client.cookies[NAME] = refresh
    assert client.post(REFRESH, **with_csrf(client)).status_code == 401
    assert client.post(LOGOUT, **with_csrf(client)).status_code == 401


def test_logout_with_the_token_in_the_body(cognito: CognitoPool) -> None:
    # django-rest-microservice's logoff/, for a frontend that keeps the pair itself.
    with site(cognito, None):
        refresh = exchange(browser(), cognito).json()["refresh"]
        answer = browser().post(LOGOUT, {"refresh": refresh}, content_type="application/json")
        assert answer.status_code == 204
        assert BlacklistedToken.objects.count() == 1
        again = browser().post(LOGOUT, {"refresh": refresh}, content_type="application/json")
        assert again.status_code == 401
        nothing = browser().post(LOGOUT, {}, content_type="application/json")
        assert nothing.status_code == 401 and nothing.json()["code"] == "not_authenticated"
        for body in ({"refresh": 5}, "[" * 100 + "]" * 100, "{not json"):
            bad = browser().post(LOGOUT, body, content_type="application/json")
            assert bad.status_code == 401 and bad.json()["code"] == "malformed"
        assert browser().get(LOGOUT).status_code == 405


def ids() -> list[str]:
    from fastcognito.django.users.checks import check_replica

    return [message.id for message in check_replica()]


def test_checks_of_the_cookie(cognito: CognitoPool) -> None:
    with site(cognito, True):
        assert ids() == ["fastcognito.E208"]  # "/auth" never reaches /api/auth/refresh/
    with site(cognito, {"PATH": "/api/auth/"}):
        assert ids() == []
    with site(cognito, {"PATH": "/api/auth", "NAME": "fastcognito_access"}):
        assert ids() == []
    hosted = {
        "DOMAIN": "https://auth.example.com",
        "REDIRECT_URI": "https://a.example.com/cb/",
        "LOGOUT_URI": "https://a.example.com/",
    }
    replica = {"EXCHANGE_REFRESH_COOKIE": {"PATH": "/api/auth", "NAME": "fastcognito_access"}}
    with override_settings(
        ROOT_URLCONF="tests.support.django.exchange_urls",
        FASTCOGNITO=moto_settings(cognito, REPLICA=replica, HOSTED_UI=hosted),
    ):
        assert ids() == ["fastcognito.E211"]  # the sign-in's access cookie has that name


@pytest.mark.parametrize(
    "cookie",
    [{"SAMESITE": "None"}, {"PATH": "api"}, {"NAME": "a b"}, {"OTHER": 1}, 5, ""],
)
def test_a_bad_cookie_setting_is_e201(cognito: CognitoPool, cookie: Any) -> None:
    with site(cognito, cookie):
        assert ids() == ["fastcognito.E201"]


def test_logout_mounted_without_the_blacklist_app_is_an_error(cognito: CognitoPool) -> None:
    from django.conf import settings

    installed = [app for app in settings.INSTALLED_APPS if app != "rest_framework_simplejwt.token_blacklist"]
    with site(cognito, None), override_settings(INSTALLED_APPS=installed):
        assert ids() == ["fastcognito.E210"]
    # Under the sign-in views' prefix, the replica's logout/ is never reached: nothing to revoke.
    with override_settings(INSTALLED_APPS=installed, FASTCOGNITO=moto_settings(cognito)):
        assert ids() == []
