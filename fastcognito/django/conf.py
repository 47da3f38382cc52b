"""Settings: the ``FASTCOGNITO`` dict, read lazily and reloaded in place.

``fastcognito_settings`` is one long-lived object. Attribute access resolves a key from
``settings.FASTCOGNITO``, then from the environment variables of Djognito (for people migrating),
then from ``DEFAULTS``, and caches it on the object. ``setting_changed`` (``override_settings``)
clears those cached attributes and the verifier in place, so every module that imported the
object sees the new values: the object is never rebound.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string

from .._constants import DEFAULT_CACHE_SIZE, DEFAULT_MAX_TOKEN_BYTES, JWKS_COOLDOWN
from ..exceptions import ConfigurationError
from ..verifier import CognitoVerifier

__all__ = [
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
    "HOSTED_UI": None,
    "GROUPS": None,
    "SCOPES": None,
    "JWKS_COOLDOWN": JWKS_COOLDOWN,
    "MAX_TOKEN_BYTES": DEFAULT_MAX_TOKEN_BYTES,
    "WWW_AUTHENTICATE_REALM": "api",
}

IMPORT_STRINGS = frozenset({"USER_CLASS"})

# Djognito read its configuration from these environment variables. They count only for keys
# that FASTCOGNITO does not set. Djognito's ACCESS_TOKEN_KEY names the cookie that carries the
# access token, so it maps to COOKIE_NAME.
ENVIRONMENT_FALLBACKS: dict[str, str] = {
    "USER_POOL_ID": "AWS_COGNITO_USER_POOL_ID",
    "REGION": "AWS_COGNITO_REGION",
    "CLIENT_ID": "AWS_COGNITO_APP_CLIENT_ID",
    "COOKIE_NAME": "ACCESS_TOKEN_KEY",
}


def _strings(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)


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

    def raw(self, name: str) -> Any:
        """The configured value of ``name`` before import strings are resolved."""
        user = self.user_settings
        if isinstance(user, Mapping) and name in user:
            return user[name]
        env_name = ENVIRONMENT_FALLBACKS.get(name)
        if env_name is not None:
            environ = os.environ if self._environ is None else self._environ
            env_value = environ.get(env_name)
            if env_value:
                return env_value
        return self.defaults[name]

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_") or name not in self.defaults:
            raise AttributeError(f"unknown fastcognito setting {name!r}")
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
        client_id = self.CLIENT_ID
        if client_id is not UNSET:
            # A missing CLIENT_ID is left out on purpose: CognitoVerifier then names it required.
            options["client_id"] = client_id
        return options

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


fastcognito_settings = FastCognitoSettings()


def _reload_on_change(*, setting: str, **kwargs: Any) -> None:
    if setting == SETTINGS_NAME:
        fastcognito_settings.reload()


setting_changed.connect(_reload_on_change, dispatch_uid="fastcognito.django.conf.reload")
