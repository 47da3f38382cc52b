"""Machine-to-machine tokens (issue 12, item 1) with genuine client_credentials tokens from
ministack: they verify like any access token, ``request.user`` is a ``CognitoClient``, HasScope
works on it, HasGroup refuses it, and FASTCOGNITO["MACHINE_CLIENTS"] allows or refuses each client."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from asgiref.sync import async_to_sync
from django.core import checks
from django.http import HttpRequest, JsonResponse
from django.test import AsyncClient, Client, override_settings
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fastcognito import CognitoVerifier, ConfigurationError, MachineTokenRefusedError, TokenError
from fastcognito.django import CognitoClient, CognitoUser
from fastcognito.django.client import is_machine_token
from fastcognito.django.conf import fastcognito_settings
from fastcognito.drf import HasGroup, HasScope
from tests.support.ministack_server import Ministack, cognito_api

pytestmark = pytest.mark.slow


class Who(APIView):
    def get(self, request: Request) -> Response:
        user = request.user
        return Response(
            {
                "class": user.__class__.__name__,
                "client_id": getattr(user, "client_id", None),
                "is_machine": user.is_machine,
                "scopes": sorted(user.scopes),
                "groups": list(user.groups),
                "staff": user.is_staff,
                "superuser": user.is_superuser,
                "perm": user.has_perm("app.anything"),
                "str": str(user),
            }
        )


def plain(request: HttpRequest) -> JsonResponse:
    user = request.user
    described = {"class": user.__class__.__name__, "authenticated": user.is_authenticated}
    # Read after the user: the lazy user records why it is anonymous when it is evaluated.
    return JsonResponse({**described, "error": getattr(request.cognito_error, "code", None)})


async def aplain(request: HttpRequest) -> JsonResponse:
    user = await request.auser()  # type: ignore[attr-defined]
    described = {"class": user.__class__.__name__, "authenticated": user.is_authenticated}
    return JsonResponse({**described, "error": getattr(request.cognito_error, "code", None)})


urlpatterns = [
    path("aplain/", aplain),
    path("who/", Who.as_view()),
    path("scope/", Who.as_view(permission_classes=[HasScope("orders/read")])),
    path("other-scope/", Who.as_view(permission_classes=[HasScope("orders/write")])),
    path("group/", Who.as_view(permission_classes=[HasGroup("admins")])),
    path("plain/", plain),
]


@dataclasses.dataclass(frozen=True)
class MachinePool:
    url: str
    pool_id: str
    client_id: str
    other_client_id: str
    token: str
    other_token: str


def _token(url: str, client: dict[str, Any]) -> str:
    answer = requests.post(
        f"{url}/oauth2/token",
        data={"grant_type": "client_credentials", "scope": "orders/read"},
        auth=(client["ClientId"], client["ClientSecret"]),
        timeout=5,
    )
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


@pytest.fixture(scope="module")
def machines(ministack: Ministack) -> MachinePool:
    api = cognito_api(ministack.url)
    pool_id = api.create_user_pool(PoolName="fastcognito-m2m")["UserPool"]["Id"]
    api.create_resource_server(
        UserPoolId=pool_id,
        Identifier="orders",
        Name="orders",
        Scopes=[{"ScopeName": "read", "ScopeDescription": "read"}, {"ScopeName": "write", "ScopeDescription": "write"}],
    )
    clients = [
        api.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName=name,
            GenerateSecret=True,
            AllowedOAuthFlows=["client_credentials"],
            AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthScopes=["orders/read"],
        )["UserPoolClient"]
        for name in ("batch", "other-batch")
    ]
    return MachinePool(
        ministack.url,
        pool_id,
        clients[0]["ClientId"],
        clients[1]["ClientId"],
        _token(ministack.url, clients[0]),
        _token(ministack.url, clients[1]),
    )


@pytest.fixture
def configure(machines: MachinePool) -> Iterator[Any]:
    active: list[Any] = []

    def apply(**overrides: Any) -> None:
        value = {
            "USER_POOL_ID": machines.pool_id,
            "CLIENT_ID": [machines.client_id, machines.other_client_id],
            "JWKS_URL": f"{machines.url}/{machines.pool_id}/.well-known/jwks.json",
            **overrides,
        }
        override = override_settings(FASTCOGNITO=value, ROOT_URLCONF=sys.modules[__name__])
        override.enable()
        active.append(override)

    yield apply
    for override in reversed(active):
        override.disable()


def get(url: str, token: str) -> Any:
    if url.startswith("/aplain/"):
        # The middleware's async path (averify, then get_user on the loop).
        async def run() -> Any:
            return await AsyncClient().get(url, headers={"Authorization": f"Bearer {token}"})

        return async_to_sync(run)()
    return Client().get(url, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_genuine_machine_token_verifies_like_any_access_token(machines: MachinePool) -> None:
    verifier = CognitoVerifier(
        machines.pool_id,
        client_id=machines.client_id,
        token_use="access",
        jwks_url=f"{machines.url}/{machines.pool_id}/.well-known/jwks.json",
        scopes="orders/read",
    )
    claims = verifier.verify(machines.token)
    assert claims.sub == claims.client_id == machines.client_id
    assert claims.username is None and claims.groups == () and claims.scopes == frozenset({"orders/read"})
    assert is_machine_token(claims)
    assert not is_machine_token({**claims.to_dict(), "username": "alice"})
    assert not is_machine_token({**claims.to_dict(), "sub": "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"})


def test_allowed_client_is_a_cognito_client(configure: Any, machines: MachinePool) -> None:
    configure(MACHINE_CLIENTS=[machines.client_id])
    answer = get("/who/", machines.token)
    assert answer.status_code == 200, answer.content
    assert answer.json() == {
        "class": "CognitoClient",
        "client_id": machines.client_id,
        "is_machine": True,
        "scopes": ["orders/read"],
        "groups": [],
        "staff": False,
        "superuser": False,
        "perm": False,
        "str": f"client:{machines.client_id}",
    }
    assert get("/scope/", machines.token).status_code == 200
    assert get("/other-scope/", machines.token).status_code == 403
    refused = get("/group/", machines.token)
    assert refused.status_code == 403
    assert refused.json()["detail"] == str(HasGroup.message)
    for url in ("/plain/", "/aplain/"):
        plain = get(url, machines.token).json()
        assert plain == {"class": "CognitoClient", "authenticated": True, "error": None}, url


def test_machine_tokens_are_refused_by_default_and_per_client(configure: Any, machines: MachinePool) -> None:
    configure()  # MACHINE_CLIENTS defaults to (): no machine token
    for token in (machines.token, machines.other_token):
        answer = get("/who/", token)
        assert answer.status_code == 401
        assert answer.json()["code"] == "machine_token_refused"
        for url in ("/plain/", "/aplain/"):
            assert get(url, token).json() == {
                "class": "AnonymousUser", "authenticated": False, "error": "machine_token_refused"
            }, url
    with pytest.raises(TokenError) as info:
        fastcognito_settings.verifier.verify(machines.token)
    assert type(info.value) is MachineTokenRefusedError
    configure(MACHINE_CLIENTS=[machines.client_id])
    assert get("/who/", machines.token).status_code == 200
    assert get("/who/", machines.other_token).json()["code"] == "machine_token_refused"
    configure(MACHINE_CLIENTS="*")
    assert get("/who/", machines.other_token).json()["class"] == "CognitoClient"


def test_users_stay_cognito_users(tokens: Any) -> None:
    from fastcognito import Claims
    from fastcognito.django.client import principal_for
    from tests.support import access_claims

    user = principal_for(Claims(access_claims()), CognitoUser)
    assert type(user) is CognitoUser and user.is_machine is False
    client = CognitoClient(Claims(access_claims(username=None, sub="c1", client_id="c1")))
    assert client == CognitoClient(Claims(access_claims(username=None, sub="c1", client_id="c1")))
    assert client.pk == client.id == "c1" and client.get_username() == "" and not client.has_perms(["a.b"])
    with pytest.raises(NotImplementedError):
        client.save()


@pytest.mark.parametrize("value", [None, 5, [""], [3], {"a": 1}])
def test_bad_machine_clients_is_e143(value: Any) -> None:
    from tests.support import CLIENT_ID, POOL_ID

    with override_settings(FASTCOGNITO={"USER_POOL_ID": POOL_ID, "CLIENT_ID": CLIENT_ID, "MACHINE_CLIENTS": value}):
        assert [m.id for m in checks.run_checks(tags=["fastcognito"])] == ["fastcognito.E143"]
        with pytest.raises(ConfigurationError, match="MACHINE_CLIENTS"):
            fastcognito_settings.build_verifier()
    with override_settings(FASTCOGNITO={"USER_POOL_ID": POOL_ID, "CLIENT_ID": CLIENT_ID, "MACHINE_CLIENTS": "*"}):
        assert checks.run_checks(tags=["fastcognito"]) == []


# --- the refusal's cost: local keys, both twins -------------------------------------------------


@pytest.fixture
def twin_verifier(twin: Any, fastcognito_config: Any) -> Iterator[Any]:
    """FASTCOGNITO with ``overrides`` applied, served by the twin under test."""

    def apply(**overrides: Any) -> Any:
        fastcognito_config(**overrides)
        fastcognito_settings.reload()
        fastcognito_settings._verifier = twin.verifier(
            fastcognito_settings.USER_POOL_ID, **fastcognito_settings.verifier_options()
        )
        return fastcognito_settings._verifier

    yield apply
    fastcognito_settings.reload()


def local_machine_token(tokens: Any, client_id: str) -> str:
    from tests.support import DROP

    # What Cognito's client_credentials grant issues: no username, no groups, sub = client_id.
    claims = {"username": DROP, "cognito:groups": DROP, "sub": client_id, "client_id": client_id}
    return str(tokens.access(**claims))


def everywhere(token: str) -> list[Any]:
    """The DRF class and the middleware (sync and async), each asked twice: cold, then again."""
    header = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    async def protected_async() -> Any:
        # An ASGI request takes its headers from headers=, not from HTTP_* keywords.
        authorization = {"Authorization": f"Bearer {token}"}
        return await AsyncClient().get("/plain/async-protected/", headers=authorization)

    answers = []
    for _ in range(2):
        answers += [
            Client().get("/drf/whoami/", **header),
            Client().get("/plain/protected/", **header),
            async_to_sync(protected_async)(),
        ]
    return answers


@pytest.mark.django_db
def test_machine_tokens_are_refused_without_a_per_request_check(
    twin_verifier: Any, tokens: Any
) -> None:
    from tests.support import CLIENT_ID

    verifier = twin_verifier()  # MACHINE_CLIENTS: () by default
    # No per-use hook: a cache hit of any token calls nothing outside the core.
    assert fastcognito_settings.verifier_options().get("custom_check") is None
    machine = local_machine_token(tokens, CLIENT_ID)
    for answer in everywhere(machine):
        where = (answer.request.get("PATH_INFO", answer.request.get("path")), answer.content)
        assert answer.status_code == 401, where
        assert answer.json()["code"] == "machine_token_refused", where
        assert answer["WWW-Authenticate"] == 'Bearer realm="api", error="invalid_token"'
    assert verifier.cache_info().size == 0  # a refusal is never cached: asked again each time
    user = tokens.access()
    for answer in everywhere(user):
        assert answer.status_code == 200, answer.content
    assert verifier.cache_info().hits >= 5


@pytest.mark.django_db
def test_machine_clients_allow_theirs_and_refuse_others_on_every_use(
    twin_verifier: Any, tokens: Any
) -> None:
    from tests.support import CLIENT_ID, OTHER_CLIENT_ID

    verifier = twin_verifier(CLIENT_ID=[CLIENT_ID, OTHER_CLIENT_ID], MACHINE_CLIENTS=[OTHER_CLIENT_ID])
    for answer in everywhere(local_machine_token(tokens, CLIENT_ID)):
        assert (answer.status_code, answer.json()["code"]) == (401, "machine_token_refused")
    allowed = local_machine_token(tokens, OTHER_CLIENT_ID)
    answers = everywhere(allowed)
    assert [answer.status_code for answer in answers] == [200] * 6
    assert answers[0].json()["class"] == answers[3].json()["class"] == "CognitoClient"
    assert verifier.cache_info().size == 1 and verifier.cache_info().hits == 5


def test_a_cache_hit_calls_nothing_of_the_django_layer(twin_verifier: Any, tokens: Any) -> None:
    import os

    import fastcognito.django

    verifier = twin_verifier()
    token = tokens.access()
    verifier.verify(token)
    django_layer = os.path.dirname(fastcognito.django.__file__)
    called: list[str] = []

    def profile(frame: Any, event: str, arg: Any) -> None:
        if event == "call" and frame.f_code.co_filename.startswith(django_layer):
            called.append(frame.f_code.co_name)

    sys.setprofile(profile)
    try:
        verifier.verify(token)
    finally:
        sys.setprofile(None)
    assert verifier.cache_info().hits == 1
    assert called == []
