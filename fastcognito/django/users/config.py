"""``FASTCOGNITO["REPLICA"]``: parsed into a ``ReplicaConfig``.

Its keys, defaults and validators are in the settings schema (``conf.SCHEMA``). Parsed once per
settings change (a value derived from the settings, dropped by their one reload), like HOSTED_UI.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ...claims import Claims
from ...exceptions import ConfigurationError
from ..conf import (
    DERIVED,
    NOT_BUILT,
    SETTINGS_NAME,
    Problem,
    defaults_of,
    fastcognito_settings,
    key_problems,
    schema_of,
    unknown_key_problems,
)

__all__ = [
    "REPLICA_DEFAULTS",
    "ExchangeCookie",
    "ReplicaConfig",
    "parse_replica",
    "replica_config",
    "replica_problems",
]

REPLICA_DEFAULTS: dict[str, Any] = defaults_of("REPLICA")
"""Every key of ``REPLICA`` and its default, from the settings schema."""

_SCHEMA = schema_of("REPLICA")


@dataclass(frozen=True)
class ExchangeCookie:
    """``REPLICA["EXCHANGE_REFRESH_COOKIE"]``: the HttpOnly cookie that holds the exchanged refresh
    token (always ``HttpOnly``; ``Secure`` except for a loopback host under ``DEBUG``)."""

    name: str
    path: str
    domain: str | None
    samesite: str


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
    mirror: bool = False
    exchange_user_fields: tuple[str, ...] = ()
    exchange_refresh_cookie: ExchangeCookie | None = None


def _key(name: str) -> str:
    return f"{SETTINGS_NAME}['REPLICA'][{name!r}]"


def replica_problems(raw: Any) -> list[Problem]:
    """What the system checks report about ``REPLICA`` (``raw``, as configured) on its own (E201)."""
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        return [Problem("E201", f"{SETTINGS_NAME}['REPLICA'] must be a dict, got {type(raw).__name__}.")]
    values = {**REPLICA_DEFAULTS, **raw}
    problems = unknown_key_problems("REPLICA", raw) + key_problems("REPLICA", values.__getitem__, _key)
    if values["MATCH_EMAIL_FEDERATED"] is True and values["MATCH_EMAIL"] is False:
        message = f"{_key('MATCH_EMAIL_FEDERATED')} has no effect without MATCH_EMAIL."
        problems.append(Problem("E201", message))
    return problems


def parse_replica(raw: Any) -> ReplicaConfig:
    """``REPLICA`` checked and parsed; raises ``ConfigurationError`` naming every problem."""
    problems = replica_problems(raw)
    if problems:
        raise ConfigurationError("; ".join(problem.message for problem in problems))
    values = {**REPLICA_DEFAULTS, **(raw or {})}
    for key, setting in _SCHEMA.items():
        if setting.parse is not None:
            values[key] = setting.parse(values[key])
    return ReplicaConfig(
        match_email=values["MATCH_EMAIL"],
        match_email_federated=values["MATCH_EMAIL_FEDERATED"],
        user_fields=values["USER_FIELDS"],
        session_login=values["SESSION_LOGIN"],
        session_backend=values["SESSION_BACKEND"],
        exchange_claims=values["EXCHANGE_CLAIMS"],
        exchange_extra_claims=values["EXCHANGE_EXTRA_CLAIMS"],
        exchange_cap_exp=values["EXCHANGE_CAP_EXP"],
        database=values["DATABASE"],
        mirror=values["MIRROR"],
        exchange_user_fields=values["EXCHANGE_USER_FIELDS"],
        exchange_refresh_cookie=_exchange_cookie(values["EXCHANGE_REFRESH_COOKIE"]),
    )


def _exchange_cookie(cookie: Mapping[str, Any] | None) -> ExchangeCookie | None:
    if cookie is None:
        return None
    return ExchangeCookie(
        name=cookie["NAME"], path=cookie["PATH"], domain=cookie["DOMAIN"], samesite=cookie["SAMESITE"]
    )


def _parsed() -> ReplicaConfig:
    user = fastcognito_settings.user_settings
    return parse_replica(user.get("REPLICA") if isinstance(user, Mapping) else None)


def replica_config() -> ReplicaConfig:
    """The parsed ``REPLICA`` of the current settings (parsed once per settings change)."""
    config: ReplicaConfig = DERIVED.replica  # per request: a slot read
    if config is NOT_BUILT:
        config = fastcognito_settings.derive("replica", _parsed)
    return config
