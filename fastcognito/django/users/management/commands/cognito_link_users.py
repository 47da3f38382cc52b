"""``manage.py cognito_link_users``: link the users a site already has to their Cognito identities.

Two sources (``fastcognito.django.users.link`` does the work, and a data migration can call it):

* ``--sub-from app_label.Model.field --user-from FIELD``: a table that stores each user's ``sub``
  (``--user-from self`` when it is a field of the user model itself);
* ``--from-cognito username|email``: asks the user pool (boto3, ``fastcognito[link]``) for each
  local user without a link, by exact user name, or by an e-mail the pool has verified.

Never creates, changes or merges a user; runs again without effect; writes every link of a run in
one transaction, or none. ``--dry-run`` says what it would do and writes nothing.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError, router

from .....exceptions import ConfigurationError
from .....verifier import default_issuer, parse_user_pool_id
from ....conf import fastcognito_settings
from ...link import COGNITO_MATCHES, LinkReport, link_users, links_from_cognito, links_from_model


class Command(BaseCommand):
    help = (
        "Link existing local users to their Cognito identities (issuer and sub), from a table that "
        "stores each user's sub or from the user pool. Creates no user; idempotent; one transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument(
            "--sub-from",
            metavar="APP_LABEL.MODEL.FIELD",
            help="the field that stores each user's sub, e.g. rest_framework_microservice.Idp.uuid",
        )
        source.add_argument(
            "--from-cognito",
            choices=COGNITO_MATCHES,
            help="ask the user pool for each unlinked local user: by exact user name, or by verified e-mail",
        )
        parser.add_argument(
            "--user-from",
            metavar="FIELD",
            help="with --sub-from: the field of that model pointing to the user, or 'self' (the user model)",
        )
        parser.add_argument("--user-pool-id", help="the pool (default: FASTCOGNITO['USER_POOL_ID'])")
        parser.add_argument(
            "--issuer",
            help="the issuer the links are for (default: FASTCOGNITO['ISSUER'], else the pool's own)",
        )
        parser.add_argument("--endpoint-url", help="with --from-cognito: another Cognito API URL (emulators)")
        parser.add_argument("--database", help="the database alias (default: the replica's)")
        parser.add_argument(
            "--dry-run", action="store_true", help="report what would be linked; write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        pool_id, issuer = self._pool_and_issuer(options)
        identity_model = apps.get_model("fastcognito_users", "CognitoIdentity")
        alias = options["database"] or self._replica_database() or router.db_for_write(identity_model)
        skipped: list[tuple[Any, str]] = []
        if options["sub_from"]:
            links = self._links_from_table(options["sub_from"], options["user_from"], alias)
        else:
            if options["user_from"]:
                raise CommandError("--user-from goes with --sub-from only")
            links, skipped = self._links_from_cognito(options, pool_id, alias)
        try:
            report = link_users(links, issuer=issuer, using=alias, dry_run=options["dry_run"])
        except ConfigurationError as err:
            raise CommandError(str(err)) from None
        except IntegrityError:
            raise CommandError(
                "Nothing was linked: a user or a sub was linked by someone else during the run (a first "
                "sign-in, most likely). Run the command again."
            ) from None
        report.skipped[:0] = skipped
        self._print(report)

    # --- where the links come from ------------------------------------------------------------

    def _pool_and_issuer(self, options: dict[str, Any]) -> tuple[str, str]:
        pool_id = options["user_pool_id"] or fastcognito_settings.USER_POOL_ID
        if not pool_id:
            raise CommandError("No user pool: set FASTCOGNITO['USER_POOL_ID'] or pass --user-pool-id.")
        try:
            parse_user_pool_id(pool_id)
        except ConfigurationError as err:
            raise CommandError(f"--user-pool-id: {err}") from None
        issuer = options["issuer"]
        if issuer is None and not options["user_pool_id"]:
            issuer = fastcognito_settings.ISSUER
        return pool_id, issuer or default_issuer(pool_id)

    @staticmethod
    def _replica_database() -> str | None:
        replica = fastcognito_settings.user_settings.get("REPLICA")
        database = replica.get("DATABASE") if isinstance(replica, dict) else None
        return database if isinstance(database, str) else None

    def _links_from_table(self, sub_from: str, user_from: str | None, alias: str) -> Any:
        if not user_from:
            raise CommandError("--sub-from needs --user-from: the field pointing to the user, or 'self'")
        try:
            app_label, model_name, field_name = sub_from.split(".")
            model = apps.get_model(app_label, model_name)
        except (ValueError, LookupError):
            raise CommandError(
                f"--sub-from {sub_from!r} is not app_label.Model.field of an installed app"
            ) from None
        try:
            return list(links_from_model(model, field_name, user_from, using=alias))
        except ConfigurationError as err:
            raise CommandError(str(err)) from None

    def _links_from_cognito(
        self, options: dict[str, Any], pool_id: str, alias: str
    ) -> tuple[list[tuple[Any, str]], list[tuple[Any, str]]]:
        try:
            import boto3
            from botocore.exceptions import BotoCoreError, ClientError
        except ImportError:
            raise CommandError(
                "--from-cognito asks the user pool through boto3, which is not installed: "
                'pip install "fastcognito[link]"'
            ) from None
        client = boto3.client(
            "cognito-idp", region_name=parse_user_pool_id(pool_id), endpoint_url=options["endpoint_url"]
        )
        user_model = get_user_model()
        unlinked = (
            user_model._default_manager.using(alias).filter(cognito_identity__isnull=True).order_by("pk")
        )
        try:
            return links_from_cognito(
                unlinked.iterator(), by=options["from_cognito"], client=client, user_pool_id=pool_id
            )
        except (BotoCoreError, ClientError) as err:
            raise CommandError(f"Nothing was linked: the user pool could not be read ({err}).") from None

    # --- the report ---------------------------------------------------------------------------

    def _print(self, report: LinkReport) -> None:
        would = "would link" if report.dry_run else "linked"
        for pk, sub in report.linked:
            self.stdout.write(f"{would} user {pk} to sub {sub}")
        for pk, reason in report.skipped:
            who = "a row" if pk is None else f"user {pk}"
            self.stderr.write(f"left alone {who}: {reason}")
        summary = (
            f"{len(report.linked)} {'to link' if report.dry_run else 'linked'}, "
            f"{len(report.unchanged)} already linked, {len(report.skipped)} left alone "
            f"(issuer {report.issuer})."
        )
        if report.dry_run:
            summary += " Dry run: nothing was written."
        self.stdout.write(self.style.SUCCESS(summary) if not report.skipped else summary)
