"""System checks of FASTCOGNITO["HOSTED_UI"]: each mistake has its own id (E101 and up)."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.test import override_settings

from tests.support import CLIENT_ID, POOL_ID

GOOD_HOSTED_UI = {
    "DOMAIN": "https://myapp.auth.eu-west-1.amazoncognito.com",
    "REDIRECT_URI": "https://app.example.com/auth/callback/",
    "LOGOUT_URI": "https://app.example.com/",
}
BASE = {"USER_POOL_ID": POOL_ID, "CLIENT_ID": CLIENT_ID, "COOKIE_NAME": "fastcognito_access"}


def ids(hosted_ui: Any, **top: Any) -> list[str]:
    with override_settings(FASTCOGNITO={**BASE, **top, "HOSTED_UI": hosted_ui}):
        return [message.id for message in checks.run_checks(tags=["fastcognito"])]


def test_a_valid_hosted_ui_passes() -> None:
    assert ids(GOOD_HOSTED_UI) == []
    loopback = {**GOOD_HOSTED_UI, "DOMAIN": "http://127.0.0.1:4566", "REDIRECT_URI": "http://localhost:8000/cb/"}
    assert ids({**loopback, "CLIENT_SECRET": "s", "SCOPES": ["openid", "email"], "TIMEOUT": (1, 5)}) == []


def test_a_valid_hosted_ui_builds_its_client() -> None:
    from fastcognito.django.hosted_ui import hosted_ui_config

    with override_settings(FASTCOGNITO={**BASE, "HOSTED_UI": GOOD_HOSTED_UI}):
        config = hosted_ui_config()
        assert config is not None
        assert config.client.client_id == CLIENT_ID  # the top-level CLIENT_ID by default
        assert config.client.api_url == "https://cognito-idp.eu-west-1.amazonaws.com/"
        assert config.id_verifier.token_use == "id"
    with override_settings(FASTCOGNITO={**BASE, "HOSTED_UI": {}}):
        from fastcognito import ConfigurationError

        with pytest.raises(ConfigurationError, match="DOMAIN"):
            hosted_ui_config()


@pytest.mark.parametrize(
    ("change", "top", "expected"),
    [
        ({"DOMIAN": "x"}, {}, "fastcognito.E101"),
        ({"DOMAIN": None}, {}, "fastcognito.E103"),
        ({"DOMAIN": "http://auth.example.com"}, {}, "fastcognito.E103"),
        ({"DOMAIN": "https://auth.example.com/oauth2"}, {}, "fastcognito.E103"),
        ({"REDIRECT_URI": "/auth/callback/"}, {}, "fastcognito.E104"),
        ({"LOGOUT_URI": "http://app.example.com/"}, {}, "fastcognito.E104"),
        ({}, {"CLIENT_ID": ["a", "b"]}, "fastcognito.E105"),
        ({"CLIENT_ID": ""}, {}, "fastcognito.E105"),
        ({"CLIENT_ID": "another"}, {}, "fastcognito.E106"),
        ({"CLIENT_SECRET": ""}, {}, "fastcognito.E107"),
        ({"SCOPES": ["email"]}, {}, "fastcognito.E108"),
        ({"SCOPES": "openid email"}, {}, "fastcognito.E108"),
        ({"ALLOWED_REDIRECT_HOSTS": [1]}, {}, "fastcognito.E109"),
        ({"LOGIN_REDIRECT_URL": "//evil.example/"}, {}, "fastcognito.E110"),
        ({"API_URL": "ftp://x"}, {}, "fastcognito.E111"),
        ({"REFRESH_COOKIE_NAME": "a b"}, {}, "fastcognito.E112"),
        ({"REFRESH_COOKIE_NAME": "fastcognito_access"}, {}, "fastcognito.E112"),
        ({}, {"COOKIE_NAME": None}, "fastcognito.E113"),
        ({}, {"TOKEN_USE": "id"}, "fastcognito.E114"),
        ({"COOKIE_DOMAIN": ""}, {}, "fastcognito.E115"),
        ({"COOKIE_PATH": "auth"}, {}, "fastcognito.E116"),
        ({"COOKIE_SAMESITE": "lax"}, {}, "fastcognito.E117"),
        ({"STATE_MAX_AGE": 0}, {}, "fastcognito.E118"),
        ({"SIGNIN_MAX_FAILURES": True}, {}, "fastcognito.E118"),
        ({"TIMEOUT": (1, 0)}, {}, "fastcognito.E119"),
        ({"TIMEOUT": 600}, {}, "fastcognito.E119"),
        ({"AUTO_REFRESH": "yes"}, {}, "fastcognito.E120"),
        ({"CACHE": "nowhere"}, {}, "fastcognito.E121"),
        ({"TRUSTED_PROXY_COUNT": -1}, {}, "fastcognito.E123"),
        ({"TRUSTED_PROXY_COUNT": True}, {}, "fastcognito.E123"),
        ({"TRUSTED_PROXY_COUNT": False}, {}, "fastcognito.E123"),
        ({"TRUSTED_PROXY_COUNT": 1.0}, {}, "fastcognito.E123"),
        ({"TRUSTED_PROXY_COUNT": "1"}, {}, "fastcognito.E123"),
        ({"TRUSTED_PROXY_COUNT": 17}, {}, "fastcognito.E123"),
        ({"MAX_PENDING_SIGNINS": 0}, {}, "fastcognito.E124"),
        ({"MAX_PENDING_SIGNINS": 21}, {}, "fastcognito.E124"),
    ],
)
def test_each_mistake_has_its_id(change: dict[str, Any], top: dict[str, Any], expected: str) -> None:
    assert expected in ids({**GOOD_HOSTED_UI, **change}, **top)


def test_the_access_cookie_defaults_to_fastcognito_access(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.test import RequestFactory

    from fastcognito.django import fastcognito_settings
    from fastcognito.django.hosted_ui import hosted_ui_config
    from fastcognito.django.tokens import request_policy, token_from_request

    top = {"USER_POOL_ID": POOL_ID, "CLIENT_ID": CLIENT_ID}
    with override_settings(FASTCOGNITO={**top, "HOSTED_UI": GOOD_HOSTED_UI}):
        assert [message.id for message in checks.run_checks(tags=["fastcognito"])] == []
        config = hosted_ui_config()
        assert config is not None and config.access_cookie_name == "fastcognito_access"
        # What the sign-in sets is what every request reads.
        assert request_policy(fastcognito_settings).cookie_name == "fastcognito_access"
        request = RequestFactory().get("/", HTTP_COOKIE="fastcognito_access=a.b.c")
        found = token_from_request(request)
        assert found is not None and found.source == "cookie"
    with override_settings(FASTCOGNITO=top):
        assert request_policy(fastcognito_settings).cookie_name is None  # no HOSTED_UI, no cookie
    # Djognito's ACCESS_TOKEN_KEY still names the cookie when COOKIE_NAME is left out.
    monkeypatch.setenv("ACCESS_TOKEN_KEY", "accessToken")
    with override_settings(FASTCOGNITO={**top, "HOSTED_UI": GOOD_HOSTED_UI}):
        assert [message.id for message in checks.run_checks(tags=["fastcognito"])] == []
        config = hosted_ui_config()
        assert config is not None and config.access_cookie_name == "accessToken"


def test_conflicting_cookie_settings_are_still_errors() -> None:
    top = {"USER_POOL_ID": POOL_ID, "CLIENT_ID": CLIENT_ID}
    with override_settings(FASTCOGNITO={**top, "COOKIE_NAME": None, "HOSTED_UI": GOOD_HOSTED_UI}):
        (message,) = checks.run_checks(tags=["fastcognito"])
        assert message.id == "fastcognito.E113" and "'fastcognito_access'" in message.hint
    clash = {**GOOD_HOSTED_UI, "REFRESH_COOKIE_NAME": "fastcognito_access"}
    with override_settings(FASTCOGNITO={**top, "HOSTED_UI": clash}):
        assert [message.id for message in checks.run_checks(tags=["fastcognito"])] == ["fastcognito.E112"]


def test_required_keys() -> None:
    found = ids({})
    assert found.count("fastcognito.E102") == 3  # DOMAIN, REDIRECT_URI, LOGOUT_URI


def test_not_a_dict_is_reported_once() -> None:
    assert ids("https://auth.example.com") == ["fastcognito.E015"]


@pytest.mark.parametrize(
    ("count", "remote", "forwarded", "expected"),
    [
        (0, "198.51.100.7", "203.0.113.9", "198.51.100.7"),  # the header is never read by default
        (1, "10.0.0.1", "203.0.113.9", "203.0.113.9"),
        (1, "10.0.0.1", "6.6.6.6, 203.0.113.9", "203.0.113.9"),  # what the client wrote is left of ours
        (2, "10.0.0.2", "6.6.6.6, 203.0.113.9, 10.0.0.1", "203.0.113.9"),
        (2, "10.0.0.2", "203.0.113.9", "10.0.0.2"),  # did not pass every proxy: REMOTE_ADDR
        (1, "10.0.0.1", "", "10.0.0.1"),
        (1, "10.0.0.1", "not-an-address", "10.0.0.1"),
        (1, "10.0.0.1", "203.0.113.9:51234", "203.0.113.9"),
        (1, "10.0.0.1", "[2001:db8::1]:443", "2001:db8::1"),
        (1, "10.0.0.1", "::ffff:203.0.113.9", "203.0.113.9"),
    ],
)
def test_client_address(count: int, remote: str, forwarded: str, expected: str) -> None:
    from django.test import RequestFactory

    from fastcognito.django.hosted_ui import client_address

    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=forwarded)
    assert client_address(request, count) == expected
