"""Security review, issue 17, finding 16: state cookies piled up.

Each ``login/`` added a state cookie of about 330 bytes on the callback's path, for 10 minutes.
After 25 attempts in one browser the callback's request was larger than gunicorn takes (431),
and that browser could not sign in for 10 minutes.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from tests.support.django.signin import ACCESS, CognitoStandIn, cookie, iter_state_cookies

pytestmark = pytest.mark.slow

CALLBACK = "/auth/callback/"


def callback_cookie_header(browser: Client) -> str:
    """The Cookie header a browser would send to the callback: the live state cookies."""
    return "; ".join(f"{morsel.key}={morsel.coded_value}" for morsel in iter_state_cookies(browser))


def test_thirty_logins_keep_the_callback_request_small(
    signin_site: Callable[..., None], cognito_stand_in: CognitoStandIn
) -> None:
    browser = Client()
    attempts = [str(browser.get("/auth/login/")["Location"]) for _ in range(30)]
    header = callback_cookie_header(browser)
    assert len(header) < 2500, f"{len(header)} bytes of state cookies"

    # The newest attempts still work, as from parallel tabs finished in any order.
    for authorize_url in reversed(attempts[-3:]):
        answer = browser.get(CALLBACK, cognito_stand_in.authorize(authorize_url, "alice"))
        assert answer.status_code == 302, answer.content
        assert cookie(answer, ACCESS).value
    # The oldest were dropped: their callback is an invalid_state, not a 431.
    oldest = cognito_stand_in.authorize(attempts[0], "alice")
    dropped = browser.get(CALLBACK, oldest, HTTP_ACCEPT="application/json")
    assert dropped.status_code == 400 and dropped.json()["code"] == "invalid_state"
