"""FASTCOGNITO["DENYLIST"]: revocations in Django's cache framework, shared by the verifier of the
settings, the DRF class and the middleware; each mistake has its own system-check id."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from conftest import CLIENT_ID, POOL_ID, TokenFactory
from django.core import checks
from django.core.cache import cache, caches
from django.test import Client, override_settings

from fastcognito import DenylistUnavailableError, RevokedTokenError, TokenError
from fastcognito.denylist import MAX_TOKEN_LIFETIME
from fastcognito.django.conf import fastcognito_settings
from fastcognito.django.denylist import CacheDenylist

LOCMEM = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fastcognito-denylist"}
DUMMY = {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}


@pytest.fixture
def base(jwks_document: dict[str, Any]) -> dict[str, Any]:
    return {"USER_POOL_ID": POOL_ID, "CLIENT_ID": CLIENT_ID, "JWKS": jwks_document, "DENYLIST": "default"}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def ids(**fastcognito: Any) -> list[str]:
    with override_settings(FASTCOGNITO=fastcognito):
        return [message.id for message in checks.run_checks(tags=["fastcognito"])]


def test_the_settings_verifier_refuses_revoked_tokens(base: dict[str, Any], tokens: TokenFactory) -> None:
    with override_settings(FASTCOGNITO=base):
        verifier = fastcognito_settings.verifier
        assert isinstance(verifier.denylist, CacheDenylist)
        token = tokens.access()
        claims = verifier.verify(token)
        verifier.revoke(claims)
        with pytest.raises(TokenError) as info:
            verifier.verify(token)  # a cache hit
        assert type(info.value) is RevokedTokenError
        # Seen by another worker's verifier too: the entry lives in the shared cache.
        fastcognito_settings.reload()
        other = fastcognito_settings.verifier
        assert other is not verifier
        with pytest.raises(RevokedTokenError):
            other.verify(tokens.access(jti="another-token-of-that-sign-in"))


def test_drf_and_middleware_answer_401_revoked(base: dict[str, Any], tokens: TokenFactory) -> None:
    with override_settings(FASTCOGNITO=base):
        token = tokens.access()
        header = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        assert Client().get("/drf/whoami/", **header).status_code == 200
        assert Client().get("/plain/protected/", **header).status_code == 200
        fastcognito_settings.verifier.revoke(fastcognito_settings.verifier.verify(token))
        for url in ("/drf/whoami/", "/plain/protected/"):
            answer = Client().get(url, **header)
            assert answer.status_code == 401, url
            assert answer.json()["code"] == "revoked", url


def test_an_unreachable_denylist_cache_is_a_503_never_a_500_nor_an_accept(
    base: dict[str, Any], tokens: TokenFactory
) -> None:
    import socket

    with socket.socket() as probe:  # a port nothing listens on: Redis is down
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    down = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{port}/0",
        "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
    }
    with override_settings(CACHES={"default": LOCMEM, "down": down}, FASTCOGNITO={**base, "DENYLIST": "down"}):
        token = tokens.access()
        for _ in range(2):  # the second time the token's claims are cached: checked all the same
            with pytest.raises(DenylistUnavailableError):
                fastcognito_settings.verifier.verify(token)
        header = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        for url in ("/drf/whoami/", "/plain/protected/"):
            answer = Client().get(url, **header)
            assert answer.status_code == 503, url
            assert answer.json()["code"] == "denylist_unavailable", url
            assert answer["Retry-After"], url


def test_cache_entries_expire_with_the_last_sibling(tokens: TokenFactory) -> None:
    now = time.time()
    denylist = CacheDenylist(clock=lambda: now)
    denylist.revoke({"origin_jti": "o-1", "jti": "j-1", "exp": now + 60})
    held = caches["default"]._cache  # type: ignore[attr-defined]
    stored = [k for k in held if "fastcognito:revoked:" in k]
    (key,) = [k for k in stored if not k.endswith(denylist.canary_key)]
    (canary,) = [k for k in stored if k.endswith(denylist.canary_key)]
    assert caches["default"]._expire_info[canary] is None  # type: ignore[attr-defined]  # never expires
    expiry = caches["default"]._expire_info[key]  # type: ignore[attr-defined]
    assert now + MAX_TOKEN_LIFETIME - 2 <= expiry <= time.time() + MAX_TOKEN_LIFETIME + 2
    assert denylist.is_revoked({"origin_jti": "o-1"}) and denylist.is_revoked({"jti": "x", "origin_jti": "o-1"})
    assert not denylist.is_revoked({"jti": "j-1"})  # the origin_jti was stored, not the jti
    assert not denylist.is_revoked({"sub": "nothing to look up"})
    denylist.revoke({"jti": "over", "exp": now - 1})  # already expired: nothing stored
    assert not denylist.is_revoked({"jti": "over"})
    # Keys are hashes: any jti fits Memcached's key rules.
    denylist.revoke({"jti": "with spaces\nand a newline " * 20, "exp": now + 60})
    assert denylist.is_revoked({"jti": "with spaces\nand a newline " * 20})


def test_valid_denylist_settings_pass(base: dict[str, Any]) -> None:
    assert ids(**base) == []
    assert ids(**{**base, "DENYLIST": None}) == []


@pytest.mark.parametrize(
    ("value", "caches_setting", "expected"),
    [
        (5, None, "E140"),
        ("", None, "E140"),
        ("revocations", None, "E141"),
        ("dummy", {"default": LOCMEM, "dummy": DUMMY}, "E142"),
    ],
)
def test_each_denylist_mistake_is_reported_once(
    base: dict[str, Any], value: Any, caches_setting: Any, expected: str
) -> None:
    extra = {} if caches_setting is None else {"CACHES": caches_setting}
    with override_settings(**extra):
        assert ids(**{**base, "DENYLIST": value}) == [f"fastcognito.{expected}"]
