"""``CognitoAuthentication`` behind ``CognitoMiddleware`` (``fastcognito.django.steps.SharedToken``).

The test settings install both, as the sign-in set-up of the docs does. The DRF class takes the
token the middleware found, and the claims and the user once either layer has them, instead of
parsing and verifying again; here every way that could let a request through with a credential
DRF would not read itself, or past a check DRF would make, is tried: a header or cookie changed
after the middleware, other settings, a reload, a cookie token's CSRF check, the denylist, the
machine-token check, rejections, and subclasses that override steps.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.test import Client, override_settings
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIClient
from rest_framework.views import APIView

import fastcognito.django.middleware as middleware_module
import fastcognito.drf.authentication as authentication_module
from fastcognito.claims import Claims
from fastcognito.django import CognitoMiddleware, CognitoUser, fastcognito_settings
from fastcognito.django.conf import FastCognitoSettings
from fastcognito.django.steps import SharedToken
from fastcognito.django.tokens import RawToken
from fastcognito.drf import CognitoAuthentication
from tests.support import CLIENT_ID, DROP, TokenFactory
from tests.support.django.views import describe

COOKIE = "accessToken"
CSRF_SECRET = "A" * 32
BOB = {"sub": "bbbbbbbb-bbbb-4ccc-8ddd-eeeeeeeeeeee", "username": "bob"}

pytestmark = pytest.mark.django_db


# --- views and middleware of these tests ---------------------------------------------------------


class WhoAmI(APIView):
    def get(self, request: Request) -> Response:
        shared = getattr(request._request, "_fastcognito_token", None)
        return Response(
            {
                **describe(request.user),
                "auth": type(request.auth).__name__,
                "shared_user": shared is not None and shared.user is request.user,
            }
        )

    def post(self, request: Request) -> Response:
        return Response({"username": request.user.username}, status=201)


class ThenAuser(WhoAmI):
    """Reads the middleware's ``request.auser()`` after DRF has authenticated."""

    def get(self, request: Request) -> Response:
        later = async_to_sync(request._request.auser)()
        return Response({"same": later is request.user, "username": later.username})


CLAIMS_SEEN: list[str] = []


class RecordingAuthentication(CognitoAuthentication):
    def get_claims(self, raw_token: RawToken) -> Claims:
        CLAIMS_SEEN.append(raw_token.source)
        return super().get_claims(raw_token)


class JwtOnlyAuthentication(CognitoAuthentication):
    """The DRF class with settings of its own (``JWT`` headers only)."""

    settings = FastCognitoSettings({})


class RecordingMiddleware(CognitoMiddleware):
    def get_claims(self, raw_token: RawToken) -> Claims:
        CLAIMS_SEEN.append(f"middleware {raw_token.source}")
        return super().get_claims(raw_token)


def read_user(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    """A middleware after ours that reads ``request.user`` before the view (as logging does)."""

    def middleware(request: HttpRequest) -> Any:
        request.user.is_authenticated  # noqa: B018
        return get_response(request)

    return middleware


def swap_credentials(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    """A middleware after ours that replaces the Authorization header or the token cookie with
    what the X-Swap-Authorization or X-Swap-Cookie header holds."""

    def middleware(request: HttpRequest) -> Any:
        if "HTTP_X_SWAP_AUTHORIZATION" in request.META:
            request.META["HTTP_AUTHORIZATION"] = request.META["HTTP_X_SWAP_AUTHORIZATION"]
        if "HTTP_X_SWAP_COOKIE" in request.META:
            request.COOKIES[COOKIE] = request.META["HTTP_X_SWAP_COOKIE"]
        return get_response(request)

    return middleware


def reload_settings(get_response: Callable[[HttpRequest], Any]) -> Callable[[HttpRequest], Any]:
    """A middleware after ours during which the settings change (``setting_changed``)."""

    def middleware(request: HttpRequest) -> Any:
        verifier = fastcognito_settings.verifier
        fastcognito_settings.reload()
        fastcognito_settings._verifier = verifier  # the same keys: only the policy is new
        return get_response(request)

    return middleware


urlpatterns = [
    path("whoami/", WhoAmI.as_view(authentication_classes=[CognitoAuthentication])),
    path("then-auser/", ThenAuser.as_view(authentication_classes=[CognitoAuthentication])),
    path("recording/", WhoAmI.as_view(authentication_classes=[RecordingAuthentication])),
    path("jwt-only/", WhoAmI.as_view(authentication_classes=[JwtOnlyAuthentication])),
]


@pytest.fixture
def stack(fastcognito_config: Any) -> Iterator[Callable[..., None]]:
    """These URLs behind the test settings' middleware (CognitoMiddleware last), with a cookie
    source; ``stack(*after)`` adds middleware after CognitoMiddleware, ``stack(ours=...)``
    replaces CognitoMiddleware."""
    fastcognito_config(COOKIE_NAME=COOKIE)
    CLAIMS_SEEN.clear()
    active: list[override_settings] = []

    def use(*after: Callable[..., Any], ours: str = "fastcognito.django.CognitoMiddleware") -> None:
        ours_index = settings.MIDDLEWARE.index("fastcognito.django.CognitoMiddleware")
        middleware = [*settings.MIDDLEWARE[:ours_index], ours]
        middleware += [f"{__name__}.{function.__name__}" for function in after]
        override = override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=middleware)
        override.enable()
        active.append(override)

    use()
    yield use
    for override in reversed(active):
        override.disable()


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """How many times, per request, the token is parsed by DRF, verified, and made a user."""
    counts = {"drf parses": 0, "verifies": 0, "users": 0}
    verifier = fastcognito_settings.verifier
    original_verify = verifier.verify

    def verify(token: str) -> Claims:
        counts["verifies"] += 1
        return original_verify(token)

    monkeypatch.setattr(verifier, "verify", verify)
    for name in ("header_token", "cookie_token"):
        original_parse = getattr(authentication_module, name)

        def parse(*args: Any, original_parse: Any = original_parse) -> Any:
            counts["drf parses"] += 1
            return original_parse(*args)

        monkeypatch.setattr(authentication_module, name, parse)
    original_principal = authentication_module.principal_for

    def principal_for(*args: Any) -> Any:
        counts["users"] += 1
        return original_principal(*args)

    monkeypatch.setattr(authentication_module, "principal_for", principal_for)
    monkeypatch.setattr(middleware_module, "principal_for", principal_for)
    return counts


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def expired(tokens: TokenFactory) -> str:
    now = int(time.time())
    return tokens.access(iat=now - 7200, exp=now - 3600)


# --- reuse --------------------------------------------------------------------------------------


def test_drf_parses_verifies_and_builds_once_behind_the_middleware(
    stack: Any, counted: dict[str, int], tokens: TokenFactory
) -> None:
    body = Client().get("/whoami/", **bearer(tokens.access())).json()
    assert (body["username"], body["class"], body["auth"], body["shared_user"]) == (
        "alice",
        "CognitoUser",
        "Claims",
        True,
    )
    assert counted == {"drf parses": 0, "verifies": 1, "users": 1}


def test_what_the_middleware_verified_first_is_what_drf_answers(
    stack: Any, counted: dict[str, int], tokens: TokenFactory
) -> None:
    stack(read_user)
    client = Client()
    client.cookies[COOKIE] = tokens.access()
    for headers in (bearer(tokens.access()), {}):  # the header token, then the cookie token
        body = client.get("/whoami/", **headers).json()
        assert (body["username"], body["class"], body["auth"], body["shared_user"]) == (
            "alice",
            "CognitoUser",
            "Claims",
            True,
        )
    assert counted == {"drf parses": 0, "verifies": 2, "users": 2}


def test_the_middlewares_auser_after_drf_is_drfs_user(
    stack: Any, counted: dict[str, int], tokens: TokenFactory
) -> None:
    assert Client().get("/then-auser/", **bearer(tokens.access())).json() == {
        "same": True,
        "username": "alice",
    }
    assert counted["verifies"] == 1 and counted["users"] == 1


# --- only for the very credential DRF reads -----------------------------------------------------


def test_a_header_added_after_the_middleware_saw_a_cookie_is_what_drf_verifies(
    stack: Any, counted: dict[str, int], tokens: TokenFactory
) -> None:
    stack(swap_credentials)
    client = Client(enforce_csrf_checks=True)
    client.cookies[COOKIE] = tokens.access()
    swap = {"HTTP_X_SWAP_AUTHORIZATION": f"Bearer {tokens.access(**BOB)}"}
    assert client.get("/whoami/", **swap).json()["username"] == "bob"
    assert counted["drf parses"] == 1
    # A header token: exempt from CSRF, as DRF alone decides for the header it reads.
    assert client.post("/whoami/", {}, **swap).json() == {"username": "bob"}
    # A bad header is DRF's own 401, not the middleware's good cookie.
    response = client.get("/whoami/", HTTP_X_SWAP_AUTHORIZATION=f"Bearer {expired(tokens)}")
    assert (response.status_code, response.json()["code"]) == (401, "expired")


def test_a_header_replaced_after_the_middleware_is_what_drf_verifies(
    stack: Any, counted: dict[str, int], tokens: TokenFactory
) -> None:
    stack(read_user, swap_credentials)  # the middleware's user is verified before the swap
    client = Client()
    response = client.get(
        "/whoami/", **bearer(tokens.access()), HTTP_X_SWAP_AUTHORIZATION=f"Bearer {expired(tokens)}"
    )
    assert (response.status_code, response.json()["code"]) == (401, "expired")
    body = client.get(
        "/whoami/", **bearer(tokens.access()), HTTP_X_SWAP_AUTHORIZATION=f"Bearer {tokens.access(**BOB)}"
    )
    assert body.json()["username"] == "bob" and body.json()["shared_user"] is False
    # A header of another scheme now: no header token of ours, and no cookie: anonymous.
    response = client.get(
        "/whoami/", **bearer(tokens.access()), HTTP_X_SWAP_AUTHORIZATION="Basic YWxpY2U6c2VjcmV0"
    )
    assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")


def test_a_cookie_replaced_after_the_middleware_is_what_drf_verifies(
    stack: Any, counted: dict[str, int], tokens: TokenFactory
) -> None:
    stack(read_user, swap_credentials)
    client = Client()
    client.cookies[COOKIE] = tokens.access()
    response = client.get("/whoami/", HTTP_X_SWAP_COOKIE=expired(tokens))
    assert (response.status_code, response.json()["code"]) == (401, "expired")
    assert client.get("/whoami/", HTTP_X_SWAP_COOKIE=tokens.access(**BOB)).json()["username"] == "bob"
    assert counted["drf parses"] == 2


def test_a_drf_class_with_other_settings_reads_the_request_itself(stack: Any, tokens: TokenFactory) -> None:
    JwtOnlyAuthentication.settings = FastCognitoSettings(
        {**settings.FASTCOGNITO, "AUTH_HEADER_TYPES": ["JWT"], "COOKIE_NAME": None}
    )
    stack(read_user)
    client = Client()
    client.cookies[COOKIE] = tokens.access()
    # The middleware accepted the Bearer header and the cookie; this class reads neither.
    for headers in (bearer(tokens.access()), {}):
        response = client.get("/jwt-only/", **headers)
        assert (response.status_code, response.json()["code"]) == (401, "not_authenticated")
    body = client.get("/jwt-only/", HTTP_AUTHORIZATION=f"JWT {tokens.access(**BOB)}").json()
    assert body["username"] == "bob" and body["shared_user"] is False


def test_settings_reloaded_after_the_middleware_are_read_afresh(
    stack: Any, counted: dict[str, int], tokens: TokenFactory
) -> None:
    stack(read_user, reload_settings)
    body = Client().get("/whoami/", **bearer(tokens.access())).json()
    assert body["username"] == "alice" and body["shared_user"] is False
    assert counted["drf parses"] == 1


# --- no check is skipped ------------------------------------------------------------------------


@pytest.mark.parametrize("after", [(), (read_user,)], ids=["lazy", "middleware-verified-first"])
def test_a_cookie_token_still_needs_drfs_csrf_check(stack: Any, tokens: TokenFactory, after: Any) -> None:
    stack(*after)
    client = APIClient(enforce_csrf_checks=True)
    client.cookies[COOKIE] = tokens.access()
    response = client.post("/whoami/", {})
    assert response.status_code == 403 and response.json()["detail"].startswith("CSRF Failed:")
    client.cookies["csrftoken"] = CSRF_SECRET
    assert client.post("/whoami/", {}, HTTP_X_CSRFTOKEN=CSRF_SECRET).status_code == 201
    # The header token is exempt, as without the middleware.
    assert client.post("/whoami/", {}, **bearer(tokens.access())).status_code == 201


@pytest.mark.parametrize("after", [(), (read_user,)], ids=["lazy", "middleware-verified-first"])
def test_a_revoked_token_is_refused_on_every_request(
    stack: Any, fastcognito_config: Any, tokens: TokenFactory, after: Any
) -> None:
    fastcognito_config(COOKIE_NAME=COOKIE, DENYLIST="default")
    stack(*after)
    cache.clear()
    token = tokens.access()
    client = Client()
    assert client.get("/whoami/", **bearer(token)).status_code == 200
    verifier = fastcognito_settings.verifier
    verifier.revoke(verifier.verify(token))
    try:
        response = client.get("/whoami/", **bearer(token))
        assert (response.status_code, response.json()["code"]) == (401, "revoked")
    finally:
        cache.clear()


@pytest.mark.parametrize("after", [(), (read_user,)], ids=["lazy", "middleware-verified-first"])
def test_the_machine_token_check_and_rejections_are_drfs_own(
    stack: Any, counted: dict[str, int], tokens: TokenFactory, after: Any
) -> None:
    stack(*after)
    machine = tokens.access(username=DROP, **{"cognito:groups": DROP}, sub=CLIENT_ID)
    for token, code in ((machine, "machine_token_refused"), (expired(tokens), "expired")):
        response = Client().get("/whoami/", **bearer(token))
        assert (response.status_code, response.json()["code"]) == (401, code)
    # A rejection is never shared: DRF verifies again after a middleware that was refused.
    assert counted["verifies"] == (4 if after else 2)


def test_a_header_token_with_whitespace_is_malformed_when_first_used(
    stack: Any, tokens: TokenFactory
) -> None:
    # The middleware refuses it when request.user is read, as any other bad token, with the
    # parser's reason; DRF gives the same code.
    from django.test import RequestFactory

    request: Any = RequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {tokens.access()} extra")
    CognitoMiddleware(lambda request: None).process_request(request)
    assert request.cognito_error is None
    assert request.user.is_authenticated is False
    assert request.cognito_error.code == "malformed"
    assert "Authorization header" in str(request.cognito_error)
    response = Client().get("/whoami/", HTTP_AUTHORIZATION=f"Bearer {tokens.access()} extra")
    assert (response.status_code, response.json()["code"]) == (401, "malformed")


# --- subclasses that override steps run their steps ---------------------------------------------


def test_a_drf_subclass_overriding_a_step_has_it_called(stack: Any, tokens: TokenFactory) -> None:
    stack(read_user)
    client = Client()
    client.cookies[COOKIE] = tokens.access()
    assert client.get("/recording/", **bearer(tokens.access())).json()["username"] == "alice"
    assert client.get("/recording/").json()["username"] == "alice"
    assert CLAIMS_SEEN == ["header", "cookie"]


def test_a_middleware_subclass_overriding_a_step_shares_nothing(
    stack: Any, counted: dict[str, int], tokens: TokenFactory
) -> None:
    stack(read_user, ours=f"{__name__}.RecordingMiddleware")
    body = Client().get("/whoami/", **bearer(tokens.access())).json()
    assert body["username"] == "alice" and body["shared_user"] is False
    assert CLAIMS_SEEN == ["middleware header"]
    assert counted["drf parses"] == 1 and counted["verifies"] == 2


def test_only_the_default_steps_leave_a_shared_token(tokens: TokenFactory, fastcognito_config: Any) -> None:
    from django.test import RequestFactory

    for middleware, shared in ((CognitoMiddleware, True), (RecordingMiddleware, False)):
        request: Any = RequestFactory().get("/", **bearer(tokens.access()))
        middleware(lambda request: None).process_request(request)
        found = getattr(request, "_fastcognito_token", None)
        assert isinstance(found, SharedToken) is shared
        assert request.user.username == "alice" and isinstance(request.user._wrapped, CognitoUser)


def test_a_middleware_subclass_with_its_own_init_takes_the_step_path(
    tokens: TokenFactory, fastcognito_config: Any
) -> None:
    from django.test import RequestFactory

    class OwnInit(CognitoMiddleware):
        def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
            self.get_response = get_response
            self.async_mode = False

    request: Any = RequestFactory().get("/", **bearer(tokens.access()))
    OwnInit(lambda request: None).process_request(request)
    assert getattr(request, "_fastcognito_token", None) is None
    assert request.user.username == "alice" and request.cognito_error is None
