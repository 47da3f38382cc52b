"""Issue 22: after Memcached came back, most workers kept answering 503 for about 115 s.

pymemcache's ``HashClient`` (Django's Memcached client) takes a server that failed out of use
for ``dead_timeout`` seconds (60 by default) and looks for it again only that long after its
last look: up to two minutes of 503s after the server is back, for each worker. With the
recommended ``OPTIONS`` (``dead_timeout`` 1, ``retry_attempts`` 0; check W010 warns otherwise)
the denylist answers again within seconds, without a restart of the application; with Redis,
Django's client reconnects on the next request. Each outage is a real server stopped.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from django.test import Client, override_settings

from fastcognito.django.conf import fastcognito_settings

LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fastcognito-recovery"}
URL = "/drf/whoami/"
OUTAGE = 1.5
# Generous against the 1-2 s measured, far below the minutes of pymemcache's defaults.
RECOVERY_DEADLINE = 10.0
RECOMMENDED_MEMCACHED = {"dead_timeout": 1, "retry_attempts": 0}


@pytest.fixture
def denylist_settings(jwks_document: dict[str, Any]) -> dict[str, Any]:
    from tests.support import CLIENT_ID, POOL_ID

    return {"USER_POOL_ID": POOL_ID, "CLIENT_ID": CLIENT_ID, "JWKS": jwks_document, "DENYLIST": "denylist"}


def status(token: str) -> int:
    return Client().get(URL, HTTP_AUTHORIZATION=f"Bearer {token}").status_code


def outage_then_recovery(server: Any, token: str, revoked_token: str) -> tuple[list[int], float | None]:
    """Stop ``server`` for ``OUTAGE`` seconds under requests, start it again (Redis keeps what it
    held only with persistence, Memcached never: the revoked token's entry is written again after
    the restart, as a logout would), and return the statuses seen during the outage and how long
    after the restart the good token was answered 200 again (``None``: not within the deadline)."""
    server.stop()
    seen: list[int] = []
    deadline = time.monotonic() + OUTAGE
    while time.monotonic() < deadline:
        seen += [status(token), status(revoked_token)]
        time.sleep(0.05)
    server.start()
    back = time.monotonic()
    while time.monotonic() - back < RECOVERY_DEADLINE:
        if status(token) == 200:
            return seen, time.monotonic() - back
        time.sleep(0.05)
    return seen, None


@pytest.mark.parametrize(
    ("fixture", "options"),
    [("memcached_server", RECOMMENDED_MEMCACHED), ("redis_server", {})],
    ids=["memcached-recommended", "redis"],
)
def test_the_denylist_answers_again_within_seconds_of_its_server_coming_back(
    fixture: str,
    options: dict[str, Any],
    request: pytest.FixtureRequest,
    denylist_settings: dict[str, Any],
    tokens: Any,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server = request.getfixturevalue(fixture)
    caplog.set_level(logging.WARNING, logger="fastcognito")
    caches_setting = {"default": LOCMEM, "denylist": server.cache_settings(**options)}
    with override_settings(CACHES=caches_setting, FASTCOGNITO=denylist_settings):
        verifier = fastcognito_settings.verifier
        token, revoked_token = tokens.access(), tokens.access(origin_jti="signed-out", jti="signed-out-1")
        verifier.revoke(verifier.verify(revoked_token))
        assert (status(token), status(revoked_token)) == (200, 401)
        seen, recovered_after = outage_then_recovery(server, token, revoked_token)
        assert seen and set(seen) == {503}, seen  # fail closed: never 200, never 500
        assert recovered_after is not None, f"still 503 {RECOVERY_DEADLINE} s after the server came back"
        print(f"{fixture}: answered again {recovered_after:.2f} s after the server came back")
        verifier.revoke(verifier.verify(revoked_token))  # Memcached came back empty
        assert status(revoked_token) == 401
    assert token not in caplog.text and revoked_token not in caplog.text


def test_pymemcache_defaults_keep_answering_503_after_the_server_is_back(
    memcached_server: Any, denylist_settings: dict[str, Any], tokens: Any
) -> None:
    # What W010 warns about: with dead_timeout left at 60 s the worker does not even ask.
    caches_setting = {"default": LOCMEM, "denylist": memcached_server.cache_settings()}
    with override_settings(CACHES=caches_setting, FASTCOGNITO=denylist_settings):
        token = tokens.access()
        assert status(token) == 200
        memcached_server.stop()
        deadline = time.monotonic() + 3  # past retry_attempts x retry_timeout: the server is "dead"
        while time.monotonic() < deadline:
            assert status(token) == 503
            time.sleep(0.1)
        memcached_server.start()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            assert status(token) == 503
            time.sleep(0.1)
