"""The attacks of the security review, each kept as a test on real servers.

Django is set up as for tests/django (``tests.support.django.plugin``); Redis and Memcached are real
servers on 127.0.0.1 (``tests.support.cache_servers``), fresh for each test that asks for one, so a
test may stop, pause, fill or restart it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.support.cache_servers import MemcachedServer, RedisServer, missing_servers
from tests.support.django.plugin import *  # noqa: F403  (pytest_configure and the Django fixtures)
from tests.support.django.signin import stand_in_settings


def _require_servers() -> None:
    missing = missing_servers()
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: run `make test` (it installs them), or apt-get install -y redis-server memcached")


@pytest.fixture(autouse=True)
def _close_cache_connections() -> Iterator[None]:
    """Django keeps cache connections per thread; a test's servers die with it, so do they."""
    yield
    from django.core.cache import caches

    caches.close_all()


@pytest.fixture
def redis_server() -> Iterator[RedisServer]:
    """A fresh Redis 7 on 127.0.0.1 (no eviction, no persistence) for this test alone."""
    _require_servers()
    with RedisServer() as server:
        yield server


@pytest.fixture
def memcached_server() -> Iterator[MemcachedServer]:
    """A fresh Memcached on 127.0.0.1 (64 MB) for this test alone."""
    _require_servers()
    with MemcachedServer() as server:
        yield server


@pytest.fixture
def signin_site(cognito_stand_in: Any, redis_server: RedisServer) -> Iterator[Callable[..., None]]:
    """The sign-in views against the Cognito stand-in (``cognito_stand_in``), their shared state
    (``HOSTED_UI["CACHE"]``) on this test's real Redis. Applied at once; call it again with
    ``HOSTED_UI`` overrides (and ``DEBUG=...``)."""
    from django.test import override_settings

    active: list[Any] = []

    def apply(*, DEBUG: bool = False, **hosted: Any) -> None:  # noqa: N803  (the setting's name)
        override = override_settings(
            DEBUG=DEBUG,
            FASTCOGNITO=stand_in_settings(cognito_stand_in, CACHE="throttle", **hosted),
            CACHES={
                "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sec"},
                "throttle": redis_server.cache_settings(),
            },
        )
        override.enable()
        active.append(override)

    apply()
    try:
        yield apply
    finally:
        for override in reversed(active):
            override.disable()
