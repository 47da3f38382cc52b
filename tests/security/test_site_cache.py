"""Attacker review of the cookie paths, findings 1 and 2: Django's per-site cache.

The cache is Django's own (``UpdateCacheMiddleware`` first, ``FetchFromCacheMiddleware`` last, as
Django's docs set it up) on a ``LocMemCache``, in front of the sources of this package:

1. ``AUTO_REFRESH`` put the fresh token cookies (or their deletion) on the answer of whatever page
   the browser loaded, with no ``Cache-Control: private``: the cache kept the ``Set-Cookie``
   headers and replayed them to every later visitor, who was signed in as the victim (or, for an
   attacker's expired token, signed out).
2. A user read from the token cookie (or from the ALB's header) added no ``Vary`` for it, so a
   page built for that user was cached once and served to everyone. A session login adds
   ``Vary: Cookie`` (``SessionMiddleware``); the token sources must match it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.core.cache import caches
from django.test import AsyncClient, Client, override_settings
from django.utils.cache import has_vary_header
from pytest_httpserver import HTTPServer

from tests.support.alb_tokens import ALB_KID, ARN, CLIENT, ISSUER, AlbTokens, pem
from tests.support.django import site_cache_urls
from tests.support.django.signin import ACCESS, REFRESH, CognitoStandIn, stand_in_settings

COGNITO_MIDDLEWARE = "fastcognito.django.CognitoMiddleware"


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


# --- finding 2: a page built for the token's user ----------------------------------------------------


@pytest.mark.parametrize(("url", "client_class"), [
    ("/hello/", Client),
    ("/ahello/", AsyncClient),
    ("/drf/hello/", Client),  # DRF, with CognitoMiddleware in front of it
])
def test_a_cookie_users_page_is_not_served_to_others(
    site: CognitoStandIn, url: str, client_class: Any
) -> None:
    alice = client_class()
    alice.cookies[ACCESS] = site.access_token("alice")
    first = get(alice, url)
    assert b"alice" in first.content and has_vary_header(first, "Cookie")

    stranger = get(client_class(), url)
    assert b"alice" not in stranger.content, "a stranger was served alice's page from the cache"


def get(client: Any, url: str, **extra: Any) -> Any:
    if isinstance(client, AsyncClient):
        return async_to_sync(client.get)(url, **extra)
    return client.get(url, **extra)


def test_a_cookie_users_drf_page_is_not_served_to_others_without_the_middleware(
    site: CognitoStandIn,
) -> None:
    """CognitoAuthentication alone: DRF adds only Vary: Accept of its own."""
    middleware = [name for name in settings.MIDDLEWARE if name != COGNITO_MIDDLEWARE]
    with override_settings(MIDDLEWARE=site_cache(middleware)):
        alice = Client()
        alice.cookies[ACCESS] = site.access_token("alice")
        first = alice.get("/drf/hello/")
        assert first.json() == {"hello": "alice"} and has_vary_header(first, "Cookie")
        assert Client().get("/drf/hello/").json() != {"hello": "alice"}


def test_a_bearer_users_page_is_not_served_to_others(site: CognitoStandIn) -> None:
    """The answer varies on Authorization (ours; recent Django releases' cache middleware adds it
    too): one Bearer user's page is never another's."""
    for url in ("/hello/", "/drf/hello/"):
        first = Client().get(url, HTTP_AUTHORIZATION=f"Bearer {site.access_token('alice')}")
        assert b"alice" in first.content and has_vary_header(first, "Authorization")
        assert b"alice" not in Client().get(url).content


def test_a_page_that_never_reads_the_user_stays_cached_for_everyone(site: CognitoStandIn) -> None:
    """As with SessionMiddleware: Vary only when request.user was read."""
    alice = Client()
    alice.cookies[ACCESS] = site.access_token("alice")
    first = alice.get("/")
    assert not first.cookies and not has_vary_header(first, "Cookie")
    assert Client().get("/").content == b"welcome"
    assert site_cache_urls.HITS == ["home"]


# --- finding 2: the ALB's header ---------------------------------------------------------------


@pytest.fixture(scope="module")
def alb() -> AlbTokens:
    return AlbTokens(ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture
def alb_site(httpserver: HTTPServer, alb: AlbTokens, site: CognitoStandIn) -> Iterator[AlbTokens]:
    """AlbMiddleware in place of CognitoMiddleware, behind the per-site cache."""
    httpserver.expect_request(f"/{ALB_KID}").respond_with_data(pem(alb.key))
    config = {
        **settings.FASTCOGNITO,
        "ALB": {"ARNS": [ARN], "CLIENT_ID": CLIENT, "ISSUER": ISSUER, "KEYS_URL": httpserver.url_for("/")},
    }
    middleware = [
        "fastcognito.django.alb.AlbMiddleware" if name == COGNITO_MIDDLEWARE else name
        for name in settings.MIDDLEWARE
    ]
    with cached_site(config, middleware):
        caches["default"].clear()
        yield alb


@pytest.mark.parametrize("url", ["/hello/", "/drf/alb-hello/"])
def test_an_alb_users_page_is_not_served_to_others(alb_site: AlbTokens, url: str) -> None:
    """Behind the ALB, its session cookie and the x-amzn-oidc-data header it adds from that
    cookie both name the user: the answer varies on both."""
    alb_session = "AWSELBAuthSessionCookie-0=opaque"
    first = Client().get(url, HTTP_X_AMZN_OIDC_DATA=alb_site.token(), HTTP_COOKIE=alb_session)
    assert b"alice" in first.content
    assert has_vary_header(first, "X-Amzn-Oidc-Data") and has_vary_header(first, "Cookie")
    assert b"alice" not in Client().get(url).content


@pytest.mark.django_db
@pytest.mark.parametrize("middleware", [True, False], ids=["with CognitoMiddleware", "DRF alone"])
@pytest.mark.parametrize("authorization", ["valid", "malformed"])
def test_an_answer_to_a_bearer_request_varies_on_authorization_where_django_does_not(
    fastcognito_config: Any, tokens: Any, middleware: bool, authorization: str, monkeypatch: Any
) -> None:
    # Django's cache middleware (absent here) varies such answers on Authorization only since
    # 5.2.15 (4.2, 5.0, 5.1 and 5.2.14 never), and served one Bearer user's page to everyone without
    # it: on those, ours does. The installed Django is newer, so this test takes the older one's
    # table; the site-cache control above runs the real middleware.
    from fastcognito.django import tokens as token_sources

    monkeypatch.setitem(token_sources.VARY_ON, "header", "Authorization")  # type: ignore[arg-type]
    fastcognito_config()
    header = f"Bearer {tokens.access()}" if authorization == "valid" else "Bearer not-a-jwt"
    stack = list(settings.MIDDLEWARE)
    if not middleware:
        stack.remove(COGNITO_MIDDLEWARE)
    with override_settings(MIDDLEWARE=stack):
        drf = Client().get("/drf/whoami/", HTTP_AUTHORIZATION=header)
        plain = Client().get("/plain/whoami/", HTTP_AUTHORIZATION=header) if middleware else None
    assert drf.status_code == (200 if authorization == "valid" else 401)
    if authorization == "valid" or middleware:
        # DRF alone says nothing on a 401: no cache keeps one (Django's keeps only 200s).
        assert has_vary_header(drf, "Authorization")
    if plain is not None:
        assert plain.status_code == 200 and has_vary_header(plain, "Authorization")


def test_ours_is_left_out_exactly_where_djangos_cache_middleware_varies_on_authorization() -> None:
    import django

    from fastcognito.django.tokens import DJANGO_VARIES_ON_AUTHORIZATION, VARY_ON

    # Read from the installed Django's source: 5.2.15 added it (5.2.14 does not have it).
    expected = (5, 2, 15) <= tuple(django.VERSION[:3]) < (6, 0, 0) or None
    if expected is not None:
        assert DJANGO_VARIES_ON_AUTHORIZATION is True, django.get_version()
    elif tuple(django.VERSION[:3]) < (5, 2, 15):
        assert DJANGO_VARIES_ON_AUTHORIZATION is False, django.get_version()
    assert VARY_ON["header"] == ("" if DJANGO_VARIES_ON_AUTHORIZATION else "Authorization")
