"""The servers the attacks run on behave as the attacks need: they answer, and they fail."""

from __future__ import annotations

import pytest
import redis


def test_redis_answers_then_refuses_when_stopped(redis_server):
    with redis_server.client() as client:
        client.set("k", "v")
        assert client.get("k") == b"v"
    redis_server.stop()
    with redis_server.client() as client, pytest.raises(redis.exceptions.ConnectionError):
        client.get("k")
    redis_server.start()
    with redis_server.client() as client:
        assert client.get("k") is None  # back, and empty


def test_memcached_answers_then_refuses_when_stopped(memcached_server):
    from pymemcache.client.base import Client

    client = Client(("127.0.0.1", memcached_server.port), connect_timeout=0.5, timeout=0.5)
    client.set("k", b"v")
    assert client.get("k") == b"v"
    client.close()
    memcached_server.stop()
    with pytest.raises(OSError):
        Client(("127.0.0.1", memcached_server.port), connect_timeout=0.5, timeout=0.5).get("k")
