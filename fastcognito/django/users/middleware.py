"""``SessionRefreshMiddleware``: a Django session logged in by the sign-in views lives only as long
as the Cognito sign-in behind it.

With ``REPLICA["SESSION_LOGIN"]`` the sign-in views log the replica user into Django's session,
and ``session_login`` keeps the sign-in beside it, in the (server-side) session: the issuer and
``sub``, the access token's ``exp`` and ``origin_jti``, and the refresh token. This middleware,
placed after ``AuthenticationMiddleware``, then checks that sign-in, as mozilla-django-oidc's
``SessionRefresh`` does:

* on every request, with ``FASTCOGNITO["DENYLIST"]``: a sign-in whose ``origin_jti`` was revoked
  ends the session at once;
* once the access token's ``exp`` has passed: it refreshes at Cognito through the ``HOSTED_UI``
  client, verifies the new tokens as the sign-in did, syncs the user from the new id token (so
  ``is_staff``, ``is_superuser`` and the groups follow Cognito), and keeps the session until the
  new ``exp``. Cognito refusing the refresh (``invalid_grant``: a disabled user, a global sign-out,
  a revoked refresh token), the new tokens failing verification, the replica refusing the user, or
  another user behind the tokens, end the session (``django.contrib.auth.logout``) and clear the
  token cookies.

When Cognito, the keys or the denylist cannot be reached, the request goes on anonymous (fail
closed) and the session stays for the next request to check again. Concurrent requests of one
session at the recheck refresh once: the first takes a lock in the ``HOSTED_UI["CACHE"]`` cache
(shared by every worker), the others wait for it and read its outcome from the session store, and
whoever takes the lock reads the session again first, so a refresh token rotated by another
request is never used twice.

Sessions not logged in by the sign-in views (``manage.py createsuperuser`` accounts using the
admin's own login) are left alone.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from importlib import import_module
from typing import Any, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth import logout as auth_logout
from django.contrib.sessions.backends.base import UpdateError
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse

from ...claims import Claims
from ...exceptions import (
    ConfigurationError,
    DenylistUnavailableError,
    FastCognitoError,
    InvalidGrantError,
    JWKSError,
    SignInError,
    TokenError,
)
from ...oauth import SignedIn
from ..conf import fastcognito_settings
from ..cookies import clear_token_cookies, set_token_cookies
from ..hosted_ui import HostedUIConfig, hosted_ui_config_or_none
from ..middleware import anonymous_user, set_user
from ..signin import verify_tokens

__all__ = ["SESSION_SIGNIN_KEY", "SessionRefreshMiddleware", "bind_session"]

logger = logging.getLogger("fastcognito.django")

SESSION_SIGNIN_KEY = "_fastcognito_signin"
"""The session key of the Cognito sign-in behind a session login."""

_LOCK_PREFIX = "fastcognito:session-refresh:"
# Waiting for another request's refresh: polled this often, for as long as the lock can live.
_POLL_SECONDS = 0.05
_LOCK_MARGIN_SECONDS = 10

Finish = Callable[[HttpResponse], HttpResponse]


@dataclass(frozen=True)
class _SignIn:
    """What the session keeps of its Cognito sign-in (JSON-serializable for every session store)."""

    iss: str
    sub: str
    origin_jti: str | None
    recheck_at: int
    refresh: str | None

    @classmethod
    def parse(cls, value: Any) -> _SignIn | None:
        if not isinstance(value, Mapping):
            return None
        iss, sub, origin, recheck, refresh = (
            value.get(name) for name in ("iss", "sub", "origin_jti", "recheck_at", "refresh")
        )
        if not (isinstance(iss, str) and isinstance(sub, str) and iss and sub):
            return None
        if not (isinstance(recheck, int) and not isinstance(recheck, bool)):
            return None
        if not all(item is None or isinstance(item, str) for item in (origin, refresh)):
            return None
        return cls(iss, sub, origin, recheck, refresh)

    @classmethod
    def of(cls, claims: Claims, access_claims: Claims, refresh: str | None) -> _SignIn:
        from .sync import identity_issuer

        exp = access_claims.get("exp")
        # A verified token's exp is a finite number; without one, check again at once.
        recheck = math.floor(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else 0
        origin = access_claims.get("origin_jti") or claims.get("origin_jti")
        return cls(
            identity_issuer(str(claims.get("iss", ""))),
            str(claims.sub),
            origin if isinstance(origin, str) else None,
            recheck,
            refresh,
        )


def bind_session(request: HttpRequest, claims: Claims, signed: SignedIn | None) -> None:
    """Keep the Cognito sign-in of a session login in the session (after ``login()``, which may
    flush it). Without the tokens (``signed``), the session ends when ``claims`` expire."""
    if signed is None:
        sign_in = _SignIn.of(claims, claims, None)
    else:
        sign_in = _SignIn.of(claims, signed.access_claims, signed.tokens.refresh_token)
    cast(Any, request).session[SESSION_SIGNIN_KEY] = asdict(sign_in)


class SessionRefreshMiddleware:
    """Ends a session logged in by the sign-in views when its Cognito sign-in ends (see the module).

    Place it after ``django.contrib.auth.middleware.AuthenticationMiddleware`` (and before
    ``CognitoMiddleware``); check ``fastcognito.E205`` says so when ``SESSION_LOGIN`` is on.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        finish = self.check_session(request)
        response = self.get_response(request)
        return finish(response) if finish else response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        finish = None
        if _has_session_cookie(request):
            finish = await sync_to_async(self.check_session)(request)
        response = await cast(Callable[[HttpRequest], Awaitable[HttpResponse]], self.get_response)(request)
        return finish(response) if finish else response

    def check_session(self, request: HttpRequest) -> Finish | None:
        """Check the session's sign-in; returns what to apply to the response, if anything."""
        if not _has_session_cookie(request):
            return None  # nothing to check, and the session is not even loaded
        session = cast(Any, request).session
        raw = session.get(SESSION_SIGNIN_KEY)
        if raw is None:
            return None  # not logged in by the sign-in views
        if SESSION_KEY not in session:
            del session[SESSION_SIGNIN_KEY]  # logged out by other means: nothing left to bind
            return None
        sign_in = _SignIn.parse(raw)
        if sign_in is None:
            return _end(request, "its stored sign-in is unreadable")
        try:
            if _revoked(sign_in):
                return _end(request, "its sign-in was revoked")
        except (DenylistUnavailableError, ConfigurationError) as err:
            return _anonymous(request, err)
        if time.time() < sign_in.recheck_at:
            return None
        return _recheck(request, sign_in)


# --- the checks -----------------------------------------------------------------------------------


def _has_session_cookie(request: HttpRequest) -> bool:
    return bool(request.COOKIES.get(settings.SESSION_COOKIE_NAME)) and hasattr(request, "session")


def _revoked(sign_in: _SignIn) -> bool:
    denylist = fastcognito_settings.verifier.denylist
    if denylist is None or not sign_in.origin_jti:
        return False
    return denylist.is_revoked({"origin_jti": sign_in.origin_jti})


def _recheck(request: HttpRequest, sign_in: _SignIn) -> Finish | None:
    config = hosted_ui_config_or_none()
    if config is None:
        logger.warning("a session login is due for its Cognito check, but HOSTED_UI is not usable")
        return _end(request, "no sign-in client to check it with")
    if sign_in.refresh is None:
        return _end(request, "its sign-in has no refresh token")
    cache = caches[config.cache_alias]
    # One lock per session, whichever copy of the refresh token this request holds.
    session_key = str(cast(Any, request).session.session_key)
    lock = _LOCK_PREFIX + hashlib.sha256(session_key.encode()).hexdigest()[:40]
    lifetime = math.ceil(sum(config.client.timeout)) + _LOCK_MARGIN_SECONDS
    try:
        holder = bool(cache.add(lock, 1, timeout=lifetime))
        if not holder:
            _wait_for(cache, lock, lifetime)
    except Exception as err:  # noqa: BLE001  (each cache backend raises its own errors)
        logger.warning("the session refresh lock cannot be taken (%s): anonymous now", type(err).__name__)
        return _anonymous(request, None)
    try:
        # What the store holds now: another request may have refreshed (and rotated) meanwhile.
        stored = _stored_sign_in(request)
        if stored is None:
            return _end(request, "it ended in another request")
        if stored != sign_in:
            cast(Any, request).session[SESSION_SIGNIN_KEY] = asdict(stored)
            if time.time() < stored.recheck_at:
                return None
        if not holder:
            return _anonymous(request, None)  # the refresh of the lock's holder did not succeed
        return _refresh(request, config, stored)
    finally:
        if holder:
            try:
                cache.delete(lock)
            except Exception:  # noqa: BLE001  (it expires on its own)
                pass


def _wait_for(cache: Any, lock: str, lifetime: int) -> None:
    deadline = time.monotonic() + lifetime
    while cache.get(lock) is not None and time.monotonic() < deadline:
        time.sleep(_POLL_SECONDS)


def _stored_sign_in(request: HttpRequest) -> _SignIn | None:
    """The sign-in the session store holds now for this session and user, or ``None`` when the
    session has ended (or holds another user)."""
    session = cast(Any, request).session
    engine = import_module(settings.SESSION_ENGINE)
    data = engine.SessionStore(session.session_key).load()
    if data.get(SESSION_KEY) != session.get(SESSION_KEY):
        return None
    return _SignIn.parse(data.get(SESSION_SIGNIN_KEY))


def _refresh(request: HttpRequest, config: HostedUIConfig, sign_in: _SignIn) -> Finish | None:
    from .sync import identity_issuer, sync_user

    if sign_in.refresh is None:
        return _end(request, "its sign-in has no refresh token")
    try:
        signed = verify_tokens(config, config.client.refresh(sign_in.refresh))
        claims = signed.id_claims or signed.access_claims
        if identity_issuer(claims.issuer) != sign_in.iss or claims.sub != sign_in.sub:
            return _end(request, "the refreshed tokens are another user's")
        # Cognito's word on the user now: flags and groups follow it (UserRefusedError is a
        # TokenError: an inactive or refused user ends the session).
        user = sync_user(claims)
    except (InvalidGrantError, TokenError) as err:
        return _end(request, f"Cognito or the replica refused it ({err.code})")
    except (SignInError, JWKSError) as err:
        return _anonymous(request, err)
    except FastCognitoError as err:  # ConfigurationError: reported by the system checks
        logger.error("the session's Cognito check is misconfigured: %s", err)
        return _anonymous(request, err)
    session = cast(Any, request).session
    if user._meta.pk.value_to_string(user) != session.get(SESSION_KEY):
        return _end(request, "the refreshed tokens are another local user's")
    rotated = signed.tokens.refresh_token
    session[SESSION_SIGNIN_KEY] = asdict(_SignIn.of(claims, signed.access_claims, rotated or sign_in.refresh))
    try:
        # Saved now, before the lock is released: the requests waiting for it read the store.
        session.save()
    except UpdateError:
        return _end(request, "it ended in another request")
    set_user(request, user)
    if rotated is None:
        return None

    def keep_cookies(response: HttpResponse) -> HttpResponse:
        # The browser's refresh cookie holds the token that was just rotated away.
        set_token_cookies(request, response, config, signed)
        return response

    return keep_cookies


# --- outcomes -------------------------------------------------------------------------------------


def _end(request: HttpRequest, reason: str) -> Finish | None:
    logger.info("a session login ended: %s", reason)
    auth_logout(request)
    set_user(request, anonymous_user())
    config = hosted_ui_config_or_none()
    if config is None:
        return None

    def clear_cookies(response: HttpResponse) -> HttpResponse:
        clear_token_cookies(request, response, config)
        return response

    return clear_cookies


def _anonymous(request: HttpRequest, error: FastCognitoError | None) -> Finish | None:
    if error is not None:
        logger.warning("a session login cannot be checked (%s): the request goes on anonymous", error.code)
    set_user(request, anonymous_user())
    return None
