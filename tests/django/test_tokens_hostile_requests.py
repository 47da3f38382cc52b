"""Hostile headers and cookies never make our classes answer 500.

Each input goes through the DRF class (a protected view and an ``AllowAny`` one, GET and POST) and
through the middleware (a plain view, ``cognito_login_required`` sync and async), on both twins.
The test client re-raises any exception a view or middleware lets escape, so a 500 fails the test
with its traceback. Every answer must be one of the documented ones, and none may echo the input.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

from tests.support import TokenFactory, Twin
from tests.support.hostile_requests import HOSTILE_COOKIES, HOSTILE_HEADERS, T, as_sent

ALLOWED_STATUSES = {200, 201, 401, 403}


@pytest.fixture
def twin_settings(twin: Twin, fastcognito_config: Any) -> Iterator[None]:
    from fastcognito.django import fastcognito_settings

    fastcognito_config(COOKIE_NAME="accessToken")
    fastcognito_settings.reload()
    fastcognito_settings._verifier = twin.verifier(
        fastcognito_settings.USER_POOL_ID, **fastcognito_settings.verifier_options()
    )
    yield
    fastcognito_settings.reload()


def check(response: Any, hostile: str) -> None:
    assert response.status_code in ALLOWED_STATUSES, (response.status_code, response.content[:500])
    content = response.content.decode("utf-8", "replace")
    if response.status_code == 401:
        body = response.json()
        assert set(body) == {"detail", "code"}
        assert response["WWW-Authenticate"].startswith('Bearer realm="api"')
    # Nothing of the input comes back (the short pieces, like "a.b.c", are not credentials).
    for piece in hostile.split():
        if len(piece) > 20:
            assert piece not in content


def send_everywhere(**request: Any) -> list[Any]:
    client = Client()
    responses = [
        client.get("/drf/whoami/", **request),
        client.get("/drf/public/", **request),
        client.post("/drf/whoami/", {}, **request),
        client.post("/drf/public/", {}, **request),
        client.get("/plain/whoami/", **request),
        client.get("/plain/protected/", **request),
        client.post("/plain/protected/", {}, **request),
    ]

    async def send_async() -> Any:
        return await AsyncClient().get("/plain/async-protected/", **request)

    responses.append(async_to_sync(send_async)())
    return responses


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(HOSTILE_HEADERS))
def test_hostile_authorization_headers(twin_settings: None, tokens: TokenFactory, name: str) -> None:
    header = as_sent(HOSTILE_HEADERS[name].replace(T, tokens.access()))
    for response in send_everywhere(HTTP_AUTHORIZATION=header):
        check(response, header)


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(HOSTILE_COOKIES))
def test_hostile_cookies(twin_settings: None, tokens: TokenFactory, name: str) -> None:
    cookie = as_sent(HOSTILE_COOKIES[name].replace(T, tokens.access()))
    for response in send_everywhere(HTTP_COOKIE=cookie):
        check(response, cookie)


@pytest.mark.django_db
def test_hostile_header_and_cookie_together(twin_settings: None, tokens: TokenFactory) -> None:
    for name in ("huge token", "many headers joined", "CR LF injection", "NUL everywhere", "Basic-then-ours"):
        header = as_sent(HOSTILE_HEADERS.get(name, f"Basic YWxpY2U6c2VjcmV0, Bearer {T}"))
        for cookie in ("accessToken=\x00", f"accessToken={tokens.access()}"):
            for response in send_everywhere(HTTP_AUTHORIZATION=header.replace(T, tokens.access()), HTTP_COOKIE=cookie):
                check(response, header)
