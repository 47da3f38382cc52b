"""FASTCOGNITO["ACCEPT_BARE_TOKEN"]: ``Authorization: <jwt>`` without a scheme, for frontends that
cannot send ``Bearer`` yet (the "DRF with Cognito Authentication" tutorial's). Off by default; on,
the DRF class and the middleware read such a header as a header token, and a check warns."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import checks
from django.test import Client, override_settings

from fastcognito.django import fastcognito_settings
from fastcognito.django.tokens import request_policy
from tests.support import TokenFactory

pytestmark = pytest.mark.usefixtures("fastcognito_config")

# Headers that are not one token alone: each still belongs to whatever reads it, never to us.
NOT_A_BARE_TOKEN = [
    "Basic YWxpY2U6c2VjcmV0",
    "aaa.bbb",
    "aaa.bbb.ccc.ddd",
    "aaa.bbb.ccc ",
    " aaa.bbb.ccc",
    "aaa..ccc",
    "aaa.bbb.c=c",
    "aaa.bbb.ccc\t",
    "Token aaa.bbb.ccc",
]


def drf(client: Any, header: str) -> Any:
    return client.get("/drf/whoami/", HTTP_AUTHORIZATION=header)


def plain(header: str) -> dict[str, Any]:
    body: dict[str, Any] = Client().get("/plain/whoami/", HTTP_AUTHORIZATION=header).json()
    return body


def test_off_by_default_a_bare_token_is_no_credential(api_client: Any, tokens: TokenFactory) -> None:
    token = tokens.access()
    answer = drf(api_client, token)
    assert answer.status_code == 401 and answer.json()["code"] == "not_authenticated"
    assert plain(token) == {"authenticated": False, "class": "AnonymousUser", "error": None}
    assert request_policy(fastcognito_settings).accept_bare_token is False


def test_on_the_drf_class_and_the_middleware_read_it(
    api_client: Any, tokens: TokenFactory, fastcognito_config: Any
) -> None:
    fastcognito_config(ACCEPT_BARE_TOKEN=True)
    token = tokens.access()
    answer = drf(api_client, token)
    assert answer.status_code == 200, answer.content
    assert answer.json()["username"] == "alice"
    body = plain(token)
    assert (body["class"], body["username"]) == ("CognitoUser", "alice")
    # Bearer keeps working beside it.
    assert drf(api_client, f"Bearer {token}").status_code == 200


def test_a_bare_id_token_as_the_tutorial_sends_it(
    api_client: Any, tokens: TokenFactory, fastcognito_config: Any
) -> None:
    fastcognito_config(ACCEPT_BARE_TOKEN=True, TOKEN_USE="id")
    answer = drf(api_client, tokens.id())
    assert answer.status_code == 200, answer.content
    assert answer.json()["token_use"] == "id"


def test_on_a_bad_bare_token_is_a_401_with_its_code(
    api_client: Any, tokens: TokenFactory, fastcognito_config: Any
) -> None:
    fastcognito_config(ACCEPT_BARE_TOKEN=True)
    answer = drf(api_client, tokens.access(client_id="someone-else"))
    assert answer.status_code == 401 and answer.json()["code"] == "invalid_client"
    assert 'error="invalid_token"' in answer["WWW-Authenticate"]
    answer = drf(api_client, "aaa.bbb.ccc")
    assert answer.status_code == 401 and answer.json()["code"] == "malformed"
    assert plain("aaa.bbb.ccc")["error"] == "malformed"


@pytest.mark.parametrize("header", NOT_A_BARE_TOKEN)
def test_on_anything_but_one_token_alone_is_left_to_others(
    api_client: Any, fastcognito_config: Any, header: str
) -> None:
    fastcognito_config(ACCEPT_BARE_TOKEN=True)
    answer = drf(api_client, header)
    assert answer.status_code == 401 and answer.json()["code"] == "not_authenticated"
    assert plain(header)["error"] is None


def test_a_bare_token_is_exempt_from_csrf_as_the_header_is(
    csrf_client: Any, tokens: TokenFactory, fastcognito_config: Any
) -> None:
    # A page's own script sets Authorization; a browser never adds it to a cross-site request.
    fastcognito_config(ACCEPT_BARE_TOKEN=True)
    answer = csrf_client.post("/drf/whoami/", HTTP_AUTHORIZATION=tokens.access())
    assert answer.status_code == 201, answer.content


def test_the_decision_is_taken_once_per_settings_change(fastcognito_config: Any) -> None:
    policy = request_policy(fastcognito_settings)
    assert request_policy(fastcognito_settings) is policy
    fastcognito_config(ACCEPT_BARE_TOKEN=True)
    changed = request_policy(fastcognito_settings)
    assert changed is not policy and changed.accept_bare_token is True


def check_ids(**changes: Any) -> list[str]:
    from django.conf import settings

    with override_settings(FASTCOGNITO={**settings.FASTCOGNITO, **changes}):
        return [message.id for message in checks.run_checks(tags=["fastcognito"])]


def test_on_is_a_warning_and_a_non_bool_an_error() -> None:
    assert check_ids() == []
    assert check_ids(ACCEPT_BARE_TOKEN=False) == []
    assert check_ids(ACCEPT_BARE_TOKEN=True) == ["fastcognito.W012"]
    assert check_ids(ACCEPT_BARE_TOKEN="yes") == ["fastcognito.E020"]
