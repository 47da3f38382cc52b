"""Hostile settings: every wrong value of every FASTCOGNITO key is either a system-check error
(and then ``ImproperlyConfigured`` at start-up, with the same message), or a working
configuration under which the DRF class and the middleware never answer 500.

The check itself must never crash: a traceback from ``manage.py check`` tells the user nothing.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from django.apps import apps
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.test import Client, override_settings

from fastcognito.django.apps import startup_errors
from fastcognito.django.checks import check_settings
from fastcognito.django.conf import DEFAULTS
from fastcognito.testing import FakeUserPool


def _two_arguments(first: Any, second: Any) -> None:
    """A USER_CLASS that cannot be called with the claims alone."""


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("no str")

    __repr__ = __str__


HOSTILE_VALUES: list[Any] = [
    None, True, False, 0, -1, 1.5, math.nan, math.inf, -math.inf, 10**100,
    "", " ", "x", "\x00", "\n", "é", "\u202e", "a" * 5000, b"bytes", bytearray(b"x"),
    [], [None], [""], [" "], ["a", 1], ["Bearer", "Bearer"], (), ("a\nb",), {}, {"a": 1}, {"a": ["b"]}, {1: 2},
    {"keys": []}, {"keys": "x"}, set(), frozenset({"x"}), object(), _Unprintable(), _two_arguments, len,
    "fastcognito.django.conf.SETTINGS_NAME", "no.such.module", ".relative", "a..b", "ftp://127.0.0.1/x",
    "http://example.com/x", "https://", "eu-west-1_AbC123", "us-east-1", "access", "id", "refresh",
]  # fmt: skip

# Keys whose every value is a different decision (HOSTED_UI's contents belong to the sign-in views).
KEYS = sorted(DEFAULTS)


def _requests(client: Client, token: str) -> list[int]:
    statuses = []
    for path in ("/drf/whoami/", "/plain/protected/"):
        statuses.append(client.get(path).status_code)
        statuses.append(client.get(path, HTTP_AUTHORIZATION=f"Bearer {token}").status_code)
        statuses.append(client.get(path, HTTP_AUTHORIZATION="Bearer not.a.jwt").status_code)
        statuses.append(client.post(path, HTTP_AUTHORIZATION=f"Bearer {token}").status_code)
        client.cookies["access_token"] = token
        statuses.append(client.post(path).status_code)
        client.cookies.clear()
    return statuses


@pytest.mark.parametrize("key", KEYS)
def test_every_hostile_value_is_an_error_or_works(key: str, fake_cognito_settings: FakeUserPool) -> None:
    from django.conf import settings

    base = dict(settings.FASTCOGNITO)  # the project's, pointed at the fake pool (offline keys)
    config = apps.get_app_config("fastcognito")
    token = fake_cognito_settings.make_token()
    outcomes = {"rejected": 0, "accepted": 0}
    for value in HOSTILE_VALUES:
        with override_settings(FASTCOGNITO={**base, key: value}):
            # Every check of the tag, as start-up runs them (HOSTED_UI's and REPLICA's have their own
            # functions); none may raise, whatever the value.
            errors = [message for message in run_checks(tags=["fastcognito"]) if message.is_serious()]
            assert all(error.id.startswith("fastcognito.E") and error.msg and error.hint for error in errors)
            if errors:
                outcomes["rejected"] += 1
                with pytest.raises(ImproperlyConfigured) as caught:
                    config.validate_settings()
                for line in startup_errors():
                    assert line in str(caught.value)
                continue
            outcomes["accepted"] += 1
            statuses = _requests(Client(), token)
            assert all(status < 500 or status == 503 for status in statuses), (value, statuses)
    # Every key has values it refuses, except those where any value is a decision of the user.
    assert outcomes["rejected"] > 0 or key in {"HOSTED_UI"}, outcomes


def test_hostile_top_level_values() -> None:
    for value in (None, [], "FASTCOGNITO", 42, object()):
        with override_settings(FASTCOGNITO=value):
            errors = check_settings()
            assert errors and {error.id for error in errors} <= {
                "fastcognito.E001", "fastcognito.E003", "fastcognito.E005",
            }  # fmt: skip
