"""System checks of the replica (ids fastcognito.E201 and up)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.checks import CheckMessage, Error, register

from ..conf import DOCS, check_messages, fastcognito_settings
from ..hosted_ui import HOSTED_UI_DEFAULTS
from .config import ReplicaConfig, parse_replica, replica_problems
from .views import BLACKLIST_APP

__all__ = ["check_replica"]


@register("fastcognito")
def check_replica(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """``REPLICA`` on its own (E201, from the settings schema), then with the rest of the project's
    settings (E202-E211)."""
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
    errors.extend(_exchange_errors(conf))
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


def _mounted_path(name: str) -> str | None:
    """The path of the view ``fastcognito_users:<name>`` when a request to it reaches it: not
    when it is not mounted, nor when a view mounted earlier at the same path shadows it (the
    sign-in views' ``logout/`` under the same prefix)."""
    from django.urls import NoReverseMatch, Resolver404, resolve, reverse

    try:
        path: str = reverse(f"fastcognito_users:{name}")
        reached = resolve(path).view_name == f"fastcognito_users:{name}"
    except (NoReverseMatch, Resolver404):
        return None
    except Exception:  # noqa: BLE001  (a broken URLconf is for Django's own URL checks to report)
        return None
    return path if reached else None


def _exchange_mounted() -> bool:
    return _mounted_path("exchange") is not None


def _cookie_covers(path: str, cookie_path: str) -> bool:
    # RFC 6265 §5.1.4: the cookie's path is a prefix of the request's, ending at a "/".
    if path == cookie_path:
        return True
    return path.startswith(cookie_path) and (cookie_path.endswith("/") or path[len(cookie_path)] == "/")


def _exchange_errors(conf: ReplicaConfig) -> list[CheckMessage]:
    """E208-E211: the exchange's cookie, user fields and revocation against the rest of the project."""
    errors: list[CheckMessage] = []
    cookie = conf.exchange_refresh_cookie
    if cookie is not None:
        paths = [path for path in (_mounted_path("refresh"), _mounted_path("logout")) if path is not None]
        uncovered = [path for path in paths if not _cookie_covers(path, cookie.path)]
        if uncovered:
            errors.append(
                Error(
                    f"REPLICA['EXCHANGE_REFRESH_COOKIE'] has PATH {cookie.path!r}, which does not cover "
                    f"{', '.join(uncovered)}: the browser would never send the refresh cookie there",
                    hint=f"Set its PATH to the prefix fastcognito.django.users.urls is mounted at. {DOCS}",
                    id="fastcognito.E208",
                )
            )
        others = {fastcognito_settings.access_cookie_name}
        user = fastcognito_settings.user_settings
        hosted_ui = user.get("HOSTED_UI") if isinstance(user, Mapping) else None
        if isinstance(hosted_ui, Mapping):
            others.add(hosted_ui.get("REFRESH_COOKIE_NAME", HOSTED_UI_DEFAULTS["REFRESH_COOKIE_NAME"]))
        if cookie.name in others:
            errors.append(
                Error(
                    f"REPLICA['EXCHANGE_REFRESH_COOKIE'] is named {cookie.name!r}, as a cookie of the "
                    "sign-in views or the access cookie: one would overwrite the other",
                    hint=f"Give it a name of its own. {DOCS}",
                    id="fastcognito.E211",
                )
            )
    user_model = get_user_model()
    missing = [name for name in conf.exchange_user_fields if not hasattr(user_model, name)]
    if missing:
        errors.append(
            Error(
                f"REPLICA['EXCHANGE_USER_FIELDS'] names {', '.join(map(repr, missing))}, which "
                f"{user_model._meta.label} does not have",
                hint=f"Name fields or attributes of AUTH_USER_MODEL, e.g. ('is_staff',). {DOCS}",
                id="fastcognito.E209",
            )
        )
    if _mounted_path("logout") is not None and BLACKLIST_APP not in settings.INSTALLED_APPS:
        errors.append(
            Error(
                "fastcognito.django.users.urls is mounted, and its logout/ revokes refresh tokens on "
                f"simplejwt's blacklist, but {BLACKLIST_APP} is not in INSTALLED_APPS: a signed-out refresh "
                "token would stay valid",
                hint=f"Add {BLACKLIST_APP!r} to INSTALLED_APPS and migrate. {DOCS}",
                id="fastcognito.E210",
            )
        )
    return errors

