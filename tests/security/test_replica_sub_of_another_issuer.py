"""Finding 5 (issue 17): the replica linked users by ``sub`` alone.

With ``AlbAuthentication`` trusting an ALB whose OpenID Connect provider is not the pool, a user of
that provider presenting the pool admin's ``sub`` was given the admin's local user (a superuser)
and renamed it. Identities are now keyed by the issuer and the ``sub`` together. On SQLite and on
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client, override_settings
from pytest_httpserver import HTTPServer

from fastcognito.django.users import UserRefusedError, sync_user
from fastcognito.django.users.models import CognitoIdentity
from tests.support import ISSUER, TokenFactory
from tests.support.alb_tokens import ALB_KID, ARN, CLIENT, AlbTokens, pem
from tests.support.django.replica_attacks import BOTH, pool_claims, replica_settings

pytestmark = pytest.mark.django_db(databases=BOTH)

VICTIM_SUB = "0f0f0f0f-1111-4222-8333-444444444444"
OTHER_PROVIDER = "https://idp.example.org/oauth2/default"
ALB_MIDDLEWARE = [
    path if path != "fastcognito.django.CognitoMiddleware" else "fastcognito.django.alb.AlbMiddleware"
    for path in settings.MIDDLEWARE
]


@pytest.fixture(params=BOTH, ids=["sqlite", "postgresql"])
def alias(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def alb() -> AlbTokens:
    return AlbTokens(ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture
def both_sources(
    httpserver: HTTPServer, alb: AlbTokens, jwks_document: dict[str, Any], alias: str
) -> Iterator[None]:
    """The pool's tokens (CognitoAuthentication) and an ALB signing in through another provider
    (AlbAuthentication), both mapped to the replica on ``alias``."""
    httpserver.expect_request(f"/{ALB_KID}").respond_with_data(pem(alb.key))
    alb_conf = {
        "ARNS": [ARN], "CLIENT_ID": CLIENT, "ISSUER": OTHER_PROVIDER, "KEYS_URL": httpserver.url_for("/")
    }
    config = replica_settings(jwks_document, alias, ALB=alb_conf)
    urls = "tests.support.django.alb_urls"
    with override_settings(FASTCOGNITO=config, ROOT_URLCONF=urls, MIDDLEWARE=ALB_MIDDLEWARE):
        yield


def victim(tokens: TokenFactory, jwks_document: dict[str, Any]) -> Any:
    """The pool's administrator, replicated from a genuine pool token: a local superuser."""
    claims = pool_claims(
        tokens, jwks_document, sub=VICTIM_SUB, email="root@example.com", **{"cognito:username": "root"}
    )
    user = sync_user(claims)
    assert user.is_superuser and user.username == "root"
    return user


def alb_token(alb: AlbTokens, username: str) -> str:
    claims = alb.claims(sub=VICTIM_SUB, username=username, email="mallory@example.org", iss=OTHER_PROVIDER)
    return alb.token(header=alb.header(iss=OTHER_PROVIDER), claims=claims)


def assert_untouched(user: Any, alias: str) -> None:
    stored = User.objects.using(alias).get(pk=user.pk)
    assert (stored.username, stored.email, stored.is_superuser) == ("root", "root@example.com", True)
    identity = CognitoIdentity.objects.using(alias).get(user=stored)
    assert (identity.issuer, identity.sub) == (ISSUER, VICTIM_SUB)


@pytest.mark.usefixtures("both_sources")
def test_another_providers_user_with_the_victims_sub_gets_an_account_of_its_own(
    tokens: TokenFactory, jwks_document: dict[str, Any], alb: AlbTokens, alias: str
) -> None:
    admin = victim(tokens, jwks_document)
    answer = Client().get("/drf/alb/", HTTP_X_AMZN_OIDC_DATA=alb_token(alb, "mallory"))
    assert answer.status_code == 200, answer.content
    assert answer.json()["username"] == "mallory"
    assert_untouched(admin, alias)
    mallory = CognitoIdentity.objects.using(alias).select_related("user").get(issuer=OTHER_PROVIDER)
    assert mallory.sub == VICTIM_SUB and mallory.user.pk != admin.pk
    assert not mallory.user.is_superuser and not mallory.user.is_staff


@pytest.mark.usefixtures("both_sources")
def test_another_providers_user_with_the_victims_sub_and_name_is_refused(
    tokens: TokenFactory, jwks_document: dict[str, Any], alb: AlbTokens, alias: str
) -> None:
    admin = victim(tokens, jwks_document)
    answer = Client().get("/drf/alb/", HTTP_X_AMZN_OIDC_DATA=alb_token(alb, "root"))
    # The name is taken by a local user of another identity: refused, never merged.
    assert answer.status_code == 401 and answer.json()["code"] == "user_refused"
    assert_untouched(admin, alias)
    assert not CognitoIdentity.objects.using(alias).filter(issuer=OTHER_PROVIDER).exists()


def test_an_identity_without_an_issuer_matches_no_token(
    tokens: TokenFactory, jwks_document: dict[str, Any], alias: str
) -> None:
    # A row made by hand before migration 0002 (the docs once showed CognitoIdentity(sub=..., user=...)).
    local = User.objects.db_manager(alias).create_user("root", "root@example.com", is_superuser=True)
    CognitoIdentity.objects.using(alias).create(sub=VICTIM_SUB, user=local)
    with override_settings(FASTCOGNITO=replica_settings(jwks_document, alias)):
        for username in ("root", "mallory"):
            claims = pool_claims(tokens, jwks_document, sub=VICTIM_SUB, **{"cognito:username": username})
            with pytest.raises(UserRefusedError, match="no issuer"):
                sync_user(claims)
    # Refused, not linked and not duplicated: the row waits for its issuer to be set.
    rows = CognitoIdentity.objects.using(alias).values_list("issuer", "sub", "user")
    assert list(rows) == [("", VICTIM_SUB, local.pk)]
    assert User.objects.using(alias).count() == 1
    assert User.objects.using(alias).get().username == "root"


def test_a_token_without_an_issuer_is_refused(alias: str, jwks_document: dict[str, Any]) -> None:
    from fastcognito import Claims

    with override_settings(FASTCOGNITO=replica_settings(jwks_document, alias)):
        with pytest.raises(UserRefusedError, match="no issuer"):
            sync_user(Claims({"sub": VICTIM_SUB, "username": "root", "iat": 1}))
    assert not User.objects.using(alias).exists()


# --- migration 0002 ------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_migration_0002_keeps_each_rows_issuer_and_makes_the_pair_unique(alias: str) -> None:
    from django.db import IntegrityError, connections
    from django.db.migrations.executor import MigrationExecutor

    connection = connections[alias]
    before = [("fastcognito_users", "0001_initial")]
    after = [("fastcognito_users", "0002_identity_issuer_and_sub")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        users = old.get_model("auth", "User")
        identities = old.get_model("fastcognito_users", "CognitoIdentity")
        rows = {
            "pool": ISSUER,
            "updated": "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool1",
            "replica-region": "https://cognito-idp.eu-central-1.amazonaws.com/eu-west-1_TestPool1",
            "other": OTHER_PROVIDER,
            "by-hand": "",
        }
        for number, (name, issuer) in enumerate(rows.items()):
            user = users.objects.using(alias).create(username=name, password="!")
            identities.objects.using(alias).create(sub=f"sub-{number}", user=user, issuer=issuer)
        executor = MigrationExecutor(connection)
        executor.migrate(after)
        # The models as of 0002: later migrations add columns the table does not have yet.
        new = executor.loader.project_state(after).apps
        identities = new.get_model("fastcognito_users", "CognitoIdentity")
        users = new.get_model("auth", "User")
        stored = dict(identities.objects.using(alias).values_list("user__username", "issuer"))
        # The pool's issuer forms become one issuer; every other row keeps its own, empty included.
        assert stored == {**rows, "updated": ISSUER, "replica-region": ISSUER}
        spare = users.objects.using(alias).create(username="spare")
        identities.objects.using(alias).create(issuer=OTHER_PROVIDER, sub="sub-0", user=spare)
        with pytest.raises(IntegrityError):
            identities.objects.using(alias).create(issuer=ISSUER, sub="sub-0", user=spare)
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
