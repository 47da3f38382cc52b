"""Attacker review of the cookie paths, findings 1 and 2: Django's per-site cache.

The cache is Django's own (``UpdateCacheMiddleware`` first, ``FetchFromCacheMiddleware`` last, as
Django's docs set it up) on a ``LocMemCache``, in front of the sources of this package:

1. ``AUTO_REFRESH`` put the fresh token cookies (or their deletion) on the answer of whatever page
   the browser loaded, with no ``Cache-Control: private``: the cache kept the ``Set-Cookie``
   headers and replayed them to every later visitor, who was signed in as the victim (or, for an
   attacker's expired token, signed out).
2. A user read from the token cookie (or the ALB's header, or ``Authorization``) added no
   ``Vary`` for it, so a page built for that user was cached once and served to everyone. A
   session login adds ``Vary: Cookie`` (``SessionMiddleware``); the token sources must match it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import Client, override_settings
from django.utils.cache import has_vary_header

from tests.support.django import site_cache_urls
from tests.support.django.signin import ACCESS, REFRESH, CognitoStandIn, stand_in_settings

def site_cache(middleware: list[str]) -> list[str]:
    return ["django.middleware.cache.UpdateCacheMiddleware", *middleware,
            "django.middleware.cache.FetchFromCacheMiddleware"]


def cached_site(fastcognito: dict[str, Any], middleware: list[str]) -> Any:
    return override_settings(
        FASTCOGNITO=fastcognito,
        ROOT_URLCONF="tests.support.django.site_cache_urls",
        MIDDLEWARE=site_cache(middleware),
        CACHE_MIDDLEWARE_SECONDS=60,
        CACHES={"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "site"}},
    )


@pytest.fixture
def site(cognito_stand_in: CognitoStandIn) -> Iterator[CognitoStandIn]:
    """The test site with AUTO_REFRESH, behind the per-site cache."""
    with cached_site(stand_in_settings(cognito_stand_in, AUTO_REFRESH=True), list(settings.MIDDLEWARE)):
        caches["default"].clear()
        site_cache_urls.HITS.clear()
        yield cognito_stand_in


def live_cookies(response: Any) -> dict[str, str]:
    return {name: morsel.value for name, morsel in response.cookies.items() if morsel.value}


def cleared_cookies(response: Any) -> list[str]:
    return sorted(
        name for name, morsel in response.cookies.items() if not morsel.value and morsel["max-age"] == 0
    )


# --- finding 1: the cookies of AUTO_REFRESH ---------------------------------------------------------


def test_refreshed_cookies_are_never_replayed_to_other_visitors(site: CognitoStandIn) -> None:
    site.rotate = True  # Cognito's refresh-token rotation: the refresh cookie is set too
    victim = Client()
    victim.cookies[ACCESS], victim.cookies[REFRESH] = site.expired_session("alice")
    first = victim.get("/")
    assert first.status_code == 200 and site.calls["refresh_token"] == 1
    assert live_cookies(first).keys() == {ACCESS, REFRESH}
    assert "private" in first["Cache-Control"] and "no-store" in first["Cache-Control"]
    assert has_vary_header(first, "Cookie")

    second = Client().get("/")  # a stranger, with no cookie at all
    assert not second.cookies, f"a stranger received the victim's {sorted(second.cookies)}"
    assert site_cache_urls.HITS == ["home", "home"]  # the victim's answer was not cached


def test_an_attacker_cannot_sign_everyone_out_through_the_cache(site: CognitoStandIn) -> None:
    """The attacker's genuine expired access token of their own, with no refresh cookie: the
    answer deletes the token cookies, and must not be kept for the next visitors."""
    attacker = Client()
    attacker.cookies[ACCESS] = site.access_token("bob", expired=True)
    poisoned = attacker.get("/")
    assert cleared_cookies(poisoned) == [ACCESS, REFRESH]
    assert "private" in poisoned["Cache-Control"]

    victim = Client()
    victim.cookies[ACCESS], victim.cookies[REFRESH] = site.access_token("alice"), site.refresh_token("alice")
    answer = victim.get("/")
    assert not cleared_cookies(answer), f"a cached answer deleted the victim's {cleared_cookies(answer)}"
    assert site_cache_urls.HITS == ["home", "home"]
