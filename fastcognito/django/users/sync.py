"""Keeping a local user in step with a verified token, keyed by its issuer and ``sub``.

``sync_user(claims)`` returns the local user of the token's issuer and ``sub``, creating it on
first sight and updating it when the token says something new. Per request it costs one read
(the identity and its user, joined); it writes only when a field, ``is_staff``/``is_superuser``
or the groups differ from what was last synced, and then everything in one transaction, with the
changes computed again from the rows read under the identity's lock.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Mapping
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, models, router, transaction

from ...claims import Claims
from ...exceptions import ConfigurationError, UserRefusedError
from ..conf import fastcognito_settings
from .config import ReplicaConfig, replica_config

__all__ = ["default_user_fields", "email_is_verified", "identity_issuer", "sync_user"]

logger = logging.getLogger("fastcognito.django")

# Standard OpenID Connect claims (id tokens) onto the fields of Django's AbstractUser.
_NAME_CLAIMS = (("given_name", "first_name"), ("family_name", "last_name"))
# The identity's columns (CognitoIdentity.issuer and .sub).
_KEY_CHARS = 255
_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}"
# Cognito's issuer forms: the original one names the Region that signed (a multi-Region pool has
# one per Region), the updated one the home Region. All name the same pool, whose subs they share.
_COGNITO_ISSUER = re.compile(
    rf"https://(?:issuer-)?cognito-idp\.{_REGION}\.amazonaws\.com/"
    rf"(?P<pool>(?P<region>{_REGION})_[0-9A-Za-z]+)"
)


def identity_issuer(iss: str) -> str:
    """The issuer an identity is stored under: ``iss`` itself, except that every Cognito issuer
    form of one pool is the original form in the pool's home Region, so a pool that switches
    forms (``ISSUER_FORM``) or signs in another Region keeps its users."""
    match = _COGNITO_ISSUER.fullmatch(iss)
    if match is None:
        return iss
    return f"https://cognito-idp.{match['region']}.amazonaws.com/{match['pool']}"


def email_is_verified(claims: Mapping[str, Any]) -> bool:
    """True only for the JSON boolean ``true`` (OpenID Connect Core §5.1 makes ``email_verified``
    a boolean, and Cognito's id tokens carry one). The string ``"true"`` is what federated
    providers' attribute mappings and the userInfo endpoint carry: not a statement to trust."""
    return claims.get("email_verified") is True


# A lone UTF-16 surrogate: JSON "\ud800" is valid JSON, and decodes to one, but no database
# driver can encode it in UTF-8 (a UnicodeEncodeError, on SQLite and PostgreSQL alike).
_SURROGATE = re.compile("[\ud800-\udfff]")


def _storable(value: str) -> bool:
    """Whether the database can store, and look up, ``value`` as it is: PostgreSQL refuses NUL
    in text, and no driver encodes a lone surrogate."""
    return "\x00" not in value and _SURROGATE.search(value) is None


def _clean(value: Any) -> Any:
    # PostgreSQL refuses NUL in text (a DataError: a 500) where SQLite stores it: stripped, so
    # both databases store the same value, as every claim is cleaned to what the database stores.
    # A lone surrogate becomes U+FFFD, as a UTF-8 decoder shows bytes it cannot read: the value
    # stays visibly damaged, rather than turning into another plausible name or address.
    if not isinstance(value, str):
        return value
    return _SURROGATE.sub("\ufffd", value.replace("\x00", ""))


def default_user_fields(claims: Claims) -> dict[str, Any]:
    """The default ``USER_FIELDS`` hook: the user name, and the e-mail and names when the token
    carries them (id tokens do; access tokens do not, and then the stored values stay).

    A project with a custom ``AUTH_USER_MODEL`` writes its own hook returning its field names;
    raising ``UserRefusedError`` there refuses the user.
    """
    user_model = get_user_model()
    field_names = {field.name for field in user_model._meta.concrete_fields}
    fields: dict[str, Any] = {user_model.USERNAME_FIELD: claims.username or claims.sub}
    email = claims.get("email")
    email_field = user_model.get_email_field_name()
    if isinstance(email, str) and email_field in field_names:
        fields[email_field] = email
    for claim, field in _NAME_CLAIMS:
        value = claims.get(claim)
        if isinstance(value, str) and field in field_names:
            fields[field] = value
    return fields


def _digest(groups: tuple[str, ...]) -> str:
    # surrogatepass: a group name with a lone surrogate is refused before it is stored, but a
    # user model without Django's groups only hashes the names (one to one, as UTF-8 is).
    return hashlib.sha256("\n".join(groups).encode("utf-8", "surrogatepass")).hexdigest()


def _fit(user_model: Any, fields: dict[str, Any]) -> dict[str, Any]:
    # A claim longer than its column would be an error on PostgreSQL (and silently kept on
    # SQLite): cut to the column's length so both databases store the same value.
    fitted = {}
    for name, value in fields.items():
        field = user_model._meta.get_field(name)
        if isinstance(value, str) and isinstance(field, models.CharField) and field.max_length:
            value = value[: field.max_length]
        fitted[name] = value
    return fitted


class _Wanted:
    """What the token says the local user should look like."""

    def __init__(self, claims: Claims, conf: ReplicaConfig, user_model: Any) -> None:
        field_names = {field.name for field in user_model._meta.concrete_fields}
        fields = conf.user_fields(claims)
        if not isinstance(fields, Mapping):
            raise TypeError("REPLICA['USER_FIELDS'] must return a dict")
        fields = _fit(user_model, {name: _clean(value) for name, value in fields.items()})
        groups = set(claims.groups)
        manages_groups = _has_groups(user_model)
        if manages_groups:
            _check_group_names(groups)
        # A flag moves only when its group setting names groups: a flag set by hand stays
        # otherwise. MIRROR makes it follow the groups in every case (no group setting: False).
        for flag, flag_groups in (
            ("is_superuser", fastcognito_settings.SUPERUSER_GROUPS),
            ("is_staff", fastcognito_settings.STAFF_GROUPS),
        ):
            if flag in field_names and (flag_groups or conf.mirror):
                fields[flag] = not groups.isdisjoint(flag_groups)
        self.fields = fields
        self.mirror = conf.mirror
        self.groups = tuple(sorted(groups))
        self.groups_digest = _digest(self.groups)
        iat = claims.get("iat")
        self.iat = int(iat) if isinstance(iat, (int, float)) and not isinstance(iat, bool) else None
        self.manages_groups = manages_groups


def _check_group_names(groups: set[str]) -> None:
    """Group names are never cleaned or cut, as fields are: "admins\\0" must not become the
    Django group "admins" (and its permissions) while is_superuser was computed from the claim."""
    from django.contrib.auth.models import Group

    longest = Group._meta.get_field("name").max_length or 0
    if any(not _storable(name) or len(name) > longest for name in groups):
        raise UserRefusedError(
            f"a cognito:groups name cannot be stored (a NUL, a lone surrogate, or over {longest} chars)"
        )


def _has_groups(user_model: Any) -> bool:
    from django.contrib.auth.models import Group

    try:
        field = user_model._meta.get_field("groups")
    except Exception:
        return False
    return bool(field.many_to_many and field.related_model is Group)


def _alias(conf: ReplicaConfig) -> str:
    from .models import CognitoIdentity

    return conf.database or router.db_for_write(CognitoIdentity)


def _identity_key(claims: Claims) -> tuple[str, str]:
    """The token's (issuer, sub), or ``UserRefusedError`` when it cannot key an identity."""
    sub, iss, username = claims.sub, claims.get("iss"), claims.username
    if not sub or not username:
        # Machine tokens (client credentials) have no user to replicate.
        raise UserRefusedError("the token has no user (no sub or no username)")
    if not isinstance(iss, str) or not iss:
        # Verified tokens always name their issuer; a sub alone identifies no one.
        raise UserRefusedError("the token has no issuer")
    issuer = identity_issuer(iss)
    for name, value in (("iss", issuer), ("sub", sub)):
        # Never cut or cleaned, as fields are: two different values would become one identity.
        if not isinstance(value, str) or len(value) > _KEY_CHARS or not _storable(value):
            raise UserRefusedError(
                f"the token's {name} cannot be stored (a NUL, a lone surrogate, or over {_KEY_CHARS} chars)"
            )
    if isinstance(username, str) and _SURROGATE.search(username) is not None:
        # By default the local user's unique name: refused rather than given a U+FFFD, which
        # would make it a name Cognito never gave.
        raise UserRefusedError("the token's user name cannot be stored (a lone surrogate)")
    return issuer, sub


def sync_user(claims: Claims, *, using: str | None = None) -> Any:
    """The local user of ``claims`` (a verified token's), created or brought up to date.

    The user is found by the token's issuer and ``sub`` together, never by ``sub`` alone. Raises
    ``UserRefusedError`` when the mapping hook refuses, the local user is inactive, a new user's
    fields clash with a local user not linked to this identity, or the only identity of this
    ``sub`` is a row without an issuer.
    """
    issuer, sub = _identity_key(claims)
    conf = replica_config()
    alias = using or _alias(conf)
    user_model = get_user_model()
    wanted = _Wanted(claims, conf, user_model)
    identity = _find(alias, issuer, sub)
    if identity is None:
        _refuse_without_issuer(alias, sub)
        identity = _create(claims, (issuer, sub), wanted, conf, alias, user_model)
        if identity is None:
            return _existing_user(claims, (issuer, sub), wanted, conf, alias, user_model)
        return identity.user
    return _update(identity, wanted, alias)


def _find(alias: str, issuer: str, sub: str) -> Any:
    from .models import CognitoIdentity

    return CognitoIdentity.objects.using(alias).select_related("user").filter(issuer=issuer, sub=sub).first()


def _refuse_without_issuer(alias: str, sub: str) -> None:
    """A row with an empty issuer (made by hand before migration 0002) is no token's: it neither
    matches one silently nor lets a second local user be made beside it."""
    from .models import CognitoIdentity

    if CognitoIdentity.objects.using(alias).filter(issuer="", sub=sub).exists():
        logger.warning(
            "a CognitoIdentity has this token's sub but no issuer: the user is refused until the "
            "row's issuer is set (see docs/replica.md)"
        )
        raise UserRefusedError("the local identity of this sub has no issuer")


def _existing_user(
    claims: Claims, key: tuple[str, str], wanted: _Wanted, conf: ReplicaConfig, alias: str, user_model: Any
) -> Any:
    identity = _find(alias, *key)
    if identity is None:
        raise UserRefusedError(_clash_reason(claims, wanted, conf, alias, user_model))
    return _update(identity, wanted, alias)


# --- why a user is refused --------------------------------------------------------------------------
# Worded for the developer (the DEBUG log line, request.cognito_error; clients get the code's
# generic message): the field that clashes and the token's own value, never another user's data.


def _taken_fields(
    fields: Mapping[str, Any], alias: str, user_model: Any, exclude_pk: Any = None
) -> list[str]:
    """The unique fields among ``fields`` whose value another local user holds, described."""
    taken = []
    for name, value in fields.items():
        field = user_model._meta.get_field(name)
        if not field.unique or field.primary_key:
            continue
        others = user_model.objects.using(alias).filter(**{name: value})
        if exclude_pk is not None:
            others = others.exclude(pk=exclude_pk)
        if others.exists():
            taken.append(f"{name} {value!r}")
    return taken


def _why_not_matched_by_email(claims: Claims, conf: ReplicaConfig, alias: str, user_model: Any) -> str:
    """Why ``MATCH_EMAIL`` did not link this token to a local user."""
    if not conf.match_email:
        return "e-mail matching (REPLICA['MATCH_EMAIL']) is off"
    email = claims.get("email")
    if not isinstance(email, str) or not email:
        return "the token carries no email (access tokens never do: send the id token)"
    if not email_is_verified(claims):
        return f"email {email!r} is unverified (email_verified is {claims.get('email_verified')!r}, not true)"
    if not _is_pool_issuer(claims.get("iss")):
        return "the token is not from the settings' user pool"
    if "identities" in claims and not conf.match_email_federated:
        return "the token is a federated user's, and REPLICA['MATCH_EMAIL_FEDERATED'] is off"
    if not _storable(email):
        return f"email {email!r} holds a NUL or a lone surrogate, which no local user's e-mail can"
    email_field = user_model.get_email_field_name()
    unlinked = user_model.objects.using(alias).filter(
        **{f"{email_field}__iexact": email, "cognito_identity__isnull": True}
    )
    if unlinked.count() != 1:
        return f"no single local user without a Cognito link has email {email!r}"
    return "the local user of that e-mail changed meanwhile"


def _clash_reason(claims: Claims, wanted: _Wanted, conf: ReplicaConfig, alias: str, user_model: Any) -> str:
    taken = _taken_fields(wanted.fields, alias, user_model)
    clash = " and ".join(taken) if taken else "a unique field of the new user"
    verb = "belong" if len(taken) > 1 else "belongs"
    return (
        f"{clash} {verb} to another local user, not linked to this Cognito user (issuer and sub); "
        f"not matched by e-mail: {_why_not_matched_by_email(claims, conf, alias, user_model)}. Link existing "
        "users with manage.py cognito_link_users (docs/replica.md)"
    )


def _changes(user: Any, wanted: _Wanted) -> dict[str, Any]:
    return {name: value for name, value in wanted.fields.items() if getattr(user, name) != value}


def _groups_differ(digest: str, wanted: _Wanted) -> bool:
    return wanted.manages_groups and digest != wanted.groups_digest


def _older(iat: int | None, synced_iat: int | None) -> bool:
    # An older token (still unexpired) never undoes what a newer one synced.
    return iat is not None and synced_iat is not None and iat < synced_iat


def _update(identity: Any, wanted: _Wanted, alias: str) -> Any:
    from .models import CognitoIdentity

    user = identity.user
    if not getattr(user, "is_active", True):
        raise UserRefusedError("the local user is inactive")
    if _older(wanted.iat, identity.synced_iat):
        return user
    if not _changes(user, wanted) and not _groups_differ(identity.groups_digest, wanted):
        # The read of this request already matches the token: the usual case, and no write.
        return user
    changes: dict[str, Any] = {}
    try:
        with transaction.atomic(using=alias):
            locked = CognitoIdentity.objects.using(alias).select_for_update().get(pk=identity.pk)
            # Everything again from the rows as they are under the lock: a concurrent request may
            # have committed another token's values since the first read, and a change list made
            # from that read would leave them in place (an is_staff the newest token removed).
            user = type(user).objects.using(alias).get(pk=locked.user_id)
            if not getattr(user, "is_active", True):
                raise UserRefusedError("the local user is inactive")
            if _older(wanted.iat, locked.synced_iat):
                return user
            changes = _changes(user, wanted)
            if changes:
                type(user).objects.using(alias).filter(pk=user.pk).update(**changes)
            synced: dict[str, Any] = {"synced_iat": wanted.iat}
            if _groups_differ(locked.groups_digest, wanted):
                # The previous groups read under the lock: a concurrent sync may just have
                # recorded others.
                _sync_groups(user, wanted, _recorded(locked.synced_groups), alias)
                synced.update(groups_digest=wanted.groups_digest, synced_groups=list(wanted.groups))
            # Also when nothing differed any more: an older token still in flight must see that
            # this newer one was synced.
            CognitoIdentity.objects.using(alias).filter(pk=locked.pk).update(**synced)
    except IntegrityError:
        taken = _taken_fields(changes, alias, type(user), exclude_pk=user.pk)
        clash = " and ".join(taken) if taken else "a new field value"
        raise UserRefusedError(
            f"the token changes {clash}, which another local user holds"
        ) from None
    for name, value in changes.items():
        setattr(user, name, value)
    return user


def _create(
    claims: Claims, key: tuple[str, str], wanted: _Wanted, conf: ReplicaConfig, alias: str, user_model: Any
) -> Any:
    """The new identity, or ``None`` when a concurrent request created it first."""
    from .models import CognitoIdentity

    try:
        with transaction.atomic(using=alias):
            user = _match_by_email(claims, conf, alias, user_model)
            if user is None:
                user = user_model(**wanted.fields)
                user.set_unusable_password()
                user.save(using=alias)
            else:
                if not getattr(user, "is_active", True):
                    raise UserRefusedError("the local user is inactive")
                for name, value in wanted.fields.items():
                    setattr(user, name, value)
                user.save(using=alias)
            identity = CognitoIdentity.objects.using(alias).create(
                issuer=key[0],
                sub=key[1],
                user=user,
                groups_digest=wanted.groups_digest if wanted.manages_groups else "",
                synced_groups=list(wanted.groups) if wanted.manages_groups else [],
                synced_iat=wanted.iat,
            )
            if wanted.manages_groups:
                # A user matched by e-mail keeps the groups granted by hand (unless MIRROR).
                _sync_groups(user, wanted, (), alias)
    except IntegrityError:
        # The unique (issuer, sub) or the user name is taken: by a concurrent first request for
        # the same user, which the caller then reads, or by another local user, which it refuses.
        return None
    return identity


def _is_pool_issuer(iss: Any) -> bool:
    """Whether ``iss`` is one of the issuers of the pools the settings trust (not an ALB's
    OpenID Connect provider, nor any other source of tokens)."""
    try:
        return isinstance(iss, str) and iss in fastcognito_settings.verifier.pools
    except ConfigurationError:
        return False


def _may_match_email(claims: Claims, conf: ReplicaConfig) -> str | None:
    """The address to look a local user up by, or ``None`` when this token may not do so."""
    if not conf.match_email or not email_is_verified(claims) or not _is_pool_issuer(claims.get("iss")):
        return None
    if "identities" in claims and not conf.match_email_federated:
        # Cognito puts `identities` on federated users' id tokens: their address is their
        # provider's word, mapped into the pool, not an address Cognito verified.
        return None
    email = claims.get("email")
    if not isinstance(email, str) or not email or not _storable(email):
        return None
    return email


def _match_by_email(claims: Claims, conf: ReplicaConfig, alias: str, user_model: Any) -> Any:
    email = _may_match_email(claims, conf)
    if email is None:
        return None
    email_field = user_model.get_email_field_name()
    candidates = list(
        user_model.objects.using(alias)
        # Lock the user row only: PostgreSQL cannot lock the outer-joined identity side.
        .select_for_update(of=("self",))
        .filter(**{f"{email_field}__iexact": email, "cognito_identity__isnull": True})[:2]
    )
    # Two local users with one address: no way to tell which one is this person.
    return candidates[0] if len(candidates) == 1 else None


def _recorded(value: Any) -> tuple[str, ...]:
    """``CognitoIdentity.synced_groups`` as stored: a list of names (anything else: none)."""
    if not isinstance(value, list):
        return ()
    return tuple(name for name in value if isinstance(name, str))


def _sync_groups(user: Any, wanted: _Wanted, previous: tuple[str, ...], alias: str) -> None:
    """The user's Django groups after a token: the token's ``cognito:groups`` added, and the
    ones Cognito listed before (``previous``) but no longer does removed. Groups the replica
    never synced were granted by hand and stay, unless ``MIRROR`` makes the groups exactly the
    token's."""
    from django.contrib.auth.models import Group

    names = wanted.groups
    groups = {group.name: group for group in Group.objects.using(alias).filter(name__in=names)}
    for name in names:
        if name not in groups:
            # get_or_create retries its get inside a savepoint when a concurrent insert wins.
            groups[name], _ = Group.objects.using(alias).get_or_create(name=name)
    if wanted.mirror:
        user.groups.set(list(groups.values()))
        return
    dropped = set(previous).difference(names)
    if dropped:
        user.groups.remove(*Group.objects.using(alias).filter(name__in=dropped))
    if groups:
        user.groups.add(*groups.values())
