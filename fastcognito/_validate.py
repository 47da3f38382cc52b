"""The small validators every layer uses, written once.

A leaf: it imports only ``_constants`` and ``exceptions``, so the core, the sign-in protocol, the
tools and the Django layer can all use it. URLs (https, or plain http on this machine for
emulators), string sets, numbers, JSON objects, the sentinel of arguments and settings that must
be given, and the environment variables that stand in for settings.
"""

from __future__ import annotations

import ipaddress
import json
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from ._constants import MAX_JSON_DEPTH
from .exceptions import ConfigurationError, MalformedTokenError

__all__ = [
    "ENVIRONMENT",
    "UNSET",
    "as_tuple",
    "check_url",
    "environment_value",
    "integer",
    "is_https_url",
    "is_int_within",
    "is_loopback",
    "is_string_collection",
    "json_object",
    "number",
    "reject_constant",
    "string_set",
    "strings",
    "unique_object",
]


class _Unset:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<required>"

    def __bool__(self) -> bool:
        return False

    def __reduce__(self) -> str:
        return "UNSET"  # pickled by name: one instance per process


UNSET: Any = _Unset()
"""The default of an argument or a setting that must be given: ``None`` may be a valid value
(``client_id=None`` accepts every app client, but only when said)."""

# Environment variables read for settings that are not given, the first one set (and not empty)
# wins. Djognito 0.1.1 reads AWS_COGNITO_USER_POOL_ID, AWS_COGNITO_REGION,
# AWS_COGNITO_APP_CLIENT_ID and ACCESS_TOKEN_KEY (the cookie that carries the access token);
# APP_CLIENT_ID is accepted after AWS_COGNITO_APP_CLIENT_ID for set-ups that used that name.
# Emulators need ISSUER and JWKS_URL, which Djognito had no variable for: they follow its pattern.
# Keyed by the FASTCOGNITO key; the command line reads the same table.
ENVIRONMENT: Mapping[str, tuple[str, ...]] = {
    "USER_POOL_ID": ("AWS_COGNITO_USER_POOL_ID",),
    "REGION": ("AWS_COGNITO_REGION",),
    "CLIENT_ID": ("AWS_COGNITO_APP_CLIENT_ID", "APP_CLIENT_ID"),
    "ISSUER": ("AWS_COGNITO_ISSUER",),
    "JWKS_URL": ("AWS_COGNITO_JWKS_URL",),
    "COOKIE_NAME": ("ACCESS_TOKEN_KEY",),
}


def environment_value(key: str, environ: Mapping[str, str]) -> tuple[str, str] | None:
    """``(variable, value)`` of the first variable of ``ENVIRONMENT[key]`` that is set and not
    empty, or ``None``."""
    for name in ENVIRONMENT.get(key, ()):
        value = environ.get(name)
        if value:
            return name, value
    return None


# --- URLs -----------------------------------------------------------------------------------------


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` names this machine: ``localhost`` (and ``*.localhost``) or a loopback IP."""
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_https_url(value: object) -> bool:
    """Whether ``value`` is an https URL with a host, or a plain http URL on loopback."""
    if not isinstance(value, str) or not value:
        return False
    try:
        parts = urlsplit(value)
        host = parts.hostname
    except ValueError:  # an unclosed IPv6 bracket, a bad port
        return False
    return (parts.scheme == "https" and bool(host)) or (parts.scheme == "http" and is_loopback(host))


def check_url(name: str, url: object) -> str:
    """``url`` when it is https, or http on loopback (emulators such as moto); otherwise
    ``ConfigurationError`` naming ``name``."""
    if not isinstance(url, str) or not url:
        raise ConfigurationError(f"{name} must be a non-empty string")
    if not is_https_url(url):
        raise ConfigurationError(
            f"{name} must be an https URL (plain http is accepted only for localhost), got {url!r}"
        )
    return url


# --- strings --------------------------------------------------------------------------------------


def is_string_collection(value: object, *, allow_empty: bool = True) -> bool:
    """Whether ``value`` is a non-empty string, or a collection (not a mapping) of non-empty
    strings; empty only with ``allow_empty``."""
    if isinstance(value, str):
        return bool(value)
    if not isinstance(value, Iterable) or isinstance(value, Mapping):
        return False
    items = list(value)
    return (allow_empty or bool(items)) and all(isinstance(item, str) and item for item in items)


def strings(value: object) -> tuple[str, ...] | None:
    """``value`` as a tuple of non-empty strings (one string is a tuple of one), or ``None``
    when it is not one string nor a collection of them."""
    if isinstance(value, str):
        return (value,)
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        items = tuple(value)
        if all(isinstance(item, str) and item for item in items):
            return items
    return None


def as_tuple(value: Any) -> tuple[Any, ...]:
    """A setting already checked to be strings, as a tuple: ``None`` is empty, one string is one."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def string_set(name: str, value: object, *, allow_none: bool) -> frozenset[str] | None:
    """One string or a collection of them, as a frozenset (never empty). ``None`` only with
    ``allow_none``; a mapping or bytes is not a collection of strings."""
    if value is None:
        if allow_none:
            return None
        raise ConfigurationError(f"{name} may not be None")
    if isinstance(value, str):
        items: Iterable[object] = (value,)
    elif isinstance(value, Iterable) and not isinstance(value, (bytes, bytearray, Mapping)):
        items = value
    else:
        raise ConfigurationError(f"{name} must be a string or a collection of strings")
    try:
        result = frozenset(items)
    except TypeError:
        raise ConfigurationError(f"{name} must be a string or a collection of strings") from None
    if not result or not all(isinstance(item, str) and item for item in result):
        raise ConfigurationError(f"{name} must be a non-empty string or a non-empty collection of them")
    return result  # type: ignore[return-value]


# --- numbers --------------------------------------------------------------------------------------


def number(name: str, value: object, *, minimum: float = 0) -> float:
    """A finite int or float (not a bool) of at least ``minimum``, as a float."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ConfigurationError(f"{name} must be a finite number, got {value!r}")
    if value < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum}, got {value!r}")
    return float(value)


def integer(name: str, value: object, *, minimum: int) -> int:
    """An int (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigurationError(f"{name} must be an integer of at least {minimum}, got {value!r}")
    return value


def is_int_within(value: object, low: int, high: int) -> bool:
    """Whether ``value`` is an int (not a bool) from ``low`` to ``high``."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


# --- JSON -----------------------------------------------------------------------------------------


def reject_constant(name: str) -> Any:
    """``parse_constant`` of every decoder: NaN and Infinity are not JSON (RFC 8259 §6)."""
    raise ValueError(f"{name} is not JSON")


def unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``object_pairs_hook`` refusing a repeated member name (RFC 7515 §5.2 for JOSE headers)."""
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member name")
    return result


# Built once: json.loads with any keyword builds a new decoder on every call.
_DECODER = json.JSONDecoder(parse_constant=reject_constant)
_UNIQUE_DECODER = json.JSONDecoder(parse_constant=reject_constant, object_pairs_hook=unique_object)


def json_object(
    raw: bytes, what: str, *, unique: bool = False, too_deep: Callable[[str], bool] | None = None
) -> dict[str, Any]:
    """``raw`` as a JSON object (strict UTF-8, RFC 7519 §7.2), or ``MalformedTokenError`` naming
    ``what``. ``unique`` refuses repeated member names; ``too_deep(text)`` is asked first, so a
    recursive parser never sees nesting it could not take."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise MalformedTokenError(f"the {what} is not valid JSON") from err
    if too_deep is not None and too_deep(text):
        raise MalformedTokenError(f"the {what} nests arrays or objects more than {MAX_JSON_DEPTH} deep")
    try:
        value = (_UNIQUE_DECODER if unique else _DECODER).decode(text)
    except (ValueError, RecursionError) as err:
        raise MalformedTokenError(f"the {what} is not valid JSON") from err
    if type(value) is not dict:
        raise MalformedTokenError(f"the {what} is not a JSON object")
    return value
