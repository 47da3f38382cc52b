"""One step chain: the inline path of the default classes and the overridable steps give the same
answers.

``CognitoAuthentication`` and ``CognitoMiddleware`` run their steps inline when no step is
overridden (``fastcognito.django.steps``). Here every request of the hostile corpus of
``tests.support.hostile_requests``, plus the ordinary cases (a valid, an expired, a foreign and a
machine token, a cookie token with and without CSRF, keys that cannot be fetched), goes through
the default class and through a subclass that overrides every step with ``super()``, cold and
then from the cache, on both twins. Status, body (with ``request.user``'s identity fields),
headers and the cookies set must be the same.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.http import HttpRequest, JsonResponse
from django.test import AsyncClient, Client, override_settings
from django.urls import path
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fastcognito.claims import Claims
from fastcognito.django import CognitoMiddleware, cognito_login_required, fastcognito_settings
from fastcognito.django.steps import STEPS
from fastcognito.django.tokens import RawToken
from fastcognito.drf import CognitoAuthentication
from fastcognito.verifier import CognitoVerifier
from tests.support import CLIENT_ID, DROP, OTHER_ISSUER, TokenFactory, Twin
from tests.support.django.views import describe
from tests.support.hostile_requests import HOSTILE_COOKIES, HOSTILE_HEADERS, T, as_sent

COOKIE = "accessToken"


class EveryStep:
    """Overrides every step with a call to ``super()``: a subclass that takes the overridable path
    and must answer as the inline one does."""

    def get_header(self, request: Any) -> str | None:
        return super().get_header(request)  # type: ignore[misc]

    def get_raw_token(self, request: Any) -> RawToken | None:
        return super().get_raw_token(request)  # type: ignore[misc]

    def get_verifier(self) -> CognitoVerifier:
        return super().get_verifier()  # type: ignore[misc]

    def get_claims(self, raw_token: RawToken) -> Claims:
        return super().get_claims(raw_token)  # type: ignore[misc]

    def get_user(self, claims: Claims) -> Any:
        return super().get_user(claims)  # type: ignore[misc]

    def attach_attributes(self, user: Any, request: Any) -> None:
        super().attach_attributes(user, request)  # type: ignore[misc]


class EveryStepAuthentication(EveryStep, CognitoAuthentication):
    pass


class EveryStepMiddleware(EveryStep, CognitoMiddleware):
    pass


class Protected(APIView):
    authentication_classes = [CognitoAuthentication]

    def get(self, request: Request) -> Response:
        return Response({**describe(request.user), "token_use": request.auth.token_use})

    def post(self, request: Request) -> Response:
        return Response(describe(request.user), status=201)


class Public(Protected):
    permission_classes = [AllowAny]

    def get(self, request: Request) -> Response:
        return Response(describe(request.user))


def plain(request: HttpRequest) -> JsonResponse:
    described = describe(request.user)
    error = getattr(request, "cognito_error", None)
    return JsonResponse({**described, "error": error.code if error is not None else None})


@cognito_login_required
def protected(request: HttpRequest) -> JsonResponse:
    return JsonResponse(describe(request.user))


@cognito_login_required
async def aprotected(request: HttpRequest) -> JsonResponse:
    return JsonResponse(describe(await request.auser()))  # type: ignore[attr-defined]


def drf_urls(authentication: type[CognitoAuthentication]) -> list[Any]:
    return [
        path("drf/protected/", Protected.as_view(authentication_classes=[authentication])),
        path("drf/public/", Public.as_view(authentication_classes=[authentication])),
    ]


urlpatterns = [
    *drf_urls(CognitoAuthentication),
    path("plain/", plain),
    path("plain/protected/", protected),
    path("plain/async-protected/", aprotected),
]


class EveryStepUrls:
    urlpatterns = [*drf_urls(EveryStepAuthentication), *urlpatterns[2:]]


sys.modules[f"{__name__}.every_step"] = EveryStepUrls  # type: ignore[assignment]


def test_the_subclasses_take_the_step_path_and_the_defaults_the_inline_one() -> None:
    assert CognitoAuthentication.uses_default_steps() and CognitoMiddleware.uses_default_steps()
    assert not EveryStepAuthentication.uses_default_steps() and not EveryStepMiddleware.uses_default_steps()
    for cls in (EveryStepAuthentication, EveryStepMiddleware):
        assert all(getattr(cls, step) is vars(EveryStep)[step] for step in STEPS)

    class NoOverride(CognitoAuthentication):
        pass

    assert NoOverride.uses_default_steps()


def middleware_with(middleware: str) -> list[str]:
    from django.conf import settings

    ours = "fastcognito.django.CognitoMiddleware"
    return [middleware if name == ours else name for name in settings.MIDDLEWARE]


@pytest.fixture
def parity(twin: Twin, fastcognito_config: Any) -> Iterator[Any]:
    """Runs a request everywhere through the default classes and through the step subclasses,
    each twice (cold, then from the verifier's cache), and compares the answers."""
    fastcognito_config(COOKIE_NAME=COOKIE)

    def use_twin() -> None:
        fastcognito_settings.reload()
        fastcognito_settings._verifier = twin.verifier(
            fastcognito_settings.USER_POOL_ID, **fastcognito_settings.verifier_options()
        )

    def answers(**request: Any) -> list[tuple[Any, ...]]:
        use_twin()
        seen = []
        for _ in range(2):
            for response in send_everywhere(**request):
                seen.append(summary(response))
        return seen

    def run(**request: Any) -> list[tuple[Any, ...]]:
        with override_settings(ROOT_URLCONF=__name__):
            default = answers(**request)
        steps_urls = f"{__name__}.every_step"
        steps_middleware = middleware_with(f"{__name__}.EveryStepMiddleware")
        with override_settings(ROOT_URLCONF=steps_urls, MIDDLEWARE=steps_middleware):
            every_step = answers(**request)
        assert every_step == default
        return default

    yield run
    fastcognito_settings.reload()


def summary(response: Any) -> tuple[Any, ...]:
    headers = {name: value for name, value in response.items() if name.lower() != "set-cookie"}
    cookies = sorted((morsel.key, morsel["path"], morsel["max-age"]) for morsel in response.cookies.values())
    return response.status_code, response.content, sorted(headers.items()), cookies


def send_everywhere(
    *, authorization: str | None = None, cookie: str | None = None, csrf: bool = False
) -> list[Any]:
    headers = {}
    if authorization is not None:
        headers["Authorization"] = authorization
    if cookie is not None:
        headers["Cookie"] = cookie
    extra = {f"HTTP_{name.upper()}": value for name, value in headers.items()}
    client = Client(enforce_csrf_checks=csrf)
    responses = [
        client.get("/drf/protected/", **extra),
        client.get("/drf/public/", **extra),
        client.post("/drf/protected/", {}, **extra),
        client.get("/plain/", **extra),
        client.get("/plain/protected/", **extra),
        client.post("/plain/protected/", {}, **extra),
    ]

    async def send_async() -> Any:
        # An ASGI request takes its headers from headers=, not from HTTP_* keywords.
        return await AsyncClient().get("/plain/async-protected/", headers=headers)

    responses.append(async_to_sync(send_async)())
    return responses


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(HOSTILE_HEADERS))
def test_hostile_authorization_headers(parity: Any, tokens: TokenFactory, name: str) -> None:
    parity(authorization=as_sent(HOSTILE_HEADERS[name].replace(T, tokens.access())))


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(HOSTILE_COOKIES))
def test_hostile_cookies(parity: Any, tokens: TokenFactory, name: str) -> None:
    parity(cookie=as_sent(HOSTILE_COOKIES[name].replace(T, tokens.access())))


def ordinary_tokens(tokens: TokenFactory) -> dict[str, str]:
    now = int(time.time())
    return {
        "valid": tokens.access(),
        "valid, staff": tokens.access(**{"cognito:groups": ["editors"]}),
        "expired": tokens.access(iat=now - 7200, exp=now - 3600),
        "foreign issuer": tokens.access(iss=OTHER_ISSUER),
        "id token": tokens.id(),
        "machine": tokens.access(username=DROP, **{"cognito:groups": DROP}, sub=CLIENT_ID),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    "name", ["valid", "valid, staff", "expired", "foreign issuer", "id token", "machine"]
)
def test_ordinary_tokens_in_the_header_and_in_the_cookie(
    parity: Any, tokens: TokenFactory, name: str
) -> None:
    token = ordinary_tokens(tokens)[name]
    header = parity(authorization=f"Bearer {token}")
    parity(cookie=f"{COOKIE}={token}")
    parity(cookie=f"{COOKIE}={token}", csrf=True)  # a cookie token needs a CSRF token on POST
    parity()  # no credentials at all
    if name.startswith("valid"):
        assert header[0][0] == 200
    else:
        assert header[0][0] == 401


@pytest.mark.django_db
def test_keys_that_cannot_be_fetched(
    parity: Any, fastcognito_config: Any, closed_port_url: str, tokens: TokenFactory
) -> None:
    fastcognito_config(COOKIE_NAME=COOKIE, JWKS_URL=closed_port_url)
    answers = parity(authorization=f"Bearer {tokens.access()}")
    assert answers[0][0] == 503
