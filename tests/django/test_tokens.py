"""Where the token comes from: the full accept/reject table of the Authorization header and the
cookie, through the DRF class and through the middleware, on both twins.

Every row is sent to ``/drf/public/`` (an ``AllowAny`` DRF view, so anonymity shows as 200) and
to ``/plain/whoami/`` (a plain view behind ``CognitoMiddleware``), and must get the same verdict
from both: ``ok`` (authenticated as alice), ``anonymous`` (no token of ours: the header belongs to
another scheme) or an error code (DRF: 401 with that code; middleware: anonymous, with
``request.cognito_error.code`` that code).
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from fastcognito.django.tokens import RawToken, parse_authorization_header, token_from_request
from fastcognito.exceptions import MalformedTokenError
from tests.support import TokenFactory, Twin

T = "{token}"  # replaced by a valid access token in each test

HEADER_TABLE: list[tuple[str, str]] = [
    # the header, as it reaches the application -> the verdict
    (f"Bearer {T}", "ok"),
    (f"bearer {T}", "ok"),
    (f"BEARER {T}", "ok"),
    (f"bEaReR {T}", "ok"),
    (f"Bearer  {T}", "ok"),  # RFC 6750 says 1*SP: several spaces before the token are fine
    (f"Bearer          {T}", "ok"),
    (f"Bearer {T} ", "malformed"),  # anything after the token
    (f"Bearer {T}  ", "malformed"),
    (f"Bearer {T}\t", "malformed"),
    (f"Bearer {T}\r\n", "malformed"),
    (f"Bearer {T}\n", "malformed"),
    (f"Bearer {T}\r", "malformed"),
    (f"Bearer {T}\x0b", "malformed"),
    (f"Bearer {T}\x0c", "malformed"),
    (f"Bearer {T}\x1c", "malformed"),  # str.isspace() counts the ASCII separators too
    (f"Bearer {T}\x85", "malformed"),  # NEL
    (f"Bearer {T}\xa0", "malformed"),  # no-break space
    (f"Bearer {T}\u2003", "malformed"),  # em space
    (f"Bearer {T}\u3000", "malformed"),  # ideographic space
    (f"Bearer {T} extra", "malformed"),
    (f"Bearer {T}, Bearer {T}", "malformed"),  # two headers joined by the server
    (f"Bearer \t{T}", "malformed"),  # only spaces may separate scheme and token
    (f"Bearer \r\n{T}", "malformed"),
    (f"Bearer \xa0{T}", "malformed"),
    ("Bearer a b", "malformed"),
    ("bearer a\tb", "malformed"),
    ("Bearer", "malformed"),  # only the scheme
    ("bearer", "malformed"),
    ("Bearer ", "malformed"),
    ("Bearer    ", "malformed"),
    ("Bearer \t", "malformed"),
    (f"Bearer {T}\x00", "malformed"),  # NUL is not whitespace: the verifier's strict split rejects it
    (f"Bearer \x00{T}", "malformed"),
    (f"Bearer {T}é", "malformed"),  # non-ASCII: rejected by the verifier's type and size check
    (f"Bearer é{T}", "malformed"),
    ("Bearer not-a-jwt", "malformed"),
    ("Bearer a.b.c", "malformed"),
    (f"Bearer\t{T}", "anonymous"),  # the scheme ends at the first space: "Bearer\t..." is not ours
    (f"Bearer{T}", "anonymous"),
    (f" Bearer {T}", "anonymous"),  # an empty scheme
    (f"\tBearer {T}", "anonymous"),
    (f"Bearer\xa0{T}", "anonymous"),
    (f"Bearé {T}", "anonymous"),
    (f"Token {T}", "anonymous"),
    (f"JWT {T}", "anonymous"),
    ("Basic YWxpY2U6c2VjcmV0", "anonymous"),
    ("Negotiate YII=", "anonymous"),
    ("", "anonymous"),
    (" ", "anonymous"),
]

CUSTOM_TYPES_TABLE: list[tuple[str, str]] = [
    # AUTH_HEADER_TYPES = ("JWT", "Cognito")
    (f"JWT {T}", "ok"),
    (f"jwt {T}", "ok"),
    (f"Cognito {T}", "ok"),
    (f"COGNITO  {T}", "ok"),
    (f"Bearer {T}", "anonymous"),
    ("JWT", "malformed"),
    (f"JWT {T} ", "malformed"),
    ("Cognito a b", "malformed"),
]


@pytest.fixture
def twin_settings(twin: Twin, fastcognito_config: Any) -> Iterator[Any]:
    """The settings' verifier built on ``twin``; call it again after changing the settings."""
    from fastcognito.django import fastcognito_settings

    def use_twin(**changes: Any) -> None:
        if changes:
            fastcognito_config(**changes)
        fastcognito_settings.reload()
        fastcognito_settings._verifier = twin.verifier(
            fastcognito_settings.USER_POOL_ID, **fastcognito_settings.verifier_options()
        )

    use_twin()
    yield use_twin
    fastcognito_settings.reload()


def drf_verdict(response: Any) -> str:
    body = response.json()
    if response.status_code == 200:
        return "ok" if body["authenticated"] and body["username"] == "alice" else "anonymous"
    assert response.status_code == 401, response.content
    assert set(body) == {"detail", "code"}
    return str(body["code"])


def plain_verdict(response: Any) -> str:
    assert response.status_code == 200, response.content
    body = response.json()
    if body["authenticated"]:
        assert body["error"] is None
        return "ok" if body["username"] == "alice" else "wrong user"
    return body["error"] or "anonymous"


def verdicts(client: Client, **request: Any) -> tuple[str, str]:
    return (
        drf_verdict(client.get("/drf/public/", **request)),
        plain_verdict(client.get("/plain/whoami/", **request)),
    )


@pytest.mark.parametrize(("header", "verdict"), HEADER_TABLE)
def test_authorization_header_table(
    twin_settings: Any, tokens: TokenFactory, header: str, verdict: str
) -> None:
    request = {"HTTP_AUTHORIZATION": header.replace(T, tokens.access())}
    assert verdicts(Client(), **request) == (verdict, verdict)


@pytest.mark.parametrize(("header", "verdict"), CUSTOM_TYPES_TABLE)
def test_custom_header_types_table(twin_settings: Any, tokens: TokenFactory, header: str, verdict: str) -> None:
    twin_settings(AUTH_HEADER_TYPES=("JWT", "Cognito"))
    request = {"HTTP_AUTHORIZATION": header.replace(T, tokens.access())}
    assert verdicts(Client(), **request) == (verdict, verdict)


@pytest.mark.parametrize(
    ("header", "cookie", "verdict"),
    [
        (None, T, "ok"),
        (None, "", "anonymous"),
        (None, "garbage", "malformed"),
        (None, f"{T} ", "malformed"),
        (None, "a.b.c", "malformed"),
        (f"Bearer {T}", "garbage", "ok"),  # the header is tried first
        ("Basic YWxpY2U6c2VjcmV0", T, "ok"),  # another scheme's header: the cookie counts
        ("Bearer", T, "malformed"),  # a header of our type decides, even when malformed
        (f"Bearer {T} x", T, "malformed"),
    ],
)
def test_cookie_table(
    twin_settings: Any, tokens: TokenFactory, header: str | None, cookie: str, verdict: str
) -> None:
    twin_settings(COOKIE_NAME="accessToken")
    token = tokens.access()
    client = Client()
    client.cookies["accessToken"] = cookie.replace(T, token)
    request = {} if header is None else {"HTTP_AUTHORIZATION": header.replace(T, token)}
    assert verdicts(client, **request) == (verdict, verdict)


def test_cookie_is_not_read_without_cookie_name(twin_settings: Any, tokens: TokenFactory) -> None:
    client = Client()
    client.cookies["accessToken"] = tokens.access()
    assert verdicts(client) == ("anonymous", "anonymous")


# --- the parser against the per-character definition it replaced -----------------------------


def reference_parse(header: str, header_types: tuple[str, ...]) -> str | None:
    """The previous parser, one Python step per character: the definition of the accept set."""
    scheme, _, rest = header.partition(" ")
    scheme = scheme.lower()
    if not any(scheme == header_type.lower() for header_type in header_types):
        return None
    token = rest.lstrip(" ")
    if not token or any(char.isspace() for char in token):
        raise MalformedTokenError("malformed")
    return token


def outcome(parse: Any, header: str, header_types: tuple[str, ...]) -> str | None:
    try:
        return parse(header, header_types)  # type: ignore[no-any-return]
    except MalformedTokenError:
        return "<malformed>"


WHITESPACE = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]


def generated_headers(seed: int, count: int) -> list[str]:
    """Headers built from the pieces that matter: schemes in any case, every Unicode whitespace
    character, NUL, non-ASCII letters and token characters, in random places."""
    rng = random.Random(seed)
    pieces = [*WHITESPACE, " ", " ", "\x00", "é", "ſ", "K", "Bearer", "bearer", "JWT", "a.b.c", "x", "=", ",", ""]
    headers = []
    for _ in range(count):
        headers.append("".join(rng.choice(pieces) for _ in range(rng.randint(0, 6))))
        scheme = rng.choice(["Bearer", "BEARER", "bearer", "JWT", "Basic", ""])
        headers.append(scheme + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 5))))
    return headers


def test_parser_matches_the_per_character_definition() -> None:
    # Every Unicode whitespace character in every position, and random mixes of the rest.
    headers = ["Bearer{c}tok", "Bearer {c}tok", "Bearer tok{c}", "Bearer to{c}k", "Bearer {c}", "{c}Bearer tok"]
    cases = [header.replace("{c}", c) for c in [*WHITESPACE, "\x00", "é"] for header in headers]
    cases += generated_headers(seed=6, count=5000)
    for header_types in [("Bearer",), ("JWT", "Cognito"), ("bearer", "BEARER")]:
        for header in cases:
            assert outcome(parse_authorization_header, header, header_types) == outcome(
                reference_parse, header, header_types
            ), (header, header_types)


def test_token_from_request_repr_hides_the_token(tokens: TokenFactory, fastcognito_config: Any) -> None:
    from django.http import HttpRequest

    token = tokens.access()
    request = HttpRequest()
    request.META["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    raw = token_from_request(request)
    assert raw == RawToken(token, "header")
    assert token not in repr(raw)


def test_the_default_steps_parser_is_the_parser_without_its_whitespace_check() -> None:
    # header_token (what CognitoMiddleware and CognitoAuthentication run inline, with a
    # startswith() shortcut for the first configured type) finds what the parser finds; a token
    # with whitespace in it is left to the verifier, which refuses it.
    from fastcognito.django.conf import FastCognitoSettings
    from fastcognito.django.tokens import RequestPolicy, header_token

    def via_header_token(header: str, header_types: tuple[str, ...]) -> str | None:
        policy = RequestPolicy(FastCognitoSettings({"AUTH_HEADER_TYPES": list(header_types)}, environ={}))
        token = header_token(header, policy)
        if token is not None and any(char.isspace() for char in token):
            raise MalformedTokenError("malformed")
        return token

    headers = ["Bearer{c}tok", "Bearer {c}tok", "Bearer tok{c}", "Bearer to{c}k", "Bearer {c}"]
    headers += ["{c}Bearer tok", "Bear er{c}tok", "JWT {c}tok"]
    cases = [header.replace("{c}", c) for c in [*WHITESPACE, "\x00", "é"] for header in headers]
    cases += [case for case in generated_headers(seed=7, count=3000) if case]
    for header_types in [("Bearer",), ("JWT", "Cognito"), ("bearer", "BEARER"), ("Bear er", "Bearer")]:
        for header in cases:
            assert outcome(via_header_token, header, header_types) == outcome(
                reference_parse, header, header_types
            ), (header, header_types)
