"""FASTCOGNITO["DENYLIST"]: revocations in Django's cache framework, shared by the verifier of the
settings, the DRF class and the middleware; each mistake has its own system-check id."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import checks
from django.core.cache import cache, caches
from django.test import Client, override_settings

from fastcognito import DenylistUnavailableError, RevokedTokenError, TokenError
from fastcognito.denylist import MAX_TOKEN_LIFETIME
from fastcognito.django.conf import fastcognito_settings
from fastcognito.django.denylist import CacheDenylist
from tests.support import CLIENT_ID, POOL_ID, TokenFactory

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


@pytest.mark.parametrize("claim", ["jti", "origin_jti"])
def test_an_identifier_with_a_lone_surrogate_is_answered_not_a_503(
    base: dict[str, Any], tokens: TokenFactory, claim: str
) -> None:
    # JSON "\ud800" is valid JSON, and the twins accept it in a signed token's jti and origin_jti:
    # hashing it raised UnicodeEncodeError, which the verifier turned into a 503 on every request.
    with override_settings(FASTCOGNITO=base):
        token = tokens.access(**{claim: "sign-in-\ud800"})
        header = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        for url in ("/drf/whoami/", "/plain/protected/"):
            assert Client().get(url, **header).status_code == 200, url
        verifier = fastcognito_settings.verifier
        verifier.revoke(verifier.verify(token))
        for url in ("/drf/whoami/", "/plain/protected/"):
            answer = Client().get(url, **header)
            assert (answer.status_code, answer.json()["code"]) == (401, "revoked"), url
        # One to one, as the identifiers are: no other spelling of it is refused.
        denylist = verifier.denylist
        assert isinstance(denylist, CacheDenylist)
        for other in ("sign-in-\\ud800", "sign-in-?", "sign-in-\ufffd", "sign-in-\udc00", "sign-in-"):
            assert not denylist.is_revoked({claim: other}), other
        assert denylist._key("\ud83d\ude00") != denylist._key("\U0001f600")


def test_entries_outlive_the_leeway_of_the_settings(base: dict[str, Any], tokens: TokenFactory, DROP: Any) -> None:
    # The settings' verifier accepts a token until exp plus LEEWAY: its revocations, whether made
    # through the verifier (the logout view) or through the denylist itself, last so long too.
    with override_settings(FASTCOGNITO={**base, "LEEWAY": 60}):
        verifier = fastcognito_settings.verifier
        assert isinstance(verifier.denylist, CacheDenylist) and verifier.denylist.leeway == 60
        now = int(time.time())
        machine = tokens.access(now=now, exp=now + 30, origin_jti=DROP, username=DROP, jti="m-1")
        verifier.revoke(verifier.verify(machine))
        verifier.denylist.revoke({"jti": "m-2", "exp": now + 30})
        held = caches["default"]
        for jti in ("m-1", "m-2"):
            expiry = held._expire_info[held.make_key(verifier.denylist._key(jti))]  # type: ignore[attr-defined]
            assert now + 30 + 60 - 1 <= expiry <= time.time() + 30 + 60 + 1, jti


REDIS = {
    "BACKEND": "django.core.cache.backends.redis.RedisCache",
    "LOCATION": "redis://127.0.0.1:6379/0",
    "OPTIONS": {"socket_timeout": 1, "socket_connect_timeout": 1},
}
MEMCACHED = {
    "BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache",
    "LOCATION": "127.0.0.1:11211",
    "OPTIONS": {"timeout": 1, "connect_timeout": 1, "dead_timeout": 1, "retry_attempts": 0},
}
FILES = {"BACKEND": "django.core.cache.backends.filebased.FileBasedCache", "LOCATION": "/tmp/fastcognito"}
CACHE_SESSIONS = "django.contrib.sessions.backends.cache"
PAGE_CACHE = "django.middleware.cache.UpdateCacheMiddleware"
HOSTED_UI = {
    "DOMAIN": "https://myapp.auth.eu-west-1.amazoncognito.com",
    "REDIRECT_URI": "https://app.example.com/auth/callback/",
    "LOGOUT_URI": "https://app.example.com/",
}


def with_hosted_ui(base: dict[str, Any], signin_cache: str) -> dict[str, Any]:
    hosted_ui = {**HOSTED_UI, "CACHE": signin_cache}
    return {**base, "DENYLIST": "revocations", "COOKIE_NAME": "fastcognito_access", "HOSTED_UI": hosted_ui}


def test_valid_denylist_settings_pass(base: dict[str, Any]) -> None:
    throttle = {**REDIS, "LOCATION": "redis://10.0.0.2"}
    with override_settings(CACHES={"default": LOCMEM, "revocations": REDIS, "throttle": throttle}):
        assert ids(**{**base, "DENYLIST": "revocations"}) == []
        assert ids(**{**base, "DENYLIST": None}) == []
        # Sign-in throttling elsewhere: another server, or Django's default LocMemCache.
        hosted = with_hosted_ui(base, "throttle")
        assert ids(**hosted) == []
        assert ids(**{**hosted, "HOSTED_UI": HOSTED_UI}) == []


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


@pytest.mark.parametrize(
    ("throttle", "signin_alias", "expected"),
    [
        (None, "revocations", ["fastcognito.E144"]),  # the same alias
        (REDIS, "throttle", ["fastcognito.E144"]),  # the same server and database
        ({**REDIS, "LOCATION": "redis://localhost:6379"}, "throttle", ["fastcognito.E144"]),
        ({**REDIS, "LOCATION": "redis://10.0.0.1,redis://127.0.0.1"}, "throttle", ["fastcognito.E144"]),
        # Another database of the same server: the same memory, evicted together.
        ({**REDIS, "LOCATION": "redis://127.0.0.1:6379/1"}, "throttle", ["fastcognito.W009"]),
        ({**REDIS, "LOCATION": "redis://127.0.0.1:6380/0"}, "throttle", []),
    ],
)
def test_a_denylist_sharing_the_sign_in_throttles_cache_is_refused(
    base: dict[str, Any], throttle: Any, signin_alias: str, expected: list[str]
) -> None:
    caches_setting = {"default": LOCMEM, "revocations": REDIS}
    if throttle is not None:
        caches_setting["throttle"] = throttle
    hosted = with_hosted_ui(base, signin_alias)
    with override_settings(CACHES=caches_setting):
        assert ids(**hosted) == expected


@pytest.mark.parametrize(
    ("cache", "settings_extra", "expected"),
    [
        # Django's default cache: one per process (issue 17, finding 22), and culled at 300.
        (LOCMEM, {}, ["W002", "W005"]),
        ({**LOCMEM, "OPTIONS": {"MAX_ENTRIES": 1_000_000}}, {}, ["W002"]),
        (MEMCACHED, {}, ["W003"]),
        (
            {**MEMCACHED, "OPTIONS": {"timeout": 1, "ignore_exc": True, "dead_timeout": 1}},
            {},
            ["W003", "W006"],
        ),
        ({**MEMCACHED, "OPTIONS": {}}, {}, ["W003", "W007", "W010"]),
        # pymemcache's 60 s dead_timeout: workers answered 503 for two minutes after an outage.
        ({**MEMCACHED, "OPTIONS": {"timeout": 1}}, {}, ["W003", "W010"]),
        ({**MEMCACHED, "OPTIONS": {"timeout": 1, "dead_timeout": 30}}, {}, ["W003", "W010"]),
        ({**MEMCACHED, "OPTIONS": {"timeout": 1, "dead_timeout": "1"}}, {}, ["W003", "W010"]),
        ({**MEMCACHED, "OPTIONS": {"timeout": 1, "dead_timeout": 5}}, {}, ["W003"]),
        (FILES, {}, ["W004", "W005"]),
        ({"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": "cache"}, {}, ["W005"]),
        ({**REDIS, "OPTIONS": {}}, {}, ["W007"]),
        (REDIS, {"SESSION_ENGINE": CACHE_SESSIONS, "SESSION_CACHE_ALIAS": "revocations"}, ["W008"]),
        (REDIS, {"SESSION_ENGINE": CACHE_SESSIONS}, []),  # sessions on "default"
        (REDIS, {"MIDDLEWARE": [PAGE_CACHE], "CACHE_MIDDLEWARE_ALIAS": "revocations"}, ["W008"]),
    ],
)
def test_a_denylist_cache_that_cannot_be_trusted_is_warned_about(
    base: dict[str, Any], cache: dict[str, Any], settings_extra: dict[str, Any], expected: list[str]
) -> None:
    with override_settings(CACHES={"default": LOCMEM, "revocations": cache}, **settings_extra):
        with override_settings(FASTCOGNITO={**base, "DENYLIST": "revocations"}):
            messages = checks.run_checks(tags=["fastcognito"])
    assert [message.id for message in messages] == [f"fastcognito.{expected_id}" for expected_id in expected]
    assert all(message.level == checks.WARNING for message in messages)
    # Warnings: start-up goes on.
    from fastcognito.django.apps import startup_errors

    with override_settings(CACHES={"default": LOCMEM, "revocations": cache}, **settings_extra):
        with override_settings(FASTCOGNITO={**base, "DENYLIST": "revocations"}):
            assert startup_errors() == []


def test_servers_log_the_denylist_warnings_at_start_up(base: dict[str, Any], caplog: Any) -> None:
    # gunicorn and uvicorn run no system checks: ready() logs the warnings, unless silenced.
    import logging

    from django.apps import apps

    with override_settings(FASTCOGNITO=base):
        with caplog.at_level(logging.WARNING, logger="fastcognito.django"):
            apps.get_app_config("fastcognito").ready()
        assert [line for line in caplog.messages if "(fastcognito.W002)" in line]
        caplog.clear()
        with override_settings(SILENCED_SYSTEM_CHECKS=["fastcognito.W002", "fastcognito.W005"]):
            with caplog.at_level(logging.WARNING, logger="fastcognito.django"):
                apps.get_app_config("fastcognito").ready()
        assert not [line for line in caplog.messages if "fastcognito.W00" in line and "W001" not in line]


# --- DENYLIST_MAX_STALENESS (issue 22): a bounded revocation delay, one round trip less -----------


def test_max_staleness_wraps_the_cache_denylist(base: dict[str, Any], tokens: TokenFactory) -> None:
    from fastcognito import RememberingDenylist

    with override_settings(FASTCOGNITO=base):
        assert isinstance(fastcognito_settings.verifier.denylist, CacheDenylist)  # 0, the default
    with override_settings(FASTCOGNITO={**base, "DENYLIST_MAX_STALENESS": 30}):
        here = fastcognito_settings.verifier
        assert isinstance(here.denylist, RememberingDenylist)
        assert isinstance(here.denylist.inner, CacheDenylist) and here.denylist.max_staleness == 30
        token = tokens.access()
        claims = here.verify(token)  # "not revoked", remembered by this worker
        fastcognito_settings.reload()
        elsewhere = fastcognito_settings.verifier  # another worker: its own memory, the same cache
        elsewhere.revoke(elsewhere.verify(token))
        with pytest.raises(RevokedTokenError):
            elsewhere.verify(token)  # the worker that signed it out refuses it at once
        # This one still accepts it, within the 30 s the settings allow; then refuses it.
        assert here.verify(token)["jti"] == claims["jti"]
        here.denylist._answers.clear()  # as 30 s later
        with pytest.raises(RevokedTokenError):
            here.verify(token)


@pytest.mark.parametrize("value", [-1, 61, float("nan"), float("inf"), True, "0.5", None])
def test_a_bad_max_staleness_is_refused(base: dict[str, Any], value: Any) -> None:
    errors = [found for found in ids(**{**base, "DENYLIST_MAX_STALENESS": value}) if ".E" in found]
    assert errors == ["fastcognito.E145"]
    from fastcognito.django.apps import startup_errors

    with override_settings(FASTCOGNITO={**base, "DENYLIST_MAX_STALENESS": value}):
        assert any("fastcognito.E145" in error for error in startup_errors())


@pytest.mark.parametrize("value", [0, 0.5, 60])
def test_a_max_staleness_in_bounds_passes(base: dict[str, Any], value: float) -> None:
    assert [found for found in ids(**{**base, "DENYLIST_MAX_STALENESS": value}) if ".E" in found] == []


@pytest.mark.parametrize(
    "location", [["127.0.0.1:11211", "127.0.0.1:11212"], "10.0.0.1:11211;10.0.0.2:11211"]
)
def test_a_denylist_on_several_memcached_servers_is_refused(base: dict[str, Any], location: Any) -> None:
    # One server out of use: its keys move to the others, where the marker key vouches for an
    # answer that lacks the revocations it held (seen on real servers: a revoked token accepted).
    with override_settings(CACHES={"default": LOCMEM, "revocations": {**MEMCACHED, "LOCATION": location}}):
        assert "fastcognito.E146" in ids(**{**base, "DENYLIST": "revocations"})
        with override_settings(CACHES={"default": LOCMEM, "revocations": MEMCACHED}):
            assert "fastcognito.E146" not in ids(**{**base, "DENYLIST": "revocations"})


@pytest.mark.parametrize(
    "location",
    [
        "redis://10.0.0.1:6379/0,redis://10.0.0.2:6379/0",  # a primary and its replica
        ["redis://10.0.0.1:6379", "redis://10.0.0.2:6379"],
        "redis://127.0.0.1:6379/0;redis://127.0.0.1:6379/1",  # reads from a database never written
    ],
)
def test_a_denylist_on_several_redis_servers_is_refused(base: dict[str, Any], location: Any) -> None:
    # Django's RedisCache writes to the first LOCATION and reads from any of them at random: a
    # replica that lags (or is cut off) answers "not revoked", and its old marker key vouches for it.
    with override_settings(CACHES={"default": LOCMEM, "revocations": {**REDIS, "LOCATION": location}}):
        assert "fastcognito.E147" in ids(**{**base, "DENYLIST": "revocations"})
        from fastcognito.django.apps import startup_errors

        with override_settings(FASTCOGNITO={**base, "DENYLIST": "revocations"}):
            assert any("fastcognito.E147" in error for error in startup_errors())
    # One server, however spelled; and a list of several for another cache is not the denylist's.
    for one in ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0,redis://localhost:6379/0"):
        other = {**REDIS, "LOCATION": "redis://10.0.0.1,redis://10.0.0.2"}
        with override_settings(CACHES={"default": other, "revocations": {**REDIS, "LOCATION": one}}):
            assert ids(**{**base, "DENYLIST": "revocations"}) == [], one


@pytest.mark.parametrize(
    ("default", "expected"),
    [
        # Another database of the same server: its memory and its eviction are the server's.
        ({**REDIS, "LOCATION": "redis://127.0.0.1:6379/1"}, ["fastcognito.W009"]),
        ({**REDIS, "LOCATION": "redis://localhost:6379?db=2"}, ["fastcognito.W009"]),
        ({**REDIS, "LOCATION": "redis://127.0.0.1:6379/0"}, ["fastcognito.W009"]),  # the same database
        ({**REDIS, "LOCATION": "redis://10.0.0.9:6379/0,redis://127.0.0.1:6379/3"}, ["fastcognito.W009"]),
        ({**REDIS, "LOCATION": "redis://127.0.0.1:6380/0"}, []),  # another server
        (LOCMEM, []),
    ],
)
def test_a_denylist_sharing_a_redis_server_with_any_other_cache_is_warned_about(
    base: dict[str, Any], default: dict[str, Any], expected: list[str]
) -> None:
    # CACHES["default"] is where DRF's throttles and most applications write, anonymous requests
    # included: under an evicting policy they push revocations out, on any database of the server.
    with override_settings(CACHES={"default": default, "revocations": REDIS}):
        with override_settings(FASTCOGNITO={**base, "DENYLIST": "revocations"}):
            messages = checks.run_checks(tags=["fastcognito"])
    assert [message.id for message in messages] == expected
    for message in messages:
        assert message.level == checks.WARNING and "'default'" in message.msg and "noeviction" in message.hint


def test_one_sharing_warning_names_every_alias_on_the_denylists_redis(base: dict[str, Any]) -> None:
    caches_setting = {
        "default": {**REDIS, "LOCATION": "redis://127.0.0.1:6379/1"},
        "throttle": {**REDIS, "LOCATION": "redis://127.0.0.1:6379/2"},
        "reports": {**REDIS, "LOCATION": "redis://10.0.0.3:6379/0"},
        "sessions": {**REDIS, "LOCATION": "redis://127.0.0.1:6379/4"},
        "revocations": REDIS,
    }
    extra = {"SESSION_ENGINE": CACHE_SESSIONS, "SESSION_CACHE_ALIAS": "sessions"}
    with override_settings(CACHES=caches_setting, **extra):
        with override_settings(FASTCOGNITO=with_hosted_ui(base, "throttle")):
            messages = checks.run_checks(tags=["fastcognito"])
    # The sessions alias is W008's; every other alias on that server is in the one W009.
    assert [message.id for message in messages] == ["fastcognito.W008", "fastcognito.W009"]
    sharing = messages[1].msg
    assert "'default'" in sharing and "'throttle'" in sharing and "HOSTED_UI['CACHE']" in sharing
    assert "'reports'" not in sharing and "'sessions'" not in sharing
