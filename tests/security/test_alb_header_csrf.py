"""Issue 17, finding 1: the ALB's ``x-amzn-oidc-data`` header must not switch off CSRF protection.

The browser does not send that header: the ALB adds it to every request that carries its session
cookie, so a cross-site form POST carries it too. It is ambient, as a cookie is, and every unsafe
request it authenticates needs a CSRF token: on DRF views (``AlbAuthentication``), on plain views
(``AlbMiddleware`` with ``CsrfViewMiddleware``), and on every ``@csrf_protect`` view of the same
request (the sign-in views, the admin). Only a token the page's own script puts in
``Authorization`` stays exempt.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.test import AsyncClient, Client, override_settings
from pytest_httpserver import HTTPServer
from rest_framework.test import APIClient

from tests.support.alb_tokens import ALB_KID, ARN, CLIENT, ISSUER, AlbTokens, pem
from tests.support.django.security_alb_urls import ACTIONS

URLCONF = "tests.support.django.security_alb_urls"
EVIL = {"HTTP_ORIGIN": "https://evil.example"}
CSRF_SECRET = "A" * 32
CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"
ALB_MIDDLEWARE = [
    "fastcognito.django.alb.AlbMiddleware" if name == "fastcognito.django.CognitoMiddleware" else name
    for name in settings.MIDDLEWARE
]


@pytest.fixture(scope="module")
def alb() -> AlbTokens:
    return AlbTokens(ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture
def alb_config(httpserver: HTTPServer, alb: AlbTokens) -> dict[str, Any]:
    httpserver.expect_request(f"/{ALB_KID}").respond_with_data(pem(alb.key))
    return {
        **settings.FASTCOGNITO,
        "ALB": {"ARNS": [ARN], "CLIENT_ID": CLIENT, "ISSUER": ISSUER, "KEYS_URL": httpserver.url_for("/")},
    }


@pytest.fixture
def alb_site(alb_config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """AlbMiddleware in place of CognitoMiddleware, CsrfViewMiddleware as in every project."""
    ACTIONS.clear()
    with override_settings(
        FASTCOGNITO=alb_config, ROOT_URLCONF=URLCONF, MIDDLEWARE=ALB_MIDDLEWARE
    ):
        yield alb_config


def alb_header(alb: AlbTokens) -> dict[str, str]:
    return {"HTTP_X_AMZN_OIDC_DATA": alb.token()}


def cross_site_post(client: Any, url: str, alb: AlbTokens) -> Any:
    """A form on https://evil.example posts to ``url``; the ALB adds its header on the way."""
    return client.post(url, {}, **EVIL, **alb_header(alb))


def assert_csrf_refused(response: Any) -> None:
    assert response.status_code == 403, response.content
    assert b"CSRF" in response.content
    assert ACTIONS == []


# --- the attack: a cross-site form POST that the ALB decorated with its header ---------------------


@pytest.mark.usefixtures("alb_site")
def test_cross_site_post_with_alb_header_is_refused_on_drf_view(alb: AlbTokens) -> None:
    response = cross_site_post(APIClient(enforce_csrf_checks=True), "/drf/alb-transfer/", alb)
    assert_csrf_refused(response)
    assert response.json()["detail"].startswith("CSRF Failed:")


def test_cross_site_post_with_alb_header_is_refused_on_drf_view_without_alb_middleware(
    alb_config: dict[str, Any], alb: AlbTokens
) -> None:
    # AlbAuthentication on its own (CognitoMiddleware, or no middleware of ours, in front of it).
    ACTIONS.clear()
    with override_settings(FASTCOGNITO=alb_config, ROOT_URLCONF=URLCONF):
        response = cross_site_post(APIClient(enforce_csrf_checks=True), "/drf/alb-transfer/", alb)
    assert_csrf_refused(response)


@pytest.mark.usefixtures("alb_site")
def test_cross_site_post_with_alb_header_is_refused_on_plain_view(alb: AlbTokens) -> None:
    response = cross_site_post(Client(enforce_csrf_checks=True), "/plain/transfer/", alb)
    assert_csrf_refused(response)


@pytest.mark.usefixtures("alb_site")
def test_cross_site_post_with_alb_header_is_refused_on_async_plain_view(alb: AlbTokens) -> None:
    from asgiref.sync import async_to_sync

    # AsyncClient takes headers by name (it ignores HTTP_* keywords).
    headers = {"origin": "https://evil.example", "x-amzn-oidc-data": alb.token()}

    async def post() -> Any:
        return await AsyncClient(enforce_csrf_checks=True).post("/plain/async-transfer/", {}, headers=headers)

    assert_csrf_refused(async_to_sync(post)())


def test_cross_site_post_with_alb_header_is_refused_on_csrf_protect_view(
    alb_site: dict[str, Any], alb: AlbTokens
) -> None:
    # Without CsrfViewMiddleware, @csrf_protect is the only guard; the header must not lift it.
    without_middleware = [name for name in ALB_MIDDLEWARE if name != CSRF_MIDDLEWARE]
    with override_settings(MIDDLEWARE=without_middleware):
        response = cross_site_post(Client(enforce_csrf_checks=True), "/plain/protected-transfer/", alb)
    assert_csrf_refused(response)


def test_cross_site_post_with_alb_header_is_refused_on_signin_logout(
    alb_site: dict[str, Any], alb: AlbTokens
) -> None:
    hosted_ui = {
        "DOMAIN": "https://auth.example.com",
        "REDIRECT_URI": "https://app.example.com/auth/callback/",
        "LOGOUT_URI": "https://app.example.com/",
    }
    config = {**alb_site, "COOKIE_NAME": "fastcognito_access", "HOSTED_UI": hosted_ui}
    with override_settings(FASTCOGNITO=config):
        client = Client(enforce_csrf_checks=True)
        client.cookies["fastcognito_refresh"] = "refresh-token-of-the-victim"
        response = client.post("/auth/logout/", HTTP_ACCEPT="application/json", **EVIL, **alb_header(alb))
        assert_csrf_refused(response)
        # The page's own POST, with its CSRF token, signs out.
        client.cookies["csrftoken"] = CSRF_SECRET
        del client.cookies["fastcognito_refresh"]
        response = client.post(
            "/auth/logout/", HTTP_ACCEPT="application/json", HTTP_X_CSRFTOKEN=CSRF_SECRET, **alb_header(alb)
        )
    assert response.status_code == 200, response.content
    assert "/logout?" in response.json()["logout_url"]


@pytest.mark.django_db
@pytest.mark.usefixtures("alb_site")
def test_cross_site_post_with_alb_header_is_refused_on_admin(alb: AlbTokens) -> None:
    response = Client(enforce_csrf_checks=True).post(
        "/admin/login/", {"username": "alice", "password": "x"}, **EVIL, **alb_header(alb)
    )
    assert_csrf_refused(response)


def test_cross_site_post_refused_by_a_custom_source_step_stays_csrf_checked(
    alb_site: dict[str, Any], alb: AlbTokens
) -> None:
    # A get_raw_token of the project's own that raises a TokenError: only our parsing of the
    # Authorization header earns the exemption, not an error from a source that may be ambient.
    middleware = [name.replace("AlbMiddleware", "StrictAlbMiddleware") for name in ALB_MIDDLEWARE]
    middleware = [name.replace("fastcognito.django.alb.", f"{URLCONF}.") for name in middleware]
    with override_settings(MIDDLEWARE=middleware):
        response = cross_site_post(Client(enforce_csrf_checks=True), "/plain/protected-transfer/", alb)
    assert_csrf_refused(response)


# --- what stays allowed ---------------------------------------------------------------------------


ALB_VIEWS = pytest.mark.parametrize(
    ("client_class", "url"), [(APIClient, "/drf/alb-transfer/"), (Client, "/plain/transfer/")]
)


@pytest.mark.usefixtures("alb_site")
@ALB_VIEWS
def test_post_with_alb_header_and_valid_csrf_token_is_accepted(
    alb: AlbTokens, client_class: type, url: str
) -> None:
    client = client_class(enforce_csrf_checks=True)
    client.cookies["csrftoken"] = CSRF_SECRET
    response = client.post(url, {}, HTTP_X_CSRFTOKEN=CSRF_SECRET, **alb_header(alb))
    assert response.status_code == 200, response.content
    assert ACTIONS == [f"{'drf' if client_class is APIClient else 'plain'}:alice"]


@pytest.mark.usefixtures("alb_site")
@ALB_VIEWS
def test_get_with_alb_header_needs_no_csrf_token(alb: AlbTokens, client_class: type, url: str) -> None:
    response = client_class(enforce_csrf_checks=True).get(url, **EVIL, **alb_header(alb))
    assert response.status_code == 200, response.content
    assert response.json()["username"] == "alice"


@pytest.mark.parametrize(
    ("client_class", "url", "action"),
    [(APIClient, "/drf/bearer-transfer/", "drf:alice"), (Client, "/plain/transfer/", "plain:alice")],
)
def test_post_with_authorization_bearer_stays_csrf_exempt(
    fastcognito_config: Any, tokens: Any, client_class: type, url: str, action: str
) -> None:
    # The page's own script sets Authorization; a cross-site form cannot (CORS preflight).
    ACTIONS.clear()
    with override_settings(ROOT_URLCONF=URLCONF):
        response = client_class(enforce_csrf_checks=True).post(
            url, {}, HTTP_AUTHORIZATION=f"Bearer {tokens.access()}"
        )
    assert response.status_code == 200, response.content
    assert ACTIONS == [action]


def test_alb_middleware_without_csrf_middleware_is_refused_at_start_up() -> None:
    """The attack needs no CSRF middleware at all to succeed: a site that forgot it is refused
    by ``manage.py check`` (and so at start-up), not left open."""
    from django.core import checks

    alb = "fastcognito.django.alb.AlbMiddleware"
    auth = "django.contrib.auth.middleware.AuthenticationMiddleware"
    with override_settings(MIDDLEWARE=[auth, alb]):
        found = [message.id for message in checks.run_checks(tags=["fastcognito"])]
    assert "fastcognito.E019" in found
    with override_settings(MIDDLEWARE=["django.middleware.csrf.CsrfViewMiddleware", auth, alb]):
        found = [message.id for message in checks.run_checks(tags=["fastcognito"])]
    assert "fastcognito.E019" not in found
