"""Security review, issue 17, findings 6, 10 and 13: the password sign-in throttle (``signin/``).

The throttle's counters live on a real Redis (``HOSTED_UI["CACHE"]``), Cognito is the stand-in,
whose ``InitiateAuth`` calls are counted.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from tests.support.cache_servers import RedisServer
from tests.support.django.signin import PASSWORD, WRONG_PASSWORD, CognitoStandIn, signin

pytestmark = pytest.mark.slow

ATTACKER = "203.0.113.66"
OTHER_ATTACKER = "203.0.113.77"
ALICE = "198.51.100.7"
PROXY = "10.0.0.1"


def test_wrong_guesses_from_attacker_do_not_lock_out_alice(
    signin_site: Callable[..., None], cognito_stand_in: CognitoStandIn
) -> None:
    """Finding 6: five wrong guesses for "alice" from the attacker's address used to give alice
    429 with the right password from her own address."""
    attacker = Client(REMOTE_ADDR=ATTACKER)
    for _ in range(5):
        assert signin(attacker, "alice", WRONG_PASSWORD).status_code == 401
    blocked = signin(attacker, "alice", WRONG_PASSWORD)
    assert blocked.status_code == 429 and blocked.json()["code"] == "throttled"  # the attacker is slowed
    assert cognito_stand_in.calls["InitiateAuth"] == 5

    answer = signin(Client(REMOTE_ADDR=ALICE), "alice", PASSWORD)
    assert answer.status_code == 200, answer.content


def test_failures_behind_a_proxy_do_not_lock_out_everyone(
    signin_site: Callable[..., None], cognito_stand_in: CognitoStandIn
) -> None:
    """Finding 6: behind a proxy every request has the proxy's REMOTE_ADDR, so 20 failures used
    to lock out every user. With TRUSTED_PROXY_COUNT the address is the one our proxy appended
    to X-Forwarded-For; what the client wrote to its left is never read."""
    signin_site(TRUSTED_PROXY_COUNT=1)
    for index in range(20):
        # The attacker also writes its own X-Forwarded-For entries, different every time.
        attacker = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.{index}, {ATTACKER}")
        assert signin(attacker, f"user{index}", WRONG_PASSWORD).status_code == 401
    attacker = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=f"192.0.2.99, {ATTACKER}")
    assert signin(attacker, "alice", PASSWORD).status_code == 429  # the attacker's address is slowed

    alice = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ALICE)
    answer = signin(alice, "alice", PASSWORD)
    assert answer.status_code == 200, answer.content
    assert cognito_stand_in.calls["InitiateAuth"] == 21

    # Without the setting the header is never read: rotating it does not escape the count.
    signin_site(SIGNIN_MAX_FAILURES_PER_ADDRESS=3)
    for index in range(3):
        forged = Client(REMOTE_ADDR=OTHER_ATTACKER, HTTP_X_FORWARDED_FOR=f"192.0.2.{index}")
        assert signin(forged, f"other{index}", WRONG_PASSWORD).status_code == 401
    forged = Client(REMOTE_ADDR=OTHER_ATTACKER, HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert signin(forged, "bob", PASSWORD).status_code == 429


def test_concurrent_wrong_passwords_never_pass_the_limit(
    signin_site: Callable[..., None], cognito_stand_in: CognitoStandIn
) -> None:
    """Finding 10: the counter was read before the call to Cognito and written after it, so 12
    concurrent wrong passwords all reached InitiateAuth where the limit is 5."""
    start = threading.Barrier(12)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def guess() -> None:
        try:
            browser = Client(REMOTE_ADDR=ATTACKER)
            start.wait()
            statuses.append(signin(browser, "alice", WRONG_PASSWORD).status_code)
        except BaseException as err:  # reported below, in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=guess) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert cognito_stand_in.calls["InitiateAuth"] <= 5
    assert sorted(statuses) == [401] * cognito_stand_in.calls["InitiateAuth"] + [429] * (
        12 - cognito_stand_in.calls["InitiateAuth"]
    )


@pytest.mark.parametrize("fault", ["stopped", "paused"])
def test_throttle_cache_down_is_a_503_not_a_500(
    signin_site: Callable[..., None], cognito_stand_in: CognitoStandIn, redis_server: RedisServer, fault: str
) -> None:
    """Finding 13: with the throttle's cache down, signin/ was a 500. It is a 503 with a code,
    and nobody's password reaches Cognito uncounted."""
    if fault == "stopped":
        redis_server.stop()
    else:
        redis_server.pause()
    try:
        answer = signin(Client(raise_request_exception=False), "alice", PASSWORD)
    finally:
        if fault == "paused":
            redis_server.resume()
    assert answer.status_code == 503, answer.content
    assert answer.json()["code"] == "signin_unavailable"
    assert PASSWORD.encode() not in answer.content
    assert not answer.cookies or all(not morsel.value for morsel in answer.cookies.values())
    assert cognito_stand_in.calls["InitiateAuth"] == 0


def test_throttle_on_memcached_down_is_a_503(
    cognito_stand_in: CognitoStandIn, memcached_server: Any
) -> None:
    """Finding 13 on Memcached, whose client may swallow errors: fail closed all the same."""
    from django.test import override_settings

    from tests.support.django.signin import stand_in_settings

    with override_settings(
        FASTCOGNITO=stand_in_settings(cognito_stand_in, CACHE="throttle"),
        CACHES={
            "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "security"},
            "throttle": memcached_server.cache_settings(),
        },
    ):
        assert signin(Client(), "alice", PASSWORD).status_code == 200
        memcached_server.stop()
        answer = signin(Client(raise_request_exception=False), "alice", PASSWORD)
    assert answer.status_code == 503 and answer.json()["code"] == "signin_unavailable"
    assert cognito_stand_in.calls["InitiateAuth"] == 1
