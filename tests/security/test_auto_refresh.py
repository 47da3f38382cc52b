"""Security review, issue 17, findings 4 and 12: ``HOSTED_UI["AUTO_REFRESH"]``.

Cognito is the stand-in, whose ``/oauth2/token`` refresh calls are counted; the once-per-token
refresh counter lives on a real Redis (``HOSTED_UI["CACHE"]``).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils.crypto import get_random_string

from tests.support.cache_servers import RedisServer
from tests.support.django.signin import ACCESS, PROTECTED, REFRESH, CognitoStandIn, cookie

pytestmark = pytest.mark.slow


@pytest.fixture
def auto_refresh(signin_site: Callable[..., None], cognito_stand_in: CognitoStandIn) -> CognitoStandIn:
    signin_site(AUTO_REFRESH=True)
    return cognito_stand_in


def token_calls(stand_in: CognitoStandIn) -> int:
    return sum(stand_in.calls.values())


def test_anonymous_refresh_cookies_make_no_calls_to_cognito(auto_refresh: CognitoStandIn) -> None:
    """Finding 4: 25 anonymous GETs carrying a made-up refresh cookie and no access cookie made
    25 calls to /oauth2/token, each holding a worker for the round trip."""
    for index in range(25):
        answer = Client().get(PROTECTED, HTTP_COOKIE=f"{REFRESH}=garbage{index}")
        assert answer.status_code == 401 and not answer.cookies
    # Nor with an access cookie that is not a genuine token of ours.
    forged = auto_refresh.access_token("alice", expired=True)
    head, payload, signature = forged.split(".")
    for index, access in enumerate(["garbage", f"{head}.{payload}.{signature[::-1]}", "a.b.c"]):
        answer = Client().get(PROTECTED, HTTP_COOKIE=f"{ACCESS}={access}; {REFRESH}=garbage-{index}")
        assert answer.status_code == 401 and not answer.cookies
    assert token_calls(auto_refresh) == 0


def test_one_expired_token_buys_at_most_one_refresh(auto_refresh: CognitoStandIn) -> None:
    """Finding 4: a genuine expired access token (one an attacker could have kept) replayed with
    25 made-up refresh cookies makes one call to Cognito, not 25."""
    expired = auto_refresh.access_token("alice", expired=True)
    for index in range(25):
        answer = Client().get(PROTECTED, HTTP_COOKIE=f"{ACCESS}={expired}; {REFRESH}=garbage{index}")
        assert answer.status_code == 401
    assert auto_refresh.calls["refresh_token"] == 1


def test_refresh_counter_down_means_no_call(auto_refresh: CognitoStandIn, redis_server: RedisServer) -> None:
    """Finding 4: with the counter's cache down, no refresh (fail closed), and no call."""
    redis_server.stop()
    browser = Client(raise_request_exception=False)
    browser.cookies[ACCESS], browser.cookies[REFRESH] = auto_refresh.expired_session("alice")
    answer = browser.get(PROTECTED)
    assert answer.status_code == 401 and not answer.cookies  # nothing cleared either
    assert token_calls(auto_refresh) == 0


def test_cross_site_post_refreshes_nothing(auto_refresh: CognitoStandIn) -> None:
    """Finding 12: a cross-site POST that failed its CSRF check (403) still refreshed at Cognito,
    spent the refresh token, and set new cookies on the 403."""
    auto_refresh.rotate = True
    browser = Client(enforce_csrf_checks=True)
    browser.cookies[ACCESS], browser.cookies[REFRESH] = auto_refresh.expired_session("alice")
    forged = browser.post(PROTECTED)
    assert forged.status_code == 403
    assert not forged.cookies
    assert token_calls(auto_refresh) == 0

    # The same request with the CSRF token the page holds: refreshed, and served.
    token = get_random_string(32)
    browser.cookies["csrftoken"] = token
    answer = browser.post(PROTECTED, HTTP_X_CSRFTOKEN=token)
    assert answer.status_code == 200, answer.content
    assert cookie(answer, ACCESS).value and cookie(answer, REFRESH).value
    assert auto_refresh.calls["refresh_token"] == 1


def test_parallel_requests_keep_the_winners_rotated_cookies(auto_refresh: CognitoStandIn) -> None:
    """Finding 12: with refresh-token rotation, two parallel requests of one browser both
    refreshed; the loser's refresh token was spent, so it deleted every cookie the winner set."""
    auto_refresh.rotate = True
    expired, refresh_token = auto_refresh.expired_session("alice")
    start = threading.Barrier(2)
    answers: list[Any] = []
    errors: list[BaseException] = []

    def load() -> None:
        try:
            browser = Client()
            browser.cookies[ACCESS], browser.cookies[REFRESH] = expired, refresh_token
            start.wait()
            answers.append(browser.get(PROTECTED))
        except BaseException as err:  # reported below, in the test's thread
            errors.append(err)

    threads = [threading.Thread(target=load) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors and len(answers) == 2
    assert auto_refresh.calls["refresh_token"] == 1
    winners = [answer for answer in answers if answer.status_code == 200]
    losers = [answer for answer in answers if answer.status_code != 200]
    assert len(winners) == 1 and len(losers) == 1
    assert cookie(winners[0], REFRESH).value not in ("", refresh_token)  # rotated
    assert losers[0].status_code == 401 and not losers[0].cookies  # deletes nothing
