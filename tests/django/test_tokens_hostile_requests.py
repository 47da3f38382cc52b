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
from conftest import TokenFactory, Twin
from django.test import AsyncClient, Client

T = "{token}"

HOSTILE_HEADERS: dict[str, str] = {
    "huge token": "Bearer " + "A" * 1_000_000,
    "huge valid-looking token": "Bearer " + "eyJhbGciOiJSUzI1NiJ9." * 50_000 + "x",
    "huge whitespace": "Bearer " + " " * 1_000_000,
    "huge words": "Bearer " + "a " * 500_000,
    "huge scheme": "B" * 1_000_000 + " token",
    "many headers joined": ", ".join([f"Bearer {T}"] * 200),
    "many schemes joined": f"Basic YWxpY2U6c2VjcmV0, Bearer {T}, Negotiate YII=",
    "latin-1": "Bearer \xff\xfe\xfd.\xe9\xe8.\xe0",
    "non-ASCII scheme": f"Bëarer {T}",
    "unicode token": "Bearer 令牌.令牌.令牌",
    "lone surrogate": "Bearer \ud800.\udfff.x",
    "emoji": "Bearer 🔑.🔑.🔑",
    "CR LF injection": f"Bearer {T}\r\nSet-Cookie: admin=1",
    "LF in scheme": f"Bear\ner {T}",
    "NUL everywhere": "\x00Bearer\x00 \x00" + T + "\x00",
    "NUL token": "Bearer \x00\x00\x00",
    "control characters": "Bearer " + "".join(chr(code) for code in range(32)),
    "DEL and C1": "Bearer \x7f\x80\x9f",
    "only dots": "Bearer ..",
    "empty segments": "Bearer ...",
    "too many segments": "Bearer a.b.c.d.e",
    "padding": "Bearer eyJhbGciOiJSUzI1NiJ9==.e30=.AA==",
    "json bomb header": "Bearer " + "W" * 4000 + ".e30.AA",
    "alg none": "Bearer eyJhbGciOiJub25lIn0.e30.",
    "scheme only with tab": "Bearer\t",
    "colon scheme": f"Bearer: {T}",
    "equals scheme": f"Bearer={T}",
    "quoted token": f'Bearer "{T}"',
    "odd scheme Digest": 'Digest username="alice", realm="api", nonce="x"',
    "odd scheme AWS4": "AWS4-HMAC-SHA256 Credential=AKIA/20260101/eu-west-1/execute-api/aws4_request",
    "odd scheme empty": " ",
    "token with signature stripped": f"Bearer {T}".rsplit(".", 1)[0] + ".",
    "token twice glued": f"Bearer {T}{T}",
    "percent-encoded": "Bearer %65%79%4a.%65.%41",
}

HOSTILE_COOKIES: dict[str, str] = {
    "garbage": "\x00\xff;;;==;=;accessToken;accessToken==;a=b=c",
    "empty value": "accessToken=",
    "quoted": 'accessToken="a.b.c"',
    "quoted escapes": 'accessToken="\\012\\"\\\\"',
    "many values": "; ".join(f"accessToken=v{index}" for index in range(2000)),
    "huge value": "accessToken=" + "A" * 1_000_000,
    "huge cookie header": "; ".join(f"c{index}={'x' * 100}" for index in range(10_000)),
    "non-ASCII value": "accessToken=令牌.令牌.令牌",
    "latin-1 value": "accessToken=\xff\xfe.\xe9.\xe0",
    "CR LF": "accessToken=a\r\nSet-Cookie: admin=1",
    "NUL": "accessToken=\x00\x00",
    "lone surrogate": "accessToken=\ud800",
    "valid token, then junk": f"accessToken={T}; \x00=\x00",
    "valid token with spaces": f"accessToken= {T} ",
    "semicolon in token": f"accessToken={T};x",
}

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


def as_sent(value: str) -> str:
    """``value`` as a server hands it over: its UTF-8 bytes (lone surrogates included) read as
    latin-1, which is what WSGI's native strings and ASGI's header bytes give Django."""
    return value.encode("utf-8", "surrogatepass").decode("latin-1")


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
