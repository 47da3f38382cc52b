"""CognitoUser: a claims-backed user that behaves like Django's where DRF and Django look."""

from __future__ import annotations

from typing import Any

import pytest

from fastcognito import Claims
from fastcognito.django import CognitoUser
from tests.support import access_claims, id_claims

pytestmark = pytest.mark.usefixtures("fastcognito_config")


def make(**overrides: Any) -> CognitoUser:
    return CognitoUser(Claims(access_claims(**overrides)))


def test_identity_attributes() -> None:
    user = make()
    assert user.pk == user.id == user.sub == "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"
    assert user.username == user.get_username() == str(user) == "alice"
    assert user.groups == ("admins", "editors")
    assert user.scopes == frozenset({"aws.cognito.signin.user.admin", "openid", "profile"})
    assert user.claims["client_id"] == access_claims()["client_id"]
    assert (user.is_authenticated, user.is_anonymous, user.is_active) == (True, False, True)
    assert user.email == ""
    assert CognitoUser(Claims(id_claims())).email == "alice@example.com"
    assert CognitoUser(Claims(id_claims())).username == "alice"
    assert "alice" in repr(user)


def test_username_falls_back_to_sub(DROP: Any) -> None:
    assert make(username=DROP).username == "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"


def test_equality_and_hash_by_sub() -> None:
    a1, a2 = make(jti="one"), make(jti="two", username="renamed")
    bob = make(sub="bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb")
    assert a1 == a2 and hash(a1) == hash(a2)
    assert a1 != bob
    assert len({a1, a2, bob}) == 2
    assert a1 != "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"


def test_staff_and_superuser_from_groups(fastcognito_config: Any) -> None:
    assert (make().is_staff, make().is_superuser) == (True, True)
    editor = make(**{"cognito:groups": ["editors"]})
    assert (editor.is_staff, editor.is_superuser) == (True, False)
    nobody = make(**{"cognito:groups": []})
    assert (nobody.is_staff, nobody.is_superuser) == (False, False)
    fastcognito_config(STAFF_GROUPS="ops", SUPERUSER_GROUPS=[])
    assert (make().is_staff, make().is_superuser) == (False, False)
    assert make(**{"cognito:groups": ["ops"]}).is_staff is True


def test_permissions_from_group_permissions() -> None:
    editor = make(**{"cognito:groups": ["editors", "readers"]})
    assert editor.has_perm("blog.add_post")
    assert editor.has_perm("blog.view_post")
    assert not editor.has_perm("blog.delete_post")
    assert not editor.has_perm("blog.add_post", obj=object())  # like ModelBackend
    assert editor.has_perms(["blog.add_post", "blog.change_post"])
    assert not editor.has_perms(["blog.add_post", "blog.delete_post"])
    assert editor.has_module_perms("blog") and not editor.has_module_perms("shop")
    assert editor.get_all_permissions() == {"blog.add_post", "blog.change_post", "blog.view_post"}
    assert editor.get_user_permissions() == set()
    with pytest.raises(ValueError, match="iterable"):
        editor.has_perms("blog.add_post")


def test_superuser_has_every_permission() -> None:
    admin = make(**{"cognito:groups": ["admins"]})
    assert admin.has_perm("anything.at_all")
    assert admin.has_perm("anything.at_all", obj=object())
    assert admin.has_module_perms("shop")


def test_user_without_groups_has_no_permission() -> None:
    nobody = make(**{"cognito:groups": []})
    assert not nobody.has_perm("blog.view_post") and not nobody.has_module_perms("blog")


def test_save_and_delete_refuse() -> None:
    user = make()
    with pytest.raises(NotImplementedError, match="no database row"):
        user.save()
    with pytest.raises(NotImplementedError, match="cannot be deleted"):
        user.delete()
    with pytest.raises(NotImplementedError):
        user.set_password("x")


def test_built_from_a_plain_mapping() -> None:
    assert CognitoUser(access_claims()).pk == "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"


def test_has_perm_through_a_drf_view(api_client: Any, tokens: Any) -> None:
    editor = tokens.access(**{"cognito:groups": ["editors"]})
    response = api_client.get("/drf/perms/", HTTP_AUTHORIZATION=f"Bearer {editor}")
    assert response.json() == {
        "add": True,
        "delete": False,
        "add_and_change": True,
        "add_and_delete": False,
        "object_level": False,
        "module_blog": True,
        "module_shop": False,
    }
    admin = tokens.access(**{"cognito:groups": ["admins"]})
    response = api_client.get("/drf/perms/", HTTP_AUTHORIZATION=f"Bearer {admin}")
    assert all(response.json().values())
