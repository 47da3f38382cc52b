"""System checks of the replica (ids fastcognito.E201 and up)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

from ..conf import DOCS, check_messages, fastcognito_settings
from .config import parse_replica, replica_problems

__all__ = ["check_replica"]


@register("fastcognito")
def check_replica(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``REPLICA`` on its own (E201, from the settings schema), then with the rest of the project's
    settings (E202-E207)."""
    user = fastcognito_settings.user_settings
    raw = user.get("REPLICA") if hasattr(user, "get") else None
    problems = replica_problems(raw)
    if problems:
        return check_messages(problems)
    conf = parse_replica(raw)
    errors: list[CheckMessage] = []
    if conf.session_login:
        if conf.session_backend not in settings.AUTHENTICATION_BACKENDS:
            errors.append(
                Error(
                    f"REPLICA['SESSION_LOGIN'] logs users in with {conf.session_backend!r}, "
                    "which is not in AUTHENTICATION_BACKENDS: the session would not find the user again",
                    hint=f"Add it to AUTHENTICATION_BACKENDS, or set REPLICA['SESSION_BACKEND']. {DOCS}",
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
                    hint=f"Add them, or turn SESSION_LOGIN off. {DOCS}",
                    id="fastcognito.E203",
                )
            )
        errors.extend(_session_binding_errors())
    if conf.database is not None and conf.database not in settings.DATABASES:
        errors.append(
            Error(
                f"REPLICA['DATABASE'] = {conf.database!r} is not in DATABASES",
                hint=f"Name one of settings.DATABASES, or None to let the routers decide. {DOCS}",
                id="fastcognito.E204",
            )
        )
    simple_jwt = getattr(settings, "SIMPLE_JWT", None)
    rotates = isinstance(simple_jwt, dict) and simple_jwt.get("ROTATE_REFRESH_TOKENS") is True
    if conf.exchange_cap_exp and rotates and _exchange_mounted():
        errors.append(
            Error(
                "REPLICA['EXCHANGE_CAP_EXP'] ends exchanged pairs with the Cognito token, but "
                "SIMPLE_JWT['ROTATE_REFRESH_TOKENS'] gives each rotated refresh token a full lifetime again",
                hint="Turn rotation off, or set REPLICA['EXCHANGE_CAP_EXP'] = False knowing that pairs then "
                f"outlive the Cognito sign-in (see docs/replica.md). {DOCS}",
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
                hint=f"Add {_SESSION_REFRESH!r} to MIDDLEWARE right after {_AUTHENTICATION!r}. {DOCS}",
                id="fastcognito.E205",
            )
        )
    if getattr(settings, "SESSION_ENGINE", "") == _SIGNED_COOKIES:
        errors.append(
            Error(
                "REPLICA['SESSION_LOGIN'] keeps the Cognito refresh token in the session, and the "
                "signed_cookies session engine would send it to the browser with every request",
                hint=f"Use a server-side session engine (db, cache, cached_db, file). {DOCS}",
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
