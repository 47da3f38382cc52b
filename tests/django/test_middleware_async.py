"""CognitoMiddleware's async path verifies with averify: no worker thread for a known key or a
cache hit, one for a JWKS fetch; steps that may block still run in a worker thread.

Worker-thread use is counted with a real executor installed as the loop's default one, which
both ``asyncio.to_thread`` and asgiref's ``sync_to_async(thread_sensitive=False)`` use.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Callable
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from fastcognito.django.conf import fastcognito_settings
from tests.support import TokenFactory

pytestmark = pytest.mark.usefixtures("fastcognito_config")


class CountingExecutor(concurrent.futures.ThreadPoolExecutor):
    def __init__(self) -> None:
        super().__init__(max_workers=2)
        self.submissions = 0

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> concurrent.futures.Future[Any]:
        self.submissions += 1
        return super().submit(fn, *args, **kwargs)


def get(path: str, token: str | None) -> tuple[dict[str, Any], int]:
    executor = CountingExecutor()
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}

    async def run() -> Any:
        asyncio.get_running_loop().set_default_executor(executor)
        return await AsyncClient().get(path, headers=headers)

    try:
        response = async_to_sync(run)()
    finally:
        executor.shutdown(wait=True)
    return response.json(), executor.submissions


def test_known_keys_and_cache_hits_stay_on_the_loop(tokens: TokenFactory, httpserver: Any) -> None:
    # Django's own request handling may use worker threads; count ours above that baseline.
    body, baseline = get("/plain/async-whoami/", None)
    assert body["authenticated"] is False
    token = tokens.access()
    body, hops = get("/plain/async-whoami/", token)
    assert (body["class"], body["username"], body["error"]) == ("CognitoUser", "alice", None)
    assert hops == baseline + 1  # the first request fetches the JWKS, off the loop
    body, hops = get("/plain/async-whoami/", token)
    assert body["username"] == "alice" and hops == baseline
    body, hops = get("/plain/async-whoami/", tokens.access(username="bob"))
    assert body["username"] == "bob" and hops == baseline
    assert len(httpserver.log) == 1
    assert fastcognito_settings.verifier.cache_info().hits >= 1


def test_rejections_keep_their_reason(tokens: TokenFactory) -> None:
    body, _ = get("/plain/async-whoami/", tokens.access(exp=1))
    assert body == {"authenticated": False, "class": "AnonymousUser", "error": "expired"}


def test_steps_that_may_block_run_in_a_worker_thread(tokens: TokenFactory) -> None:
    from django.http import HttpRequest

    from fastcognito.django import CognitoMiddleware

    seen: list[Any] = []

    class Tagging(CognitoMiddleware):
        def attach_attributes(self, user: Any, request: Any) -> None:
            # A database query here would be refused on the event loop: this runs off it.
            try:
                asyncio.get_running_loop()
            except RuntimeError:
                seen.append("worker thread")
            else:
                seen.append("event loop")
            user.tag = "blue"

    async def view(request: HttpRequest) -> Any:
        return await request.auser()  # type: ignore[attr-defined]

    async def run() -> Any:
        request = HttpRequest()
        request.META["HTTP_AUTHORIZATION"] = f"Bearer {tokens.access()}"
        return await Tagging(view)(request)

    user = async_to_sync(run)()
    assert user.tag == "blue" and user.username == "alice"
    assert seen == ["worker thread"]
