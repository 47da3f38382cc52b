"""The user replica (fastcognito.django.users) with genuine moto tokens, on SQLite and on a real
PostgreSQL: created then updated, groups in step, e-mail takeovers refused, writes counted,
concurrent first requests, and the USER_CLASS switch of the DRF class and the middleware."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User
from django.db import connections
from django.test import override_settings

from fastcognito import Claims, CognitoVerifier
from fastcognito.django.users import UserRefusedError, sync_user
from fastcognito.django.users.models import CognitoIdentity
from tests.support import CLIENT_ID, ISSUER, POOL_ID, CognitoPool, TokenFactory
from tests.support.django.replica import id_claims, login, moto_settings, verify

BOTH = ["default", "pg"]
pytestmark = pytest.mark.django_db(databases=BOTH)

REPLICA_USER = "fastcognito.django.users.replica_user"


@pytest.fixture(params=BOTH, ids=["sqlite", "postgresql"])
def alias(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def replica(cognito: CognitoPool, alias: str) -> Iterator[Callable[..., None]]:
    """FASTCOGNITO for moto's pool with the replica on ``alias``; call with REPLICA overrides."""
    active: list[Any] = []

    def apply(user_class: str = REPLICA_USER, **replica: Any) -> None:
        override = override_settings(
            FASTCOGNITO=moto_settings(cognito, USER_CLASS=user_class, REPLICA={"DATABASE": alias, **replica})
        )
        override.enable()
        active.append(override)

    apply()
    try:
        yield apply
    finally:
        for override in reversed(active):
            override.disable()


def group_names(user: Any, alias: str) -> list[str]:
    return sorted(User.objects.using(alias).get(pk=user.pk).groups.values_list("name", flat=True))


@contextmanager
def count_writes(alias: str) -> Iterator[list[str]]:
    """Every INSERT, UPDATE and DELETE sent to ``alias`` inside the block."""
    writes: list[str] = []

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().split(" ", 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            writes.append(sql)
        return execute(sql, params, many, context)

    with connections[alias].execute_wrapper(record):
        yield writes


# --- created, then updated ----------------------------------------------------------------------


def test_a_user_is_created_then_updated(cognito: CognitoPool, replica: Any, alias: str) -> None:
    claims = id_claims(cognito, "alice")
    user = sync_user(claims)
    assert isinstance(user, User)
    assert user._state.db == alias
    assert (user.username, user.email) == ("alice", "alice@example.com")
    assert user.is_superuser and user.is_staff
    assert not user.has_usable_password()
    assert group_names(user, alias) == ["admins", "editors"]
    identity = CognitoIdentity.objects.using(alias).get(user=user)
    assert identity.sub == claims.sub

    cognito.client.admin_update_user_attributes(
        UserPoolId=cognito.pool_id,
        Username="alice",
        UserAttributes=[
            {"Name": "email", "Value": "alice@new.example.com"},
            {"Name": "given_name", "Value": "Alice"},
            {"Name": "family_name", "Value": "Liddell"},
        ],
    )
    updated = sync_user(id_claims(cognito, "alice"))
    assert updated.pk == user.pk
    stored = User.objects.using(alias).get(pk=user.pk)
    assert (stored.email, stored.first_name, stored.last_name) == ("alice@new.example.com", "Alice", "Liddell")
    assert User.objects.using(alias).count() == 1
    assert CognitoIdentity.objects.using(alias).count() == 1


def test_an_access_token_keeps_the_stored_email(cognito: CognitoPool, replica: Any, alias: str) -> None:
    tokens = login(cognito, "alice")
    user = sync_user(verify(cognito, tokens["IdToken"]))
    # Access tokens carry no e-mail: the stored one stays, and nothing is written.
    with count_writes(alias) as writes:
        same = sync_user(verify(cognito, tokens["AccessToken"]))
    assert same.pk == user.pk and same.email == "alice@example.com"
    assert writes == []


def test_groups_added_and_removed_in_cognito(cognito: CognitoPool, replica: Any, alias: str) -> None:
    user = sync_user(id_claims(cognito, "bob"))
    assert group_names(user, alias) == []
    assert not user.is_staff and not user.is_superuser

    cognito.client.create_group(UserPoolId=cognito.pool_id, GroupName="reviewers")
    for group in ("editors", "reviewers"):
        cognito.client.admin_add_user_to_group(UserPoolId=cognito.pool_id, Username="bob", GroupName=group)
    user = sync_user(id_claims(cognito, "bob"))
    assert group_names(user, alias) == ["editors", "reviewers"]
    assert User.objects.using(alias).get(pk=user.pk).is_staff

    cognito.client.admin_remove_user_from_group(UserPoolId=cognito.pool_id, Username="bob", GroupName="editors")
    user = sync_user(id_claims(cognito, "bob"))
    assert group_names(user, alias) == ["reviewers"]
    stored = User.objects.using(alias).get(pk=user.pk)
    assert not stored.is_staff
    # The group itself stays for other users; only the membership went.
    assert Group.objects.using(alias).filter(name="editors").exists()


def test_groups_granted_by_hand_survive_a_sync(cognito: CognitoPool, replica: Any, alias: str) -> None:
    user = sync_user(id_claims(cognito, "bob"))
    local = Group.objects.using(alias).create(name="granted-by-hand")
    User.objects.using(alias).get(pk=user.pk).groups.add(local)
    # Only what Cognito listed is the replica's: added, then removed when Cognito drops it.
    cognito.client.admin_add_user_to_group(UserPoolId=cognito.pool_id, Username="bob", GroupName="editors")
    sync_user(id_claims(cognito, "bob"))
    assert group_names(user, alias) == ["editors", "granted-by-hand"]
    assert CognitoIdentity.objects.using(alias).get(user_id=user.pk).synced_groups == ["editors"]
    cognito.client.admin_remove_user_from_group(
        UserPoolId=cognito.pool_id, Username="bob", GroupName="editors"
    )
    sync_user(id_claims(cognito, "bob"))
    assert group_names(user, alias) == ["granted-by-hand"]


def test_with_mirror_local_groups_not_in_cognito_are_removed(
    cognito: CognitoPool, replica: Any, alias: str
) -> None:
    replica(MIRROR=True)
    user = sync_user(id_claims(cognito, "bob"))
    local = Group.objects.using(alias).create(name="granted-by-hand")
    User.objects.using(alias).get(pk=user.pk).groups.add(local)
    # A new token with other groups resyncs: Django's groups equal cognito:groups exactly.
    cognito.client.admin_add_user_to_group(UserPoolId=cognito.pool_id, Username="bob", GroupName="editors")
    sync_user(id_claims(cognito, "bob"))
    assert group_names(user, alias) == ["editors"]


def flags_after(cognito: CognitoPool, alias: str, username: str, **flags: bool) -> tuple[bool, bool]:
    """``username``'s flags after a token, once they were set by hand to ``flags``."""
    user = sync_user(id_claims(cognito, username))
    User.objects.using(alias).filter(pk=user.pk).update(**flags)
    cognito.client.admin_add_user_to_group(UserPoolId=cognito.pool_id, Username=username, GroupName="admins")
    sync_user(id_claims(cognito, username))
    stored = User.objects.using(alias).get(pk=user.pk)
    return stored.is_staff, stored.is_superuser


def test_flags_move_only_when_their_group_setting_is_set(cognito: CognitoPool, alias: str) -> None:
    # No STAFF_GROUPS: is_staff set by hand stays, whatever the groups; SUPERUSER_GROUPS is set.
    settings_ = moto_settings(cognito, USER_CLASS=REPLICA_USER, REPLICA={"DATABASE": alias}, STAFF_GROUPS=())
    with override_settings(FASTCOGNITO=settings_):
        assert flags_after(cognito, alias, "bob", is_staff=True, is_superuser=False) == (True, True)
    settings_ = {**settings_, "SUPERUSER_GROUPS": ()}
    with override_settings(FASTCOGNITO=settings_):
        cognito.add_user("carol")
        assert flags_after(cognito, alias, "carol", is_staff=True, is_superuser=True) == (True, True)


def test_with_mirror_flags_follow_the_groups_even_without_settings(cognito: CognitoPool, alias: str) -> None:
    replica = {"DATABASE": alias, "MIRROR": True}
    settings_ = moto_settings(cognito, USER_CLASS=REPLICA_USER, REPLICA=replica, STAFF_GROUPS=())
    with override_settings(FASTCOGNITO=settings_):
        # STAFF_GROUPS empty: nobody is staff; SUPERUSER_GROUPS ["admins"]: admins are superusers.
        assert flags_after(cognito, alias, "bob", is_staff=True, is_superuser=False) == (False, True)


def test_an_older_token_never_undoes_a_newer_sync(
    replica: Any, alias: str, tokens: TokenFactory, make_verifier: Callable[..., CognitoVerifier]
) -> None:
    # Locally signed: only a local key can make two tokens of one user with chosen iat.
    verifier = make_verifier(token_use="id")
    now = int(time.time())
    newer = verifier.verify(tokens.id(iat=now - 100, exp=now + 3600, **{"cognito:groups": []}))
    older = verifier.verify(tokens.id(iat=now - 200, exp=now + 3600))
    with override_settings(FASTCOGNITO={"REPLICA": {"DATABASE": alias}, "SUPERUSER_GROUPS": ["admins"]}):
        user = sync_user(newer)
        with count_writes(alias) as writes:
            again = sync_user(older)
    assert writes == []
    assert group_names(again, alias) == [] and not again.is_superuser


def test_a_pool_that_switches_issuer_form_keeps_its_users(
    alias: str, tokens: TokenFactory, make_verifier: Callable[..., CognitoVerifier]
) -> None:
    # Identities are keyed by issuer and sub; the pool's issuer forms (and Regions) are one issuer.
    verifier = make_verifier(token_use="id", issuer_form="both", additional_regions=["eu-central-1"])
    issuers = [
        "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool1",
        "https://issuer-cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TestPool1",
        "https://cognito-idp.eu-central-1.amazonaws.com/eu-west-1_TestPool1",
    ]
    with override_settings(FASTCOGNITO={"REPLICA": {"DATABASE": alias}}):
        users = {sync_user(verifier.verify(tokens.id(iss=issuer))).pk for issuer in issuers}
    assert len(users) == 1
    assert list(CognitoIdentity.objects.using(alias).values_list("issuer", flat=True)) == issuers[:1]


# --- e-mail takeovers ---------------------------------------------------------------------------


def add_user(cognito: CognitoPool, username: str, email: str, verified: bool) -> None:
    cognito.add_user(username, email=email, email_verified="true" if verified else "false")


def test_an_unverified_email_never_matches_a_local_user(cognito: CognitoPool, replica: Any, alias: str) -> None:
    replica(MATCH_EMAIL=True)
    victim = User.objects.db_manager(alias).create_user("carol", "carol@example.com", "local-password")
    add_user(cognito, "mallory", "carol@example.com", verified=False)
    claims = id_claims(cognito, "mallory")
    assert claims["email_verified"] == "false"
    user = sync_user(claims)
    assert user.pk != victim.pk and user.username == "mallory"
    assert not CognitoIdentity.objects.using(alias).filter(user=victim).exists()
    assert User.objects.using(alias).get(pk=victim.pk).check_password("local-password")


def test_a_verified_email_does_not_match_when_matching_is_off(cognito: CognitoPool, replica: Any, alias: str) -> None:
    victim = User.objects.db_manager(alias).create_user("carol", "carol@example.com")
    add_user(cognito, "mallory", "carol@example.com", verified=True)
    claims = id_claims(cognito, "mallory")
    assert claims["email_verified"] == "true"
    user = sync_user(claims)
    assert user.pk != victim.pk
    assert not CognitoIdentity.objects.using(alias).filter(user=victim).exists()


def test_a_verified_email_matches_when_matching_is_on(
    alias: str, tokens: TokenFactory, jwks_document: dict[str, Any]
) -> None:
    # Only the JSON boolean true counts, which moto does not write (its "true" is a string): pool
    # tokens signed with the test pool's key, verified as the settings verify them.
    verifier = CognitoVerifier(POOL_ID, client_id=CLIENT_ID, token_use="id", jwks=jwks_document)
    replica = {"DATABASE": alias, "MATCH_EMAIL": True}
    local = User.objects.db_manager(alias).create_user("carol.local", "Carol@Example.com")

    def carol(sub: str, username: str) -> Claims:
        claims = {"sub": sub, "email": "carol@example.com", "cognito:username": username}
        return verifier.verify(tokens.id(**claims))

    with override_settings(FASTCOGNITO={**settings.FASTCOGNITO, "JWKS": jwks_document, "REPLICA": replica}):
        first = carol("c0000000-0000-4000-8000-000000000001", "carol")
        assert first["email_verified"] is True
        user = sync_user(first)
        assert user.pk == local.pk
        assert CognitoIdentity.objects.using(alias).get(user=local).sub == first.sub
        # A second Cognito user with the same verified address finds the local user already linked.
        assert sync_user(carol("c0000000-0000-4000-8000-000000000002", "carol2")).pk != local.pk


def test_a_user_name_taken_by_a_local_user_is_refused(cognito: CognitoPool, replica: Any, alias: str) -> None:
    User.objects.db_manager(alias).create_user("alice", "someone@example.com")
    with pytest.raises(UserRefusedError) as refused:
        sync_user(id_claims(cognito, "alice"))
    assert CognitoIdentity.objects.using(alias).count() == 0
    # It names the field and the token's own value, says why no e-mail match, never the other
    # user's data.
    reason = str(refused.value)
    assert "username 'alice' belongs to another local user" in reason
    assert "REPLICA['MATCH_EMAIL']) is off" in reason and "cognito_link_users" in reason
    assert "someone@example.com" not in reason


def test_a_refusal_says_the_email_was_not_verified(cognito: CognitoPool, replica: Any, alias: str) -> None:
    # The tutorial's users, made by hand with Cognito's user name and e-mail; in the pool, the
    # address was never verified.
    replica(MATCH_EMAIL=True)
    User.objects.db_manager(alias).create_user("alice", "alice@example.com")
    with pytest.raises(UserRefusedError) as refused:
        sync_user(id_claims(cognito, "alice"))
    assert "email 'alice@example.com' is unverified (email_verified is None, not true)" in str(refused.value)
    with pytest.raises(UserRefusedError) as refused:
        sync_user(verify(cognito, login(cognito, "alice")["AccessToken"]))
    assert "the token carries no email (access tokens never do" in str(refused.value)


def test_a_refusal_names_a_field_a_new_token_would_take(
    alias: str, tokens: TokenFactory, make_verifier: Callable[..., CognitoVerifier]
) -> None:
    verifier = make_verifier(token_use="id")
    now = int(time.time())
    User.objects.db_manager(alias).create_user("erin", "erin@example.com")
    with override_settings(FASTCOGNITO={"REPLICA": {"DATABASE": alias}}):
        sync_user(verifier.verify(tokens.id(**{"cognito:username": "dave", "iat": now - 10})))
        renamed = verifier.verify(tokens.id(**{"cognito:username": "erin", "iat": now}))
        taken = "the token changes username 'erin', which another local user holds"
        with pytest.raises(UserRefusedError, match=taken):
            sync_user(renamed)


def test_the_reason_reaches_the_debug_log_and_cognito_error(
    cognito: CognitoPool, replica: Any, alias: str, api_client: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from django.test import Client

    User.objects.db_manager(alias).create_user("alice", "someone@example.com")
    token = cognito.login("alice")["AccessToken"]
    with caplog.at_level("DEBUG", logger="fastcognito"):
        answer = api_client.get("/drf/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}")
        plain = Client().get("/plain/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert answer.status_code == 401 and answer.json()["code"] == "user_refused"
    # The client gets the code's generic message only.
    assert "alice" not in answer.json()["detail"]
    assert plain["error"] == "user_refused"
    lines = [record.getMessage() for record in caplog.records if "user refused" in record.getMessage()]
    assert len(lines) == 2 and all("username 'alice' belongs to another local user" in line for line in lines)
    assert not any(token in record.getMessage() for record in caplog.records)


def test_an_inactive_local_user_is_refused(cognito: CognitoPool, replica: Any, alias: str) -> None:
    user = sync_user(id_claims(cognito, "bob"))
    User.objects.using(alias).filter(pk=user.pk).update(is_active=False)
    with pytest.raises(UserRefusedError):
        sync_user(id_claims(cognito, "bob"))


# --- writes per request -------------------------------------------------------------------------


def request_as(api_client: Any, token: str) -> Any:
    answer = api_client.get("/drf/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 200, answer.content
    return answer.json()


def writing_requests(api_client: Any, token: str, alias: str, count: int = 100) -> tuple[int, int]:
    """How many of ``count`` requests with ``token`` wrote, and how many statements they wrote."""
    writers = statements = 0
    for _ in range(count):
        with count_writes(alias) as writes:
            request_as(api_client, token)
        writers += bool(writes)
        statements += len(writes)
    return writers, statements


def test_at_most_one_write_per_new_token(cognito: CognitoPool, replica: Any, alias: str, api_client: Any) -> None:
    first = cognito.login("alice")
    writers, _ = writing_requests(api_client, first["AccessToken"], alias)
    assert writers == 1  # the first request creates the user; the other 99 write nothing
    body = request_as(api_client, first["AccessToken"])
    assert body["class"] == "User" and body["username"] == "alice" and body["is_superuser"]

    refreshed = cognito.client.initiate_auth(
        ClientId=cognito.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
    )["AuthenticationResult"]
    assert refreshed["AccessToken"] != first["AccessToken"]
    # Nothing changed in Cognito: a refreshed token writes nothing at all.
    assert writing_requests(api_client, refreshed["AccessToken"], alias) == (0, 0)

    # Something changed: the first request with the new token writes, once, the others do not.
    cognito.client.admin_remove_user_from_group(UserPoolId=cognito.pool_id, Username="alice", GroupName="editors")
    again = cognito.login("alice")["AccessToken"]
    writers, statements = writing_requests(api_client, again, alias)
    assert writers == 1 and statements >= 1
    assert request_as(api_client, again)["is_staff"] is False


# --- concurrent first requests -------------------------------------------------------------------


@pytest.mark.django_db(transaction=True, databases=["pg"])
def test_sixteen_threads_create_one_user_on_postgresql(cognito: CognitoPool) -> None:
    claims = id_claims(cognito, "alice")
    barrier = threading.Barrier(16)
    results: list[Any] = []
    errors: list[BaseException] = []

    user_inserts: list[str] = []
    # Holds each thread's user INSERT until all sixteen have reached theirs, so that the race is
    # made, not hoped for: nobody commits before the gate opens, so every thread has found no
    # user and inserts. (Left to the scheduler, a loaded machine could run them one by one.)
    insert_gate = threading.Barrier(16)

    def record(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.startswith(f'INSERT INTO "{User._meta.db_table}"'):
            user_inserts.append(sql)
            insert_gate.wait(timeout=30)
        return execute(sql, params, many, context)

    def first_request() -> None:
        try:
            barrier.wait(timeout=30)
            with connections["pg"].execute_wrapper(record):
                results.append(sync_user(claims).pk)
        except BaseException as err:  # noqa: BLE001  (reported by the assertion below)
            errors.append(err)
        finally:
            connections.close_all()

    with override_settings(FASTCOGNITO=moto_settings(cognito, REPLICA={"DATABASE": "pg"})):
        threads = [threading.Thread(target=first_request) for _ in range(16)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    assert len(results) == 16 and len(set(results)) == 1
    # All sixteen inserted at once; the unique user name stopped all but one, whose transaction
    # won, and the losers read the winner's row.
    assert len(user_inserts) == 16
    assert CognitoIdentity.objects.using("pg").count() == 1
    assert User.objects.using("pg").count() == 1
    assert group_names(User.objects.using("pg").get(), "pg") == ["admins", "editors"]


# --- the DRF class and the middleware ------------------------------------------------------------


def refuse_mallory(claims: Claims) -> dict[str, Any]:
    if claims.username == "mallory":
        raise UserRefusedError("mallory is not welcome")
    from fastcognito.django.users.sync import default_user_fields

    return default_user_fields(claims)


def test_the_drf_class_returns_the_replica_user(cognito: CognitoPool, replica: Any, api_client: Any, alias: str) -> None:
    body = request_as(api_client, cognito.login("alice")["AccessToken"])
    assert body["class"] == "User" and body["pk"] == User.objects.using(alias).get(username="alice").pk


def test_the_middleware_returns_the_replica_user(cognito: CognitoPool, replica: Any) -> None:
    from django.test import Client

    answer = Client().get("/plain/whoami/", HTTP_AUTHORIZATION=f"Bearer {cognito.login('alice')['AccessToken']}")
    assert answer.status_code == 200, answer.content
    assert answer.json()["class"] == "User"


def test_a_refusing_hook_is_a_401_with_its_code(cognito: CognitoPool, replica: Any, api_client: Any, alias: str) -> None:
    from django.test import Client

    replica(USER_FIELDS=f"{__name__}.refuse_mallory")
    cognito.add_user("mallory")
    token = cognito.login("mallory")["AccessToken"]
    answer = api_client.get("/drf/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 401
    assert answer.json()["code"] == "user_refused"
    plain = Client().get("/plain/protected/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert plain.status_code == 401 and plain.json()["code"] == "user_refused"
    assert not User.objects.using(alias).filter(username="mallory").exists()


def test_the_stateless_user_stays_the_default(cognito: CognitoPool, replica: Any, api_client: Any, alias: str) -> None:
    replica(user_class="fastcognito.django.CognitoUser")
    with count_writes(alias) as writes:
        body = request_as(api_client, cognito.login("alice")["AccessToken"])
    assert body["class"] == "CognitoUser"
    assert writes == [] and not User.objects.using(alias).exists()


# --- system checks -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("replica", "check_id"),
    [
        ("yes", "fastcognito.E201"),
        ({"MATCH_EMAILS": True}, "fastcognito.E201"),
        ({"MATCH_EMAIL": "yes"}, "fastcognito.E201"),
        ({"MATCH_EMAIL_FEDERATED": "yes", "MATCH_EMAIL": True}, "fastcognito.E201"),
        ({"MATCH_EMAIL_FEDERATED": True}, "fastcognito.E201"),
        ({"USER_FIELDS": "no.such.module.fields"}, "fastcognito.E201"),
        ({"EXCHANGE_CLAIMS": "email"}, "fastcognito.E201"),
        ({"SESSION_LOGIN": True, "SESSION_BACKEND": "myproject.Backend"}, "fastcognito.E202"),
        ({"DATABASE": "elsewhere"}, "fastcognito.E204"),
    ],
)
def test_a_bad_replica_setting_is_a_system_check_error(replica: Any, check_id: str) -> None:
    from fastcognito.django.users.checks import check_replica

    with override_settings(FASTCOGNITO={"USER_POOL_ID": "eu-west-1_x", "CLIENT_ID": "c", "REPLICA": replica}):
        assert [message.id for message in check_replica()] == [check_id]


def test_session_login_without_the_session_middleware_is_an_error() -> None:
    from fastcognito.django.users.checks import check_replica

    middleware = [m for m in settings.MIDDLEWARE if not m.endswith("SessionMiddleware")]
    replica = {"SESSION_LOGIN": True}
    with override_settings(
        MIDDLEWARE=middleware, FASTCOGNITO={"USER_POOL_ID": "eu-west-1_x", "CLIENT_ID": "c", "REPLICA": replica}
    ):
        assert [message.id for message in check_replica()] == ["fastcognito.E203"]


def test_good_replica_settings_pass_the_checks() -> None:
    from fastcognito.django.users.checks import check_replica

    replica = {
        "MATCH_EMAIL": True,
        "MATCH_EMAIL_FEDERATED": True,
        "SESSION_LOGIN": True,
        "EXCHANGE_CLAIMS": ["email"],
        "DATABASE": "pg",
    }
    with override_settings(FASTCOGNITO={"USER_POOL_ID": "eu-west-1_x", "CLIENT_ID": "c", "REPLICA": replica}):
        assert check_replica() == []


# --- migration 0003: the groups the replica manages ----------------------------------------------


@pytest.mark.django_db(transaction=True, databases=BOTH)
def test_migration_0003_records_each_users_groups_as_synced(alias: str) -> None:
    from django.db.migrations.executor import MigrationExecutor

    connection = connections[alias]
    before = [("fastcognito_users", "0002_identity_issuer_and_sub")]
    after = [("fastcognito_users", "0003_identity_synced_groups")]
    executor = MigrationExecutor(connection)
    executor.migrate(before)
    try:
        old = executor.loader.project_state(before).apps
        users, groups = old.get_model("auth", "User"), old.get_model("auth", "Group")
        identities = old.get_model("fastcognito_users", "CognitoIdentity")
        admins, editors = (groups.objects.using(alias).create(name=name) for name in ("admins", "editors"))
        synced = users.objects.using(alias).create(username="synced", password="!")
        synced.groups.add(admins, editors)
        bare = users.objects.using(alias).create(username="bare", password="!")
        users.objects.using(alias).create(username="unlinked", password="!").groups.add(admins)
        for number, user in enumerate((synced, bare)):
            identities.objects.using(alias).create(issuer=ISSUER, sub=f"sub-{number}", user=user)
        MigrationExecutor(connection).migrate(after)
        stored = dict(CognitoIdentity.objects.using(alias).values_list("user__username", "synced_groups"))
        # The old replica set every linked user's groups to Cognito's: they are the synced ones.
        assert stored == {"synced": ["admins", "editors"], "bare": []}
    finally:
        MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())
