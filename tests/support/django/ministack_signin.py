"""Helpers of the ministack sign-in tests (tests/django and tests/security): FASTCOGNITO for a ministack pool,
a person signing in through the managed login or with a password, the session's Cognito check
made due, and a ministack that refuses what AWS refuses."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from tests.support.ministack_server import (
    LOGOUT_URI,
    PASSWORD,
    REDIRECT_URI,
    AppClient,
    CognitoApp,
    Ministack,
    run_ministack,
    submit_login_form,
)

__all__ = [
    "ACCESS",
    "fastcognito_settings",
    "password_sign_in",
    "recheck_due",
    "sign_in",
    "strict_ministack",
]

ACCESS = "fastcognito_access"


def fastcognito_settings(app: CognitoApp, client: AppClient, **hosted: Any) -> dict[str, Any]:
    """FASTCOGNITO for ``app``'s pool, signing in with ``client``; ``hosted`` overrides HOSTED_UI keys."""
    return {
        "USER_POOL_ID": app.pool_id,
        "CLIENT_ID": [app.confidential.client_id, app.public.client_id],
        "TOKEN_USE": "access",
        "JWKS_URL": app.jwks_url,
        "COOKIE_NAME": ACCESS,
        "HOSTED_UI": {
            "DOMAIN": app.url,
            "CLIENT_ID": client.client_id,
            "CLIENT_SECRET": client.client_secret,
            "REDIRECT_URI": REDIRECT_URI,
            "LOGOUT_URI": LOGOUT_URI,
            "API_URL": app.url,
            "TIMEOUT": 2,
            "ALLOWED_REDIRECT_HOSTS": ["app.example.com"],
            **hosted,
        },
    }


def sign_in(browser: Client, username: str = "alice", password: str = PASSWORD) -> Any:
    """The managed login, as a person goes through it: our login view, Cognito's form, our callback."""
    authorize_url = str(browser.get("/auth/login/")["Location"])
    submitted = submit_login_form(authorize_url, username, password)
    location = submitted.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return browser.get("/auth/callback/", {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()})


def password_sign_in(browser: Client, username: str = "alice", password: str = PASSWORD) -> Any:
    body = {"username": username, "password": password}
    return browser.post("/auth/signin/", body, content_type="application/json")


def recheck_due(browser: Client) -> None:
    """The time passes at which the session's Cognito sign-in is checked again (its access
    token's exp): set in the session store, where the middleware reads it."""
    from fastcognito.django.users.middleware import SESSION_SIGNIN_KEY

    session = browser.session
    sign_in = dict(session[SESSION_SIGNIN_KEY])
    sign_in["recheck_at"] = 0
    session[SESSION_SIGNIN_KEY] = sign_in
    session.save()


@pytest.fixture(scope="module")
def strict_ministack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ministack]:
    """A ministack of the module's own with ``AUTH=true``: only then does its Cognito refuse the
    refresh token of a disabled user, or of one signed out globally, as AWS does."""
    with run_ministack(tmp_path_factory.mktemp("ministack-auth"), auth=True) as server:
        yield server
