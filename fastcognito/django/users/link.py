"""Linking users that exist already to their Cognito identities, without creating or merging any.

A site that had users before the replica (created by hand, by another package, named after their
e-mail) has no ``CognitoIdentity`` rows: the replica would refuse those users, or create a second
account beside each. ``link_users`` creates the rows, from pairs of a local user and a ``sub``:

* from a table that already stores each user's ``sub`` (``links_from_model``): the ``Idp`` model of
  django-rest-microservice, or a field of the user model itself;
* from the user pool, by user name or verified e-mail (``links_from_cognito``), for users created
  by hand or named after their e-mail.

``manage.py cognito_link_users`` runs these; a data migration can call them too (``RunPython``,
with the migration's ``apps``). A link is made only when it is unambiguous: one local user, one
``sub``, neither linked to anything else. Everything else is reported and left alone, and the links
of one call are written in one transaction, all or none.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import router, transaction

from ...exceptions import ConfigurationError
from .sync import identity_issuer

__all__ = [
    "COGNITO_MATCHES",
    "LinkReport",
    "link_users",
    "links_from_cognito",
    "links_from_model",
]

COGNITO_MATCHES = ("username", "email")
"""What ``links_from_cognito`` can match a local user by."""

# CognitoIdentity.issuer and .sub.
_KEY_CHARS = 255


@dataclass
class LinkReport:
    """What ``link_users`` did (or, with ``dry_run``, would do).

    ``linked``, ``unchanged``: ``(user pk, sub)`` pairs linked now, and already linked so.
    ``skipped``: ``(user pk or None, reason)`` for each pair left alone.
    """

    issuer: str
    dry_run: bool = False
    linked: list[tuple[Any, str]] = field(default_factory=list)
    unchanged: list[tuple[Any, str]] = field(default_factory=list)
    skipped: list[tuple[Any, str]] = field(default_factory=list)


def _models(apps: Any) -> tuple[Any, Any]:
    if apps is None:
        from django.apps import apps as registry

        apps = registry
    return apps.get_model("fastcognito_users", "CognitoIdentity"), apps.get_model(settings.AUTH_USER_MODEL)


def _sub_text(sub: Any) -> str | None:
    """The ``sub`` as stored (a UUID as its text); ``None`` when it cannot key an identity."""
    if isinstance(sub, uuid.UUID):
        sub = str(sub)
    if not isinstance(sub, str) or not sub or len(sub) > _KEY_CHARS or "\x00" in sub:
        return None
    return sub


def _user_pk(user: Any) -> Any:
    return getattr(user, "pk", user)


def link_users(
    links: Iterable[tuple[Any, Any]],
    *,
    issuer: str,
    using: str | None = None,
    dry_run: bool = False,
    apps: Any = None,
) -> LinkReport:
    """Create a ``CognitoIdentity`` of ``issuer`` for each ``(user, sub)`` of ``links`` (a user
    instance or primary key; a ``sub`` string or UUID), in one transaction.

    Never creates or changes a user, and never a second identity: a pair is skipped, with the
    reason, when its user does not exist or is linked to another identity, when its ``sub`` is
    another user's, or when the same ``sub`` comes with several users (or one user with several
    ``sub``). A pair already linked is counted as unchanged, so running it again does nothing. A
    row made by hand without an issuer, of the same user and ``sub``, gets ``issuer``.

    ``issuer`` is the pool's (``https://cognito-idp.{region}.amazonaws.com/{pool_id}``; any of
    Cognito's issuer forms is stored as that one). ``using`` is the database alias (the router's
    for ``CognitoIdentity`` by default; in a migration, ``schema_editor.connection.alias``);
    ``apps`` the migration's app registry. With ``dry_run`` nothing is written.
    """
    if not isinstance(issuer, str) or not issuer or len(issuer) > _KEY_CHARS or "\x00" in issuer:
        raise ConfigurationError("issuer must be the pool's issuer URL")
    issuer = identity_issuer(issuer)
    identity_model, user_model = _models(apps)
    alias = using or router.db_for_write(identity_model)
    report = LinkReport(issuer=issuer, dry_run=dry_run)

    pairs: list[tuple[Any, str]] = []
    for user, sub in links:
        pk, text = _user_pk(user), _sub_text(sub)
        if text is None:
            if sub not in (None, ""):
                report.skipped.append(
                    (pk, "its sub cannot key an identity (empty, a NUL, or over 255 chars)")
                )
            continue
        pairs.append((pk, text))
    pairs = list(dict.fromkeys(pairs))  # the same pair twice is one pair
    users_of: dict[str, set[Any]] = {}
    subs_of: dict[Any, set[str]] = {}
    for pk, sub in pairs:
        users_of.setdefault(sub, set()).add(pk)
        subs_of.setdefault(pk, set()).add(sub)
    candidates = []
    for pk, sub in pairs:
        if len(users_of[sub]) > 1:
            report.skipped.append((pk, f"sub {sub!r} comes with {len(users_of[sub])} local users"))
        elif len(subs_of[pk]) > 1:
            report.skipped.append((pk, f"the user comes with {len(subs_of[pk])} subs"))
        else:
            candidates.append((pk, sub))

    with transaction.atomic(using=alias):
        user_pks = [pk for pk, _ in candidates]
        existing_users = set(
            user_model._default_manager.using(alias).filter(pk__in=user_pks).values_list("pk", flat=True)
        )
        rows = identity_model._default_manager.using(alias).select_for_update()
        by_user = {row.user_id: row for row in rows.filter(user_id__in=user_pks)}
        subs = [sub for _, sub in candidates]
        owner_of = dict(rows.filter(issuer=issuer, sub__in=subs).values_list("sub", "user_id"))
        issuerless = set(rows.filter(issuer="", sub__in=subs).values_list("sub", flat=True))
        new_rows, repaired = [], []
        for pk, sub in candidates:
            row = by_user.get(pk)
            if pk not in existing_users:
                report.skipped.append((pk, "no local user has this primary key"))
            elif row is not None and (row.issuer, row.sub) == (issuer, sub):
                report.unchanged.append((pk, sub))
            elif row is not None and row.issuer == "" and row.sub == sub:
                repaired.append(row.pk)
                report.linked.append((pk, sub))
            elif row is not None:
                report.skipped.append((pk, "the user is linked to another Cognito identity already"))
            elif sub in owner_of:
                report.skipped.append((pk, f"sub {sub!r} is linked to another local user already"))
            elif sub in issuerless:
                report.skipped.append(
                    (pk, f"sub {sub!r} is on a row without an issuer, of another local user")
                )
            else:
                new_rows.append(identity_model(issuer=issuer, sub=sub, user_id=pk))
                report.linked.append((pk, sub))
        if not dry_run:
            # A concurrent first sign-in that creates one of these rows meanwhile makes the unique
            # (issuer, sub) or user fail here: the IntegrityError undoes every link of this call.
            identity_model._default_manager.using(alias).filter(pk__in=repaired).update(issuer=issuer)
            identity_model._default_manager.using(alias).bulk_create(new_rows)
    return report


def _field(model: Any, name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except Exception as err:  # FieldDoesNotExist
        raise ConfigurationError(f"{model._meta.label} has no field {name!r}") from err


def links_from_model(
    model: Any, sub_field: str, user_field: str = "self", *, using: str | None = None, apps: Any = None
) -> Iterator[tuple[Any, Any]]:
    """``(user pk, sub)`` of each row of ``model`` whose ``sub_field`` is set: ``user_field`` is
    a foreign key or one-to-one field to the user model, or ``"self"`` when ``model`` is the user
    model (a ``sub`` stored on the user). ``ConfigurationError`` when they do not fit.

    django-rest-microservice: ``links_from_model(Idp, "uuid", "user")``.
    """
    _, user_model = _models(apps)
    _field(model, sub_field)
    if user_field == "self":
        if model._meta.label_lower != user_model._meta.label_lower:
            raise ConfigurationError(
                f"{model._meta.label} is not the user model ({user_model._meta.label}): name the field "
                "that points to the user instead of 'self'"
            )
        user_lookup = "pk"
    else:
        relation = _field(model, user_field)
        target = getattr(relation, "related_model", None)
        if (
            not (relation.many_to_one or relation.one_to_one)
            or target is None
            or (target._meta.label_lower != user_model._meta.label_lower)
        ):
            raise ConfigurationError(
                f"{model._meta.label}.{user_field} is not a foreign key or one-to-one field to the user "
                f"model ({user_model._meta.label})"
            )
        user_lookup = user_field
    rows = model._default_manager.using(using or router.db_for_read(model))
    yield from rows.filter(**{f"{sub_field}__isnull": False}).values_list(user_lookup, sub_field).iterator()


def _attributes(cognito_user: dict[str, Any]) -> dict[str, str]:
    listed = cognito_user.get("UserAttributes") or cognito_user.get("Attributes") or ()
    return {item["Name"]: item.get("Value", "") for item in listed}


def _by_username(client: Any, pool_id: str, user: Any, user_model: Any) -> tuple[str | None, str]:
    name = getattr(user, user_model.USERNAME_FIELD, None)
    if not isinstance(name, str) or not name:
        return None, "it has no user name"
    try:
        found = client.admin_get_user(UserPoolId=pool_id, Username=name)
    except client.exceptions.UserNotFoundException:
        return None, f"no Cognito user is named {name!r}"
    if found.get("Username") != name:
        # An alias (a pool that signs in by e-mail or phone) or another case: not this name.
        return None, f"Cognito resolves {name!r} to another user name"
    if found.get("UserStatus") == "EXTERNAL_PROVIDER":
        return None, f"the Cognito user {name!r} is federated"
    attributes = _attributes(found)
    local_email = getattr(user, user_model.get_email_field_name(), "") or ""
    if local_email:
        # A user name alone can be registered by anyone where sign-up is open; an address the
        # pool verified cannot. With an address on both sides, both must agree.
        email = attributes.get("email", "")
        if email.lower() != local_email.lower():
            return None, f"the Cognito user {name!r} has another e-mail than the local user"
        if attributes.get("email_verified") != "true":
            return None, f"the Cognito user {name!r} has not verified its e-mail"
    return attributes.get("sub") or None, f"the Cognito user {name!r} has no sub"


def _by_email(client: Any, pool_id: str, user: Any, user_model: Any) -> tuple[str | None, str]:
    email = getattr(user, user_model.get_email_field_name(), None)
    if not isinstance(email, str) or not email:
        return None, "it has no e-mail"
    if '"' in email or "\\" in email:
        return None, f"e-mail {email!r} cannot be put in a Cognito filter"
    found = []
    for page in client.get_paginator("list_users").paginate(UserPoolId=pool_id, Filter=f'email = "{email}"'):
        for cognito_user in page.get("Users", ()):
            attributes = _attributes(cognito_user)
            if attributes.get("email", "").lower() == email.lower():
                found.append((cognito_user, attributes))
    if not found:
        return None, f"no Cognito user has e-mail {email!r}"
    if len(found) > 1:
        return None, f"{len(found)} Cognito users have e-mail {email!r}"
    cognito_user, attributes = found[0]
    if cognito_user.get("UserStatus") == "EXTERNAL_PROVIDER":
        return None, f"the Cognito user of e-mail {email!r} is federated"
    if attributes.get("email_verified") != "true":
        return None, f"the Cognito user of e-mail {email!r} has not verified it"
    return attributes.get("sub") or None, f"the Cognito user of e-mail {email!r} has no sub"


def links_from_cognito(
    users: Iterable[Any], *, by: str, client: Any, user_pool_id: str, apps: Any = None
) -> tuple[list[tuple[Any, str]], list[tuple[Any, str]]]:
    """``(links, skipped)`` for local ``users``: each one's ``sub`` in the pool, found through
    ``client`` (boto3's ``cognito-idp``), or the reason it was not.

    ``by="username"``: the Cognito user of exactly that user name (``AdminGetUser``; an alias or
    another case does not count); when the local user has an e-mail, the Cognito user's must be
    the same and verified. ``by="email"``: the one Cognito user whose e-mail it is (``ListUsers``),
    only when Cognito says it is verified. Federated users are never matched. Errors of Cognito
    itself (``botocore`` exceptions) are raised: nothing is linked from a half-read pool.
    """
    if by not in COGNITO_MATCHES:
        raise ConfigurationError(f"by must be one of {', '.join(COGNITO_MATCHES)}, got {by!r}")
    _, user_model = _models(apps)
    find = _by_username if by == "username" else _by_email
    links: list[tuple[Any, str]] = []
    skipped: list[tuple[Any, str]] = []
    for user in users:
        sub, reason = find(client, user_pool_id, user, user_model)
        if sub is None:
            skipped.append((user.pk, reason))
        else:
            links.append((user.pk, sub))
    return links, skipped
