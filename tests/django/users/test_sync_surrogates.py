"""A lone UTF-16 surrogate in a verified claim, on SQLite and on PostgreSQL.

JSON ``"\\ud800"`` is valid JSON (and valid UTF-8), and both twins decode it into a ``str`` that no
database driver can encode: the replica's write raised ``UnicodeEncodeError``, a 500 on
``/auth/exchange/`` and on every request with ``USER_CLASS = replica_user``. Profile fields are
cleaned (each surrogate becomes U+FFFD); a surrogate in what says who the user is (``sub``,
``iss``, the user name, a group name) refuses the user. Never a 500, never a half-written user.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.test import Client, override_settings

from fastcognito import Claims
from fastcognito.django.users import UserRefusedError, sync_user
from fastcognito.django.users.models import CognitoIdentity
from tests.support import TokenFactory
from tests.support.django.replica_attacks import BOTH, exchange, pool_claims, replica_settings

pytestmark = pytest.mark.django_db(databases=BOTH)

EVE = "e0e0e0e0-0000-4000-8000-000000000000"
LONE = "\ud800"


@pytest.fixture(params=BOTH, ids=["sqlite", "postgresql"])
def alias(request: pytest.FixtureRequest, jwks_document: dict[str, Any]) -> Any:
    with override_settings(FASTCOGNITO=replica_settings(jwks_document, str(request.param))):
        yield str(request.param)


def whoami(token: str) -> Any:
    return Client(raise_request_exception=False).get("/drf/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}")


def nothing_written(alias: str) -> bool:
    return not (
        User.objects.using(alias).exists()
        or CognitoIdentity.objects.using(alias).exists()
        or Group.objects.using(alias).exists()
    )


@pytest.mark.parametrize(
    ("claim", "field"), [("given_name", "first_name"), ("family_name", "last_name"), ("email", "email")]
)
def test_a_surrogate_in_a_profile_claim_is_replaced_not_a_500(
    tokens: TokenFactory, alias: str, claim: str, field: str
) -> None:
    answer = exchange(tokens.id(sub=EVE, **{"cognito:username": "eve", claim: f"Eve{LONE}x"}))
    assert answer.status_code == 200, answer.content
    assert getattr(User.objects.using(alias).get(username="eve"), field) == "Eve\ufffdx"


def test_a_surrogate_arriving_in_a_later_token_is_replaced_too(
    tokens: TokenFactory, jwks_document: dict[str, Any], alias: str
) -> None:
    first = {"sub": EVE, "given_name": "Eve", "cognito:username": "eve"}
    user = sync_user(pool_claims(tokens, jwks_document, **first))
    answer = exchange(tokens.id(**{**first, "family_name": f"{LONE}Adams", "given_name": f"E{LONE}"}))
    assert answer.status_code == 200, answer.content
    stored = User.objects.using(alias).get(pk=user.pk)
    assert (stored.first_name, stored.last_name) == ("E\ufffd", "\ufffdAdams")


def test_a_surrogate_in_the_user_name_refuses_the_user(tokens: TokenFactory, alias: str) -> None:
    # On the DRF class with USER_CLASS = replica_user (an access token), and on the exchange.
    answer = whoami(tokens.access(sub=EVE, username=f"eve{LONE}"))
    assert (answer.status_code, answer.json()["code"]) == (401, "user_refused")
    answer = exchange(tokens.id(sub=EVE, **{"cognito:username": f"eve{LONE}"}))
    assert (answer.status_code, answer.json()["code"]) == (403, "user_refused")
    assert nothing_written(alias)


@pytest.mark.parametrize("claim", ["sub", "iss"])
def test_a_surrogate_in_the_sub_or_issuer_refuses_the_user(
    tokens: TokenFactory, jwks_document: dict[str, Any], alias: str, claim: str
) -> None:
    claims = dict(pool_claims(tokens, jwks_document, sub=EVE, **{"cognito:username": "eve"}))
    claims[claim] = f"{claims[claim]}{LONE}"
    with pytest.raises(UserRefusedError, match=claim):
        sync_user(Claims(claims))
    assert nothing_written(alias)


@pytest.mark.parametrize("manages_groups", [True, False], ids=["user-groups", "no-groups-field"])
def test_a_surrogate_in_a_group_name_refuses_the_user_or_is_kept_apart(
    tokens: TokenFactory, alias: str, manages_groups: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not manages_groups:
        # A user model without Django's groups: the names are only hashed, never stored.
        from fastcognito.django.users import sync

        monkeypatch.setattr(sync, "_has_groups", lambda user_model: False)
    token = tokens.id(sub=EVE, **{"cognito:username": "eve", "cognito:groups": [f"admins{LONE}"]})
    answer = exchange(token)
    if manages_groups:
        assert (answer.status_code, answer.json()["code"]) == (403, "user_refused")
        assert nothing_written(alias)
    else:
        assert answer.status_code == 200, answer.content
        assert not Group.objects.using(alias).exists()


@pytest.mark.parametrize("bad", [LONE, "\x00"], ids=["surrogate", "nul"])
def test_an_email_the_database_cannot_encode_is_never_looked_up(
    tokens: TokenFactory, alias: str, bad: str
) -> None:
    # MATCH_EMAIL on, and the new user's name is another local user's: the refusal says why the
    # e-mail did not link them, without a query the driver cannot encode.
    User.objects.db_manager(alias).create_user("eve", email="eve@example.com")
    current = settings.FASTCOGNITO
    with override_settings(FASTCOGNITO={**current, "REPLICA": {**current["REPLICA"], "MATCH_EMAIL": True}}):
        claims = {"cognito:username": "eve", "email": f"eve@example.com{bad}", "email_verified": True}
        answer = exchange(tokens.id(sub=EVE, **claims))
    assert (answer.status_code, answer.json()["code"]) == (403, "user_refused")
    assert not CognitoIdentity.objects.using(alias).exists()
