"""Settings: the ``FASTCOGNITO`` dict, read lazily and reloaded in place.

``fastcognito_settings`` is one long-lived object. Attribute access resolves a key from
``settings.FASTCOGNITO``, then from the environment variables of Djognito (for people migrating),
then from ``DEFAULTS``, and caches it on the object. ``setting_changed`` (``override_settings``)
clears those cached attributes and the verifier in place, so every module that imported the
object sees the new values: the object is never rebound.

The app config validates these settings and builds the verifier at start-up. Used without the
app in ``INSTALLED_APPS``, the first read of ``fastcognito_settings`` (the first request through
``CognitoAuthentication`` or ``CognitoMiddleware``) raises ``ImproperlyConfigured``: settings that
nothing has checked are never used.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from typing import Any

from django.conf import settings
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
)
from ..exceptions import ConfigurationError
from ..verifier import CognitoVerifier

__all__ = [
    "APP_NAME",
    "DEFAULTS",
    "ENVIRONMENT_FALLBACKS",
    "SETTINGS_NAME",
    "FastCognitoSettings",
    "fastcognito_settings",
]

SETTINGS_NAME = "FASTCOGNITO"

# Marks CLIENT_ID as not configured: it must be given, or set to None on purpose.
UNSET: Any = type("Unset", (), {"__repr__": lambda self: "<unset>", "__bool__": lambda self: False})()

DEFAULTS: dict[str, Any] = {
    "USER_POOL_ID": None,
    "REGION": None,
    "CLIENT_ID": UNSET,
    "TOKEN_USE": "access",
    "ISSUER": None,
    "JWKS_URL": None,
    "LEEWAY": 0,
    "CACHE_SIZE": DEFAULT_CACHE_SIZE,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "COOKIE_NAME": None,
    "STAFF_GROUPS": (),
    "SUPERUSER_GROUPS": (),
    "GROUP_PERMISSIONS": {},
    "USER_CLASS": "fastcognito.django.CognitoUser",
    "PREFETCH_JWKS": False,
    "PREFETCH_JWKS_FATAL": False,
    "HOSTED_UI": None,
    "REPLICA": None,  # fastcognito.django.users: parsed and checked there (E201+)
    "GROUPS": None,
    "SCOPES": None,
    "JWKS_COOLDOWN": JWKS_COOLDOWN,
    "MAX_TOKEN_BYTES": DEFAULT_MAX_TOKEN_BYTES,
    "WWW_AUTHENTICATE_REALM": "api",
}

# Issuer forms, replica Regions, offline keys, JWKS timeouts and ALB tokens. Kept in
# their own block; ``token_source_options`` turns them into CognitoVerifier keywords.
TOKEN_SOURCE_DEFAULTS: dict[str, Any] = {
    "ISSUER_FORM": "original",
    "ADDITIONAL_REGIONS": (),
    # A JWKS document (a dict), or the path of a JSON file holding one: nothing is ever fetched.
    "JWKS": None,
    # Seconds: one number for both, or a (connect, read) pair.
    "JWKS_TIMEOUT": (JWKS_CONNECT_TIMEOUT, JWKS_READ_TIMEOUT),
    # The AlbVerifier of fastcognito.drf.alb / fastcognito.django.alb; see docs/tokens.md.
    "ALB": None,
}
DEFAULTS.update(TOKEN_SOURCE_DEFAULTS)

# Revocation and machine-to-machine tokens. Kept in their own block.
PRINCIPAL_DEFAULTS: dict[str, Any] = {
    # The alias of one of settings.CACHES holding revoked origin_jti/jti (CacheDenylist), or None.
    "DENYLIST": None,
    # Seconds an async request (averify) waits for the denylist's cache before answering 503.
    "DENYLIST_TIMEOUT": DENYLIST_TIMEOUT,
    # App client ids whose client-credentials (machine) tokens are accepted; () refuses them all.
    "MACHINE_CLIENTS": (),
}
DEFAULTS.update(PRINCIPAL_DEFAULTS)

IMPORT_STRINGS = frozenset({"USER_CLASS"})

# Djognito read its configuration from these environment variables (its README names
# AWS_COGNITO_APP_CLIENT_ID, its code reads APP_CLIENT_ID). They count only for keys that
# FASTCOGNITO does not set; the first one set wins. Djognito's ACCESS_TOKEN_KEY names the cookie
# that carries the access token, so it maps to COOKIE_NAME. Emulators need ISSUER and JWKS_URL,
# which Djognito had no variable for: they follow the AWS_COGNITO_ pattern.
ENVIRONMENT_FALLBACKS: dict[str, tuple[str, ...]] = {
    "USER_POOL_ID": ("AWS_COGNITO_USER_POOL_ID",),
    "REGION": ("AWS_COGNITO_REGION",),
    "CLIENT_ID": ("AWS_COGNITO_APP_CLIENT_ID", "APP_CLIENT_ID"),
    "ISSUER": ("AWS_COGNITO_ISSUER",),
    "JWKS_URL": ("AWS_COGNITO_JWKS_URL",),
    "COOKIE_NAME": ("ACCESS_TOKEN_KEY",),
}

APP_NAME = "fastcognito.django"


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


def load_jwks_setting(value: Any) -> Mapping[str, Any] | None:
    """``FASTCOGNITO["JWKS"]``: a JWKS document, or the path of a JSON file holding one."""
    if value is None or isinstance(value, Mapping):
        return value
    if not isinstance(value, (str, os.PathLike)) or not os.fspath(value):
        raise ConfigurationError(
            f"{SETTINGS_NAME}['JWKS'] must be a JWKS document (a dict) or the path of a JSON file, "
            f"got {type(value).__name__}"
        )
    path = os.fspath(value)
    try:
        with open(path, "rb") as file:
            raw = file.read(JWKS_MAX_BYTES + 1)
    except (OSError, ValueError) as err:  # ValueError: a NUL in the path
        raise ConfigurationError(
            f"{SETTINGS_NAME}['JWKS'] file {path!r} cannot be read: {getattr(err, 'strerror', None) or err}"
        ) from err
    if len(raw) > JWKS_MAX_BYTES:
        raise ConfigurationError(
            f"{SETTINGS_NAME}['JWKS'] file {path!r} is larger than {JWKS_MAX_BYTES} bytes"
        )
    try:
        document = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as err:
        raise ConfigurationError(f"{SETTINGS_NAME}['JWKS'] file {path!r} is not JSON: {err}") from err
    if not isinstance(document, dict):
        raise ConfigurationError(f"{SETTINGS_NAME}['JWKS'] file {path!r} does not hold a JSON object")
    return document


def jwks_timeout_setting(value: Any) -> Any:
    """``FASTCOGNITO["JWKS_TIMEOUT"]``: one number for both timeouts, or a (connect, read) pair."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, (list, tuple)) and len(value) == 2:
        return tuple(value)
    raise ConfigurationError(
        f"{SETTINGS_NAME}['JWKS_TIMEOUT'] must be a number of seconds or a (connect, read) pair, "
        f"got a {type(value).__name__}"
    )


class FastCognitoSettings:
    """``FASTCOGNITO`` as attributes, e.g. ``fastcognito_settings.CLIENT_ID``.

    Also owns the one ``CognitoVerifier`` built from these settings (``verifier``), built on first
    use under a lock and dropped by ``reload()``.
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
        # Values other modules derive from these settings (tokens.RequestPolicy), dropped by
        # reload(). A plain dict attribute: the per-request path reads it without a call.
        self.derived: dict[str, Any] = {}

    # --- resolution --------------------------------------------------------------------------

    @property
    def user_settings(self) -> Mapping[str, Any]:
        """The ``FASTCOGNITO`` dict as configured (an empty dict when absent)."""
        if not hasattr(self, "_user_settings"):
            value = getattr(settings, SETTINGS_NAME, None)
            self._user_settings = {} if value is None else value
        return self._user_settings

    def source(self, name: str) -> str | None:
        """Where ``name`` comes from: ``"settings"``, the name of the environment variable that
        supplies it, or ``None`` for the default."""
        user = self.user_settings
        if isinstance(user, Mapping) and name in user:
            return "settings"
        environ = os.environ if self._environ is None else self._environ
        for env_name in ENVIRONMENT_FALLBACKS.get(name, ()):
            if environ.get(env_name):
                return env_name
        return None

    def describe(self, name: str) -> str:
        """``FASTCOGNITO['NAME']``, or the environment variable that supplies it, for messages."""
        source = self.source(name)
        if source is None or source == "settings":
            return f"{SETTINGS_NAME}[{name!r}]"
        return f"{SETTINGS_NAME}[{name!r}] (from the environment variable {source})"

    def raw(self, name: str) -> Any:
        """The configured value of ``name`` before import strings are resolved."""
        source = self.source(name)
        if source == "settings":
            return self.user_settings[name]
        if source is not None:
            environ = os.environ if self._environ is None else self._environ
            return environ[source]
        return self.defaults[name]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self.defaults:
            raise AttributeError(f"unknown fastcognito setting {name!r}")
        if not self._explicit:
            _require_app_installed()
        value = self.raw(name)
        if name in IMPORT_STRINGS and isinstance(value, str):
            try:
                value = import_string(value)
            except ImportError as err:
                raise ConfigurationError(
                    f"{SETTINGS_NAME}[{name!r}] = {value!r} cannot be imported: {err}"
                ) from err
        elif name in ("AUTH_HEADER_TYPES", "STAFF_GROUPS", "SUPERUSER_GROUPS"):
            value = _strings(value)
        with self._lock:
            self._cached_attrs.add(name)
            setattr(self, name, value)
        return value

    # --- derived values ----------------------------------------------------------------------

    @property
    def group_permissions(self) -> dict[str, frozenset[str]]:
        """``GROUP_PERMISSIONS`` with each list as a frozenset."""
        result = self._group_permissions
        if result is None:
            mapping = self.GROUP_PERMISSIONS or {}
            result = {str(group): frozenset(_strings(perms)) for group, perms in mapping.items()}
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

            options["denylist"] = CacheDenylist(self.DENYLIST)
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
        return {
            "issuer_form": self.ISSUER_FORM,
            "additional_regions": () if regions is None else regions,
            "jwks": load_jwks_setting(self.JWKS),
            "jwks_timeout": jwks_timeout_setting(self.JWKS_TIMEOUT),
        }

    def build_verifier(self) -> CognitoVerifier:
        """A new verifier from the current settings; raises ``ConfigurationError``."""
        pool = self.USER_POOL_ID
        if pool is None:
            raise ConfigurationError(f"{SETTINGS_NAME}['USER_POOL_ID'] is not set")
        return CognitoVerifier(pool, **self.verifier_options())

    @property
    def verifier(self) -> CognitoVerifier:
        """The verifier of these settings: built once, on first use, shared by every request."""
        verifier = self._verifier
        if verifier is None:
            if not self._explicit:
                _require_app_installed()
            with self._lock:
                verifier = self._verifier
                if verifier is None:
                    verifier = self._verifier = self.build_verifier()
        return verifier

    # --- reload ------------------------------------------------------------------------------

    def reload(self) -> None:
        """Forget every cached value and the verifier; the next access reads the settings again."""
        with self._lock:
            for name in self._cached_attrs:
                self.__dict__.pop(name, None)
            self._cached_attrs.clear()
            if not self._explicit:
                self.__dict__.pop("_user_settings", None)
            self._verifier = None
            self._group_permissions = None
            self.derived = {}


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


def _reload_on_change(*, setting: str, **kwargs: Any) -> None:
    # INSTALLED_APPS too: whether the app is installed is checked on the first read after a reload.
    if setting in (SETTINGS_NAME, "INSTALLED_APPS"):
        fastcognito_settings.reload()


setting_changed.connect(_reload_on_change, dispatch_uid="fastcognito.django.conf.reload")
