"""HasGroup and HasScope, alone and composed with DRF's &, | and ~, through real requests."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.permissions import BasePermission, IsAuthenticated, OperandHolder

from fastcognito.drf import HasGroup, HasScope
from tests.support import TokenFactory

pytestmark = pytest.mark.usefixtures("fastcognito_config")


def get(client: Any, name: str, token: str | None) -> Any:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return client.get(f"/drf/perm/{name}/", **headers)


# alice: groups admins and editors; scopes "aws.cognito.signin.user.admin openid profile".
@pytest.mark.parametrize(
    ("name", "alice_status"),
    [
        ("group-admins", 200),
        ("group-any", 200),
        ("group-none", 403),
        ("scope-openid", 200),
        ("scope-write", 403),
        ("and", 200),
        ("and-fails", 403),
        ("or", 200),
        ("or-fails", 403),
        ("not", 403),
        ("nested", 200),
        ("two-classes", 200),
    ],
)
def test_permission_for_alice(api_client: Any, tokens: TokenFactory, name: str, alice_status: int) -> None:
    response = get(api_client, name, tokens.access())
    assert response.status_code == alice_status, response.content
    if alice_status == 200:
        assert response.json() == {"ok": True, "username": "alice"}


def test_group_denial_message_and_code(api_client: Any, tokens: TokenFactory) -> None:
    response = get(api_client, "group-none", tokens.access())
    assert response.json() == {"detail": "You are in none of the groups this action requires."}
    response = get(api_client, "scope-write", tokens.access())
    assert response.json() == {"detail": "The token has none of the scopes this action requires."}


def test_negation_allows_users_outside_the_group(api_client: Any, tokens: TokenFactory) -> None:
    bob = tokens.access(username="bob", **{"cognito:groups": []})
    assert get(api_client, "not", bob).status_code == 200
    assert get(api_client, "group-admins", bob).status_code == 403


def test_nested_composition_with_scope_only(api_client: Any, tokens: TokenFactory) -> None:
    writer = tokens.access(scope="api/write", **{"cognito:groups": []})
    assert get(api_client, "nested", writer).status_code == 200
    assert get(api_client, "and-fails", writer).status_code == 403


def test_anonymous_is_401_not_403(api_client: Any) -> None:
    for name in ("group-admins", "scope-openid", "or"):
        response = get(api_client, name, None)
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_id_tokens_carry_no_scopes(api_client: Any, tokens: TokenFactory, fastcognito_config: Any) -> None:
    fastcognito_config(TOKEN_USE="id")
    assert get(api_client, "scope-openid", tokens.id()).status_code == 403
    assert get(api_client, "group-admins", tokens.id()).status_code == 200


def test_moto_groups(api_client: Any, moto_config: Any) -> None:
    alice = moto_config.login("alice")["AccessToken"]
    bob = moto_config.login("bob")["AccessToken"]
    assert get(api_client, "group-admins", alice).status_code == 200
    assert get(api_client, "group-admins", bob).status_code == 403
    assert get(api_client, "not", bob).status_code == 200


# --- the class factory itself ----------------------------------------------------------------


def test_factory_returns_cached_permission_classes() -> None:
    admins = HasGroup("admins")
    assert isinstance(admins, type) and issubclass(admins, HasGroup) and issubclass(admins, BasePermission)
    assert HasGroup("admins") is admins
    assert HasGroup("a", "b") is HasGroup("b", "a")
    assert HasScope("admins") is not admins
    assert admins.required == frozenset({"admins"})
    assert isinstance(admins(), BasePermission)


def test_composition_builds_drf_operand_holders() -> None:
    composed = HasGroup("admins") & HasScope("x")
    assert isinstance(composed, OperandHolder)
    assert composed == (HasGroup("admins") & HasScope("x"))
    assert isinstance(IsAuthenticated | HasGroup("admins"), OperandHolder)
    assert callable(~HasScope("x"))


def test_bare_or_misused_factory_raises() -> None:
    with pytest.raises(TypeError, match="at least one name"):
        HasGroup()
    with pytest.raises(TypeError, match="non-empty strings"):
        HasGroup("")
    with pytest.raises(TypeError, match="non-empty strings"):
        HasScope(["a"])  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="already names"):
        HasGroup("a")("b")


def test_subclass_of_a_bound_class_keeps_its_requirement() -> None:
    class Admins(HasGroup("admins")):  # type: ignore[misc]
        message = "Admins only."

    assert Admins.required == frozenset({"admins"})
    assert isinstance(Admins(), HasGroup)
