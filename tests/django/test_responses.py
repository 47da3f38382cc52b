"""``responses.py``, the one builder of the Django layer's error answers, and ``messages.py``, the
translatable message of every code."""

from __future__ import annotations

import ast
import inspect
import json
from pathlib import Path

import pytest
from django.test import RequestFactory
from django.utils.functional import Promise

import fastcognito.exceptions
from fastcognito.django import responses
from fastcognito.django.messages import MESSAGES, PAGE_TEXTS, message_for
from fastcognito.exceptions import (
    ConfigurationError,
    DenylistUnavailableError,
    ExpiredTokenError,
    FastCognitoError,
    InvalidStateError,
    JWKSError,
    SignInError,
    SignInThrottledError,
    UserRefusedError,
)

DJANGO_LAYER = Path(responses.__file__).resolve().parent


def every_error_class() -> list[type[FastCognitoError]]:
    return [
        cls
        for cls in vars(fastcognito.exceptions).values()
        if inspect.isclass(cls) and issubclass(cls, FastCognitoError) and cls is not FastCognitoError
    ]


def test_every_code_has_a_translatable_message() -> None:
    codes = {cls.code for cls in every_error_class()} | {"not_authenticated"}
    assert codes - set(MESSAGES) == set()
    for text in [*MESSAGES.values(), *PAGE_TEXTS.values()]:
        assert isinstance(text, Promise)  # gettext_lazy: translated in the request's language


def test_a_code_the_table_does_not_know_gets_its_family_message() -> None:
    class SitesOwnError(SignInError):
        code = "sites_own"

    expected = {"detail": str(MESSAGES["sign_in_failed"]), "code": "sites_own"}
    assert responses.error_body(SitesOwnError()) == expected
    assert message_for("nothing-known") == MESSAGES["invalid_token"]


def test_bodies_never_carry_the_exceptions_own_text() -> None:
    error = ExpiredTokenError("exp 1700000000 is before now 1800000000")
    assert responses.error_body(error) == {"detail": str(MESSAGES["expired"]), "code": "expired"}


@pytest.mark.usefixtures("fastcognito_config")
def test_token_answers() -> None:
    none = responses.error_response(None)
    assert (none.status_code, none["WWW-Authenticate"]) == (401, 'Bearer realm="api"')
    rejected = responses.error_response(ExpiredTokenError())
    assert rejected["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
    for error in (JWKSError(), DenylistUnavailableError()):
        unavailable = responses.error_response(error)
        assert unavailable.status_code == 503 and unavailable["Retry-After"] == "10"
        assert "WWW-Authenticate" not in unavailable
    refused = responses.refused_response(UserRefusedError())
    assert (refused.status_code, json.loads(refused.content)["code"]) == (403, "user_refused")


@pytest.mark.parametrize(
    ("error", "status"),
    [(InvalidStateError(), 400), (SignInThrottledError(retry_after=300), 429), (ConfigurationError(), 503),
     (ExpiredTokenError(), 401), (JWKSError(), 503)],
)
def test_signin_answers(error: FastCognitoError, status: int) -> None:
    request = RequestFactory().get("/auth/callback/", HTTP_ACCEPT="application/json")
    answer = responses.signin_error_response(request, error, page=True)
    assert answer.status_code == status and answer["Cache-Control"] == "no-store"
    assert json.loads(answer.content) == responses.error_body(error)
    assert ("Retry-After" in answer) is isinstance(error, SignInThrottledError)
    page = responses.signin_error_response(RequestFactory().get("/auth/callback/"), error, page=True)
    assert page["Content-Type"].startswith("text/html") and error.code in page.content.decode()


def test_no_other_module_of_the_django_layer_builds_an_error_body() -> None:
    # One builder: a "detail" key is written by responses.py alone (DRF aside).
    found = []
    for path in DJANGO_LAYER.rglob("*.py"):
        if path.name == "responses.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Dict) and any(
                isinstance(key, ast.Constant) and key.value == "detail" for key in node.keys
            ):
                found.append(f"{path.relative_to(DJANGO_LAYER)}:{node.lineno}")
    assert found == []
