"""Finding 7 (issue 17): ``MATCH_EMAIL`` trusted a string.

A federated (SAML) user's id token with ``email_verified: "true"`` (the string, as attribute
mappings write it) and the local admin's address got a token pair for the admin from the exchange
endpoint, and the admin account was renamed. Now only the JSON boolean ``true`` counts, only for
users of the pool itself (the pool's ``iss``, no ``identities`` claim) unless
``MATCH_EMAIL_FEDERATED`` says otherwise. On SQLite and on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from rest_framework_simplejwt.tokens import AccessToken

from fastcognito import CognitoVerifier
from fastcognito.django.users import sync_user
from fastcognito.django.users.models import CognitoIdentity
from tests.support import CLIENT_ID, OTHER_ISSUER, OTHER_POOL_ID, POOL_ID, TokenFactory
from tests.support.django.replica_attacks import BOTH, pool_claims, replica_settings

pytestmark = pytest.mark.django_db(databases=BOTH)

ADMIN_EMAIL = "admin@example.com"
MALLORY_SUB = "5a5a5a5a-0000-4000-8000-00000000beef"
# What Cognito puts on a federated user's id token (its attribute holds JSON text; the claim is a list).
SAML = [{"userId": "mallory", "providerName": "CorpSAML", "providerType": "SAML", "primary": "true",
         "dateCreated": "1700000000000", "issuer": None}]


@pytest.fixture(params=BOTH, ids=["sqlite", "postgresql"])
def alias(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def local_admin(alias: str) -> Any:
    return User.objects.db_manager(alias).create_user(
        "root", ADMIN_EMAIL, "local-password", is_staff=True, is_superuser=True
    )


def assert_untouched(admin: Any, alias: str) -> None:
    stored = User.objects.using(alias).get(pk=admin.pk)
    assert (stored.username, stored.email, stored.is_superuser) == ("root", ADMIN_EMAIL, True)
    assert stored.check_password("local-password")
    assert not CognitoIdentity.objects.using(alias).filter(user=stored).exists()


def mallory(tokens: TokenFactory, **claims: Any) -> str:
    """An id token of the pool for a user who signed in through a SAML provider."""
    values = {
        "sub": MALLORY_SUB, "email": ADMIN_EMAIL, "cognito:username": "CorpSAML_mallory", "identities": SAML
    }
    return tokens.id(**{**values, **claims})


def test_a_federated_user_with_the_string_true_gets_no_pair_for_the_admin(
    tokens: TokenFactory, jwks_document: dict[str, Any], alias: str
) -> None:
    admin = local_admin(alias)
    with override_settings(FASTCOGNITO=replica_settings(jwks_document, alias, REPLICA={"MATCH_EMAIL": True})):
        body = {"token": mallory(tokens, email_verified="true")}
        answer = Client().post("/auth/exchange/", body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert AccessToken(answer.json()["access"])["user_id"] != str(admin.pk)
    assert_untouched(admin, alias)
    assert User.objects.using(alias).get(cognito_identity__sub=MALLORY_SUB).username == "CorpSAML_mallory"


@pytest.mark.parametrize("verified", ["true", "True", 1, ["true"]])
def test_a_pool_user_whose_email_verified_is_not_the_boolean_true_matches_no_one(
    tokens: TokenFactory, jwks_document: dict[str, Any], alias: str, verified: Any
) -> None:
    admin = local_admin(alias)
    with override_settings(FASTCOGNITO=replica_settings(jwks_document, alias, REPLICA={"MATCH_EMAIL": True})):
        claims = pool_claims(
            tokens, jwks_document, sub=MALLORY_SUB, email=ADMIN_EMAIL, email_verified=verified
        )
        assert "identities" not in claims
        assert sync_user(claims).pk != admin.pk
    assert_untouched(admin, alias)


def test_a_federated_user_with_the_boolean_true_matches_only_when_configured(
    tokens: TokenFactory, jwks_document: dict[str, Any], alias: str
) -> None:
    admin = local_admin(alias)
    verifier = CognitoVerifier(POOL_ID, client_id=CLIENT_ID, token_use="id", jwks=jwks_document)
    claims = verifier.verify(mallory(tokens, email_verified=True))
    with override_settings(FASTCOGNITO=replica_settings(jwks_document, alias, REPLICA={"MATCH_EMAIL": True})):
        user = sync_user(claims)
    assert user.pk != admin.pk
    assert_untouched(admin, alias)

    # A pool that vouches for its identity providers says so; then the verified address links.
    CognitoIdentity.objects.using(alias).all().delete()
    User.objects.using(alias).exclude(pk=admin.pk).delete()
    replica = {"MATCH_EMAIL": True, "MATCH_EMAIL_FEDERATED": True}
    with override_settings(FASTCOGNITO=replica_settings(jwks_document, alias, REPLICA=replica)):
        assert sync_user(claims).pk == admin.pk


def test_a_verified_address_from_another_issuer_matches_no_one(
    tokens: TokenFactory, jwks_document: dict[str, Any], alias: str
) -> None:
    admin = local_admin(alias)
    # Genuinely signed, by an issuer the replica may see (an ALB's provider, another pool), but
    # not the pool of the settings: its address is not the pool's to vouch for.
    other = CognitoVerifier(OTHER_POOL_ID, client_id=CLIENT_ID, token_use="id", jwks=jwks_document)
    token = tokens.id(iss=OTHER_ISSUER, sub=MALLORY_SUB, email=ADMIN_EMAIL, email_verified=True)
    claims = other.verify(token)
    with override_settings(FASTCOGNITO=replica_settings(jwks_document, alias, REPLICA={"MATCH_EMAIL": True})):
        assert sync_user(claims).pk != admin.pk
    assert_untouched(admin, alias)


def test_a_pool_user_with_the_boolean_true_still_matches(
    tokens: TokenFactory, jwks_document: dict[str, Any], alias: str
) -> None:
    admin = local_admin(alias)
    with override_settings(FASTCOGNITO=replica_settings(jwks_document, alias, REPLICA={"MATCH_EMAIL": True})):
        claims = pool_claims(tokens, jwks_document, sub=MALLORY_SUB, email=ADMIN_EMAIL, email_verified=True)
        assert sync_user(claims).pk == admin.pk
