"""System checks of the replica (ids fastcognito.E201 and up)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from ...exceptions import ConfigurationError
from ..conf import fastcognito_settings
from .config import parse_replica

__all__ = ["check_replica"]


@register("fastcognito")
def check_replica(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    user = fastcognito_settings.user_settings
    raw = user.get("REPLICA") if hasattr(user, "get") else None
    try:
        conf = parse_replica(raw)
    except ConfigurationError as err:
        return [Error(str(err), hint="see docs/replica.md for every REPLICA key", id="fastcognito.E201")]
    errors: list[CheckMessage] = []
    if conf.session_login:
        if conf.session_backend not in settings.AUTHENTICATION_BACKENDS:
            errors.append(
                Error(
                    f"REPLICA['SESSION_LOGIN'] logs users in with {conf.session_backend!r}, "
                    "which is not in AUTHENTICATION_BACKENDS: the session would not find the user again",
                    hint="add it to AUTHENTICATION_BACKENDS, or set REPLICA['SESSION_BACKEND']",
                    id="fastcognito.E202",
                )
            )
        if "django.contrib.sessions" not in settings.INSTALLED_APPS or not any(
            str(path).endswith("SessionMiddleware") for path in settings.MIDDLEWARE
        ):
            errors.append(
                Error(
                    "REPLICA['SESSION_LOGIN'] needs django.contrib.sessions in INSTALLED_APPS and "
                    "its SessionMiddleware in MIDDLEWARE",
                    id="fastcognito.E203",
                )
            )
        errors.extend(_session_binding_errors())
    if conf.database is not None and conf.database not in settings.DATABASES:
        errors.append(
            Error(f"REPLICA['DATABASE'] = {conf.database!r} is not in DATABASES", id="fastcognito.E204")
        )
    simple_jwt = getattr(settings, "SIMPLE_JWT", None)
    rotates = isinstance(simple_jwt, dict) and simple_jwt.get("ROTATE_REFRESH_TOKENS") is True
    if conf.exchange_cap_exp and rotates and _exchange_mounted():
        errors.append(
            Error(
                "REPLICA['EXCHANGE_CAP_EXP'] ends exchanged pairs with the Cognito token, but "
                "SIMPLE_JWT['ROTATE_REFRESH_TOKENS'] gives each rotated refresh token a full lifetime again",
                hint="turn rotation off, or set REPLICA['EXCHANGE_CAP_EXP'] = False knowing that pairs then "
                "outlive the Cognito sign-in (see docs/replica.md)",
                id="fastcognito.E207",
            )
        )
    return errors


_SESSION_REFRESH = "fastcognito.django.users.middleware.SessionRefreshMiddleware"
_AUTHENTICATION = "django.contrib.auth.middleware.AuthenticationMiddleware"
_SIGNED_COOKIES = "django.contrib.sessions.backends.signed_cookies"


def _session_binding_errors() -> list[CheckMessage]:
    middleware = [str(path) for path in settings.MIDDLEWARE]
    errors: list[CheckMessage] = []
    if _SESSION_REFRESH not in middleware or (
        _AUTHENTICATION in middleware
        and middleware.index(_SESSION_REFRESH) < middleware.index(_AUTHENTICATION)
    ):
        errors.append(
            Error(
                "REPLICA['SESSION_LOGIN'] without SessionRefreshMiddleware after AuthenticationMiddleware: "
                "a session would outlive its Cognito sign-in (a disabled user, a global sign-out, a group "
                "removed) for the whole SESSION_COOKIE_AGE",
                hint=f"add {_SESSION_REFRESH!r} to MIDDLEWARE right after {_AUTHENTICATION!r}",
                id="fastcognito.E205",
            )
        )
    if getattr(settings, "SESSION_ENGINE", "") == _SIGNED_COOKIES:
        errors.append(
            Error(
                "REPLICA['SESSION_LOGIN'] keeps the Cognito refresh token in the session, and the "
                "signed_cookies session engine would send it to the browser with every request",
                hint="use a server-side session engine (db, cache, cached_db, file)",
                id="fastcognito.E206",
            )
        )
    return errors


def _exchange_mounted() -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse("fastcognito_users:exchange")
    except NoReverseMatch:
        return False
    except Exception:  # noqa: BLE001  (a broken URLconf is for Django's own URL checks to report)
        return False
    return True
