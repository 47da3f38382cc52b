"""Finding 18 (issue 17): a NUL in a verified claim was a 500 on PostgreSQL.

``given_name: "Eve\\u0000"`` in a genuine token made the replica's write fail with a ``DataError``
on PostgreSQL (SQLite stored the NUL). Fields are now cleaned to what the database stores (the NUL
stripped), the same on both; a NUL where it would change who the user is (the ``sub``, a group
name) refuses the user instead. Never a 500, never a half-written user.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User
from django.test import override_settings

from fastcognito.django.users import UserRefusedError, sync_user
from fastcognito.django.users.models import CognitoIdentity
from tests.support import TokenFactory
from tests.support.django.replica_attacks import BOTH, exchange, pool_claims, replica_settings

pytestmark = pytest.mark.django_db(databases=BOTH)

EVE = "e0e0e0e0-0000-4000-8000-000000000000"


@pytest.fixture(params=BOTH, ids=["sqlite", "postgresql"])
def alias(request: pytest.FixtureRequest, jwks_document: dict[str, Any]) -> Any:
    with override_settings(FASTCOGNITO=replica_settings(jwks_document, str(request.param))):
        yield str(request.param)


def test_a_nul_in_a_name_is_stripped_not_a_500(tokens: TokenFactory, alias: str) -> None:
    claims = {"sub": EVE, "given_name": "Eve\u0000", "family_name": "\u0000Adams", "cognito:username": "eve"}
    answer = exchange(tokens.id(**claims))
    assert answer.status_code == 200, answer.content
    stored = User.objects.using(alias).get(username="eve")
    assert (stored.first_name, stored.last_name) == ("Eve", "Adams")


def test_a_nul_arriving_in_a_later_token_is_stripped_too(
    tokens: TokenFactory, jwks_document: dict[str, Any], alias: str
) -> None:
    first = {"sub": EVE, "given_name": "Eve", "cognito:username": "eve"}
    user = sync_user(pool_claims(tokens, jwks_document, **first))
    changed = {**first, "given_name": "Ev\u0000e", "email": "eve@\u0000example.com"}
    assert exchange(tokens.id(**changed)).status_code == 200
    stored = User.objects.using(alias).get(pk=user.pk)
    assert (stored.first_name, stored.email) == ("Eve", "eve@example.com")


def test_a_nul_in_the_user_name_is_stripped(tokens: TokenFactory, alias: str) -> None:
    answer = exchange(tokens.id(sub=EVE, **{"cognito:username": "eve\u0000"}))
    assert answer.status_code == 200, answer.content
    assert User.objects.using(alias).get(cognito_identity__sub=EVE).username == "eve"


@pytest.mark.parametrize("groups", [["admins\u0000"], ["x" * 151]], ids=["nul", "too-long"])
def test_a_group_name_the_database_cannot_store_refuses_the_user(
    tokens: TokenFactory, alias: str, groups: list[str]
) -> None:
    answer = exchange(tokens.id(sub=EVE, **{"cognito:username": "eve", "cognito:groups": groups}))
    assert answer.status_code == 403 and answer.json()["code"] == "user_refused"
    # Refused before anything is written: no user, no identity, no group.
    assert not User.objects.using(alias).exists()
    assert not CognitoIdentity.objects.using(alias).exists()
    assert not Group.objects.using(alias).exists()


def test_a_nul_in_the_sub_refuses_the_user(
    tokens: TokenFactory, jwks_document: dict[str, Any], alias: str
) -> None:
    claims = pool_claims(tokens, jwks_document, sub=f"{EVE}\u0000", **{"cognito:username": "eve"})
    with pytest.raises(UserRefusedError, match="sub"):
        sync_user(claims)
    assert exchange(tokens.id(sub=f"{EVE}\u0000")).status_code == 403
    assert not User.objects.using(alias).exists()
