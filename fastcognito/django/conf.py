"""Settings: the schema of ``FASTCOGNITO``, and the settings object, read lazily and reloaded in place.

``SCHEMA`` is the one table of every key of ``FASTCOGNITO`` and of its sub-dicts (``HOSTED_UI``,
``ALB``, ``REPLICA``): its default, the environment variables that stand in for it, its validator
and the id of the system check that reports it. The defaults (``DEFAULTS``,
``HOSTED_UI_DEFAULTS``...), the system checks (``key_problems``, and the rules of ``checks.py``)
and docs/settings.md (``scripts/settings_doc.py``) are all generated from it.

``fastcognito_settings`` is one long-lived object. Attribute access resolves a key from
``settings.FASTCOGNITO``, then from the environment variables (Djognito's, for people migrating),
then from the default, and caches it on the object. What is built from the settings (the
verifier, the request policy, the parsed ``HOSTED_UI`` and ``REPLICA``, the ALB verifier) is kept
on it too. One ``setting_changed`` receiver (``override_settings``) drops all of it in place, so
every module that imported the object sees the new values: the object is never rebound.

The app config validates these settings and builds the verifier at start-up. Used without the
app in ``INSTALLED_APPS``, the first read of ``fastcognito_settings`` (the first request through
``CognitoAuthentication`` or ``CognitoMiddleware``) raises ``ImproperlyConfigured``: settings that
nothing has checked are never used.
"""

from __future__ import annotations

import difflib
import inspect
import json
import math
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple, TypeVar
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error
from django.core.checks import Warning as CheckWarning
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from .._constants import (
    DEFAULT_CACHE_SIZE,
    DEFAULT_MAX_TOKEN_BYTES,
    DENYLIST_TIMEOUT,
    JWKS_CONNECT_TIMEOUT,
    JWKS_COOLDOWN,
    JWKS_MAX_BYTES,
    JWKS_READ_TIMEOUT,
    MAX_DENYLIST_STALENESS,
    TOKEN_USES,
)
from .._validate import (
    ENVIRONMENT,
    UNSET,
    as_tuple,
    environment_value,
    is_https_url,
    is_int_within,
    is_string_collection,
    strings,
)
from ..claims import Claims
from ..exceptions import ConfigurationError, JWKSError
from ..jwk import KeySet
from ..oauth import DEFAULT_TIMEOUT
from ..verifier import ISSUER_FORMS, CognitoVerifier, parse_user_pool_id

__all__ = [
    "APP_NAME",
    "CHECK_IDS",
    "DEFAULTS",
    "DEFAULT_ACCESS_COOKIE",
    "DERIVED",
    "DOCS",
    "ENVIRONMENT_FALLBACKS",
    "SCHEMA",
    "SETTINGS_NAME",
    "UNSET",
    "DerivedValues",
    "FastCognitoSettings",
    "NOT_BUILT",
    "Problem",
    "Setting",
    "check_messages",
    "defaults_of",
    "fastcognito_settings",
    "key_problems",
    "reason_of",
    "schema_of",
    "show_type",
    "show_value",
    "unknown_key_problems",
]

SETTINGS_NAME = "FASTCOGNITO"
DEFAULT_ACCESS_COOKIE = "fastcognito_access"
"""The access cookie of the sign-in views when ``COOKIE_NAME`` is not set (``HOSTED_UI``)."""
APP_NAME = "fastcognito.django"
DOCS = "Every setting and check: docs/settings.md."
"""Ends every system check's hint."""

_T = TypeVar("_T")


# --- the schema -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One key of ``FASTCOGNITO`` (``section`` ``""``) or of one of its sub-dicts."""

    key: str
    default: Any  # UNSET: it must be given
    check: str  # the id of the check that reports a bad value, e.g. "E009"
    doc: str  # one line for docs/settings.md
    section: str = ""
    # Returns whether a value is valid, or raises ConfigurationError saying why not. None: a rule
    # of its own (checks.py, or its section's module) checks the key, under the id ``check``.
    valid: Callable[[Any], object] | None = None
    must: str = ""  # what a valid value is, for the check's message
    hint: str | None = None
    missing: str | None = None  # the id reported when it is not given (a None default counts)
    rules: tuple[str, ...] = ()  # the ids of the other checks that read it (checks.RULES...)
    parse: Callable[[Any], Any] | None = None  # a valid value to what the code uses
    shown: str | None = None  # the default as the docs show it, when its repr would not say it
    argument: str | None = None  # the keyword argument it becomes (ALB: of AlbVerifier)
    # A secret, or a dict that holds one: no message ever shows its value, only its type (a
    # mistyped secret, such as a tuple left by a trailing comma, is still the secret).
    secret: bool = False

    @property
    def env(self) -> tuple[str, ...]:
        """The environment variables that stand in for it, the first one set wins."""
        return () if self.section else ENVIRONMENT.get(self.key, ())


def _bool(value: object) -> bool:
    return isinstance(value, bool)


def _optional_name(value: object) -> bool:
    return value is None or (isinstance(value, str) and bool(value))


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _pool_id(value: object) -> bool:
    parse_user_pool_id(value)  # raises, saying why
    return True


def _client_ids(value: object) -> bool:
    return value is None or is_string_collection(value, allow_empty=False)


def _header_types(value: object) -> bool:
    return is_string_collection(value, allow_empty=False) and not any(
        any(char.isspace() for char in header_type) for header_type in as_tuple(value)
    )


def _group_names(value: object) -> bool:
    return value is None or is_string_collection(value)


def _group_permissions(value: object) -> bool:
    return value is None or (
        isinstance(value, Mapping)
        and all(
            isinstance(group, str)
            and not isinstance(perms, str)
            and is_string_collection(perms)
            and all(perm.count(".") >= 1 and "" not in perm.split(".", 1) for perm in perms)
            for group, perms in value.items()
        )
    )


def import_setting(name: str, value: Any) -> Any:
    """``value``, or the object its import string names; ``ConfigurationError`` otherwise."""
    if not isinstance(value, str):
        return value
    try:
        return import_string(value)
    except ImportError as err:
        raise ConfigurationError(f"{name} = {value!r} cannot be imported: {err}") from err


def _user_class(value: object) -> bool:
    user_class: Any = import_string(value) if isinstance(value, str) else value
    # DRF's permissions and Django's views read user.is_authenticated: anything else would fail
    # per request, as a 500.
    is_factory = inspect.isroutine(user_class) and getattr(user_class, "fastcognito_user_factory", False)
    if not is_factory and (not inspect.isclass(user_class) or not hasattr(user_class, "is_authenticated")):
        raise ConfigurationError(
            "it is not a user class (a class with is_authenticated) nor a function marked with "
            "@fastcognito.django.user_factory"
        )
    try:
        inspect.signature(user_class).bind(Claims({}))
    except ValueError:
        pass  # no signature to read (some builtins): it may still work
    except TypeError as err:
        raise ConfigurationError(f"it cannot be called with the claims alone ({err})") from None
    return True


def _realm(value: object) -> bool:
    # RFC 7235 §2.2: the realm is a quoted-string in a header, so printable ASCII only.
    return (
        isinstance(value, str)
        and bool(value)
        and value.isascii()
        and value.isprintable()
        and not any(char in value for char in '"\\')
    )


def _issuer_form(value: object) -> bool:
    return isinstance(value, str) and value in ISSUER_FORMS


def load_jwks_setting(value: Any) -> Mapping[str, Any] | None:
    """``FASTCOGNITO["JWKS"]``: a JWKS document, or the path of a JSON file holding one (read
    here, at most ``JWKS_MAX_BYTES``); ``ConfigurationError`` saying what is wrong."""
    if value is None or isinstance(value, Mapping):
        return value
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise ConfigurationError(
            f"it must be a JWKS document (a dict) or the path of a JSON file, got {type(value).__name__}"
        )
    path = os.fspath(value)
    try:
        with open(path, "rb") as file:
            raw = file.read(JWKS_MAX_BYTES + 1)
    except (OSError, ValueError) as err:  # ValueError: a NUL in the path
        raise ConfigurationError(f"the file cannot be read: {getattr(err, 'strerror', None) or err}") from err
    if len(raw) > JWKS_MAX_BYTES:
        raise ConfigurationError(f"the file is larger than {JWKS_MAX_BYTES} bytes")
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise ConfigurationError(f"the file is not JSON: {err}") from err
    if not isinstance(document, dict):
        raise ConfigurationError("the file does not hold a JSON object")
    return document


def _jwks(value: object) -> bool:
    document = load_jwks_setting(value)
    if document is not None:
        try:
            KeySet.from_jwks(document)
        except JWKSError as err:
            raise ConfigurationError(f"it is not a usable JWKS: {err}") from err
    return True


def jwks_timeout_setting(value: Any) -> tuple[Any, Any] | None:
    """``FASTCOGNITO["JWKS_TIMEOUT"]`` as a (connect, read) pair, or ``None`` when it is neither
    one number nor a pair."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return (value[0], value[1])
    return None


def _seconds(value: object, high: float = math.inf) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0.001 <= value < high


def _jwks_timeout(value: object) -> bool:
    pair = jwks_timeout_setting(value)
    return pair is not None and all(_seconds(part) for part in pair)


def _staleness(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and 0 <= value <= MAX_DENYLIST_STALENESS  # NaN fails both comparisons
    )


def _machine_clients(value: object) -> bool:
    return value == "*" or is_string_collection(value)


def _https_base_url(value: object) -> bool:
    return is_https_url(value) and urlsplit(str(value)).path in ("", "/")


def _scopes(value: object) -> bool:
    scopes = strings(value)
    return scopes is not None and "openid" in scopes and not any(" " in scope for scope in scopes)


def _site_path(value: object) -> bool:
    return isinstance(value, str) and value.startswith("/") and not value.startswith("//")


def _cookie_name(value: object) -> bool:
    return isinstance(value, str) and bool(value) and value.replace("_", "").replace("-", "").isalnum()


def _signin_timeout(value: object) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = (value, value)
    return isinstance(value, tuple) and len(value) == 2 and all(_seconds(part, 60.0001) for part in value)


def _cache_alias(value: object) -> bool:
    return isinstance(value, str) and value in getattr(settings, "CACHES", {"default": {}})


def _callable_or_import(value: object) -> bool:
    if value is None or callable(value):
        return True
    if not isinstance(value, str):
        return False
    import_string(value)  # raises, saying why
    return True


def _claim_names(value: object) -> bool:
    return (
        not isinstance(value, str)
        and isinstance(value, Iterable)
        and all(isinstance(claim, str) for claim in value)
    )


EXCHANGE_COOKIE_DEFAULTS: Mapping[str, Any] = {
    "NAME": "fastcognito_exchange",
    "PATH": "/auth",
    "DOMAIN": None,
    "SAMESITE": "Strict",
}
"""The keys of ``REPLICA["EXCHANGE_REFRESH_COOKIE"]`` given as a dict, and their defaults."""


def exchange_cookie_setting(value: Any) -> dict[str, Any] | None:
    """``REPLICA["EXCHANGE_REFRESH_COOKIE"]`` as a full dict of ``EXCHANGE_COOKIE_DEFAULTS``'s
    keys, or ``None`` (off); ``ConfigurationError`` saying what is wrong. ``True`` is every
    default, a string the cookie's name."""
    if value is None or value is False:
        return None
    if value is True:
        value = {}
    elif isinstance(value, str):
        value = {"NAME": value}
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f"it must be None, True, a cookie name or a dict of {', '.join(EXCHANGE_COOKIE_DEFAULTS)}, "
            f"got a {type(value).__name__}"
        )
    unknown = [key for key in value if key not in EXCHANGE_COOKIE_DEFAULTS]
    if unknown:
        raise ConfigurationError(
            f"unknown key {show_value(unknown[0])}; the keys are {', '.join(EXCHANGE_COOKIE_DEFAULTS)}"
        )
    cookie = {**EXCHANGE_COOKIE_DEFAULTS, **value}
    if not _cookie_name(cookie["NAME"]):
        raise ConfigurationError(
            f"NAME must be a cookie name of letters, digits, '-' and '_', got {show_value(cookie['NAME'])}"
        )
    if not (isinstance(cookie["PATH"], str) and cookie["PATH"].startswith("/")):
        raise ConfigurationError(f"PATH must be a path starting with '/', got {show_value(cookie['PATH'])}")
    if not _optional_name(cookie["DOMAIN"]):
        raise ConfigurationError(f"DOMAIN must be a domain or None, got {show_value(cookie['DOMAIN'])}")
    # "None" would send the refresh token with cross-site requests, leaving CSRF as its one guard.
    if cookie["SAMESITE"] not in ("Strict", "Lax"):
        raise ConfigurationError(f"SAMESITE must be 'Strict' or 'Lax', got {show_value(cookie['SAMESITE'])}")
    return cookie


def _exchange_cookie(value: object) -> bool:
    exchange_cookie_setting(value)  # raises, saying why
    return True


# Never copied into a token: a password hash is a secret even when hashed.
_SECRET_USER_FIELDS = frozenset({"password"})


def _user_field_names(value: object) -> bool:
    if isinstance(value, str) or not isinstance(value, Iterable):
        return False
    for name in value:
        if not isinstance(name, str) or not name.isidentifier() or name.startswith("_"):
            return False
        if name in _SECRET_USER_FIELDS:
            raise ConfigurationError(f"{name!r} is a secret and never goes into a token")
    return True


MAX_TRUSTED_PROXIES = 16
MAX_PENDING_SIGNINS = 20


def _hosted(key: str, default: Any, check: str, doc: str, **options: Any) -> Setting:
    return Setting(key, default, check, doc, section="HOSTED_UI", **options)


def _alb(key: str, default: Any, argument: str, doc: str, **options: Any) -> Setting:
    # Every ALB key is checked by building the AlbVerifier (E134), which names what is wrong.
    return Setting(key, default, "E134", doc, section="ALB", argument=argument, **options)


def _replica_import(key: str) -> Callable[[Any], Any]:
    return lambda value: import_setting(f"{SETTINGS_NAME}['REPLICA'][{key!r}]", value)


def _replica(key: str, default: Any, doc: str, **options: Any) -> Setting:
    return Setting(key, default, "E201", doc, section="REPLICA", **options)


SCHEMA: tuple[Setting, ...] = (
    Setting("USER_POOL_ID", None, "E004", "`<region>_<id>`, e.g. `eu-west-1_AbC123xyz`.",
            missing="E003", valid=_pool_id, hint="Set it to your user pool id, e.g. 'eu-west-1_AbC123'."),
    Setting("REGION", None, "E017", "Only to be explicit: it must be the pool id's Region.",
            shown="the pool id's Region"),
    Setting("CLIENT_ID", UNSET, "E006",
            "App client id(s) a token must be issued to; `None` (explicit) accepts every client of the pool.",
            missing="E005", valid=_client_ids, must="a string, a non-empty list of strings or None",
            hint="Set the app client id (or a list of them) that tokens must be issued to, or "
            "CLIENT_ID=None to accept tokens of every app client of the pool on purpose."),
    Setting("TOKEN_USE", "access", "E007", '`"access"`, `"id"`, or `None` (both, explicitly).',
            valid=lambda value: value is None or (isinstance(value, str) and value in TOKEN_USES),
            must="'access', 'id' or None", rules=("E114",),
            hint="Use 'access' (APIs), 'id', or None to accept both on purpose."),
    Setting("ISSUER", None, "E017", "The exact `iss`, for emulators and proxies: https, or http on loopback.",
            shown="`https://cognito-idp.{region}.amazonaws.com/{pool}`"),
    Setting("JWKS_URL", None, "E017", "Where the keys are fetched; may be set without `ISSUER` (moto).",
            shown="`{ISSUER}/.well-known/jwks.json`"),
    Setting("LEEWAY", 0, "E017", "Seconds of clock skew allowed on `exp`, `iat` and `nbf`."),
    Setting("CACHE_SIZE", DEFAULT_CACHE_SIZE, "E017",
            "Verified tokens kept in the claims cache; `0` turns it off."),
    Setting("AUTH_HEADER_TYPES", ("Bearer",), "E011",
            "Accepted `Authorization` schemes (case-insensitive); the first is the challenge's.",
            valid=_header_types, must="a non-empty list of words, e.g. ('Bearer',)", parse=as_tuple),
    Setting("ACCEPT_BARE_TOKEN", False, "E020",
            "Also read `Authorization: <jwt>` with no scheme, for frontends that cannot change yet.",
            valid=_bool, must="True or False", rules=("W012",)),
    Setting("COOKIE_NAME", None, "E009", "A cookie holding the access token; the header is tried first.",
            rules=("E010", "E112", "E113", "W011"),
            valid=_optional_name, must="a non-empty string or None",
            shown='`None` (no cookie; `"fastcognito_access"` with `HOSTED_UI`)'),
    Setting("STAFF_GROUPS", (), "E012", "Cognito groups whose members get `user.is_staff`.",
            valid=_group_names, must="a list of group names", parse=as_tuple),
    Setting("SUPERUSER_GROUPS", (), "E012", "Cognito groups whose members get `user.is_superuser`.",
            valid=_group_names, must="a list of group names", parse=as_tuple),
    Setting("GROUP_PERMISSIONS", {}, "E013",
            'Group name to a list of `"app_label.codename"`, for `has_perm`.', valid=_group_permissions,
            must="a dict mapping group names to lists of 'app_label.codename' strings",
            hint="e.g. {'editors': ['blog.add_post', 'blog.change_post']}"),
    Setting("USER_CLASS", "fastcognito.django.CognitoUser", "E008",
            "Import path of the user class, or of a `@user_factory` function, called with the claims.",
            valid=_user_class, parse=lambda value: import_setting(f"{SETTINGS_NAME}['USER_CLASS']", value),
            hint="Give the import path of a user class called with the token's claims, e.g. "
            "'fastcognito.django.CognitoUser' or a subclass, or of a function marked with "
            "@fastcognito.django.user_factory, e.g. 'fastcognito.django.users.replica_user'."),
    Setting("PREFETCH_JWKS", False, "E014", "Fetch the keys at start-up, in processes that serve requests.",
            valid=_bool, must="True or False"),
    Setting("PREFETCH_JWKS_FATAL", False, "E014", "With `PREFETCH_JWKS`, a failed prefetch stops start-up.",
            valid=_bool, must="True or False"),
    Setting("HOSTED_UI", None, "E015", "The sign-in views: a dict of the keys below.",
            valid=lambda value: value is None or isinstance(value, Mapping), must="a dict or None",
            secret=True),
    Setting("REPLICA", None, "E201", "The opt-in user replica: a dict of the keys below."),
    Setting("GROUPS", None, "E017", "Groups every token must have one of (else 401 `missing_group`)."),
    Setting("SCOPES", None, "E017", "Scopes every token must have one of (else 401 `missing_scope`)."),
    Setting("JWKS_COOLDOWN", JWKS_COOLDOWN, "E017",
            "Least seconds between two refreshes for unknown `kid`s; the `Retry-After` of a 503."),
    Setting("MAX_TOKEN_BYTES", DEFAULT_MAX_TOKEN_BYTES, "E017",
            "Larger tokens are `malformed`, before any parsing."),
    Setting("WWW_AUTHENTICATE_REALM", "api", "E016", "The `realm` of the `WWW-Authenticate` challenge.",
            valid=_realm, must="a non-empty string of printable ASCII without quotes"),
    Setting("ISSUER_FORM", "original", "E130",
            '`"original"`, `"updated"`, or `"both"` while the pool switches.', rules=("E131",),
            valid=_issuer_form, must="'original', 'updated' or 'both'",
            hint="Use 'original' (https://cognito-idp...), 'updated' (https://issuer-cognito-idp...), "
            "or 'both' while the pool switches."),
    Setting("ADDITIONAL_REGIONS", (), "E131",
            "Replica Regions of a multi-Region pool (original issuer form)."),
    Setting("JWKS", None, "E132", "A JWKS document, or the path of a JSON file: verify offline, never fetch.",
            valid=_jwks, hint="Give a JWKS document (a dict with 'keys') or the path of a JSON file."),
    Setting("JWKS_TIMEOUT", (JWKS_CONNECT_TIMEOUT, JWKS_READ_TIMEOUT), "E133",
            "JWKS connect and read timeouts in seconds: one number for both, or a pair.",
            valid=_jwks_timeout, must="positive seconds, or a (connect, read) pair of them",
            hint="e.g. 'JWKS_TIMEOUT': (1.5, 3.0) or 'JWKS_TIMEOUT': 2."),
    Setting("ALB", None, "E134",
            "The ALB sources (`AlbMiddleware`, `AlbAuthentication`): a dict of the keys below.",
            rules=("E135",)),
    Setting("DENYLIST", None, "E140",
            "The `CACHES` alias holding revocations: a Redis of its own, with `noeviction`.",
            rules=("E141", "E142", "E144", "E146", "E147", "W002", "W003", "W004", "W005", "W006", "W007",
                   "W008", "W009", "W010"),
            valid=_optional_name, must="the alias of one of settings.CACHES, or None",
            hint="Name one of settings.CACHES (e.g. 'revocations'), or None to refuse no token."),
    Setting("DENYLIST_TIMEOUT", DENYLIST_TIMEOUT, "E017",
            "Seconds an async request waits for the denylist before a 503."),
    Setting("DENYLIST_MAX_STALENESS", 0, "E145",
            "Seconds a worker may reuse a denylist answer (`RememberingDenylist`); `0`: ask every time.",
            valid=_staleness, must=f"a number of seconds from 0 to {MAX_DENYLIST_STALENESS:g}",
            hint="How long after a sign-out elsewhere a worker may still accept the token; 0 (the "
            "default) asks the denylist's cache on every request. See 'Bounded staleness' in "
            "docs/tokens.md."),
    Setting("MACHINE_CLIENTS", (), "E143",
            'App clients whose client-credentials tokens are accepted; `"*"`: every allowed one.',
            valid=_machine_clients, must="a list of app client ids, () or '*'",
            hint="List the app client ids whose client-credentials tokens are accepted, () for none, "
            "or '*' for every allowed client."),
    # --- HOSTED_UI: the sign-in views (E101-E124) ---
    _hosted("DOMAIN", UNSET, "E103", "The managed-login base URL: https (http on loopback), no path.",
            missing="E102", valid=_https_base_url,
            must="the managed-login base URL, e.g. 'https://myapp.auth.eu-west-1.amazoncognito.com' "
            "(plain http only on loopback)"),
    _hosted("CLIENT_ID", None, "E105",
            "The app client of the sign-in; one of the top-level `CLIENT_ID`s.", rules=("E106",),
            valid=_optional_name, must="a non-empty string",
            shown="the top-level `CLIENT_ID`, when one string"),
    _hosted("CLIENT_SECRET", None, "E107", "The app client's secret.", valid=_optional_name,
            must="a non-empty string or None", secret=True),
    _hosted("REDIRECT_URI", UNSET, "E104", "The absolute URL of `callback/`, registered on the app client.",
            missing="E102", valid=is_https_url,
            must="an absolute https URL (plain http only on loopback), registered on the app client"),
    _hosted("SCOPES", ("openid", "email"), "E108", "Scopes asked for; must include `openid`.", valid=_scopes,
            must="a list of scopes that includes 'openid'",
            hint="'openid' brings the id token that carries the nonce of each sign-in."),
    _hosted("LOGOUT_URI", UNSET, "E104",
            "Where Cognito's `/logout` returns to (a sign-out URL of the app client).",
            missing="E102", valid=is_https_url,
            must="an absolute https URL (plain http only on loopback), registered on the app client"),
    _hosted("ALLOWED_REDIRECT_HOSTS", (), "E109", "Hosts `next` may point to, besides this site.",
            valid=lambda value: strings(value) is not None, must="a list of host names"),
    _hosted("LOGIN_REDIRECT_URL", "/", "E110",
            "Where to go after sign-in without `next`: a path on this site.",
            valid=_site_path, must="a path on this site, e.g. '/'"),
    _hosted("API_URL", None, "E111", "Cognito's JSON API (`InitiateAuth`, `RevokeToken`), for emulators.",
            valid=lambda value: value is None or is_https_url(value),
            must="an https URL (plain http only on loopback) or None",
            shown="`https://cognito-idp.{region}.amazonaws.com/`"),
    _hosted("REFRESH_COOKIE_NAME", "fastcognito_refresh", "E112", "The refresh cookie.", valid=_cookie_name,
            must="a cookie name of letters, digits, '-' and '_'"),
    _hosted("STATE_COOKIE_NAME", "fastcognito_signin", "E112",
            "The prefix of the per-attempt state cookies (after `__Host-` wherever cookies are `Secure`).",
            valid=_cookie_name, must="a cookie name of letters, digits, '-' and '_'"),
    _hosted("COOKIE_DOMAIN", None, "E115", "`Domain` of every cookie (`None`: this host only).",
            valid=_optional_name, must="a domain or None"),
    _hosted("COOKIE_PATH", "/", "E116",
            "`Path` of the access cookie (and of the refresh one with `AUTO_REFRESH`).",
            valid=lambda value: isinstance(value, str) and value.startswith("/"),
            must="a path starting with '/'"),
    _hosted("COOKIE_SAMESITE", "Lax", "E117", '`"Lax"`, `"Strict"` or `"None"` (`"None"` needs https).',
            valid=lambda value: value in ("Lax", "Strict", "None"), must="'Lax', 'Strict' or 'None'"),
    _hosted("REFRESH_COOKIE_MAX_AGE", 30 * 24 * 3600, "E118", "Seconds the refresh cookie lives.",
            valid=_positive_int, must="a positive integer", shown="`2592000` (30 days)"),
    _hosted("STATE_MAX_AGE", 600, "E118", "Seconds a sign-in attempt may take.", valid=_positive_int,
            must="a positive integer"),
    _hosted("TIMEOUT", DEFAULT_TIMEOUT, "E119",
            "Seconds to connect and to read for every call to Cognito (their sum bounds a whole answer); "
            "at most 60.",
            valid=_signin_timeout, must="seconds, or a (connect, read) pair, above 0 and at most 60"),
    _hosted("AUTO_REFRESH", False, "E120",
            "`CognitoMiddleware` refreshes an expired access cookie by itself.",
            valid=_bool, must="True or False"),
    _hosted("SIGNIN_MAX_FAILURES", 5, "E118",
            "Failed `signin/` attempts per user name from one address, per window.",
            valid=_positive_int, must="a positive integer"),
    _hosted("SIGNIN_MAX_FAILURES_PER_ADDRESS", 20, "E118",
            "Failed `signin/` attempts per client address, per window.",
            valid=_positive_int, must="a positive integer"),
    _hosted("SIGNIN_FAILURE_WINDOW", 300, "E118", "Seconds a failure counts; the `Retry-After` of a 429.",
            valid=_positive_int, must="a positive integer"),
    _hosted("CACHE", "default", "E121",
            "The `CACHES` alias of the throttle counters: shared by every worker.",
            valid=_cache_alias, must="one of settings.CACHES", rules=("E144", "W009"),
            hint="Sign-in throttling is shared by every worker through this cache: use Redis or "
            "Memcached in production."),
    _hosted("TRUSTED_PROXY_COUNT", 0, "E123",
            "Proxies in front of Django that append to `X-Forwarded-For`; `0`: `REMOTE_ADDR` only.",
            valid=lambda value: is_int_within(value, 0, MAX_TRUSTED_PROXIES),
            must=f"an integer from 0 to {MAX_TRUSTED_PROXIES}",
            hint="The number of proxies in front of Django that append to X-Forwarded-For; 0 (the "
            "default) reads REMOTE_ADDR only."),
    _hosted("MAX_PENDING_SIGNINS", 5, "E124",
            "Sign-in attempts one browser keeps at once; `login/` drops the oldest.",
            valid=lambda value: is_int_within(value, 1, MAX_PENDING_SIGNINS),
            must=f"an integer from 1 to {MAX_PENDING_SIGNINS}",
            hint="Each pending sign-in is a cookie of about 350 bytes, sent to the callback."),
    # --- ALB: AlbVerifier's keywords (E134) ---
    _alb("ARNS", UNSET, "alb_arn", "The ARNs of the load balancers whose tokens are accepted (one Region)."),
    _alb("CLIENT_ID", UNSET, "client_id",
         "The app client(s) of the ALB's authenticate action; `None` (explicit): any."),
    _alb("ISSUER", UNSET, "issuer", "The identity provider's issuer(s); `None` (explicit): any."),
    _alb("REGION", None, "region", "Only to be explicit: the ARNs' Region.", shown="the ARNs' Region"),
    _alb("KEYS_URL", None, "keys_url", "Where the ALB's public keys are (GovCloud, tests).",
         shown="`https://public-keys.auth.elb.{region}.amazonaws.com`"),
    _alb("LEEWAY", 0, "leeway", "Seconds of clock skew allowed on `exp` and `nbf`."),
    # --- REPLICA: the opt-in user replica (E201) ---
    _replica("MATCH_EMAIL", False, "Link a new identity to the one local user with its verified e-mail.",
             valid=_bool, must="True or False"),
    _replica("MATCH_EMAIL_FEDERATED", False, "With `MATCH_EMAIL`, also for the pool's federated users.",
             valid=_bool, must="True or False"),
    _replica("USER_FIELDS", "fastcognito.django.users.sync.default_user_fields",
             "A callable (or import path) `(claims) -> dict` of user fields.",
             valid=lambda value: value is not None and _callable_or_import(value),
             must="a callable or an import string", parse=_replica_import("USER_FIELDS")),
    _replica("SESSION_LOGIN", False, "After sign-in, also log the replica user into Django's session.",
             rules=("E203", "E205", "E206"),
             valid=_bool, must="True or False"),
    _replica("SESSION_BACKEND", "django.contrib.auth.backends.ModelBackend",
             "The backend the session login records; in `AUTHENTICATION_BACKENDS`.", rules=("E202",),
             valid=lambda value: isinstance(value, str), must="an import string"),
    _replica("EXCHANGE_CLAIMS", (), "Cognito claims copied into the exchanged pairs.", valid=_claim_names,
             must="a list of claim names", parse=tuple),
    _replica("EXCHANGE_EXTRA_CLAIMS", None,
             "A callable (or import path) `(user, claims) -> dict` of further claims.",
             valid=_callable_or_import, must="a callable or an import string",
             parse=_replica_import("EXCHANGE_EXTRA_CLAIMS")),
    _replica("EXCHANGE_CAP_EXP", True, "The exchanged pair lives no longer than the Cognito token.",
             rules=("E207",),
             valid=_bool, must="True or False"),
    _replica("MIRROR", False,
             "Mirror Cognito exactly: hand-granted groups removed, flags follow groups even when their "
             "settings are unset.", valid=_bool, must="True or False"),
    _replica("EXCHANGE_USER_FIELDS", (), "Attributes of the local user copied into the exchanged pairs.",
             valid=_user_field_names, must="a list of attribute names of the user model", parse=tuple,
             rules=("E209",)),
    _replica("EXCHANGE_REFRESH_COOKIE", None,
             "The exchange's refresh token in an HttpOnly cookie: `True`, a name, or a dict.",
             valid=_exchange_cookie, shown="`None` (in the JSON body)", parse=exchange_cookie_setting,
             rules=("E208", "E211")),
    _replica("DATABASE", None, "The replica's database alias; `None`: the routers decide.", rules=("E204",),
             valid=lambda value: value is None or isinstance(value, str), must="a database alias or None"),
)  # fmt: skip

SECTIONS: Mapping[str, str | None] = {"": "E002", "HOSTED_UI": "E101", "ALB": None, "REPLICA": "E201"}
"""Each part of ``SCHEMA`` (``""``: ``FASTCOGNITO`` itself) and the id of an unknown key in it
(``ALB``: none, the AlbVerifier names unknown keys, as E134)."""


def schema_of(section: str = "") -> dict[str, Setting]:
    """The settings of ``section`` (``""``, ``"HOSTED_UI"``, ``"ALB"``, ``"REPLICA"``), by key."""
    return {setting.key: setting for setting in SCHEMA if setting.section == section}


def defaults_of(section: str = "") -> dict[str, Any]:
    """The default of every key of ``section`` (``UNSET`` for a key that must be given)."""
    return {key: setting.default for key, setting in schema_of(section).items()}


DEFAULTS: dict[str, Any] = defaults_of()
ENVIRONMENT_FALLBACKS: Mapping[str, tuple[str, ...]] = ENVIRONMENT
_TOP = schema_of()
_PARSERS = {key: setting.parse for key, setting in _TOP.items() if setting.parse is not None}

CHECK_IDS: Mapping[str, str] = {
    "E001": "`FASTCOGNITO` is not a dict",
    "E002": "an unknown key in `FASTCOGNITO` (typo), with a suggestion, case-insensitively (`client_id`: did "
    "you mean `CLIENT_ID`?)",
    "E003": "`USER_POOL_ID` missing",
    "E004": "`USER_POOL_ID` malformed",
    "E005": "`CLIENT_ID` missing: no client policy (give it, or `None` on purpose)",
    "E006": "`CLIENT_ID` of the wrong type or empty",
    "E007": "unknown `TOKEN_USE`",
    "E008": "`USER_CLASS` cannot be imported, is neither a class with `is_authenticated` nor a function "
    "marked `@user_factory`, or cannot be called with the claims",
    "E009": "`COOKIE_NAME` is not a non-empty string",
    "E010": "a cookie source without `django.middleware.csrf.CsrfViewMiddleware`",
    "E011": "`AUTH_HEADER_TYPES` empty, or not words",
    "E012": "`STAFF_GROUPS` / `SUPERUSER_GROUPS` not a list of names",
    "E013": '`GROUP_PERMISSIONS` not a map of group to `"app_label.codename"` lists',
    "E014": "`PREFETCH_JWKS` or `PREFETCH_JWKS_FATAL` not a bool, or `PREFETCH_JWKS_FATAL` without "
    "`PREFETCH_JWKS`",
    "E015": "`HOSTED_UI` not a dict or `None`",
    "E016": "`WWW_AUTHENTICATE_REALM` empty, not printable ASCII, or with quotes",
    "E017": "the verifier rejects the rest (`REGION` mismatch, non-https `ISSUER`/`JWKS_URL`, negative "
    "`LEEWAY`, bad `CACHE_SIZE`, `GROUPS`, `SCOPES`, `JWKS_COOLDOWN`, `MAX_TOKEN_BYTES`, "
    "`DENYLIST_TIMEOUT`); the hint lists the values taken from the environment. Not reported while one of "
    "E003-E007, E021 or E130-E149 is",
    "E018": "`CognitoMiddleware` (or `AlbMiddleware`) placed before `AuthenticationMiddleware`",
    "E019": "`AlbMiddleware` without `CsrfViewMiddleware` (the ALB header is ambient, as a cookie)",
    "E020": "`ACCEPT_BARE_TOKEN` is not a bool",
    "E021": "the installed `cryptography` or `hashlib` (their OpenSSL) cannot make the RS256 check on a "
    "fixed test vector, so no token could be verified",
    "E101": "an unknown key in `HOSTED_UI`, with a suggestion",
    "E102": "`DOMAIN`, `REDIRECT_URI` or `LOGOUT_URI` missing",
    "E103": "`DOMAIN` is not an https base URL (http only on loopback), or has a path",
    "E104": "`REDIRECT_URI` / `LOGOUT_URI` is not an absolute https URL (http only on loopback)",
    "E105": "no `HOSTED_UI['CLIENT_ID']`: not set, and the top-level one is not a single string; or empty",
    "E106": "`HOSTED_UI['CLIENT_ID']` is not among the top-level `CLIENT_ID`s",
    "E107": "`CLIENT_SECRET` is empty or not a string",
    "E108": "`SCOPES` is not a list of words that includes `openid`",
    "E109": "`ALLOWED_REDIRECT_HOSTS` is not a list of host names",
    "E110": "`LOGIN_REDIRECT_URL` is not a path on this site",
    "E111": "`API_URL` is not an https URL (http only on loopback)",
    "E112": "a bad cookie name, or the top-level `COOKIE_NAME` equal to a `HOSTED_UI` cookie name",
    "E113": "`HOSTED_UI` is set but the top-level `COOKIE_NAME` is `None` on purpose: the cookie the sign-in "
    "sets would never be read (left out, it defaults to `fastcognito_access`)",
    "E114": '`HOSTED_UI` is set and `TOKEN_USE` is neither `"access"` nor `None`',
    "E115": "`COOKIE_DOMAIN` is empty or not a string",
    "E116": "`COOKIE_PATH` does not start with `/`",
    "E117": "`COOKIE_SAMESITE` is not `Lax`, `Strict` or `None`",
    "E118": "a lifetime, a limit or a window of `HOSTED_UI` is not a positive integer",
    "E119": "`TIMEOUT` is not a number or pair of numbers in (0, 60]",
    "E120": "`AUTO_REFRESH` is not a bool",
    "E121": "`HOSTED_UI['CACHE']` is not an alias in `settings.CACHES`",
    "E122": "the sign-in client or the id-token verifier cannot be built from these values",
    "E123": f"`TRUSTED_PROXY_COUNT` is not an integer from 0 to {MAX_TRUSTED_PROXIES}",
    "E124": f"`MAX_PENDING_SIGNINS` is not an integer from 1 to {MAX_PENDING_SIGNINS}",
    "E130": "unknown `ISSUER_FORM`",
    "E131": "`ADDITIONAL_REGIONS` malformed, repeated, the pool's own Region, or with "
    '`ISSUER_FORM="updated"`',
    "E132": "`JWKS` is not a document or a readable JSON file with a usable key",
    "E133": "`JWKS_TIMEOUT` is not positive seconds or a `(connect, read)` pair",
    "E134": "`ALB` cannot build an ALB verifier (unknown key, missing `ARNS`/`CLIENT_ID`/`ISSUER`, "
    "bad ARN..., or an OpenSSL that cannot check ES256 on a fixed test vector)",
    "E135": "`AlbMiddleware` in `MIDDLEWARE`, or `AlbAuthentication` in DRF's "
    "`DEFAULT_AUTHENTICATION_CLASSES`, while `ALB` is not set",
    "E140": "`DENYLIST` is not a non-empty string or `None`",
    "E141": "`DENYLIST` names a cache that is not in `CACHES`",
    "E142": "`DENYLIST` names a `DummyCache`, which keeps nothing",
    "E143": '`MACHINE_CLIENTS` is not a list of app client ids, `()` or `"*"`',
    "E144": "`DENYLIST` is the same cache as `HOSTED_UI['CACHE']` (the same alias, or the same servers and "
    "Redis database): a flood of failed anonymous sign-ins can evict revocations",
    "E145": f"`DENYLIST_MAX_STALENESS` is not a number of seconds from 0 to {MAX_DENYLIST_STALENESS:g}",
    "E146": "`DENYLIST` is a Memcached of several servers: while one is out of use its keys move to the "
    "others, where the marker key vouches for answers that lack its revocations",
    "E147": "`DENYLIST` is a Redis with several servers (or databases) in `LOCATION`: Django writes to the "
    "first and reads from any, so a replica that lags answers 'not revoked'",
    "E201": "`REPLICA` is not a dict, has an unknown key or a value of the wrong type (an import path that "
    "cannot be imported included), or `MATCH_EMAIL_FEDERATED` without `MATCH_EMAIL`",
    "E202": "`SESSION_LOGIN` with a `SESSION_BACKEND` that is not in `AUTHENTICATION_BACKENDS`",
    "E203": "`SESSION_LOGIN` without `django.contrib.sessions` in `INSTALLED_APPS` or its "
    "`SessionMiddleware`",
    "E204": "`REPLICA['DATABASE']` names an alias that is not in `DATABASES`",
    "E205": "`SESSION_LOGIN` without `fastcognito.django.users.middleware.SessionRefreshMiddleware` in "
    "`MIDDLEWARE`, or placed before `AuthenticationMiddleware`",
    "E206": "`SESSION_LOGIN` with the `signed_cookies` session engine, which would send the refresh token "
    "to the browser",
    "E207": "`EXCHANGE_CAP_EXP` with simplejwt's `ROTATE_REFRESH_TOKENS` while the exchange URL is mounted: "
    "rotated refresh tokens would outlive the Cognito sign-in",
    "E208": "`REPLICA['EXCHANGE_REFRESH_COOKIE']`'s `PATH` does not cover the mounted `refresh/` and "
    "`logout/` of `fastcognito.django.users.urls`: the browser would never send the cookie there",
    "E209": "`REPLICA['EXCHANGE_USER_FIELDS']` names an attribute that `AUTH_USER_MODEL` does not have",
    "E210": "`fastcognito.django.users.urls` is mounted (its `logout/` revokes refresh tokens) without "
    "`rest_framework_simplejwt.token_blacklist` in `INSTALLED_APPS`",
    "E211": "`REPLICA['EXCHANGE_REFRESH_COOKIE']`'s name is the access cookie's or one of `HOSTED_UI`'s",
    "W001": "the compiled hot path could not be imported (the reason is in the message): every verification "
    "runs the pure-Python twin, several times slower. Also logged once at a server's start-up; "
    "`FASTCOGNITO_NO_EXTENSIONS=1` silences it",
    "W002": "`DENYLIST` is a `LocMemCache`, one per process: with several workers a sign-out is seen by "
    "one only",
    "W003": "`DENYLIST` is a Memcached: it evicts when full and loses every revocation when it restarts (it "
    "does fail closed while down)",
    "W004": "`DENYLIST` is a `FileBasedCache`, one per host",
    "W005": "`DENYLIST` is a `LocMemCache`, `FileBasedCache` or `DatabaseCache` without "
    '`OPTIONS["MAX_ENTRIES"]`: Django culls past 300 entries, revocations included',
    "W006": '`DENYLIST`\'s cache has `OPTIONS["ignore_exc"]`: outages look like an empty cache (the '
    "denylist still answers 503, through its marker key), and their cause reaches no log",
    "W007": "`DENYLIST`'s cache is a Redis without `socket_timeout`, or a pymemcache without `timeout`: a "
    "hung server hangs every synchronous request",
    "W008": "`DENYLIST` shares its cache (or its Redis server) with cache sessions (`SESSION_CACHE_ALIAS`) "
    "or the page cache (`CACHE_MIDDLEWARE_ALIAS`), which anonymous requests write to",
    "W009": "`DENYLIST` is on a Redis server that another alias of `CACHES` also uses, in any database "
    "(`HOSTED_UI['CACHE']`, `default` where DRF's throttles write...): safe only under "
    "`maxmemory-policy noeviction`",
    "W010": '`DENYLIST`\'s cache is a pymemcache whose `OPTIONS["dead_timeout"]` is absent (pymemcache\'s '
    "60 s) or above 5 s: after an outage each worker answers 503 for up to twice that long once the "
    'server is back; set `{"dead_timeout": 1, "retry_attempts": 0}`',
    "W011": "`COOKIE_NAME` is set, and the environment variable `ACCESS_TOKEN_KEY` names another cookie "
    "(a Djognito site's frontend may still set that one)",
    "W012": "`ACCEPT_BARE_TOKEN` is on: a raw `Authorization: <jwt>` is read as a token; meant for a "
    "frontend that cannot send `Bearer` yet",
}
"""Every system check id, and the problem it reports (docs/settings.md lists them)."""


# --- problems: what the system checks report ------------------------------------------------------


class Problem(NamedTuple):
    """One finding of a check: its id (``"E009"``), message and hint."""

    id: str
    message: str
    hint: str | None = None


def show_value(value: object) -> str:
    """``repr(value)``, short, and never an exception: a check must report, not crash."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001
        return f"<a {type(value).__name__} that cannot be shown>"
    return text if len(text) <= 80 else f"{text[:77]}..."


def show_type(value: object) -> str:
    """Only the type of ``value`` (``<a tuple>``): what a message shows of a secret setting."""
    name = type(value).__name__
    return f"<{'an' if name[:1].lower() in 'aeiou' else 'a'} {name}>"


def reason_of(err: Exception) -> str:
    """The message of a rejection; for an unexpected exception its type too, and never a crash."""
    try:
        text = str(err)
    except Exception:  # noqa: BLE001
        text = ""
    return text if isinstance(err, ConfigurationError) else f"{type(err).__name__}: {text}"


def _suggestion(key: object, known: Iterable[str]) -> str:
    """A hint for an unknown key: the known key it most likely means (case-insensitively)."""
    text, names = str(key), sorted(known)
    if text.upper() in names:
        return f"Did you mean {text.upper()!r}? Keys are upper case."
    close = difflib.get_close_matches(text.upper(), names, n=1)
    return f"Did you mean {close[0]!r}?" if close else f"Known keys: {', '.join(names)}."


def unknown_key_problems(section: str, given: Mapping[Any, Any]) -> list[Problem]:
    """A problem per key of ``given`` (the configured dict of ``section``) that is not in it."""
    check, known = SECTIONS[section], schema_of(section)
    if check is None:
        return []
    where = SETTINGS_NAME if not section else f"{SETTINGS_NAME}[{section!r}]"
    return [
        Problem(check, f"{where} has an unknown key {show_value(key)}.", _suggestion(key, known))
        for key in given
        if key not in known
    ]


def key_problems(section: str, value_of: Callable[[str], Any], where: Callable[[str], str]) -> list[Problem]:
    """The problem of each key of ``section`` whose value (``value_of(key)``, the default
    included) is missing while required, or refused by its validator. ``where(key)`` names it."""
    problems: list[Problem] = []
    for setting in schema_of(section).values():
        value = value_of(setting.key)
        if setting.missing is not None and (value is UNSET or (value is None and setting.default is None)):
            env = f"Or set the environment variable {' or '.join(setting.env)}." if setting.env else None
            hint = " ".join(part for part in (setting.hint, env) if part) or None
            problems.append(Problem(setting.missing, f"{where(setting.key)} is required.", hint))
        elif value is not UNSET and setting.valid is not None:
            try:
                valid, reason = setting.valid(value), None
            except Exception as err:  # noqa: BLE001  (a check reports; it never crashes)
                valid, reason = False, reason_of(err)
            shown = show_type(value) if setting.secret else show_value(value)
            if reason is not None and not setting.secret:  # a reason may quote the value
                message = f"{where(setting.key)} = {shown} cannot be used: {reason}."
                problems.append(Problem(setting.check, message, setting.hint))
            elif not valid:
                message = f"{where(setting.key)} must be {setting.must}, got {shown}."
                problems.append(Problem(setting.check, message, setting.hint))
    return problems


def check_messages(problems: Iterable[Problem]) -> list[CheckMessage]:
    """Django's check messages for ``problems``: errors, and warnings for ``W`` ids. Every hint
    ends with where every setting and check is documented."""
    return [
        (CheckWarning if problem.id.startswith("W") else Error)(
            problem.message,
            hint=f"{problem.hint} {DOCS}" if problem.hint else DOCS,
            obj=SETTINGS_NAME,
            id=f"fastcognito.{problem.id}",
        )
        for problem in problems
    ]


# --- the settings object --------------------------------------------------------------------------


class _NotBuilt:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<not built>"


NOT_BUILT: Any = _NotBuilt()
"""What a value derived from the settings is until it is built after a settings change."""


class DerivedValues:
    """What is built from one settings object, dropped together by its ``reload()``: the parsed
    ``HOSTED_UI`` and ``REPLICA``, the ALB and exchange verifiers, the request policy, the
    settings' own verifier (``NOT_BUILT`` until built), and any other value by name in
    ``current``, a dict replaced whole.

    An object of its own, read from a module global (``DERIVED``) on the per-request path: an
    attribute of the settings object goes through its lazy ``__getattr__``, which the interpreter
    cannot specialize, and a slot is read faster than a dict.
    """

    __slots__ = (
        "current",
        "hosted_ui",
        "replica",
        "alb_verifier",
        "exchange_verifier",
        "request_policy",
        "verifier",
    )
    NAMED = ("hosted_ui", "replica", "alb_verifier", "exchange_verifier", "request_policy", "verifier")

    def __init__(self) -> None:
        self.current: dict[str, Any] = {}
        self.hosted_ui: Any = NOT_BUILT
        self.replica: Any = NOT_BUILT
        self.alb_verifier: Any = NOT_BUILT
        self.exchange_verifier: Any = NOT_BUILT
        self.request_policy: Any = NOT_BUILT
        self.verifier: Any = NOT_BUILT

    def get(self, name: str) -> Any:
        return getattr(self, name) if name in self.NAMED else self.current.get(name, NOT_BUILT)

    def set(self, name: str, value: Any) -> None:
        if name in self.NAMED:
            setattr(self, name, value)
        else:
            self.current[name] = value

    def clear(self) -> None:
        self.current = {}
        for name in self.NAMED:
            setattr(self, name, NOT_BUILT)


class FastCognitoSettings:
    """``FASTCOGNITO`` as attributes, e.g. ``fastcognito_settings.CLIENT_ID``.

    Also owns what is built from these settings, once, under a lock: the ``CognitoVerifier``
    (``verifier``), and every value another module derives (``derive``). ``reload()`` drops all.
    """

    def __init__(
        self,
        user_settings: Mapping[str, Any] | None = None,
        defaults: Mapping[str, Any] | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        if user_settings is not None:
            self._user_settings: Mapping[str, Any] = user_settings
        self._explicit = user_settings is not None
        self._environ = environ
        self.defaults = dict(DEFAULTS if defaults is None else defaults)
        self._cached_attrs: set[str] = set()
        self._lock = threading.RLock()
        self._verifier: CognitoVerifier | None = None
        self._group_permissions: dict[str, frozenset[str]] | None = None
        # Values derived from these settings (the request policy, the parsed HOSTED_UI...),
        # dropped by reload().
        self.derived_values = DerivedValues()

    # --- resolution --------------------------------------------------------------------------

    @property
    def user_settings(self) -> Mapping[str, Any]:
        """The ``FASTCOGNITO`` dict as configured (an empty dict when absent)."""
        if not hasattr(self, "_user_settings"):
            value = getattr(settings, SETTINGS_NAME, None)
            self._user_settings = {} if value is None else value
        return self._user_settings

    @property
    def environ(self) -> Mapping[str, str]:
        """The environment the fallbacks are read from."""
        return os.environ if self._environ is None else self._environ

    def source(self, name: str) -> str | None:
        """Where ``name`` comes from: ``"settings"``, the name of the environment variable that
        supplies it, or ``None`` for the default."""
        user = self.user_settings
        if isinstance(user, Mapping) and name in user:
            return "settings"
        found = environment_value(name, self.environ)
        return None if found is None else found[0]

    def describe(self, name: str) -> str:
        """``FASTCOGNITO['NAME']``, or the environment variable that supplies it, for messages."""
        source = self.source(name)
        if source is None or source == "settings":
            return f"{SETTINGS_NAME}[{name!r}]"
        return f"{SETTINGS_NAME}[{name!r}] (from the environment variable {source})"

    def raw(self, name: str) -> Any:
        """The configured value of ``name`` before it is parsed (import strings resolved...)."""
        source = self.source(name)
        if source == "settings":
            return self.user_settings[name]
        if source is not None:
            return self.environ[source]
        return self.defaults[name]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self.defaults:
            raise AttributeError(f"unknown fastcognito setting {name!r}")
        if not self._explicit:
            _require_app_installed()
        value = self.raw(name)
        parse = _PARSERS.get(name)
        if parse is not None:
            value = parse(value)
        with self._lock:
            self._cached_attrs.add(name)
            setattr(self, name, value)
        return value

    @property
    def access_cookie_name(self) -> str | None:
        """The cookie the access token is read from: ``COOKIE_NAME`` (from ``FASTCOGNITO`` or the
        environment); with ``HOSTED_UI`` and no ``COOKIE_NAME`` anywhere, the sign-in's default
        ``DEFAULT_ACCESS_COOKIE``; ``None`` otherwise (an explicit ``None`` included)."""
        name = self.raw("COOKIE_NAME")
        if isinstance(name, str) and name:
            return name
        if self.source("COOKIE_NAME") is None and isinstance(self.raw("HOSTED_UI"), Mapping):
            return DEFAULT_ACCESS_COOKIE
        return None

    # --- derived values ----------------------------------------------------------------------

    @property
    def derived(self) -> dict[str, Any]:
        """The values derived from these settings since the last ``reload()``, by name."""
        return self.derived_values.current

    def derive(self, name: str, build: Callable[[], _T]) -> _T:
        """``build()``, once per settings change: kept in ``derived_values`` until ``reload()``.
        A ``build`` that raises keeps nothing, so the next call tries again."""
        value = self.derived_values.get(name)
        if value is NOT_BUILT:
            with self._lock:  # reload() takes it too: nothing built before it is kept after it
                value = self.derived_values.get(name)
                if value is NOT_BUILT:
                    value = build()
                    self.derived_values.set(name, value)
        return value  # type: ignore[no-any-return]

    @property
    def group_permissions(self) -> dict[str, frozenset[str]]:
        """``GROUP_PERMISSIONS`` with each list as a frozenset."""
        result = self._group_permissions
        if result is None:
            mapping = self.GROUP_PERMISSIONS or {}
            result = {str(group): frozenset(as_tuple(perms)) for group, perms in mapping.items()}
            self._group_permissions = result
        return result

    def verifier_options(self) -> dict[str, Any]:
        """The keyword arguments of ``CognitoVerifier`` these settings describe."""
        options: dict[str, Any] = {
            "token_use": self.TOKEN_USE,
            "region": self.REGION,
            "issuer": self.ISSUER,
            "jwks_url": self.JWKS_URL,
            "leeway": self.LEEWAY,
            "groups": self.GROUPS,
            "scopes": self.SCOPES,
            "cache_size": self.CACHE_SIZE,
            "jwks_cooldown": self.JWKS_COOLDOWN,
            "max_token_bytes": self.MAX_TOKEN_BYTES,
        }
        options.update(self.token_source_options())
        if self.DENYLIST is not None:
            from .denylist import CacheDenylist

            denylist: Any = CacheDenylist(self.DENYLIST, leeway=self.LEEWAY)
            if self.DENYLIST_MAX_STALENESS:
                from ..denylist import RememberingDenylist

                denylist = RememberingDenylist(denylist, self.DENYLIST_MAX_STALENESS)
            options["denylist"] = denylist
        options["denylist_timeout"] = self.DENYLIST_TIMEOUT
        from .client import machine_token_check

        # Refused by the verifier, so the refusal is a TokenError (401) on every path that
        # verifies; a claims_check, asked once per token and never on a cache hit (a refused
        # token is never cached), so the default () costs accepted tokens nothing per request.
        options["claims_check"] = machine_token_check(self.MACHINE_CLIENTS)
        client_id = self.CLIENT_ID
        if client_id is not UNSET:
            # A missing CLIENT_ID is left out on purpose: CognitoVerifier then names it required.
            options["client_id"] = client_id
        return options

    def token_source_options(self) -> dict[str, Any]:
        """The ``CognitoVerifier`` keywords of ``ISSUER_FORM``, ``ADDITIONAL_REGIONS``, ``JWKS`` and
        ``JWKS_TIMEOUT``. Reads the ``JWKS`` file; raises ``ConfigurationError``."""
        regions = self.ADDITIONAL_REGIONS
        try:
            jwks = load_jwks_setting(self.JWKS)
        except ConfigurationError as err:
            raise ConfigurationError(f"{SETTINGS_NAME}['JWKS'] cannot be used: {err}") from err
        timeout = jwks_timeout_setting(self.JWKS_TIMEOUT)
        if timeout is None:
            raise ConfigurationError(
                f"{SETTINGS_NAME}['JWKS_TIMEOUT'] must be a number of seconds or a (connect, read) pair, "
                f"got a {type(self.JWKS_TIMEOUT).__name__}"
            )
        return {
            "issuer_form": self.ISSUER_FORM,
            "additional_regions": () if regions is None else regions,
            "jwks": jwks,
            "jwks_timeout": timeout,
        }

    def build_verifier(self) -> CognitoVerifier:
        """A new verifier from the current settings; raises ``ConfigurationError``."""
        pool = self.USER_POOL_ID
        if pool is None:
            raise ConfigurationError(f"{SETTINGS_NAME}['USER_POOL_ID'] is not set")
        return CognitoVerifier(pool, **self.verifier_options())

    @property
    def verifier(self) -> CognitoVerifier:
        """The verifier of these settings: built once, on first use, shared by every request.

        Also kept in ``derived_values.verifier``, a slot the per-request path reads (an attribute
        of this object goes through ``__getattr__``, which the interpreter cannot specialize)."""
        verifier = self._verifier
        if verifier is None:
            if not self._explicit:
                _require_app_installed()
            with self._lock:
                verifier = self._verifier
                if verifier is None:
                    verifier = self._verifier = self.build_verifier()
        derived = self.derived_values
        if derived.verifier is not verifier:
            with self._lock:  # reload() takes it too: a verifier it dropped is never kept
                if self._verifier is verifier:
                    derived.verifier = verifier
        return verifier

    # --- reload ------------------------------------------------------------------------------

    def reload(self) -> None:
        """Forget every cached value, the verifier and every derived value; the next access
        reads the settings (and the environment) again."""
        with self._lock:
            for name in self._cached_attrs:
                self.__dict__.pop(name, None)
            self._cached_attrs.clear()
            if not self._explicit:
                self.__dict__.pop("_user_settings", None)
            self._verifier = None
            self._group_permissions = None
            self.derived_values.clear()


def _require_app_installed() -> None:
    """The settings are validated, and the verifier built, by the app config at start-up; used
    without it, a typo in FASTCOGNITO would only show per request, or never."""
    from django.apps import apps

    # Before the registry is populated nothing can be asked; the next access checks again.
    if apps.apps_ready and not apps.is_installed(APP_NAME):
        raise ImproperlyConfigured(
            f"fastcognito's authentication class and middleware need {APP_NAME!r} in "
            f"INSTALLED_APPS: it validates {SETTINGS_NAME} and builds the verifier at start-up."
        )


fastcognito_settings = FastCognitoSettings()
DERIVED = fastcognito_settings.derived_values
"""What is built from ``fastcognito_settings``, e.g. ``DERIVED.hosted_ui`` on the per-request path."""


def _reload_on_change(*, setting: str, **kwargs: Any) -> None:
    # INSTALLED_APPS too: whether the app is installed is checked on the first read after a reload.
    if setting in (SETTINGS_NAME, "INSTALLED_APPS"):
        fastcognito_settings.reload()


setting_changed.connect(_reload_on_change, dispatch_uid="fastcognito.django.conf.reload")
