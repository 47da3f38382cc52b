"""CognitoMiddleware and cognito_login_required on plain Django views, sync and async."""

from __future__ import annotations

import time
from typing import Any

import pytest
from conftest import OTHER_CLIENT_ID, TokenFactory
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

pytestmark = pytest.mark.usefixtures("fastcognito_config")

ALICE_SUB = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"


def bearer(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


@pytest.fixture
def client() -> Client:
    return Client()


@pytest.fixture
def async_client() -> AsyncClient:
    return AsyncClient()


def expired(tokens: TokenFactory) -> str:
    now = int(time.time())
    return tokens.access(iat=now - 7200, exp=now - 3600)


# --- sync ------------------------------------------------------------------------------------


def test_sync_view_gets_cognito_user(client: Client, tokens: TokenFactory) -> None:
    body = client.get("/plain/whoami/", **bearer(tokens.access())).json()
    assert (body["class"], body["username"], body["pk"], body["error"]) == ("CognitoUser", "alice", ALICE_SUB, None)


@pytest.mark.django_db
def test_sync_view_without_token_is_anonymous(client: Client) -> None:
    body = client.get("/plain/whoami/").json()
    assert body == {"authenticated": False, "class": "AnonymousUser", "error": None}


def test_invalid_token_leaves_view_anonymous_with_the_error(client: Client, tokens: TokenFactory) -> None:
    body = client.get("/plain/whoami/", **bearer(expired(tokens))).json()
    assert body == {"authenticated": False, "class": "AnonymousUser", "error": "expired"}
    body = client.get("/plain/whoami/", HTTP_AUTHORIZATION="Bearer").json()
    assert body["error"] == "malformed"


def test_cookie_source(client: Client, tokens: TokenFactory, fastcognito_config: Any) -> None:
    fastcognito_config(COOKIE_NAME="id_token", TOKEN_USE="id")
    client.cookies["id_token"] = tokens.id()
    body = client.get("/plain/whoami/").json()
    assert (body["username"], body["email"]) == ("alice", "alice@example.com")


def test_plain_view_unsafe_cookie_request_is_checked_by_csrf_middleware(
    tokens: TokenFactory, fastcognito_config: Any
) -> None:
    fastcognito_config(COOKIE_NAME="accessToken")
    client = Client(enforce_csrf_checks=True)
    client.cookies["accessToken"] = tokens.access()
    assert client.post("/plain/whoami/").status_code == 403


@pytest.mark.django_db
def test_session_login_is_kept_without_a_token(client: Client, tokens: TokenFactory) -> None:
    from django.contrib.auth.models import User

    admin = User.objects.create_user("site-admin", password="pw")
    client.force_login(admin)
    body = client.get("/plain/whoami/").json()
    assert (body["class"], body["username"]) == ("User", "site-admin")
    # A token takes precedence over the session.
    body = client.get("/plain/whoami/", **bearer(tokens.access())).json()
    assert (body["class"], body["username"]) == ("CognitoUser", "alice")
    # A bad token does not fall back to the session.
    body = client.get("/plain/whoami/", **bearer(expired(tokens))).json()
    assert (body["class"], body["error"]) == ("AnonymousUser", "expired")


def test_login_required_decorator(client: Client, tokens: TokenFactory) -> None:
    assert client.get("/plain/protected/", **bearer(tokens.access())).json() == {"username": "alice"}

    response = client.get("/plain/protected/", **bearer(tokens.access(client_id=OTHER_CLIENT_ID)))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
    assert response.json() == {"detail": "The token was issued to another client.", "code": "invalid_client"}


@pytest.mark.django_db
def test_login_required_without_token(client: Client) -> None:
    response = client.get("/plain/protected/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert response.json() == {"detail": "Authentication credentials were not provided.", "code": "not_authenticated"}


def test_login_required_when_jwks_is_down(
    client: Client, tokens: TokenFactory, fastcognito_config: Any, closed_port_url: str
) -> None:
    fastcognito_config(JWKS_URL=closed_port_url)
    response = client.get("/plain/protected/", **bearer(tokens.access()))
    assert response.status_code == 503
    assert response.json()["code"] == "jwks_unavailable"
    assert response["Retry-After"] == "10"


def test_verification_is_lazy(client: Client, tokens: TokenFactory, httpserver: Any) -> None:
    # Nothing is verified (and no key fetched) until something reads request.user.
    from django.http import HttpRequest

    from fastcognito.django import CognitoMiddleware

    seen: list[Any] = []
    middleware = CognitoMiddleware(lambda request: seen.append(request) or "response")
    request = HttpRequest()
    request.META["HTTP_AUTHORIZATION"] = f"Bearer {tokens.access()}"
    assert middleware(request) == "response"
    assert len(httpserver.log) == 0
    assert seen[0].user.username == "alice"
    assert len(httpserver.log) == 1


# --- async (run on an event loop by asgiref, as Django's own async tests do) ------------------


def test_async_view_gets_cognito_user(async_client: AsyncClient, tokens: TokenFactory) -> None:
    async def run() -> Any:
        return await async_client.get("/plain/async-whoami/", headers={"Authorization": f"Bearer {tokens.access()}"})

    body = async_to_sync(run)().json()
    assert (body["class"], body["username"], body["error"]) == ("CognitoUser", "alice", None)


def test_async_view_with_invalid_token(async_client: AsyncClient, tokens: TokenFactory) -> None:
    async def run() -> Any:
        return await async_client.get("/plain/async-whoami/", headers={"Authorization": f"Bearer {expired(tokens)}"})

    assert async_to_sync(run)().json() == {"authenticated": False, "class": "AnonymousUser", "error": "expired"}


@pytest.mark.django_db
def test_async_view_without_token_keeps_the_session_user(async_client: AsyncClient) -> None:
    async def run() -> Any:
        return await async_client.get("/plain/async-whoami/")

    assert async_to_sync(run)().json() == {"authenticated": False, "class": "AnonymousUser", "error": None}


def test_async_login_required(async_client: AsyncClient, tokens: TokenFactory) -> None:
    async def run(authorization: str) -> Any:
        return await async_client.get("/plain/async-protected/", headers={"Authorization": authorization})

    assert async_to_sync(run)(f"Bearer {tokens.access()}").json() == {"username": "alice"}
    response = async_to_sync(run)("Bearer a b")
    assert response.status_code == 401
    assert response.json() == {"detail": "The token is malformed.", "code": "malformed"}


def test_middleware_is_sync_and_async_capable() -> None:
    from asgiref.sync import iscoroutinefunction

    from fastcognito.django import CognitoMiddleware

    async def async_get_response(request: Any) -> Any:
        return None

    assert CognitoMiddleware.sync_capable and CognitoMiddleware.async_capable
    assert iscoroutinefunction(CognitoMiddleware(async_get_response))
    assert not iscoroutinefunction(CognitoMiddleware(lambda request: None))


def test_middleware_hook_and_steps(tokens: TokenFactory) -> None:
    from django.http import HttpRequest

    from fastcognito.django import CognitoMiddleware

    class Tagging(CognitoMiddleware):
        def attach_attributes(self, user: Any, request: Any) -> None:
            user.tag = request.META["HTTP_X_TAG"]

    request = HttpRequest()
    request.META.update({"HTTP_AUTHORIZATION": f"Bearer {tokens.access()}", "HTTP_X_TAG": "blue"})
    Tagging(lambda request: None)(request)
    assert request.user.tag == "blue"
