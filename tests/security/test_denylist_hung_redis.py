"""Issue 17, finding 11: ``averify`` ran the denylist's Redis round trip on the event loop.

With Redis paused (SIGSTOP) and Django's Redis backend at its default (no socket timeout), every
coroutine of the process stalled for as long as the pause. Now the denylist is asked in a worker
thread for at most ``DENYLIST_TIMEOUT`` seconds, then the answer is 503 ``denylist_unavailable``:
the loop keeps running, and the revoked token is never accepted.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

import pytest
from django.test import AsyncClient, override_settings

from fastcognito import DenylistUnavailableError, RevokedTokenError
from fastcognito.django.conf import fastcognito_settings

LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fastcognito-security"}
# A behaviour check, not a benchmark: a loop that waited on Redis would stall for the whole pause.
MAX_TICK_GAP = 0.5
PAUSE_SAFETY = 4.0


async def ticker(gaps: list[float], stop: asyncio.Event) -> None:
    last = time.monotonic()
    while not stop.is_set():
        await asyncio.sleep(0.01)
        now = time.monotonic()
        gaps.append(now - last)
        last = now


def test_a_hung_redis_never_stalls_the_event_loop_nor_lets_a_revoked_token_in(
    redis_server: Any, jwks_document: dict[str, Any], tokens: Any
) -> None:
    from tests.support import CLIENT_ID, POOL_ID

    # Django's Redis backend as it comes: no socket timeout, so a paused Redis hangs its caller.
    hanging = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_server.url}
    settings_value = {
        "USER_POOL_ID": POOL_ID,
        "CLIENT_ID": CLIENT_ID,
        "JWKS": jwks_document,
        "DENYLIST": "denylist",
        "DENYLIST_TIMEOUT": 0.3,
    }
    token = tokens.access()
    header = {"AUTHORIZATION": f"Bearer {token}"}

    async def scenario() -> list[float]:
        verifier = fastcognito_settings.verifier
        claims = await verifier.averify(token)
        verifier.revoke(claims)
        with pytest.raises(RevokedTokenError):
            await verifier.averify(token)  # a cache hit, refused

        gaps: list[float] = []
        stop = asyncio.Event()
        ticking = asyncio.create_task(ticker(gaps, stop))
        # If the loop did block, this resumes Redis, so the test fails instead of hanging.
        safety = threading.Timer(PAUSE_SAFETY, redis_server.resume)
        redis_server.pause()
        safety.start()
        try:
            for _ in range(3):
                with pytest.raises(DenylistUnavailableError):
                    await verifier.averify(token)
            # CognitoMiddleware's async path (an async view) verifies with averify too.
            answer = await AsyncClient().get("/plain/async-protected/", headers=header)
            assert answer.status_code == 503
            assert answer.json()["code"] == "denylist_unavailable"
        finally:
            redis_server.resume()
            safety.cancel()
            stop.set()
            await ticking
        with pytest.raises(RevokedTokenError):
            await verifier.averify(token)
        answer = await AsyncClient().get("/plain/async-protected/", headers=header)
        assert (answer.status_code, answer.json()["code"]) == (401, "revoked")
        return gaps

    with override_settings(CACHES={"default": LOCMEM, "denylist": hanging}, FASTCOGNITO=settings_value):
        gaps = asyncio.run(scenario())
    assert len(gaps) > 10
    assert max(gaps) < MAX_TICK_GAP, f"the event loop stalled for {max(gaps):.2f} s"
