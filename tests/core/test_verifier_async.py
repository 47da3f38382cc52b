"""``averify``: the event loop never waits for the network.

Thread hops are counted with a real executor that records its submissions, installed as the
loop's default executor (``asyncio.to_thread`` uses it). The JWKS is served by a real HTTP
server on 127.0.0.1; the last tests run a real ASGI server (uvicorn) in front of ``averify``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
import requests
import uvicorn
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from fastcognito import CognitoVerifier, JWKSError, KeyNotFoundError, TokenError
from tests.support import CLIENT_ID, POOL_ID, TokenFactory, Twin

JWKS_PATH = "/pool/.well-known/jwks.json"


class CountingExecutor(concurrent.futures.ThreadPoolExecutor):
    def __init__(self) -> None:
        super().__init__(max_workers=4)
        self.submissions = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        self.submissions += 1
        return super().submit(fn, *args, **kwargs)


def run(coroutine_factory: Callable[[], Awaitable[Any]]) -> tuple[Any, int]:
    """Run on a fresh loop; return the result and how many calls went to a worker thread."""
    executor = CountingExecutor()

    async def main() -> Any:
        asyncio.get_running_loop().set_default_executor(executor)
        return await coroutine_factory()

    try:
        return asyncio.run(main()), executor.submissions
    finally:
        executor.shutdown(wait=True)


def online(twin: Twin, httpserver: HTTPServer, **options: Any) -> CognitoVerifier:
    options.setdefault("client_id", CLIENT_ID)
    options.setdefault("token_use", "access")
    return twin.verifier(POOL_ID, jwks_url=httpserver.url_for(JWKS_PATH), **options)


def jwks_fetches(httpserver: HTTPServer) -> int:
    return sum(1 for request, _ in httpserver.log if request.path == JWKS_PATH)


def test_offline_and_cached_tokens_never_leave_the_loop(
    twin: Twin, jwks_document: dict[str, Any], tokens: TokenFactory
) -> None:
    verifier = twin.verifier(POOL_ID, client_id=CLIENT_ID, token_use="access", jwks=jwks_document)
    token = tokens.access()
    claims, hops = run(lambda: verifier.averify(token))
    assert claims["username"] == "alice"
    assert hops == 0
    # The sync and async paths share one claims cache.
    assert verifier.verify(token) is claims
    again, hops = run(lambda: verifier.averify(token))
    assert again is claims and hops == 0


def test_a_held_key_is_used_on_the_loop(
    twin: Twin, httpserver: HTTPServer, jwks_document: dict[str, Any], tokens: TokenFactory
) -> None:
    httpserver.expect_request(JWKS_PATH).respond_with_json(jwks_document)
    verifier = online(twin, httpserver, cache_size=0)
    verifier.hydrate()
    claims, hops = run(lambda: verifier.averify(tokens.access()))
    assert claims.sub and hops == 0
    assert jwks_fetches(httpserver) == 1


def test_a_miss_fetches_once_off_the_loop_for_all_concurrent_callers(
    twin: Twin, httpserver: HTTPServer, jwks_document: dict[str, Any], tokens: TokenFactory
) -> None:
    httpserver.expect_request(JWKS_PATH).respond_with_json(jwks_document)
    verifier = online(twin, httpserver, cache_size=0)
    token = tokens.access()

    async def many() -> list[Any]:
        return await asyncio.gather(*(verifier.averify(token) for _ in range(20)))

    results, hops = run(many)
    assert [claims.sub for claims in results] == [results[0].sub] * 20
    assert hops == 1
    assert jwks_fetches(httpserver) == 1


def test_an_unknown_kid_is_a_new_error_for_each_caller(
    twin: Twin, httpserver: HTTPServer, jwks_document: dict[str, Any], tokens: TokenFactory
) -> None:
    httpserver.expect_request(JWKS_PATH).respond_with_json(jwks_document)
    verifier = online(twin, httpserver, cache_size=0)
    token = tokens.access(header=tokens.header(kid="not-served"))

    async def many() -> list[Any]:
        return await asyncio.gather(*(verifier.averify(token) for _ in range(3)), return_exceptions=True)

    errors, hops = run(many)
    assert all(isinstance(error, KeyNotFoundError) for error in errors)
    assert len({id(error) for error in errors}) == 3
    assert hops == 1 and jwks_fetches(httpserver) == 1


def test_a_jwks_outage_is_a_jwks_error(twin: Twin, httpserver: HTTPServer, tokens: TokenFactory) -> None:
    httpserver.expect_request(JWKS_PATH).respond_with_data("down", status=503)
    verifier = online(twin, httpserver, cache_size=0)
    with pytest.raises(JWKSError, match="HTTP 503"):
        run(lambda: verifier.averify(tokens.access()))


def test_rejections_match_verify(twin: Twin, jwks_document: dict[str, Any], tokens: TokenFactory) -> None:
    verifier = twin.verifier(POOL_ID, client_id=CLIENT_ID, token_use="access", jwks=jwks_document)
    for token in (tokens.access(exp=1), tokens.id(), "a.b", tokens.access(client_id="someone-else")):
        with pytest.raises(TokenError) as sync_error:
            verifier.verify(token)
        with pytest.raises(TokenError) as async_error:
            run(lambda token=token: verifier.averify(token))
        assert type(async_error.value) is type(sync_error.value)


def test_a_cancelled_caller_does_not_cancel_the_shared_fetch(
    twin: Twin, httpserver: HTTPServer, jwks_document: dict[str, Any], tokens: TokenFactory
) -> None:
    release = threading.Event()
    fetch_started = threading.Event()

    def slow_jwks(request: Request) -> Response:
        fetch_started.set()
        release.wait(30)
        return Response(json.dumps(jwks_document), content_type="application/json")

    httpserver.expect_request(JWKS_PATH).respond_with_handler(slow_jwks)
    verifier = online(twin, httpserver, cache_size=0, jwks_timeout=(5.0, 30.0))
    token = tokens.access()

    async def scenario() -> Any:
        first = asyncio.ensure_future(verifier.averify(token))
        second = asyncio.ensure_future(verifier.averify(token))
        # Wait (without blocking the loop) until the shared fetch is under way.
        while not fetch_started.is_set():
            await asyncio.sleep(0.01)
        first.cancel()
        release.set()
        return await second, first.cancelled()

    (claims, first_cancelled), hops = run(scenario)
    assert first_cancelled and claims.sub
    assert hops == 1 and jwks_fetches(httpserver) == 1


# --- under a real ASGI server ------------------------------------------------------------------


def asgi_app(verifier: CognitoVerifier) -> Callable[..., Awaitable[None]]:
    """A bare ASGI app: /verify checks the bearer token with averify, /ping answers at once."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        if scope["path"] == "/ping":
            status, body = 200, b"pong"
        else:
            headers = dict(scope["headers"])
            token = headers.get(b"authorization", b"").removeprefix(b"Bearer ")
            try:
                claims = await verifier.averify(token)
            except TokenError as err:
                status, body = 401, err.code.encode()
            except JWKSError as err:
                status, body = 503, err.code.encode()
            else:
                status, body = 200, str(claims.sub).encode()
        await send(
            {"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/plain")]}
        )
        await send({"type": "http.response.body", "body": body})

    return app


@pytest.fixture
def serve_asgi() -> Iterator[Callable[[Any], str]]:
    servers: list[tuple[uvicorn.Server, threading.Thread]] = []

    def start(app: Any) -> str:
        config = uvicorn.Config(
            app, host="127.0.0.1", port=0, lifespan="off", ws="none", http="h11", log_level="warning"
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        for _ in range(1000):
            if server.started:
                break
            thread.join(0.01)
        assert server.started, "uvicorn did not start"
        port = server.servers[0].sockets[0].getsockname()[1]
        servers.append((server, thread))
        return f"http://127.0.0.1:{port}"

    yield start
    for server, thread in servers:
        server.should_exit = True
        thread.join(10)


def test_other_requests_are_served_while_the_jwks_is_slow(
    twin: Twin,
    httpserver: HTTPServer,
    jwks_document: dict[str, Any],
    tokens: TokenFactory,
    serve_asgi: Callable[[Any], str],
) -> None:
    jwks_requested = threading.Event()
    release_jwks = threading.Event()

    def slow_jwks(request: Request) -> Response:
        jwks_requested.set()
        # Held until the test has been served meanwhile; the bound only ends a broken run.
        release_jwks.wait(30)
        return Response(json.dumps(jwks_document), content_type="application/json")

    httpserver.expect_request(JWKS_PATH).respond_with_handler(slow_jwks)
    verifier = online(twin, httpserver, cache_size=0, jwks_timeout=(5.0, 60.0))
    base = serve_asgi(asgi_app(verifier))
    token = tokens.access()

    with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
        pending = [
            pool.submit(
                requests.get, f"{base}/verify", headers={"Authorization": f"Bearer {token}"}, timeout=60
            )
            for _ in range(3)
        ]
        assert jwks_requested.wait(30), "the JWKS was never requested"
        try:
            # The loop that awaits the JWKS keeps serving: a blocked loop would time these out.
            for _ in range(3):
                ping = requests.get(f"{base}/ping", timeout=10)
                assert ping.status_code == 200 and ping.text == "pong"
            assert not any(future.done() for future in pending)
        finally:
            release_jwks.set()
        answers = [future.result() for future in pending]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert {answer.text for answer in answers} == {"aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"}
    assert jwks_fetches(httpserver) == 1
    # Rejections keep their codes under the server too.
    rejected = requests.get(f"{base}/verify", headers={"Authorization": "Bearer x.y.z"}, timeout=10)
    assert rejected.status_code == 401 and rejected.text == "malformed"


def test_a_stale_key_set_is_refreshed_off_the_loop(
    twin: Twin, httpserver: HTTPServer, jwks_document: dict[str, Any], tokens: TokenFactory
) -> None:
    # jwks_max_age: once the set is stale, the next use refreshes it. On the loop that refresh
    # must go to a worker thread (one hop), as a synchronous verify would fetch in place.
    httpserver.expect_request(JWKS_PATH).respond_with_json(jwks_document)
    now = [1000.0]
    verifier = online(twin, httpserver, cache_size=0, jwks_max_age=60, jwks_clock=lambda: now[0])
    token = tokens.access()
    verifier.verify(token)  # keys fetched here, off any loop
    assert jwks_fetches(httpserver) == 1
    claims, hops = run(lambda: verifier.averify(token))  # fresh set: on the loop
    assert claims["username"] == "alice" and hops == 0
    now[0] += 61  # stale
    claims, hops = run(lambda: verifier.averify(token))
    assert claims["username"] == "alice" and hops == 1
    assert jwks_fetches(httpserver) == 2
    claims, hops = run(lambda: verifier.averify(token))  # fresh again: back on the loop
    assert hops == 0 and jwks_fetches(httpserver) == 2
