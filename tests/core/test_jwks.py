"""JWKS rules (DESIGN.md §4) against real HTTP servers on 127.0.0.1.

Fetches are counted from what the server received (``httpserver.log``); every test serves its JWKS
on a path of its own, so a late request of another test can never be counted here.
"""

from __future__ import annotations

import gzip
import json
import logging
import socket
import socketserver
import threading
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from fastcognito import (
    CognitoVerifier,
    ConfigurationError,
    InvalidSignatureError,
    JWKSClient,
    JWKSError,
    KeyNotFoundError,
    TokenError,
)
from tests.support import CLIENT_ID, ISSUER, KID, KID2, POOL_ID, TokenFactory, Twin, rsa_jwk

# --- helpers -------------------------------------------------------------------------------------


class FakeClock:
    """A monotonic clock the test moves by hand, for cooldown windows without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def jwks_path() -> str:
    return f"/{uuid.uuid4().hex}/.well-known/jwks.json"


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """Set at teardown, so handlers that block on it return before the next test."""
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture(scope="module")
def rsa_1024() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=1024)


@pytest.fixture(scope="module")
def tokens2(rsa_key2: rsa.RSAPrivateKey) -> TokenFactory:
    return TokenFactory(rsa_key2, KID2)


def fetches(httpserver: HTTPServer, path: str) -> int:
    return sum(1 for request, _ in httpserver.log if request.path == path)


def online_verifier(twin: Twin, url: str, **options: Any) -> CognitoVerifier:
    settings: dict[str, Any] = {"client_id": CLIENT_ID, "token_use": "access", "issuer": ISSUER, "jwks_url": url}
    settings.update(options)
    return twin.verifier(POOL_ID, **settings)


def json_response(document: object, **headers: str) -> Response:
    return Response(json.dumps(document), content_type="application/json", headers=headers)


def assert_no_token_logged(caplog: pytest.LogCaptureFixture, *tokens: str) -> None:
    text = caplog.text
    for token in tokens:
        assert token not in text
        assert token.split(".")[2] not in text  # not even the signature alone
        assert token.split(".")[1] not in text


# --- fetching once, rotation, cooldown, single flight --------------------------------------------


def test_first_token_fetches_once_and_later_tokens_use_the_keys(
    twin: Twin, httpserver: HTTPServer, jwks_path: str, jwks_document: dict[str, Any], tokens: TokenFactory
) -> None:
    httpserver.expect_request(jwks_path, method="GET").respond_with_json(jwks_document)
    verifier = online_verifier(twin, httpserver.url_for(jwks_path), cache_size=0)
    assert verifier.verify(tokens.access()).username == "alice"
    assert verifier.verify(tokens.access(username="carol")).username == "carol"
    assert fetches(httpserver, jwks_path) == 1
    request = httpserver.log[0][0]
    assert request.headers["Accept-Encoding"] == "gzip"


def test_rotation_picks_up_a_new_kid_with_exactly_one_fetch(
    twin: Twin,
    httpserver: HTTPServer,
    jwks_path: str,
    clock: FakeClock,
    rsa_key: rsa.RSAPrivateKey,
    rsa_key2: rsa.RSAPrivateKey,
    tokens: TokenFactory,
    tokens2: TokenFactory,
) -> None:
    served = {"keys": [rsa_jwk(rsa_key, KID)]}
    httpserver.expect_request(jwks_path).respond_with_handler(lambda request: json_response(served))
    verifier = online_verifier(twin, httpserver.url_for(jwks_path), cache_size=0, jwks_clock=clock)
    old_token, new_token = tokens.access(), tokens2.access()
    verifier.verify(old_token)
    assert fetches(httpserver, jwks_path) == 1

    # Cognito publishes the next key beside the current one, then retires the old one.
    served = {"keys": [rsa_jwk(rsa_key, KID), rsa_jwk(rsa_key2, KID2)]}
    clock.advance(60)
    assert verifier.verify(new_token).sub is not None
    assert fetches(httpserver, jwks_path) == 2
    verifier.verify(new_token)
    verifier.verify(old_token)
    assert fetches(httpserver, jwks_path) == 2
    assert sorted(verifier.jwks_clients[ISSUER].by_kid) == [KID, KID2]

    served = {"keys": [rsa_jwk(rsa_key2, KID2)]}
    clock.advance(60)
    verifier.jwks_clients[ISSUER].refresh()
    with pytest.raises(KeyNotFoundError):
        verifier.verify(old_token)  # a key gone from the JWKS no longer verifies anything
    assert verifier.verify(new_token)["iss"] == ISSUER


def test_a_new_kid_during_the_cooldown_waits_for_the_window(
    twin: Twin,
    httpserver: HTTPServer,
    jwks_path: str,
    clock: FakeClock,
    rsa_key: rsa.RSAPrivateKey,
    rsa_key2: rsa.RSAPrivateKey,
    tokens: TokenFactory,
    tokens2: TokenFactory,
) -> None:
    served = {"keys": [rsa_jwk(rsa_key, KID)]}
    httpserver.expect_request(jwks_path).respond_with_handler(lambda request: json_response(served))
    verifier = online_verifier(
        twin, httpserver.url_for(jwks_path), cache_size=0, jwks_clock=clock, jwks_cooldown=10
    )
    verifier.verify(tokens.access())
    served = {"keys": [rsa_jwk(rsa_key, KID), rsa_jwk(rsa_key2, KID2)]}
    clock.advance(9.5)
    with pytest.raises(KeyNotFoundError):
        verifier.verify(tokens2.access())
    assert fetches(httpserver, jwks_path) == 1
    clock.advance(0.5)
    verifier.verify(tokens2.access())
    assert fetches(httpserver, jwks_path) == 2


def test_a_flood_of_unknown_kids_fetches_at_most_once_per_window(
    twin: Twin,
    httpserver: HTTPServer,
    jwks_path: str,
    clock: FakeClock,
    jwks_document: dict[str, Any],
    rsa_key: rsa.RSAPrivateKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    httpserver.expect_request(jwks_path).respond_with_json(jwks_document)
    verifier = online_verifier(
        twin, httpserver.url_for(jwks_path), cache_size=0, jwks_clock=clock, jwks_cooldown=10
    )
    flood = [TokenFactory(rsa_key, f"attacker-{i}").access() for i in range(200)]
    caplog.set_level(logging.DEBUG, logger="fastcognito")
    for window in range(1, 4):
        for token in flood:
            with pytest.raises(KeyNotFoundError) as caught:
                verifier.verify(token)
            assert caught.value.code == "unknown_kid"
        assert fetches(httpserver, jwks_path) == window
        clock.advance(10)
    assert_no_token_logged(caplog, *flood)


def test_concurrent_misses_share_one_fetch(
    twin: Twin,
    httpserver: HTTPServer,
    jwks_path: str,
    jwks_document: dict[str, Any],
    tokens: TokenFactory,
    release: threading.Event,
) -> None:
    threads_count = 16
    started = threading.Semaphore(0)

    def handler(request: Request) -> Response:
        # Answer only once every thread is on its way into verify(): they all miss together.
        for _ in range(threads_count):
            assert started.acquire(timeout=10)
        release.wait(0.2)
        return json_response(jwks_document)

    httpserver.expect_request(jwks_path).respond_with_handler(handler)
    verifier = online_verifier(twin, httpserver.url_for(jwks_path), cache_size=0, jwks_cooldown=0)
    token = tokens.access()
    results: list[object] = []

    def worker() -> None:
        started.release()
        try:
            results.append(verifier.verify(token).username)
        except Exception as error:  # reported below, not swallowed
            results.append(error)

    workers = [threading.Thread(target=worker) for _ in range(threads_count)]
    for thread in workers:
        thread.start()
    for thread in workers:
        thread.join(timeout=30)
    assert results == ["alice"] * threads_count
    assert fetches(httpserver, jwks_path) == 1
    assert verifier.jwks_clients[ISSUER].fetches == 1


# --- failures: timeouts, status, size, content -----------------------------------------------------


def test_a_timeout_with_no_cached_keys_is_jwks_unavailable(
    twin: Twin,
    httpserver: HTTPServer,
    jwks_path: str,
    jwks_document: dict[str, Any],
    tokens: TokenFactory,
    release: threading.Event,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def slow(request: Request) -> Response:
        release.wait(10)  # far past the read timeout below
        return json_response(jwks_document)

    httpserver.expect_request(jwks_path).respond_with_handler(slow)
    verifier = online_verifier(twin, httpserver.url_for(jwks_path), jwks_timeout=(1.0, 0.3))
    token = tokens.access()
    with pytest.raises(JWKSError, match="ReadTimeout") as caught:
        verifier.verify(token)
    assert caught.value.code == "jwks_unavailable"
    assert not isinstance(caught.value, TokenError)
    assert verifier.jwks_clients[ISSUER].by_kid == {}
    # The first fetch failed: nothing was refreshed, and the log line does not say so.
    assert "could not fetch the JWKS" in caplog.text
    assert "could not refresh" not in caplog.text
    assert_no_token_logged(caplog, token)


def test_a_timeout_keeps_the_cached_keys(
    twin: Twin,
    httpserver: HTTPServer,
    jwks_path: str,
    clock: FakeClock,
    jwks_document: dict[str, Any],
    tokens: TokenFactory,
    tokens2: TokenFactory,
    release: threading.Event,
) -> None:
    calls = []

    def first_fast_then_slow(request: Request) -> Response:
        calls.append(1)
        if len(calls) > 1:
            release.wait(10)
        return json_response(jwks_document)

    httpserver.expect_request(jwks_path).respond_with_handler(first_fast_then_slow)
    verifier = online_verifier(
        twin, httpserver.url_for(jwks_path), cache_size=0, jwks_clock=clock, jwks_timeout=(1.0, 0.3)
    )
    verifier.verify(tokens.access())
    clock.advance(60)
    with pytest.raises(KeyNotFoundError):
        verifier.verify(tokens2.access())
    assert len(calls) == 2
    assert verifier.verify(tokens.access()).username == "alice"


def test_a_body_trickled_past_the_total_deadline_is_refused(
    httpserver: HTTPServer, jwks_path: str, release: threading.Event
) -> None:
    def trickle(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            for _ in range(400):  # one byte per 50 ms: each read is quick, the whole is not
                if release.wait(0.05):
                    return
                yield b" "

        return Response(body(), content_type="application/json")

    httpserver.expect_request(jwks_path).respond_with_handler(trickle)
    client = JWKSClient(httpserver.url_for(jwks_path), timeout=(0.5, 0.5))
    with pytest.raises(JWKSError, match="took too long"):
        client.refresh()
    assert client.by_kid == {}


@pytest.mark.parametrize("status", [500, 502, 503, 404, 403, 204, 201])
def test_a_status_other_than_200_is_jwks_unavailable(
    twin: Twin,
    httpserver: HTTPServer,
    jwks_path: str,
    jwks_document: dict[str, Any],
    tokens: TokenFactory,
    status: int,
) -> None:
    httpserver.expect_request(jwks_path).respond_with_json(jwks_document, status=status)
    verifier = online_verifier(twin, httpserver.url_for(jwks_path))
    with pytest.raises(JWKSError, match=f"HTTP {status}"):
        verifier.verify(tokens.access())
    assert fetches(httpserver, jwks_path) == 1


def padded(document: dict[str, Any], size: int) -> bytes:
    """The JSON document followed by whitespace up to ``size`` bytes: still valid JSON."""
    body = json.dumps(document).encode()
    assert len(body) <= size
    return body + b" " * (size - len(body))


def test_a_body_of_exactly_the_cap_is_accepted(
    httpserver: HTTPServer, jwks_path: str, jwks_document: dict[str, Any]
) -> None:
    httpserver.expect_request(jwks_path).respond_with_data(padded(jwks_document, 64 * 1024))
    client = JWKSClient(httpserver.url_for(jwks_path))
    assert list(client.refresh()) == [KID]


def test_an_oversized_body_with_content_length_is_refused(
    httpserver: HTTPServer, jwks_path: str, jwks_document: dict[str, Any]
) -> None:
    httpserver.expect_request(jwks_path).respond_with_data(padded(jwks_document, 64 * 1024 + 1))
    client = JWKSClient(httpserver.url_for(jwks_path))
    with pytest.raises(JWKSError, match="larger than 65536 bytes"):
        client.refresh()


def test_an_oversized_chunked_body_is_refused(
    httpserver: HTTPServer, jwks_path: str, jwks_document: dict[str, Any], release: threading.Event
) -> None:
    def endless(request: Request) -> Response:
        def body() -> Iterator[bytes]:
            yield json.dumps(jwks_document).encode()
            for _ in range(10_000):  # 40 MB if nobody stopped reading
                if release.is_set():
                    return
                yield b" " * 4096

        return Response(body(), content_type="application/json")

    httpserver.expect_request(jwks_path).respond_with_handler(endless)
    client = JWKSClient(httpserver.url_for(jwks_path))
    with pytest.raises(JWKSError, match="larger than"):
        client.refresh()
    request, response = httpserver.log[-1]
    assert "content-length" not in response.headers


def test_a_chunked_body_under_the_cap_is_accepted(
    httpserver: HTTPServer, jwks_path: str, jwks_document: dict[str, Any]
) -> None:
    text = json.dumps(jwks_document).encode()
    pieces = [text[i : i + 100] for i in range(0, len(text), 100)]
    httpserver.expect_request(jwks_path).respond_with_handler(lambda request: Response(iter(pieces)))
    assert list(JWKSClient(httpserver.url_for(jwks_path)).refresh()) == [KID]


def test_a_smaller_cap_can_be_configured(httpserver: HTTPServer, jwks_path: str,
                                         jwks_document: dict[str, Any]) -> None:
    httpserver.expect_request(jwks_path).respond_with_json(jwks_document)
    with pytest.raises(JWKSError, match="larger than 100 bytes"):
        JWKSClient(httpserver.url_for(jwks_path), max_bytes=100).refresh()


def test_a_gzip_bomb_is_refused_without_inflating_it(httpserver: HTTPServer, jwks_path: str,
                                                     jwks_document: dict[str, Any]) -> None:
    # About 100 KB on the wire; 100 MB of whitespace once inflated (then a valid JWKS).
    bomb = gzip.compress(b" " * (100 * 1024 * 1024) + json.dumps(jwks_document).encode(), compresslevel=9)
    assert len(bomb) < 64 * 1024 * 2
    httpserver.expect_request(jwks_path).respond_with_data(bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(JWKSError, match="larger than"):
        JWKSClient(httpserver.url_for(jwks_path)).refresh()


def test_a_small_gzip_body_that_inflates_past_the_cap_is_refused(
    httpserver: HTTPServer, jwks_path: str, jwks_document: dict[str, Any]
) -> None:
    body = gzip.compress(padded(jwks_document, 64 * 1024 + 1))
    assert len(body) < 4096
    httpserver.expect_request(jwks_path).respond_with_data(body, headers={"Content-Encoding": "gzip"})
    with pytest.raises(JWKSError, match="larger than 65536 bytes"):
        JWKSClient(httpserver.url_for(jwks_path)).refresh()


def test_a_gzip_body_is_accepted(
    twin: Twin, httpserver: HTTPServer, jwks_path: str, jwks_document: dict[str, Any], tokens: TokenFactory
) -> None:
    body = gzip.compress(padded(jwks_document, 64 * 1024))
    httpserver.expect_request(jwks_path).respond_with_data(
        body, headers={"Content-Encoding": "gzip"}, content_type="application/json"
    )
    verifier = online_verifier(twin, httpserver.url_for(jwks_path))
    assert verifier.verify(tokens.access()).username == "alice"


@pytest.mark.parametrize(
    ("encoding", "mangle", "reason"),
    [
        ("br", lambda body: body, "content encoding other than gzip"),
        ("deflate", lambda body: body, "content encoding other than gzip"),
        ("gzip, gzip", lambda body: gzip.compress(body), "content encoding other than gzip"),
        ("gzip", lambda body: body[: len(body) // 2], "truncated"),
        ("gzip", lambda body: body + b"garbage", "followed by other data"),
        ("gzip", lambda body: b"not gzip at all", "could not be fetched: error"),
    ],
)
def test_bad_content_encodings_are_refused(
    httpserver: HTTPServer,
    jwks_path: str,
    jwks_document: dict[str, Any],
    encoding: str,
    mangle: Callable[[bytes], bytes],
    reason: str,
) -> None:
    body = mangle(gzip.compress(json.dumps(jwks_document).encode()))
    httpserver.expect_request(jwks_path).respond_with_data(body, headers={"Content-Encoding": encoding})
    with pytest.raises(JWKSError, match=reason):
        JWKSClient(httpserver.url_for(jwks_path)).refresh()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "not valid JSON"),
        (b'{"keys": [], "x": NaN}', "not valid JSON"),
        (b'{"keys": [Infinity]}', "not valid JSON"),
        (b"\xff\xfe{}", "not valid JSON"),
        (b"[" * 50_000 + b"]" * 50_000, "larger than"),
        (b"[" * 30_000 + b"]" * 30_000, "not valid JSON"),  # nesting deeper than the parser allows
        (b"[]", "not a JSON object"),
        (b'"keys"', "not a JSON object"),
        (b"{}", "no 'keys' list"),
        (b'{"keys": null}', "no 'keys' list"),
        (b'{"keys": {"kid": "a"}}', "no 'keys' list"),
        (b'{"keys": []}', "no usable RS256 key"),
    ],
)
def test_documents_that_are_not_a_jwks_are_refused(
    twin: Twin, httpserver: HTTPServer, jwks_path: str, tokens: TokenFactory, body: bytes, reason: str
) -> None:
    httpserver.expect_request(jwks_path).respond_with_data(body, content_type="application/json")
    verifier = online_verifier(twin, httpserver.url_for(jwks_path))
    with pytest.raises(JWKSError, match=reason):
        verifier.verify(tokens.access())


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/octet-stream"])
def test_the_content_type_is_not_required(
    twin: Twin,
    httpserver: HTTPServer,
    jwks_path: str,
    jwks_document: dict[str, Any],
    tokens: TokenFactory,
    content_type: str | None,
) -> None:
    response = Response(json.dumps(jwks_document))
    if content_type is None:
        del response.headers["Content-Type"]
    else:
        response.headers["Content-Type"] = content_type
    httpserver.expect_request(jwks_path).respond_with_response(response)
    verifier = online_verifier(twin, httpserver.url_for(jwks_path))
    assert verifier.verify(tokens.access()).username == "alice"


# --- redirects ------------------------------------------------------------------------------------


def redirect_to(location: str) -> Response:
    return Response("", status=302, headers={"Location": location})


def test_a_same_host_redirect_is_followed(
    twin: Twin, httpserver: HTTPServer, jwks_path: str, jwks_document: dict[str, Any], tokens: TokenFactory
) -> None:
    moved = jwks_path + ".moved"
    httpserver.expect_request(jwks_path).respond_with_response(redirect_to(moved))  # relative
    httpserver.expect_request(moved).respond_with_json(jwks_document)
    verifier = online_verifier(twin, httpserver.url_for(jwks_path))
    assert verifier.verify(tokens.access()).username == "alice"
    assert fetches(httpserver, jwks_path) == 1
    assert fetches(httpserver, moved) == 1


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_an_absolute_same_host_redirect_is_followed(
    httpserver: HTTPServer, jwks_path: str, jwks_document: dict[str, Any], status: int
) -> None:
    moved = jwks_path + ".moved"
    httpserver.expect_request(jwks_path).respond_with_response(
        Response("", status=status, headers={"Location": httpserver.url_for(moved)})
    )
    httpserver.expect_request(moved).respond_with_json(jwks_document)
    assert list(JWKSClient(httpserver.url_for(jwks_path)).refresh()) == [KID]


def test_a_redirect_to_another_host_is_refused(
    twin: Twin, httpserver: HTTPServer, jwks_path: str, jwks_document: dict[str, Any], tokens: TokenFactory
) -> None:
    moved = jwks_path + ".moved"
    # The same server under another name: a different origin, so never asked.
    elsewhere = f"http://localhost:{httpserver.port}{moved}"
    httpserver.expect_request(jwks_path).respond_with_response(redirect_to(elsewhere))
    httpserver.expect_request(moved).respond_with_json(jwks_document)
    verifier = online_verifier(twin, httpserver.url_for(jwks_path))
    with pytest.raises(JWKSError, match="redirects to another host"):
        verifier.verify(tokens.access())
    assert fetches(httpserver, moved) == 0


@pytest.mark.parametrize(
    "location",
    ["http://127.0.0.1:1/jwks.json", "https://127.0.0.1:{port}/jwks.json", "file:///etc/passwd", "//evil.example/x"],
)
def test_redirects_off_the_origin_are_refused(httpserver: HTTPServer, jwks_path: str, location: str) -> None:
    httpserver.expect_request(jwks_path).respond_with_response(redirect_to(location.format(port=httpserver.port)))
    with pytest.raises(JWKSError, match="redirects to another host"):
        JWKSClient(httpserver.url_for(jwks_path)).refresh()


def test_a_redirect_loop_is_refused(httpserver: HTTPServer, jwks_path: str) -> None:
    httpserver.expect_request(jwks_path).respond_with_response(redirect_to(jwks_path))
    with pytest.raises(JWKSError, match="redirects too often"):
        JWKSClient(httpserver.url_for(jwks_path)).refresh()
    assert fetches(httpserver, jwks_path) == 4


# --- the keys in the document -------------------------------------------------------------------


def test_unusable_keys_are_skipped_with_warnings_end_to_end(
    twin: Twin,
    httpserver: HTTPServer,
    jwks_path: str,
    rsa_key: rsa.RSAPrivateKey,
    rsa_key2: rsa.RSAPrivateKey,
    rsa_1024: rsa.RSAPrivateKey,
    tokens: TokenFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    private = rsa_key2.private_numbers()
    document = {
        "keys": [
            {"kty": "EC", "kid": "ec", "crv": "P-256", "x": "AAAA", "y": "AAAA"},
            {"kty": "oct", "kid": "oct", "k": "c2VjcmV0"},
            rsa_jwk(rsa_1024, "short"),
            rsa_jwk(rsa_key2, "enc", use="enc"),
            rsa_jwk(rsa_key2, "rs512", alg="RS512"),
            rsa_jwk(rsa_key2, "private", d=str(private.d)),
            rsa_jwk(rsa_key, KID),
            rsa_jwk(rsa_key2, KID),  # duplicate kid: the first stays
        ]
    }
    httpserver.expect_request(jwks_path).respond_with_json(document)
    verifier = online_verifier(twin, httpserver.url_for(jwks_path), cache_size=0)
    caplog.set_level(logging.DEBUG, logger="fastcognito")
    good = tokens.access()
    assert verifier.verify(good).username == "alice"
    refused = [
        TokenFactory(rsa_1024, "short").access(),
        TokenFactory(rsa_key2, "enc").access(),
        TokenFactory(rsa_key2, "rs512").access(),
        TokenFactory(rsa_key2, "private").access(),
    ]
    for token in refused:
        with pytest.raises(KeyNotFoundError):
            verifier.verify(token)
    with pytest.raises(TokenError, match="signature"):
        verifier.verify(TokenFactory(rsa_key2, KID).access())  # the duplicate was not used
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    for kid in ("ec", "oct", "short", "enc", "rs512", "private"):
        assert any(f"skipping key {kid!r} of the JWKS at {httpserver.url_for(jwks_path)}:" in m for m in warnings), kid
    assert any(f"{KID!r} of the JWKS at http://127.0.0.1:" in m and "used twice" in m for m in warnings)
    assert fetches(httpserver, jwks_path) == 1  # the misses fell in the cooldown window
    assert_no_token_logged(caplog, good, *refused)


def test_a_document_with_only_unusable_keys_is_jwks_unavailable(
    twin: Twin,
    httpserver: HTTPServer,
    jwks_path: str,
    rsa_1024: rsa.RSAPrivateKey,
    caplog: pytest.LogCaptureFixture,
) -> None:
    httpserver.expect_request(jwks_path).respond_with_json({"keys": [rsa_jwk(rsa_1024, "short")]})
    verifier = online_verifier(twin, httpserver.url_for(jwks_path))
    token = TokenFactory(rsa_1024, "short").access()
    with pytest.raises(JWKSError, match="no usable RS256 key"):
        verifier.verify(token)
    assert "shorter than 2048 bits" in caplog.text
    assert_no_token_logged(caplog, token)


# --- the last good key set ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "broken",
    [
        Response("oops", status=500),
        Response("{not json"),
        Response('{"keys": []}'),
        Response(b" " * (64 * 1024 + 1)),
    ],
    ids=["http-500", "invalid-json", "no-keys", "oversized"],
)
def test_a_failed_refresh_keeps_the_last_good_keys(
    twin: Twin,
    httpserver: HTTPServer,
    jwks_path: str,
    clock: FakeClock,
    jwks_document: dict[str, Any],
    tokens: TokenFactory,
    tokens2: TokenFactory,
    broken: Response,
    caplog: pytest.LogCaptureFixture,
) -> None:
    responses = [json_response(jwks_document), broken]
    httpserver.expect_request(jwks_path).respond_with_handler(lambda request: responses.pop(0))
    verifier = online_verifier(twin, httpserver.url_for(jwks_path), cache_size=0, jwks_clock=clock)
    old = tokens.access()
    verifier.verify(old)
    clock.advance(60)
    new = tokens2.access()
    with pytest.raises(KeyNotFoundError):  # a 401 for this token, not a 503 for everyone
        verifier.verify(new)
    assert fetches(httpserver, jwks_path) == 2
    assert verifier.verify(old).username == "alice"
    assert "could not refresh the JWKS" in caplog.text
    assert_no_token_logged(caplog, old, new)


def test_a_failing_first_fetch_is_jwks_unavailable_until_a_fetch_succeeds(
    twin: Twin,
    httpserver: HTTPServer,
    jwks_path: str,
    clock: FakeClock,
    jwks_document: dict[str, Any],
    tokens: TokenFactory,
) -> None:
    responses = [Response("down", status=503), json_response(jwks_document)]
    httpserver.expect_request(jwks_path).respond_with_handler(lambda request: responses.pop(0))
    verifier = online_verifier(twin, httpserver.url_for(jwks_path), jwks_clock=clock, jwks_cooldown=10)
    token = tokens.access()
    with pytest.raises(JWKSError, match="HTTP 503") as first:
        verifier.verify(token)
    # Within the cooldown nothing is fetched, and it is still a 503, not an unknown kid.
    with pytest.raises(JWKSError, match="HTTP 503") as second:
        verifier.verify(token)
    assert first.value.code == second.value.code == "jwks_unavailable"
    assert first.value is not second.value
    assert fetches(httpserver, jwks_path) == 1
    clock.advance(10)
    assert verifier.verify(token).username == "alice"
    assert fetches(httpserver, jwks_path) == 2


def test_connection_refused_is_jwks_unavailable(twin: Twin, tokens: TokenFactory) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # Nothing listens on the port any more.
    verifier = online_verifier(twin, f"http://127.0.0.1:{port}/jwks.json")
    with pytest.raises(JWKSError, match="could not be fetched: ConnectionError"):
        verifier.verify(tokens.access())


# --- hydrate ------------------------------------------------------------------------------------


def test_hydrate_fetches_eagerly_once(
    twin: Twin, httpserver: HTTPServer, jwks_path: str, jwks_document: dict[str, Any], tokens: TokenFactory
) -> None:
    httpserver.expect_request(jwks_path).respond_with_json(jwks_document)
    verifier = online_verifier(twin, httpserver.url_for(jwks_path))
    assert fetches(httpserver, jwks_path) == 0  # construction never fetches
    verifier.hydrate()
    assert fetches(httpserver, jwks_path) == 1
    verifier.hydrate()
    verifier.verify(tokens.access())
    assert fetches(httpserver, jwks_path) == 1


def test_hydrate_raises_when_the_jwks_is_unavailable(
    twin: Twin, httpserver: HTTPServer, jwks_path: str
) -> None:
    httpserver.expect_request(jwks_path).respond_with_data("no", status=500)
    verifier = online_verifier(twin, httpserver.url_for(jwks_path))
    with pytest.raises(JWKSError, match="HTTP 500"):
        verifier.hydrate()


def test_hydrate_of_an_offline_verifier_fetches_nothing(
    twin: Twin, jwks_document: dict[str, Any], tokens: TokenFactory
) -> None:
    verifier = twin.verifier(POOL_ID, client_id=CLIENT_ID, token_use="access", jwks=jwks_document)
    verifier.hydrate()
    assert verifier.jwks_clients == {}
    assert verifier.verify(tokens.access()).username == "alice"


# --- faults only a raw server produces ----------------------------------------------------------


@pytest.fixture
def raw_server() -> Iterator[Callable[[bytes], str]]:
    """A real TCP server on 127.0.0.1 that answers every request with fixed bytes, then closes."""
    servers: list[socketserver.TCPServer] = []

    def start(answer: bytes) -> str:
        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                received = b""
                while b"\r\n\r\n" not in received:
                    data = self.request.recv(4096)
                    if not data:
                        return
                    received += data
                self.request.sendall(answer)

        server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/jwks.json"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_an_oversized_body_without_length_or_chunks_is_refused(raw_server: Callable[[bytes], str]) -> None:
    # HTTP/1.0 style: the body ends when the connection closes (RFC 9112 §6.3, rule 8).
    url = raw_server(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b" " * (64 * 1024 + 1) + b"{}")
    with pytest.raises(JWKSError, match="larger than 65536 bytes"):
        JWKSClient(url).refresh()


def test_a_body_without_length_or_chunks_under_the_cap_is_accepted(
    raw_server: Callable[[bytes], str], jwks_document: dict[str, Any]
) -> None:
    url = raw_server(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + json.dumps(jwks_document).encode())
    assert list(JWKSClient(url).refresh()) == [KID]


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n" + b'{"keys": [',  # closed mid-body
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n",  # bad chunk size
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"keys\"",  # closed mid-chunk
        b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 4\r\n\r\n\x1f\x8b\x08\x00",
        b"NOT HTTP AT ALL\r\n\r\n",
        b"",
    ],
    ids=["short-body", "bad-chunk-size", "closed-mid-chunk", "truncated-gzip", "no-status-line", "empty"],
)
def test_faults_mid_stream_are_jwks_unavailable(
    twin: Twin, raw_server: Callable[[bytes], str], tokens: TokenFactory, answer: bytes
) -> None:
    verifier = online_verifier(twin, raw_server(answer))
    with pytest.raises(JWKSError):
        verifier.verify(tokens.access())


# --- the client on its own ----------------------------------------------------------------------


def test_client_refresh_ignores_the_cooldown_and_counts_fetches(
    httpserver: HTTPServer, jwks_path: str, jwks_document: dict[str, Any], clock: FakeClock
) -> None:
    httpserver.expect_request(jwks_path).respond_with_json(jwks_document)
    session = requests.Session()
    client = JWKSClient(httpserver.url_for(jwks_path), session=session, clock=clock)
    with session:
        client.refresh()
        client.refresh()
        assert client.fetches == fetches(httpserver, jwks_path) == 2
        assert client.get_key(KID).key_size == 2048
        with pytest.raises(KeyNotFoundError):
            client.get_key("missing")
        assert client.fetches == 2
    assert repr(client) == f"JWKSClient(url={httpserver.url_for(jwks_path)!r}, kids={[KID]!r})"


# --- key sets expire: max age, stale while revalidate, removed keys ------------------------------

WALL = 1_700_000_000


class Clocks:
    """The verifier's wall clock and the JWKS client's monotonic one, moved together by hand."""

    def __init__(self) -> None:
        self.wall = FakeClock()
        self.wall.now = float(WALL)
        self.monotonic = FakeClock()

    def advance(self, seconds: float) -> None:
        self.wall.advance(seconds)
        self.monotonic.advance(seconds)


@pytest.fixture
def clocks() -> Clocks:
    return Clocks()


def aging_verifier(twin: Twin, url: str, clocks: Clocks, **options: Any) -> CognitoVerifier:
    settings: dict[str, Any] = {
        "clock": clocks.wall,
        "jwks_clock": clocks.monotonic,
        "jwks_max_age": 600,
        "jwks_cooldown": 10,
    }
    settings.update(options)
    return online_verifier(twin, url, **settings)


def serve(httpserver: HTTPServer, path: str, state: dict[str, Any]) -> None:
    """Serve ``state["document"]``, or ``state["status"]`` when it is set."""

    def handler(request: Request) -> Response:
        if state.get("status"):
            return Response("down", status=state["status"])
        return json_response(state["document"])

    httpserver.expect_request(path).respond_with_handler(handler)


def test_the_default_max_age_is_an_hour(twin: Twin, jwks_path: str) -> None:
    verifier = online_verifier(twin, f"http://127.0.0.1:9{jwks_path}")
    assert verifier.jwks_clients[ISSUER].max_age == 3600


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf"), True, "60", None])
def test_max_age_must_be_a_positive_number(twin: Twin, jwks_path: str, bad: Any) -> None:
    with pytest.raises(ConfigurationError, match="jwks_max_age"):
        online_verifier(twin, f"http://127.0.0.1:9{jwks_path}", jwks_max_age=bad)


def test_a_stale_key_set_is_fetched_again_on_its_next_use(
    twin: Twin, httpserver: HTTPServer, jwks_path: str, jwks_document: dict[str, Any], tokens: TokenFactory,
    clocks: Clocks,
) -> None:
    serve(httpserver, jwks_path, {"document": jwks_document})
    verifier = aging_verifier(twin, httpserver.url_for(jwks_path), clocks, cache_size=0)
    token = tokens.access(now=WALL)
    verifier.verify(token)
    clocks.advance(599)
    verifier.verify(token)
    assert fetches(httpserver, jwks_path) == 1
    clocks.advance(1)
    assert verifier.verify(token).username == "alice"
    assert fetches(httpserver, jwks_path) == 2
    clocks.advance(599)
    verifier.verify(token)
    assert fetches(httpserver, jwks_path) == 2


def test_a_cached_token_is_checked_against_the_key_set_once_it_is_stale(
    twin: Twin, httpserver: HTTPServer, jwks_path: str, jwks_document: dict[str, Any], tokens: TokenFactory,
    clocks: Clocks,
) -> None:
    serve(httpserver, jwks_path, {"document": jwks_document})
    verifier = aging_verifier(twin, httpserver.url_for(jwks_path), clocks)
    token = tokens.access(now=WALL)
    first = verifier.verify(token)
    clocks.advance(599)
    assert verifier.verify(token) is first  # a hit: nothing to ask yet
    assert fetches(httpserver, jwks_path) == 1
    clocks.advance(1)
    # The entry ended with the key set's freshness: this use refreshes the set.
    again = verifier.verify(token)
    assert again is not first and again == first
    assert fetches(httpserver, jwks_path) == 2
    # An unchanged key set keeps its key objects, so nothing cached is dropped.
    assert verifier.verify(token) is again
    assert verifier.cache_info().size == 1


def test_a_removed_key_is_refused_after_the_max_age_cached_tokens_included(
    twin: Twin, httpserver: HTTPServer, jwks_path: str, rsa_key: rsa.RSAPrivateKey,
    rsa_key2: rsa.RSAPrivateKey, tokens: TokenFactory, tokens2: TokenFactory, clocks: Clocks,
) -> None:
    state = {"document": {"keys": [rsa_jwk(rsa_key, KID), rsa_jwk(rsa_key2, KID2)]}}
    serve(httpserver, jwks_path, state)
    verifier = aging_verifier(twin, httpserver.url_for(jwks_path), clocks)
    removed, kept = tokens.access(now=WALL), tokens2.access(now=WALL)
    verifier.verify(removed)
    verifier.verify(kept)
    state["document"] = {"keys": [rsa_jwk(rsa_key2, KID2)]}  # the pool retires KID
    clocks.advance(300)
    verifier.verify(removed)  # still cached, and the set is fresh: nobody has asked yet
    clocks.advance(300)
    for _ in range(3):
        with pytest.raises(KeyNotFoundError):
            verifier.verify(removed)
    assert verifier.verify(kept).username == "alice"
    assert fetches(httpserver, jwks_path) == 2
    assert sorted(verifier.jwks_clients[ISSUER].by_kid) == [KID2]


def test_a_key_dropped_by_a_refresh_for_a_new_kid_takes_its_cached_tokens_with_it(
    twin: Twin, httpserver: HTTPServer, jwks_path: str, rsa_key: rsa.RSAPrivateKey,
    rsa_key2: rsa.RSAPrivateKey, tokens: TokenFactory, tokens2: TokenFactory, clocks: Clocks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    state = {"document": {"keys": [rsa_jwk(rsa_key, KID)]}}
    serve(httpserver, jwks_path, state)
    verifier = aging_verifier(twin, httpserver.url_for(jwks_path), clocks)
    old, new = tokens.access(now=WALL), tokens2.access(now=WALL)
    verifier.verify(old)
    assert verifier.cache_info().size == 1
    state["document"] = {"keys": [rsa_jwk(rsa_key2, KID2)]}
    clocks.advance(60)
    caplog.set_level(logging.INFO, logger="fastcognito")
    verifier.verify(new)  # an unknown kid: refreshed well before the max age
    assert fetches(httpserver, jwks_path) == 2
    with pytest.raises(KeyNotFoundError):
        verifier.verify(old)
    info = verifier.cache_info()
    assert (info.size, info.hits) == (1, 0)
    assert "dropped or replaced 1 key(s)" in caplog.text
    assert_no_token_logged(caplog, old, new)


def test_a_key_replaced_under_the_same_kid_is_refused_too(
    twin: Twin, httpserver: HTTPServer, jwks_path: str, rsa_key: rsa.RSAPrivateKey,
    rsa_key2: rsa.RSAPrivateKey, tokens: TokenFactory, clocks: Clocks,
) -> None:
    state = {"document": {"keys": [rsa_jwk(rsa_key, KID)]}}
    serve(httpserver, jwks_path, state)
    verifier = aging_verifier(twin, httpserver.url_for(jwks_path), clocks)
    token = tokens.access(now=WALL)
    verifier.verify(token)
    state["document"] = {"keys": [rsa_jwk(rsa_key2, KID)]}
    clocks.advance(600)
    with pytest.raises(InvalidSignatureError):
        verifier.verify(token)
    assert verifier.verify(TokenFactory(rsa_key2, KID).access(now=WALL, username="carol")).username == "carol"


def test_a_failed_refresh_of_a_stale_set_keeps_it_and_cools_down(
    twin: Twin, httpserver: HTTPServer, jwks_path: str, jwks_document: dict[str, Any], tokens: TokenFactory,
    clocks: Clocks, caplog: pytest.LogCaptureFixture,
) -> None:
    state: dict[str, Any] = {"document": jwks_document}
    serve(httpserver, jwks_path, state)
    verifier = aging_verifier(twin, httpserver.url_for(jwks_path), clocks)
    token = tokens.access(now=WALL)
    verifier.verify(token)
    state["status"] = 503
    clocks.advance(600)
    # Availability first: the last good set keeps verifying while the JWKS is down...
    assert verifier.verify(token).username == "alice"
    assert fetches(httpserver, jwks_path) == 2
    assert "could not refresh the JWKS" in caplog.text
    # ...cached only until the cooldown ends, and refetched no more often than that.
    clocks.advance(5)
    for _ in range(5):
        assert verifier.verify(token).username == "alice"
    assert fetches(httpserver, jwks_path) == 2
    clocks.advance(5)
    verifier.verify(token)
    assert fetches(httpserver, jwks_path) == 3
    state["status"] = None
    clocks.advance(10)
    verifier.verify(token)
    assert fetches(httpserver, jwks_path) == 4
    clocks.advance(590)
    verifier.verify(token)
    assert fetches(httpserver, jwks_path) == 4


def test_other_threads_keep_verifying_while_a_stale_set_is_refetched(
    twin: Twin, httpserver: HTTPServer, jwks_path: str, jwks_document: dict[str, Any], tokens: TokenFactory,
    clocks: Clocks, release: threading.Event,
) -> None:
    calls = {"count": 0}
    in_flight = threading.Event()

    def handler(request: Request) -> Response:
        calls["count"] += 1
        if calls["count"] == 2:
            in_flight.set()
            assert release.wait(timeout=30)
        return json_response(jwks_document)

    httpserver.expect_request(jwks_path).respond_with_handler(handler)
    verifier = aging_verifier(twin, httpserver.url_for(jwks_path), clocks, cache_size=0)
    token = tokens.access(now=WALL)
    verifier.verify(token)
    clocks.advance(600)
    refresher = threading.Thread(target=verifier.verify, args=(token,))
    refresher.start()
    assert in_flight.wait(timeout=30)
    # The fetch hangs in the server; verifying with the known key does not wait for it.
    for _ in range(3):
        assert verifier.verify(token).username == "alice"
    release.set()
    refresher.join(timeout=30)
    assert not refresher.is_alive()
    assert fetches(httpserver, jwks_path) == 2


def test_hydrate_refreshes_a_stale_set(
    twin: Twin, httpserver: HTTPServer, jwks_path: str, jwks_document: dict[str, Any], clocks: Clocks,
) -> None:
    serve(httpserver, jwks_path, {"document": jwks_document})
    verifier = aging_verifier(twin, httpserver.url_for(jwks_path), clocks)
    verifier.hydrate()
    verifier.hydrate()
    assert fetches(httpserver, jwks_path) == 1
    clocks.advance(600)
    verifier.hydrate()
    assert fetches(httpserver, jwks_path) == 2
