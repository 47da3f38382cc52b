"""Users a site already has, linked to their Cognito identities (fastcognito.django.users.link and
``manage.py cognito_link_users``), on SQLite and a real PostgreSQL, with moto's user pool: from a
table of subs as django-rest-microservice keeps it, or from the pool by user name or verified
e-mail. Never a user created or merged; idempotent; all or nothing."""

from __future__ import annotations

import io
import sys
import threading
import uuid
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import IntegrityError, connections, transaction
from django.test import override_settings

from fastcognito import CognitoVerifier
from fastcognito.django.users import sync_user
from fastcognito.django.users.link import link_users, links_from_model
from fastcognito.django.users.models import CognitoIdentity
from tests.support import ISSUER, POOL_ID, CognitoPool, TokenFactory
from tests.support.django.legacy_idp.models import Idp
from tests.support.django.replica import moto_settings

BOTH = ["default", "pg"]
pytestmark = pytest.mark.django_db(databases=BOTH)

ALICE, BOB, CAROL = (str(uuid.UUID(int=number)) for number in (1, 2, 3))


@pytest.fixture(params=BOTH, ids=["sqlite", "postgresql"])
def alias(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def link(*args: str) -> tuple[str, str]:
    """``manage.py cognito_link_users *args``: what it wrote to stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    call_command("cognito_link_users", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def links(alias: str) -> dict[str, tuple[str, str]]:
    rows = CognitoIdentity.objects.using(alias).values_list("user__username", "issuer", "sub")
    return {username: (issuer, sub) for username, issuer, sub in rows}


def make_users(alias: str, *names: str) -> list[Any]:
    return [User.objects.db_manager(alias).create_user(name, f"{name}@example.com") for name in names]


# --- from a table of subs (django-rest-microservice's Idp) ---------------------------------------


def test_links_from_the_idp_table_then_tokens_find_those_users(
    alias: str, tokens: TokenFactory, jwks_document: dict[str, Any]
) -> None:
    alice, bob, _carol = make_users(alias, "alice", "bob", "carol")
    Idp.objects.using(alias).create(user=alice, uuid=ALICE)
    Idp.objects.using(alias).create(user=bob, uuid=BOB)
    with override_settings(FASTCOGNITO={"USER_POOL_ID": POOL_ID, "REPLICA": {"DATABASE": alias}}):
        out, err = link("--sub-from", "legacy_idp.Idp.uuid", "--user-from", "user")
    assert "2 linked, 0 already linked, 0 left alone" in out and err == ""
    assert links(alias) == {"alice": (ISSUER, ALICE), "bob": (ISSUER, BOB)}

    # Their first token finds them: no second user, the hand-set fields and groups kept.
    verifier = CognitoVerifier(POOL_ID, client_id=None, token_use="id", jwks=jwks_document)
    claims = verifier.verify(tokens.id(sub=ALICE, **{"cognito:username": "alice", "cognito:groups": []}))
    with override_settings(FASTCOGNITO={"USER_POOL_ID": POOL_ID, "REPLICA": {"DATABASE": alias}}):
        assert sync_user(claims).pk == alice.pk
    assert User.objects.using(alias).count() == 3


def test_running_it_again_changes_nothing_and_a_dry_run_writes_nothing(alias: str) -> None:
    (alice,) = make_users(alias, "alice")
    Idp.objects.using(alias).create(user=alice, uuid=ALICE)
    args = ("--sub-from", "legacy_idp.Idp.uuid", "--user-from", "user", "--database", alias)
    with override_settings(FASTCOGNITO={"USER_POOL_ID": POOL_ID}):
        out, _ = link(*args, "--dry-run")
        assert f"would link user {alice.pk} to sub {ALICE}" in out and "Dry run: nothing was written." in out
        assert links(alias) == {}
        assert "1 linked" in link(*args)[0]
        assert "0 linked, 1 already linked, 0 left alone" in link(*args)[0]
    assert CognitoIdentity.objects.using(alias).count() == 1


def test_a_sub_on_the_user_model_itself(alias: str) -> None:
    # django-cognito-jwt sites often keep the sub on their user model: --user-from self.
    alice, bob = make_users(alias, "alice", "bob")
    User.objects.using(alias).filter(pk=alice.pk).update(last_name=ALICE)
    with override_settings(FASTCOGNITO={"USER_POOL_ID": POOL_ID}):
        out, _ = link("--sub-from", "auth.User.last_name", "--user-from", "self", "--database", alias)
    assert "1 linked, 0 already linked, 0 left alone" in out  # bob's empty last_name: no sub, no link
    assert links(alias) == {"alice": (ISSUER, ALICE)}


def test_every_clash_is_reported_and_left_alone(alias: str) -> None:
    users = make_users(alias, "linked", "taken", "twin1", "twin2", "legacy", "fine", "stranger")
    linked, taken, twin1, twin2, legacy, fine, stranger = users
    CognitoIdentity.objects.using(alias).create(issuer=ISSUER, sub=str(uuid.UUID(int=99)), user=linked)
    CognitoIdentity.objects.using(alias).create(issuer=ISSUER, sub=CAROL, user=stranger)
    CognitoIdentity.objects.using(alias).create(issuer="", sub=BOB, user=legacy)  # a row made by hand
    pairs = [
        (linked, ALICE),  # the user is linked to another sub already
        (taken, CAROL),  # the sub is another user's
        (twin1, str(uuid.UUID(int=7))),  # one sub, two users: which one?
        (twin2, str(uuid.UUID(int=7))),
        (legacy, BOB),  # the same user and sub, without an issuer: gets the issuer
        (fine, str(uuid.UUID(int=8))),
        (12345678, str(uuid.UUID(int=9))),  # no such user
        (fine.pk, "x" * 256),  # cannot key an identity
    ]
    report = link_users(pairs, issuer=ISSUER, using=alias)
    assert sorted(report.linked) == sorted([(legacy.pk, BOB), (fine.pk, str(uuid.UUID(int=8)))])
    reasons = dict(report.skipped)
    assert set(reasons) == {linked.pk, taken.pk, twin1.pk, twin2.pk, 12345678, fine.pk}
    assert "linked to another Cognito identity" in reasons[linked.pk]
    assert "linked to another local user" in reasons[taken.pk]
    assert "comes with 2 local users" in reasons[twin1.pk]
    assert links(alias)["legacy"] == (ISSUER, BOB)
    assert links(alias)["linked"][1] == str(uuid.UUID(int=99)) and links(alias)["stranger"][1] == CAROL
    assert User.objects.using(alias).count() == 7


def test_a_cognito_issuer_form_is_stored_as_the_pools_one(alias: str) -> None:
    (alice,) = make_users(alias, "alice")
    updated = ISSUER.replace("https://cognito-idp.", "https://issuer-cognito-idp.")
    link_users([(alice, ALICE)], issuer=updated, using=alias)
    assert links(alias) == {"alice": (ISSUER, ALICE)}


def test_from_a_data_migration_with_historical_models(alias: str) -> None:
    from django.db.migrations.executor import MigrationExecutor

    (alice,) = make_users(alias, "alice")
    Idp.objects.using(alias).create(user=alice, uuid=ALICE)
    executor = MigrationExecutor(connections[alias])
    apps = executor.loader.project_state(executor.loader.graph.leaf_nodes()).apps
    historical = apps.get_model("legacy_idp", "Idp")
    # What a RunPython function of the site's own migration writes.
    report = link_users(
        links_from_model(historical, "uuid", "user", using=alias, apps=apps),
        issuer=ISSUER,
        using=alias,
        apps=apps,
    )
    assert report.linked == [(alice.pk, ALICE)] and links(alias) == {"alice": (ISSUER, ALICE)}


@pytest.mark.django_db(transaction=True, databases=["pg"])
def test_all_or_nothing_when_a_sign_in_links_a_user_meanwhile() -> None:
    first, second, other = make_users("pg", "first", "second", "other")
    inserted, release = threading.Event(), threading.Event()
    outcome: list[BaseException | Any] = []

    def sign_in() -> None:
        # A first sign-in that creates the identity of second's sub, committed while the run waits.
        try:
            with transaction.atomic(using="pg"):
                CognitoIdentity.objects.using("pg").create(issuer=ISSUER, sub=BOB, user=other)
                inserted.set()
                release.wait(timeout=30)
        finally:
            connections.close_all()

    def run() -> None:
        try:
            outcome.append(link_users([(first, ALICE), (second, BOB)], issuer=ISSUER, using="pg"))
        except BaseException as err:  # noqa: BLE001  (asserted below)
            outcome.append(err)
        finally:
            connections.close_all()

    signing_in = threading.Thread(target=sign_in)
    signing_in.start()
    assert inserted.wait(timeout=30)
    linking = threading.Thread(target=run)
    linking.start()
    linking.join(timeout=2)  # blocked on the uncommitted row of the same (issuer, sub)
    release.set()
    signing_in.join(timeout=30)
    linking.join(timeout=30)
    assert len(outcome) == 1 and isinstance(outcome[0], IntegrityError)
    # Not even first's link, which clashed with nothing, was kept.
    assert links("pg") == {"other": (ISSUER, BOB)}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--sub-from", "legacy_idp.Idp.uuid"), "--sub-from needs --user-from"),
        (("--sub-from", "legacy_idp.Idp", "--user-from", "user"), "is not app_label.Model.field"),
        (("--sub-from", "nowhere.Idp.uuid", "--user-from", "user"), "is not app_label.Model.field"),
        (("--sub-from", "legacy_idp.Idp.nope", "--user-from", "user"), "has no field 'nope'"),
        (("--sub-from", "legacy_idp.Idp.uuid", "--user-from", "self"), "is not the user model"),
        (
            ("--sub-from", "legacy_idp.Note.sub", "--user-from", "author"),
            "is not a foreign key or one-to-one",
        ),
        (("--from-cognito", "email", "--user-from", "user"), "--user-from goes with --sub-from only"),
        (
            ("--sub-from", "legacy_idp.Idp.uuid", "--user-from", "user", "--user-pool-id", "nope"),
            "--user-pool-id",
        ),
    ],
)
def test_a_bad_source_is_a_command_error(args: tuple[str, ...], message: str) -> None:
    with override_settings(FASTCOGNITO={"USER_POOL_ID": POOL_ID}), pytest.raises(CommandError, match=message):
        link(*args)
    assert not CognitoIdentity.objects.exists()


# --- from the user pool (moto's Cognito) ---------------------------------------------------------


def sub_of(cognito: CognitoPool, username: str) -> str:
    found = cognito.client.admin_get_user(UserPoolId=cognito.pool_id, Username=username)
    return next(item["Value"] for item in found["UserAttributes"] if item["Name"] == "sub")


def from_cognito(cognito: CognitoPool, alias: str, by: str, *extra: str) -> tuple[str, str]:
    with override_settings(FASTCOGNITO=moto_settings(cognito)):
        return link("--from-cognito", by, "--endpoint-url", cognito.url, "--database", alias, *extra)


def test_by_user_name_as_the_tutorial_created_them(cognito: CognitoPool, alias: str) -> None:
    cognito.add_user("dora", email="dora@example.com", email_verified="true")
    cognito.add_user("erin")
    dora, erin, frank, bob, upper = make_users(alias, "dora", "erin", "frank", "bob", "DORA")
    User.objects.using(alias).filter(pk=erin.pk).update(email="")
    out, err = from_cognito(cognito, alias, "username")
    # dora: name and verified e-mail agree; erin: no local e-mail, the name alone.
    assert links(alias) == {
        "dora": (cognito.issuer, sub_of(cognito, "dora")),
        "erin": (cognito.issuer, sub_of(cognito, "erin")),
    }
    assert "2 linked, 0 already linked, 3 left alone" in out
    assert f"user {frank.pk}: no Cognito user is named 'frank'" in err
    assert f"user {bob.pk}: the Cognito user 'bob' has not verified its e-mail" in err
    assert f"user {upper.pk}: no Cognito user is named 'DORA'" in err
    assert "2 linked" not in from_cognito(cognito, alias, "username")[0]  # nothing new the second time
    assert dora.pk in {user.pk for user in User.objects.using(alias).filter(cognito_identity__isnull=False)}


def test_by_user_name_an_address_that_differs_is_no_match(cognito: CognitoPool, alias: str) -> None:
    # Someone registered the local admin's name in the pool, with an address of their own.
    cognito.add_user("root", email="mallory@example.com", email_verified="true")
    (root,) = make_users(alias, "root")
    _, err = from_cognito(cognito, alias, "username")
    assert "has another e-mail than the local user" in err and links(alias) == {}


def test_by_verified_email_as_cognito_code_grant_named_them(cognito: CognitoPool, alias: str) -> None:
    cognito.add_user("gina", email="gina@example.com", email_verified="true")
    cognito.add_user("hal", email="hal@example.com")  # never verified
    cognito.add_user("ivy1", email="ivy@example.com", email_verified="true")
    cognito.add_user("ivy2", email="ivy@example.com", email_verified="true")
    for address in ("gina@example.com", "hal@example.com", "ivy@example.com", "nobody@example.com"):
        User.objects.db_manager(alias).create_user(address, address)
    User.objects.db_manager(alias).create_user("no-address")
    out, err = from_cognito(cognito, alias, "email")
    assert links(alias) == {"gina@example.com": (cognito.issuer, sub_of(cognito, "gina"))}
    assert "1 linked, 0 already linked, 4 left alone" in out
    assert "the Cognito user of e-mail 'hal@example.com' has not verified it" in err
    assert "2 Cognito users have e-mail 'ivy@example.com'" in err
    assert "no Cognito user has e-mail 'nobody@example.com'" in err
    assert "it has no e-mail" in err


def test_the_pool_unreachable_is_a_command_error_and_nothing_is_linked(
    cognito: CognitoPool, alias: str, closed_port_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    make_users(alias, "alice")
    with (
        override_settings(FASTCOGNITO=moto_settings(cognito)),
        pytest.raises(CommandError, match="could not be read"),
    ):
        link(
            "--from-cognito",
            "username",
            "--endpoint-url",
            closed_port_url.rsplit("/", 1)[0],
            "--database",
            alias,
        )
    assert links(alias) == {}


def test_without_boto3_the_command_says_what_to_install(
    cognito: CognitoPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The one thing no real server can show: boto3 not installed.
    monkeypatch.setitem(sys.modules, "boto3", None)
    with (
        override_settings(FASTCOGNITO=moto_settings(cognito)),
        pytest.raises(CommandError, match=r"fastcognito\[link\]"),
    ):
        link("--from-cognito", "username")


def test_the_user_pool_id_option_names_the_issuer(cognito: CognitoPool, alias: str) -> None:
    cognito.add_user("dora", email="dora@example.com", email_verified="true")
    make_users(alias, "dora")
    with override_settings(FASTCOGNITO={"USER_POOL_ID": POOL_ID}):
        out, _ = link(
            "--from-cognito",
            "username",
            "--user-pool-id",
            cognito.pool_id,
            "--endpoint-url",
            cognito.url,
            "--database",
            alias,
        )
    assert f"(issuer {cognito.issuer})" in out and links(alias)["dora"][0] == cognito.issuer
