"""Issue 17, finding 3: revocations could be evicted by anonymous traffic.

Revocations shared a cache with the sign-in failure counters (``HOSTED_UI["CACHE"]``), which
every failed anonymous sign-in writes to. On a Redis at ``allkeys-lru`` a flood of them evicted
the revocation, and the signed-out token went from 401 to 200. The system check now refuses a
denylist that shares its cache with sign-in throttling (E144); on a cache of its own, the
revocation survives the same flood.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import checks
from django.core.cache import caches
from django.test import Client, override_settings

from fastcognito.django.conf import fastcognito_settings
from tests.support.cache_servers import RedisServer

LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fastcognito-security"}
HOSTED_UI = {
    "DOMAIN": "https://myapp.auth.eu-west-1.amazoncognito.com",
    "REDIRECT_URI": "https://app.example.com/auth/callback/",
    "LOGOUT_URI": "https://app.example.com/",
}
COOKIE_NAME = "fastcognito_access"
FLOOD = 20_000


def limit_memory(server: RedisServer, headroom: int = 256 * 1024) -> None:
    """A little more memory than Redis holds now, and evict any key when it is full."""
    with server.client() as client:
        used = int(client.info("memory")["used_memory"])
    server.fill(str(used + headroom), "allkeys-lru")


def evicted_keys(server: RedisServer) -> int:
    with server.client() as client:
        return int(client.info("stats")["evicted_keys"])


def flood_of_failed_sign_ins(alias: str) -> None:
    """What failed anonymous sign-ins from many addresses write: one counter each, in the
    throttle's key shape, for its window."""
    cache = caches[alias]
    for start in range(0, FLOOD, 100):
        batch = range(start, start + 100)
        digests = (hashlib.sha256(b"%d" % number).hexdigest()[:32] for number in batch)
        counters = {f"fastcognito:signin:addr:{digest}": 1 for digest in digests}
        cache.set_many(counters, timeout=300)


def status(token: str) -> tuple[int, str | None]:
    answer = Client().get("/drf/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}")
    return answer.status_code, (answer.json().get("code") if answer.status_code != 200 else None)


@pytest.fixture
def signin_redis() -> Iterator[RedisServer]:
    """A second Redis, for the sign-in throttle alone."""
    with RedisServer() as server:
        yield server


def base(jwks_document: dict[str, Any], **hosted_ui: Any) -> dict[str, Any]:
    from tests.support import CLIENT_ID, POOL_ID

    return {
        "USER_POOL_ID": POOL_ID,
        "CLIENT_ID": CLIENT_ID,
        "JWKS": jwks_document,
        "DENYLIST": "revocations",
        "COOKIE_NAME": COOKIE_NAME,
        "HOSTED_UI": {**HOSTED_UI, **hosted_ui},
    }


def revoke_and_let_it_age(token: str) -> None:
    verifier = fastcognito_settings.verifier
    verifier.revoke(verifier.verify(token))
    assert status(token) == (401, "revoked")
    # Redis's LRU clock counts seconds: the revocation is now older than any key of the flood,
    # as it is in production, where sign-outs come long before a flood.
    time.sleep(1.1)


def test_a_flood_of_failed_sign_ins_evicts_a_shared_denylist_and_the_check_refuses_it(
    redis_server: RedisServer, jwks_document: dict[str, Any], tokens: Any
) -> None:
    caches_setting = {"default": LOCMEM, "revocations": redis_server.cache_settings()}
    settings_value = base(jwks_document, CACHE="revocations")
    with override_settings(CACHES=caches_setting, FASTCOGNITO=settings_value):
        assert "fastcognito.E144" in [message.id for message in checks.run_checks(tags=["fastcognito"])]
        token = tokens.access()
        revoke_and_let_it_age(token)
        limit_memory(redis_server)
        flood_of_failed_sign_ins("revocations")
        assert evicted_keys(redis_server) > 0
        # The attack, as the reviewer saw it: the signed-out token is accepted again.
        assert status(token) == (200, None)

    # The same server under another alias, or under the same LOCATION spelled differently, is
    # the same cache.
    same_server = {**redis_server.cache_settings(), "LOCATION": f"redis://localhost:{redis_server.port}"}
    caches_setting = {**caches_setting, "throttle": same_server}
    with override_settings(CACHES=caches_setting, FASTCOGNITO=base(jwks_document, CACHE="throttle")):
        assert "fastcognito.E144" in [message.id for message in checks.run_checks(tags=["fastcognito"])]


def test_a_denylist_on_its_own_redis_survives_the_same_flood(
    redis_server: RedisServer, signin_redis: RedisServer, jwks_document: dict[str, Any], tokens: Any
) -> None:
    caches_setting = {
        "default": LOCMEM,
        "revocations": redis_server.cache_settings(),
        "throttle": signin_redis.cache_settings(),
    }
    with override_settings(CACHES=caches_setting, FASTCOGNITO=base(jwks_document, CACHE="throttle")):
        found = [message.id for message in checks.run_checks(tags=["fastcognito"])]
        assert not [found_id for found_id in found if found_id in ("fastcognito.E144", "fastcognito.W009")]
        token = tokens.access()
        revoke_and_let_it_age(token)
        limit_memory(signin_redis)
        flood_of_failed_sign_ins("throttle")
        assert evicted_keys(signin_redis) > 0
        assert status(token) == (401, "revoked")
