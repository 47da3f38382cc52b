"""``FASTCOGNITO["REPLICA"]``: the replica's keys, their defaults, and their parsing.

Parsed once per settings change (a per-process cache of configuration only), like HOSTED_UI.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from ...claims import Claims
from ...exceptions import ConfigurationError
from ..conf import SETTINGS_NAME, fastcognito_settings

__all__ = ["REPLICA_DEFAULTS", "ReplicaConfig", "replica_config"]

REPLICA_DEFAULTS: dict[str, Any] = {
    # Link a new Cognito user to an existing local user with the same e-mail. Only ever when the
    # token says email_verified is the JSON boolean true (otherwise anyone could register a
    # victim's address), and only for users of the pool itself (the token's iss is the pool's).
    "MATCH_EMAIL": False,
    # Also for the pool's federated users (SAML, OIDC, social: their id tokens carry `identities`),
    # whose address is whatever their provider asserts. Needs MATCH_EMAIL.
    "MATCH_EMAIL_FEDERATED": False,
    # callable(claims) -> dict of field values for AUTH_USER_MODEL; raise UserRefusedError to refuse.
    "USER_FIELDS": "fastcognito.django.users.sync.default_user_fields",
    # After the sign-in callback (and password sign-in), also log the replica user into Django's
    # session, for the admin and session-based views.
    "SESSION_LOGIN": False,
    "SESSION_BACKEND": "django.contrib.auth.backends.ModelBackend",
    # The token exchange endpoint: Cognito claims copied into the issued pair, and a
    # callable(user, claims) -> dict of further claims.
    "EXCHANGE_CLAIMS": (),
    "EXCHANGE_EXTRA_CLAIMS": None,
    # The exchanged pair lives no longer than the Cognito token it was exchanged for.
    "EXCHANGE_CAP_EXP": True,
    # The database alias the replica reads and writes (None: the project's routers decide).
    "DATABASE": None,
}


@dataclass(frozen=True)
class ReplicaConfig:
    match_email: bool
    match_email_federated: bool
    user_fields: Callable[[Claims], dict[str, Any]]
    session_login: bool
    session_backend: str
    exchange_claims: tuple[str, ...]
    exchange_extra_claims: Callable[[Any, Claims], Mapping[str, Any]] | None
    exchange_cap_exp: bool
    database: str | None


def _callable(name: str, value: Any) -> Any:
    if value is None or callable(value):
        return value
    if isinstance(value, str):
        try:
            return import_string(value)
        except ImportError as err:
            raise ConfigurationError(f"{SETTINGS_NAME}['REPLICA'][{name!r}] = {value!r} cannot be imported: {err}") from err
    raise ConfigurationError(f"{SETTINGS_NAME}['REPLICA'][{name!r}] must be a callable or an import string")


def parse_replica(raw: Any) -> ReplicaConfig:
    """``REPLICA`` checked and parsed; raises ``ConfigurationError`` naming the bad key."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ConfigurationError(f"{SETTINGS_NAME}['REPLICA'] must be a dict")
    unknown = sorted(set(raw) - set(REPLICA_DEFAULTS))
    if unknown:
        raise ConfigurationError(
            f"{SETTINGS_NAME}['REPLICA'] has unknown keys {unknown}; known: {sorted(REPLICA_DEFAULTS)}"
        )
    values = {**REPLICA_DEFAULTS, **raw}
    for name in ("MATCH_EMAIL", "MATCH_EMAIL_FEDERATED", "SESSION_LOGIN", "EXCHANGE_CAP_EXP"):
        if not isinstance(values[name], bool):
            raise ConfigurationError(f"{SETTINGS_NAME}['REPLICA'][{name!r}] must be True or False")
    if values["MATCH_EMAIL_FEDERATED"] and not values["MATCH_EMAIL"]:
        raise ConfigurationError(
            f"{SETTINGS_NAME}['REPLICA']['MATCH_EMAIL_FEDERATED'] has no effect without MATCH_EMAIL"
        )
    claims = values["EXCHANGE_CLAIMS"]
    if isinstance(claims, str) or not all(isinstance(claim, str) for claim in claims):
        raise ConfigurationError(f"{SETTINGS_NAME}['REPLICA']['EXCHANGE_CLAIMS'] must be a list of claim names")
    database = values["DATABASE"]
    if database is not None and not isinstance(database, str):
        raise ConfigurationError(f"{SETTINGS_NAME}['REPLICA']['DATABASE'] must be a database alias")
    backend = values["SESSION_BACKEND"]
    if not isinstance(backend, str):
        raise ConfigurationError(f"{SETTINGS_NAME}['REPLICA']['SESSION_BACKEND'] must be an import string")
    user_fields = _callable("USER_FIELDS", values["USER_FIELDS"])
    if user_fields is None:
        raise ConfigurationError(f"{SETTINGS_NAME}['REPLICA']['USER_FIELDS'] must be set")
    return ReplicaConfig(
        match_email=values["MATCH_EMAIL"],
        match_email_federated=values["MATCH_EMAIL_FEDERATED"],
        user_fields=user_fields,
        session_login=values["SESSION_LOGIN"],
        session_backend=backend,
        exchange_claims=tuple(claims),
        exchange_extra_claims=_callable("EXCHANGE_EXTRA_CLAIMS", values["EXCHANGE_EXTRA_CLAIMS"]),
        exchange_cap_exp=values["EXCHANGE_CAP_EXP"],
        database=database,
    )


_lock = threading.Lock()
_parsed: list[ReplicaConfig] = []


def replica_config() -> ReplicaConfig:
    """The parsed ``REPLICA`` of the current settings (parsed once per settings change)."""
    if _parsed:
        return _parsed[0]
    with _lock:
        if not _parsed:
            user = fastcognito_settings.user_settings
            _parsed.append(parse_replica(user.get("REPLICA") if isinstance(user, Mapping) else None))
        return _parsed[0]


def _forget(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTINGS_NAME:
        with _lock:
            _parsed.clear()


setting_changed.connect(_forget, dispatch_uid="fastcognito.django.users.config.forget")
