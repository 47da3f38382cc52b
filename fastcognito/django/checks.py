"""System checks (``manage.py check``): one id per misconfiguration of ``FASTCOGNITO``.

Registered by the app config ``fastcognito.django``. Each check reads the settings afresh.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register
from django.utils.module_loading import import_string

from .._constants import TOKEN_USES
from ..exceptions import ConfigurationError, JWKSError
from ..jwk import KeySet
from ..verifier import ISSUER_FORMS, CognitoVerifier, cognito_issuers, parse_user_pool_id
from .conf import (
    DEFAULTS,
    ENVIRONMENT_FALLBACKS,
    SETTINGS_NAME,
    UNSET,
    FastCognitoSettings,
    jwks_timeout_setting,
    load_jwks_setting,
)
from .hosted_ui import check_hosted_ui  # noqa: F401  (registers the HOSTED_UI checks, E101 and up)

__all__ = ["check_settings", "check_middleware", "check_token_source_settings"]

CSRF_MIDDLEWARE = "django.middleware.csrf.CsrfViewMiddleware"
AUTH_MIDDLEWARE = "django.contrib.auth.middleware.AuthenticationMiddleware"
COGNITO_MIDDLEWARE = (
    "fastcognito.django.CognitoMiddleware",
    "fastcognito.django.middleware.CognitoMiddleware",
)

DOCS = "see the FASTCOGNITO settings reference in the README"


def _error(msg: str, hint: str | None, number: int) -> Error:
    return Error(msg, hint=hint or DOCS, obj=SETTINGS_NAME, id=f"fastcognito.E{number:03d}")


def _is_string_collection(value: object, *, allow_empty: bool = True) -> bool:
    if isinstance(value, str):
        return bool(value)
    if not isinstance(value, Iterable) or isinstance(value, Mapping):
        return False
    items = list(value)
    return (allow_empty or bool(items)) and all(isinstance(item, str) and item for item in items)


@register("fastcognito")
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Every key of ``FASTCOGNITO``: presence, types, and whether a verifier can be built."""
    user = getattr(settings, SETTINGS_NAME, None)
    if user is None:
        user = {}
    if not isinstance(user, Mapping):
        return [_error(f"{SETTINGS_NAME} must be a dict, got {type(user).__name__}.", None, 1)]
    conf = FastCognitoSettings(user)
    errors: list[CheckMessage] = []

    for key in user:
        if key not in DEFAULTS:
            close = difflib.get_close_matches(str(key), DEFAULTS, n=1)
            hint = f"Did you mean {close[0]!r}?" if close else f"Known keys: {', '.join(sorted(DEFAULTS))}."
            errors.append(_error(f"{SETTINGS_NAME} has an unknown key {key!r}.", hint, 2))

    pool = conf.raw("USER_POOL_ID")
    pool_ok = False
    if pool is None:
        errors.append(
            _error(
                f"{SETTINGS_NAME}['USER_POOL_ID'] is not set.",
                "Set it to your user pool id, e.g. 'eu-west-1_AbC123' "
                f"(or the environment variable {ENVIRONMENT_FALLBACKS['USER_POOL_ID']}).",
                3,
            )
        )
    else:
        try:
            parse_user_pool_id(pool)
            pool_ok = True
        except ConfigurationError as err:
            errors.append(_error(f"{SETTINGS_NAME}['USER_POOL_ID']: {err}.", None, 4))

    client_id = conf.raw("CLIENT_ID")
    client_ok = False
    if client_id is UNSET:
        errors.append(
            _error(
                f"{SETTINGS_NAME}['CLIENT_ID'] is not set: no policy for which app clients to accept.",
                "Set the app client id (or a list of them) that tokens must be issued to, or "
                "CLIENT_ID=None to accept tokens of every app client of the pool on purpose.",
                5,
            )
        )
    elif client_id is not None and not _is_string_collection(client_id, allow_empty=False):
        errors.append(
            _error(
                f"{SETTINGS_NAME}['CLIENT_ID'] must be a string, a non-empty list of strings or None, "
                f"got {client_id!r}.",
                None,
                6,
            )
        )
    else:
        client_ok = True

    token_use = conf.raw("TOKEN_USE")
    token_use_ok = token_use is None or token_use in TOKEN_USES
    if not token_use_ok:
        errors.append(
            _error(
                f"{SETTINGS_NAME}['TOKEN_USE'] is {token_use!r}, not a known token use.",
                "Use 'access' (APIs), 'id', or None to accept both on purpose.",
                7,
            )
        )

    user_class = conf.raw("USER_CLASS")
    try:
        if isinstance(user_class, str):
            user_class = import_string(user_class)
        if not callable(user_class):
            raise ImportError("it is not callable")
    except ImportError as err:
        errors.append(
            _error(
                f"{SETTINGS_NAME}['USER_CLASS'] = {conf.raw('USER_CLASS')!r} cannot be used: {err}.",
                "Give the import path of a class called with the token's claims, "
                "e.g. 'fastcognito.django.CognitoUser'.",
                8,
            )
        )

    cookie_name = conf.raw("COOKIE_NAME")
    if cookie_name is not None:
        if not isinstance(cookie_name, str) or not cookie_name:
            errors.append(
                _error(f"{SETTINGS_NAME}['COOKIE_NAME'] must be a non-empty string or None.", None, 9)
            )
        elif CSRF_MIDDLEWARE not in (getattr(settings, "MIDDLEWARE", None) or ()):
            errors.append(
                _error(
                    f"{SETTINGS_NAME}['COOKIE_NAME'] reads tokens from a cookie, but {CSRF_MIDDLEWARE} "
                    "is not in MIDDLEWARE.",
                    "A browser sends cookies with cross-site requests: add the CSRF middleware, "
                    "or set COOKIE_NAME=None to read tokens from the Authorization header only.",
                    10,
                )
            )

    header_types = conf.raw("AUTH_HEADER_TYPES")
    if not _is_string_collection(header_types, allow_empty=False) or any(
        any(char.isspace() for char in header_type)
        for header_type in ((header_types,) if isinstance(header_types, str) else header_types)
    ):
        errors.append(
            _error(
                f"{SETTINGS_NAME}['AUTH_HEADER_TYPES'] must be a non-empty list of words, "
                f"e.g. ('Bearer',), got {header_types!r}.",
                None,
                11,
            )
        )

    for key in ("STAFF_GROUPS", "SUPERUSER_GROUPS"):
        value = conf.raw(key)
        if value is not None and not _is_string_collection(value):
            errors.append(_error(f"{SETTINGS_NAME}[{key!r}] must be a list of group names.", None, 12))

    permissions = conf.raw("GROUP_PERMISSIONS")
    if permissions is not None and not (
        isinstance(permissions, Mapping)
        and all(
            isinstance(group, str)
            and not isinstance(perms, str)
            and _is_string_collection(perms)
            and all(perm.count(".") >= 1 and "" not in perm.split(".", 1) for perm in perms)
            for group, perms in permissions.items()
        )
    ):
        errors.append(
            _error(
                f"{SETTINGS_NAME}['GROUP_PERMISSIONS'] must map group names to lists of "
                "'app_label.codename' strings.",
                "e.g. {'editors': ['blog.add_post', 'blog.change_post']}",
                13,
            )
        )

    if not isinstance(conf.raw("PREFETCH_JWKS"), bool):
        errors.append(_error(f"{SETTINGS_NAME}['PREFETCH_JWKS'] must be True or False.", None, 14))

    hosted_ui = conf.raw("HOSTED_UI")
    if hosted_ui is not None and not isinstance(hosted_ui, Mapping):
        errors.append(_error(f"{SETTINGS_NAME}['HOSTED_UI'] must be a dict or None.", None, 15))

    realm = conf.raw("WWW_AUTHENTICATE_REALM")
    if not isinstance(realm, str) or not realm or '"' in realm or "\\" in realm:
        errors.append(
            _error(
                f"{SETTINGS_NAME}['WWW_AUTHENTICATE_REALM'] must be a non-empty string without quotes.",
                None,
                16,
            )
        )

    if pool_ok and client_ok and token_use_ok and not _token_source_errors(conf):
        # What remains (REGION, ISSUER, JWKS_URL, LEEWAY, CACHE_SIZE, GROUPS, SCOPES, JWKS_COOLDOWN,
        # MAX_TOKEN_BYTES) is checked by building the verifier itself: no fetch happens.
        try:
            CognitoVerifier(pool, **conf.verifier_options())
        except (ConfigurationError, TypeError, ValueError) as err:
            errors.append(_error(f"{SETTINGS_NAME} cannot build a verifier: {err}.", None, 17))
    return errors


@register("fastcognito")
def check_middleware(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``CognitoMiddleware`` must come after ``AuthenticationMiddleware``, which would overwrite it."""
    middleware = list(getattr(settings, "MIDDLEWARE", None) or ())
    ours = [index for index, path in enumerate(middleware) if path in COGNITO_MIDDLEWARE]
    if ours and AUTH_MIDDLEWARE in middleware and middleware.index(AUTH_MIDDLEWARE) > ours[0]:
        return [
            Error(
                f"CognitoMiddleware comes before {AUTH_MIDDLEWARE} in MIDDLEWARE, "
                "which then replaces the Cognito user with the session's.",
                hint=f"Move CognitoMiddleware after {AUTH_MIDDLEWARE}.",
                obj="MIDDLEWARE",
                id="fastcognito.E018",
            )
        ]
    return []


# --- issuer forms, replica Regions, offline keys, JWKS timeouts, ALB (E130-E139) ----------------


def _token_source_errors(conf: FastCognitoSettings) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    form = conf.raw("ISSUER_FORM")
    form_ok = isinstance(form, str) and form in ISSUER_FORMS
    if not form_ok:
        errors.append(
            _error(
                f"{SETTINGS_NAME}['ISSUER_FORM'] is {form!r}.",
                "Use 'original' (https://cognito-idp...), 'updated' (https://issuer-cognito-idp...), "
                "or 'both' while the pool switches.",
                130,
            )
        )
    regions = conf.raw("ADDITIONAL_REGIONS")
    pool = conf.raw("USER_POOL_ID")
    if form_ok and isinstance(pool, str):
        try:
            parse_user_pool_id(pool)
        except ConfigurationError:
            pass  # reported by check_settings
        else:
            try:
                cognito_issuers(pool, issuer_form=form, additional_regions=() if regions is None else regions)
            except ConfigurationError as err:
                errors.append(
                    _error(
                        f"{SETTINGS_NAME}['ADDITIONAL_REGIONS']: {err}.",
                        "List the replica Regions of a multi-Region pool, e.g. ['eu-central-1'].",
                        131,
                    )
                )
    try:
        document = load_jwks_setting(conf.raw("JWKS"))
        if document is not None:
            try:
                KeySet.from_jwks(document)
            except JWKSError as err:
                raise ConfigurationError(f"{SETTINGS_NAME}['JWKS'] is not a usable JWKS: {err}") from err
    except ConfigurationError as err:
        errors.append(
            _error(f"{err}.", "Give a JWKS document (a dict with 'keys') or the path of a JSON file.", 132)
        )
    try:
        timeout = jwks_timeout_setting(conf.raw("JWKS_TIMEOUT"))
        if not all(
            isinstance(part, (int, float)) and not isinstance(part, bool) and 0.001 <= part < math.inf
            for part in timeout
        ):
            raise ConfigurationError(f"{SETTINGS_NAME}['JWKS_TIMEOUT'] must hold positive finite seconds")
    except ConfigurationError as err:
        errors.append(_error(f"{err}.", "e.g. 'JWKS_TIMEOUT': (1.5, 3.0) or 'JWKS_TIMEOUT': 2.", 133))
    if conf.raw("ALB") is not None:
        from .alb import build_alb_verifier

        try:
            build_alb_verifier(conf)
        except ConfigurationError as err:
            errors.append(
                _error(
                    f"{SETTINGS_NAME}['ALB'] cannot build an ALB verifier: {err}.",
                    "See 'ALB tokens' in docs/tokens.md.",
                    134,
                )
            )
    return errors


@register("fastcognito")
def check_token_source_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``ISSUER_FORM``, ``ADDITIONAL_REGIONS``, ``JWKS``, ``JWKS_TIMEOUT`` and ``ALB``."""
    user = getattr(settings, SETTINGS_NAME, None)
    if user is None:
        user = {}
    if not isinstance(user, Mapping):
        return []  # reported by check_settings
    return _token_source_errors(FastCognitoSettings(user))
