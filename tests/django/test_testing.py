"""fastcognito.testing in a Django project: the fixtures, override_settings, a served JWKS and the
force_authenticate pattern, through the real DRF class and middleware."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import override_settings

from fastcognito.django import CognitoClient, CognitoUser, fastcognito_settings
from fastcognito.exceptions import MachineTokenRefusedError
from fastcognito.testing import OMIT, FakeUserPool
from tests.support.django.users import TenantUser
from tests.support.django.views import describe


def test_the_fixture_points_fastcognito_at_the_pool(fake_cognito_settings: FakeUserPool, api_client: Any) -> None:
    pool = fake_cognito_settings
    assert fastcognito_settings.USER_POOL_ID == pool.user_pool_id
    # The project's other settings stay: editors are staff in tests.support.django.settings.
    response = api_client.get("/drf/whoami/", HTTP_AUTHORIZATION=f"Bearer {pool.make_token(groups=['editors'])}")
    assert response.status_code == 200, response.content
    assert (response.json()["username"], response.json()["is_staff"]) == ("alice", True)
    response = api_client.get("/drf/whoami/", HTTP_AUTHORIZATION=f"Bearer {pool.expired_token()}")
    assert (response.status_code, response.json()["code"]) == (401, "expired")
    response = api_client.get("/drf/whoami/", HTTP_AUTHORIZATION=f"Bearer {pool.id_token()}")
    assert (response.status_code, response.json()["code"]) == (401, "invalid_token_use")


def test_plain_views_behind_the_middleware(fake_cognito_settings: FakeUserPool, client: Any) -> None:
    token = fake_cognito_settings.make_token(username="dora")
    assert client.get("/plain/protected/", HTTP_AUTHORIZATION=f"Bearer {token}").json() == {"username": "dora"}
    response = client.get("/plain/protected/", HTTP_AUTHORIZATION=f"Bearer {fake_cognito_settings.wrong_client_token()}")
    assert (response.status_code, response.json()["code"]) == (401, "invalid_client")


def test_override_settings_takes_keys_and_decorates(fake_user_pool: FakeUserPool, api_client: Any) -> None:
    @fake_user_pool.override_settings(TOKEN_USE="id")
    def call() -> Any:
        return api_client.get("/drf/whoami/", HTTP_AUTHORIZATION=f"Bearer {fake_user_pool.id_token()}")

    response = call()
    assert response.status_code == 200 and response.json()["token_use"] == "id"


def test_a_served_jwks_is_fetched_through_django(api_client: Any) -> None:
    pool = FakeUserPool("us-west-2_ServedPool", "servedclient0123")
    with pool.serve() as url, pool.override_settings():
        assert fastcognito_settings.JWKS_URL == url and fastcognito_settings.JWKS is None
        response = api_client.get("/drf/whoami/", HTTP_AUTHORIZATION=f"Bearer {pool.make_token()}")
        assert response.status_code == 200
        response = api_client.get("/drf/whoami/", HTTP_AUTHORIZATION=f"Bearer {pool.unknown_kid_token()}")
        assert (response.status_code, response.json()["code"]) == (401, "unknown_kid")
    assert pool.jwks_requests == 1  # the unknown kid fell in the refresh cooldown


def test_force_authenticate_with_a_cognito_user(fake_cognito_settings: FakeUserPool, api_client: Any) -> None:
    user = fake_cognito_settings.force_authenticate(api_client, groups=["admins"], username="erin")
    assert isinstance(user, CognitoUser) and user.is_superuser
    response = api_client.get("/drf/perm/group-admins/")
    assert response.json() == {"ok": True, "username": "erin"}
    # request.auth is the verified Claims, as with a real token.
    assert api_client.get("/drf/whoami/").json()["token_use"] == "access"


def test_the_pattern_by_hand(fake_cognito_settings: FakeUserPool, api_client: Any) -> None:
    claims = fake_cognito_settings.verified_claims(scopes=["api/write"])
    api_client.force_authenticate(user=CognitoUser(claims), token=claims)
    assert api_client.get("/drf/perm/scope-write/").status_code == 200
    assert fake_cognito_settings.user().username == "alice"


def machine(pool: FakeUserPool) -> dict[str, Any]:
    """The claims of a client-credentials token of ``pool``: ``sub`` is the client, no username."""
    return {"sub": pool.client_id, "username": OMIT, "scopes": ["api/write"]}


@pytest.mark.parametrize("user_class", [None, "tests.support.django.users.TenantUser"])
@pytest.mark.parametrize("who", ["person", "machine"])
def test_the_user_is_the_one_a_real_request_gets(
    fake_user_pool: FakeUserPool, api_client: Any, client: Any, who: str, user_class: str | None
) -> None:
    """``user()`` builds ``request.user`` as the DRF class and the middleware do, whatever
    ``USER_CLASS`` says: a ``CognitoClient`` for a machine token, never a ``USER_CLASS``."""
    claims = machine(fake_user_pool) if who == "machine" else {"groups": ["editors"]}
    options = {"MACHINE_CLIENTS": [fake_user_pool.client_id]}
    if user_class is not None:
        options["USER_CLASS"] = user_class
    with fake_user_pool.override_settings(**options):
        user = fake_user_pool.user(**claims)
        header = f"Bearer {fake_user_pool.make_token(**claims)}"
        through_drf = api_client.get("/drf/whoami/", HTTP_AUTHORIZATION=header).json()
        through_middleware = client.get("/plain/whoami/", HTTP_AUTHORIZATION=header).json()
    expected = CognitoClient if who == "machine" else TenantUser if user_class else CognitoUser
    assert type(user) is expected
    assert {**describe(user), "token_use": "access"} == through_drf
    assert {**describe(user), "error": None} == through_middleware


def test_force_authenticate_with_a_machine_token(fake_user_pool: FakeUserPool, api_client: Any) -> None:
    with fake_user_pool.override_settings(MACHINE_CLIENTS=[fake_user_pool.client_id]):
        user = fake_user_pool.force_authenticate(api_client, **machine(fake_user_pool))
        assert isinstance(user, CognitoClient) and user.client_id == fake_user_pool.client_id
        assert api_client.get("/drf/perm/scope-write/").status_code == 200
        # A machine is in no group, whatever USER_CLASS would have made of its claims.
        assert api_client.get("/drf/perm/group-any/").status_code == 403


@pytest.mark.parametrize("allowed", [(), ["anotherclient0000000000000"]])
def test_a_machine_token_the_settings_refuse_is_refused_here_too(
    fake_user_pool: FakeUserPool, api_client: Any, allowed: Any
) -> None:
    """Where a request with the token gets a 401 ``machine_token_refused``, ``user()`` and
    ``force_authenticate`` raise ``MachineTokenRefusedError``: a test never runs a view as a
    machine that the project's settings would have turned away."""
    with fake_user_pool.override_settings(MACHINE_CLIENTS=allowed):
        header = f"Bearer {fake_user_pool.make_token(**machine(fake_user_pool))}"
        response = api_client.get("/drf/whoami/", HTTP_AUTHORIZATION=header)
        assert (response.status_code, response.json()["code"]) == (401, "machine_token_refused")
        with pytest.raises(MachineTokenRefusedError):
            fake_user_pool.user(**machine(fake_user_pool))
        with pytest.raises(MachineTokenRefusedError):
            fake_user_pool.force_authenticate(api_client, **machine(fake_user_pool))
        assert api_client.get("/drf/whoami/").status_code == 401  # nothing was forced
        # A person's token is no machine's: MACHINE_CLIENTS leaves it alone.
        assert type(fake_user_pool.user()) is CognitoUser


def test_outside_the_fixture_the_project_settings_come_back(fake_user_pool: FakeUserPool) -> None:
    with fake_user_pool.override_settings():
        assert fastcognito_settings.CLIENT_ID == fake_user_pool.client_id
    assert fastcognito_settings.CLIENT_ID != fake_user_pool.client_id


@pytest.mark.usefixtures("fake_cognito_settings")
def test_the_settings_pass_the_checks() -> None:
    from django.core import checks

    assert checks.run_checks(tags=["fastcognito"]) == []
    with override_settings(SILENCED_SYSTEM_CHECKS=[]):
        from django.apps import apps

        apps.get_app_config("fastcognito").validate_settings()
