"""CognitoMiddleware and cognito_login_required on plain Django views, sync and async."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient, Client

from tests.support import OTHER_CLIENT_ID, TokenFactory

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


def test_the_lazy_user_is_built_as_simple_lazy_object_builds_it(tokens: TokenFactory) -> None:
    # The middleware builds its SimpleLazyObject, and the object behind it, without calling their
    # classes (for speed): the lazy object must hold the same attributes as one built by
    # Django's own __init__, on every supported Django, and every slot of the other must be set.
    import copy

    from django.http import HttpRequest
    from django.utils.functional import SimpleLazyObject, empty

    from fastcognito.django import CognitoMiddleware
    from fastcognito.django.steps import SharedToken

    request: Any = HttpRequest()
    request.META["HTTP_AUTHORIZATION"] = f"Bearer {tokens.access()}"
    CognitoMiddleware(lambda request: None).process_request(request)
    pending = request._fastcognito_token
    slots = [name for cls in type(pending).__mro__ for name in getattr(cls, "__slots__", ())]
    assert isinstance(pending, SharedToken) and len(slots) == 10
    assert all(hasattr(pending, name) for name in slots)
    assert pending.claims is None and pending.user is None and pending.lazy is request.user
    ours, djangos = request.user, SimpleLazyObject(pending)
    assert type(ours) is SimpleLazyObject
    assert object.__getattribute__(ours, "__dict__") == object.__getattribute__(djangos, "__dict__")
    assert ours._wrapped is empty
    assert copy.copy(ours)._wrapped is empty  # an unevaluated copy, as Django's __copy__ makes
    assert ours.username == "alice" and ours._wrapped is pending.user
    assert pending.claims["username"] == "alice" and request.cognito_error is None


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


# --- CSRF on plain views: header tokens are exempt, cookie tokens are checked -----------------

CSRF_SECRET = "A" * 32


def test_header_token_post_to_plain_view_needs_no_csrf(tokens: TokenFactory) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/plain/whoami/", {}, **bearer(tokens.access()))
    assert response.status_code == 200
    assert response.json()["username"] == "alice"
    assert client.post("/plain/protected/", {}, **bearer(tokens.access())).json() == {"username": "alice"}


def test_bad_header_token_post_gets_its_401_not_a_csrf_403(tokens: TokenFactory) -> None:
    client = Client(enforce_csrf_checks=True)
    response = client.post("/plain/protected/", {}, HTTP_AUTHORIZATION="Bearer")
    assert (response.status_code, response.json()["code"]) == (401, "malformed")
    response = client.post("/plain/protected/", {}, **bearer(expired(tokens)))
    assert (response.status_code, response.json()["code"]) == (401, "expired")


def test_cookie_token_post_to_plain_view_is_csrf_checked(tokens: TokenFactory, fastcognito_config: Any) -> None:
    fastcognito_config(COOKIE_NAME="accessToken")
    client = Client(enforce_csrf_checks=True)
    client.cookies["accessToken"] = tokens.access()
    response = client.post("/plain/protected/", {})
    assert response.status_code == 403
    assert b"CSRF" in response.content
    client.cookies["csrftoken"] = CSRF_SECRET
    assert client.post("/plain/protected/", {}, HTTP_X_CSRFTOKEN="B" * 32).status_code == 403
    response = client.post("/plain/protected/", {}, HTTP_X_CSRFTOKEN=CSRF_SECRET)
    assert response.status_code == 200
    assert response.json() == {"username": "alice"}
    # Safe methods need no CSRF token.
    fresh = Client(enforce_csrf_checks=True)
    fresh.cookies["accessToken"] = tokens.access()
    assert fresh.get("/plain/protected/").status_code == 200


@pytest.mark.django_db
def test_requests_without_our_header_stay_csrf_checked(fastcognito_config: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    # No credentials, and another scheme's header: CsrfViewMiddleware decides as without us.
    assert client.post("/plain/whoami/", {}).status_code == 403
    assert client.post("/plain/whoami/", {}, HTTP_AUTHORIZATION="Basic YWxpY2U6c2VjcmV0").status_code == 403
    assert client.post("/plain/whoami/", {}, HTTP_AUTHORIZATION="Bearer\tabc").status_code == 403


@pytest.mark.django_db
def test_session_user_post_stays_csrf_checked(tokens: TokenFactory) -> None:
    from django.contrib.auth.models import User

    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.create_user("site-admin", password="pw"))
    assert client.post("/plain/whoami/", {}).status_code == 403
    # With a header token the request is the token's user, never the session's.
    body = client.post("/plain/whoami/", {}, **bearer(tokens.access())).json()
    assert (body["class"], body["username"]) == ("CognitoUser", "alice")


def test_header_token_async_post_needs_no_csrf(tokens: TokenFactory) -> None:
    client = AsyncClient(enforce_csrf_checks=True)

    async def run() -> Any:
        return await client.post("/plain/async-protected/", {}, headers={"Authorization": f"Bearer {tokens.access()}"})

    response = async_to_sync(run)()
    assert (response.status_code, response.json()) == (200, {"username": "alice"})


# --- Django < 5.0: no request.auser() from AuthenticationMiddleware ----------------------------


def _request_as_django_42_leaves_it(**meta: str) -> Any:
    """A request after Django 4.2's AuthenticationMiddleware: a lazy ``user`` and no ``auser``."""
    from django.contrib.auth.models import AnonymousUser
    from django.http import HttpRequest
    from django.utils.functional import SimpleLazyObject

    request = HttpRequest()
    request.method = "GET"
    request.META.update(meta)
    request.user = SimpleLazyObject(AnonymousUser)  # type: ignore[assignment]
    assert not hasattr(request, "auser")
    return request


def test_async_login_required_without_auser_answers_401() -> None:
    from fastcognito.django import CognitoMiddleware, cognito_login_required

    @cognito_login_required
    async def view(request: Any) -> Any:
        raise AssertionError("the view must not run")

    middleware = CognitoMiddleware(view)
    response = async_to_sync(middleware)(_request_as_django_42_leaves_it())
    assert response.status_code == 401
    assert json.loads(response.content) == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }
    # Without the middleware at all, the decorator still answers 401.
    response = async_to_sync(view)(_request_as_django_42_leaves_it())
    assert response.status_code == 401


def test_middleware_gives_auser_where_django_does_not(tokens: TokenFactory) -> None:
    from fastcognito.django import CognitoMiddleware

    seen: list[Any] = []

    async def view(request: Any) -> Any:
        seen.append(await request.auser())
        return None

    async_to_sync(CognitoMiddleware(view))(_request_as_django_42_leaves_it())
    assert seen[0].is_authenticated is False
    async_to_sync(CognitoMiddleware(view))(_request_as_django_42_leaves_it(**bearer(tokens.access())))
    assert seen[1].username == "alice"


# --- one 401 shape for DRF and plain views ------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("settings", "challenge"),
    [
        ({}, 'Bearer realm="api"'),
        ({"AUTH_HEADER_TYPES": ("JWT", "Bearer"), "WWW_AUTHENTICATE_REALM": "shop"}, 'JWT realm="shop"'),
    ],
)
def test_no_credentials_get_the_same_401_from_drf_and_plain_views(
    client: Client, fastcognito_config: Any, settings: dict[str, Any], challenge: str
) -> None:
    fastcognito_config(**settings)
    drf = client.get("/drf/whoami/")
    plain = client.get("/plain/protected/")
    assert drf.status_code == plain.status_code == 401
    assert drf.json() == plain.json() == {
        "detail": "Authentication credentials were not provided.",
        "code": "not_authenticated",
    }
    assert drf["WWW-Authenticate"] == plain["WWW-Authenticate"] == challenge


@pytest.mark.parametrize("header", ["Bearer", "Bearer a.b.c", "Bearer x y"])
def test_rejected_tokens_get_the_same_401_from_drf_and_plain_views(client: Client, header: str) -> None:
    drf = client.get("/drf/whoami/", HTTP_AUTHORIZATION=header)
    plain = client.get("/plain/protected/", HTTP_AUTHORIZATION=header)
    assert drf.status_code == plain.status_code == 401
    assert drf.json() == plain.json() == {"detail": "The token is malformed.", "code": "malformed"}
    assert drf["WWW-Authenticate"] == plain["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'


class UnavailableUser:
    """A USER_CLASS whose own backing store cannot answer (a JWKSError, as the keys' or the
    denylist's outage is)."""

    def __init__(self, claims: Any) -> None:
        from fastcognito import JWKSError

        raise JWKSError("the user store cannot answer")


def test_a_user_class_that_cannot_answer_is_a_503_on_sync_and_async_views(
    fastcognito_config: Any, client: Client, async_client: AsyncClient, tokens: TokenFactory
) -> None:
    fastcognito_config(USER_CLASS=f"{__name__}.UnavailableUser")
    token = tokens.access()

    async def run() -> Any:
        return await AsyncClient(raise_request_exception=False).get(
            "/plain/async-protected/", headers={"Authorization": f"Bearer {token}"}
        )

    answers = [
        Client(raise_request_exception=False).get("/plain/protected/", **bearer(token)),
        async_to_sync(run)(),
    ]
    for answer in answers:
        assert answer.status_code == 503, answer.content
        assert answer.json()["code"] == "jwks_unavailable" and answer["Retry-After"]
        assert token.split(".")[2] not in answer.content.decode()
