"""Every cookie fastcognito sets, deletes or signs: the rules, the token cookies, the state cookies.

The rules, for every cookie:

* ``HttpOnly``: no script, an injected one included, reads a token;
* ``Secure``, except for a loopback host under ``DEBUG`` (a local http development server);
* ``SameSite`` from ``HOSTED_UI["COOKIE_SAMESITE"]``, at most ``Lax`` for the state cookies (the
  callback is a top-level navigation from Cognito's site, which a ``Strict`` cookie would miss);
* ``Domain`` from ``COOKIE_DOMAIN``; ``Path`` from ``COOKIE_PATH``, except the refresh cookie
  (only the ``refresh/`` and ``logout/`` URLs, unless ``AUTO_REFRESH``) and the state cookies
  (``__Host-`` cookies wherever cookies are ``Secure``, so ``Path=/`` and no ``Domain``; else
  only ``callback/``);
* the response that sets or deletes one is never stored by a shared cache (``no_shared_cache``):
  ``AUTO_REFRESH`` puts them on whatever page the browser loaded, and a cached copy of that page
  would hand one user's tokens, or their deletion, to every later visitor.

The token cookies hold the access token (``FASTCOGNITO["COOKIE_NAME"]``) and the refresh token;
the replica's token exchange may keep its simplejwt refresh token in a cookie of its own
(``REPLICA["EXCHANGE_REFRESH_COOKIE"]``: its own path, ``SameSite=Strict`` by default);
the state cookies, one per sign-in attempt, hold its ``state``, ``nonce``, PKCE verifier and
``next``, signed with ``SECRET_KEY`` and short-lived.
"""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from ..exceptions import InvalidStateError
from ..oauth import AuthorizationRequest, SignedIn
from .._validate import is_loopback
from .hosted_ui import HostedUIConfig

if TYPE_CHECKING:
    from .users.config import ExchangeCookie

__all__ = [
    "HOST_PREFIX",
    "STATE_SALT",
    "callback_path",
    "clear_exchange_refresh_cookie",
    "clear_token_cookies",
    "delete_cookie",
    "delete_state_cookie",
    "is_state_cookie_name",
    "load_state",
    "no_shared_cache",
    "refresh_cookie_paths",
    "secure_cookies",
    "set_cookie",
    "set_exchange_refresh_cookie",
    "set_http_only_cookie",
    "set_state_cookie",
    "set_token_cookies",
    "stale_state_cookies",
    "state_cookie_name",
]

STATE_SALT = "fastcognito.django.signin-state"
"""The salt of the state cookies' signatures (with ``SECRET_KEY``)."""


# --- the rules ------------------------------------------------------------------------------------


def no_shared_cache(response: HttpResponse) -> None:
    """Keep ``response`` out of every cache: ``Cache-Control: private, no-store, no-cache,
    must-revalidate, max-age=0`` (Django's ``UpdateCacheMiddleware`` skips ``private`` answers,
    whatever ``max-age`` the view chose) and ``Vary: Cookie`` for a cache that ignores those."""
    add_never_cache_headers(response)
    patch_vary_headers(response, ("Cookie",))


def secure_cookies(request: HttpRequest) -> bool:
    """``Secure`` on every cookie, except for a loopback host under ``DEBUG``."""
    host = urlsplit(f"//{request.get_host()}").hostname
    return not (settings.DEBUG and is_loopback(host))


def set_http_only_cookie(
    response: HttpResponse,
    request: HttpRequest,
    name: str,
    value: str,
    *,
    max_age: int,
    path: str,
    domain: str | None,
    samesite: str,
) -> None:
    """Set an HttpOnly cookie, ``Secure`` by the rule above, on a response no shared cache keeps:
    every cookie of the package goes through here.

    Several paths for one name are several cookies to a browser, but one key in Django's
    ``response.cookies``; each extra path gets its own key there, and the same name on the wire.
    """
    key = name
    index = 0
    while key in response.cookies and response.cookies[key]["path"] != path:
        index += 1
        key = f"{name}:{index}"  # ':' is legal in a Morsel key, and never in our cookie names
    response.set_cookie(
        key,
        value,
        max_age=max_age,
        path=path,
        domain=domain,
        secure=secure_cookies(request),
        httponly=True,
        samesite=samesite,
    )
    if key != name:
        morsel = response.cookies[key]
        morsel._key = name  # the Set-Cookie name the browser sees (Morsel has no setter)
    no_shared_cache(response)


def set_cookie(
    response: HttpResponse,
    request: HttpRequest,
    config: HostedUIConfig,
    name: str,
    value: str,
    *,
    max_age: int,
    path: str | None = None,
    samesite: str | None = None,
) -> None:
    """Set an HttpOnly cookie of the sign-in views, with ``HOSTED_UI``'s domain, path and SameSite."""
    set_http_only_cookie(
        response,
        request,
        name,
        value,
        max_age=max_age,
        path=path or config.cookie_path,
        domain=config.cookie_domain,
        samesite=samesite or config.cookie_samesite,
    )


def delete_cookie(
    response: HttpResponse,
    request: HttpRequest,
    config: HostedUIConfig,
    name: str,
    *,
    path: str | None = None,
) -> None:
    """Expire the cookie ``name`` at ``path`` (domain and path must match the ones it was set with)."""
    set_cookie(response, request, config, name, "", max_age=0, path=path)


# --- the token cookies ----------------------------------------------------------------------------


def refresh_cookie_paths(config: HostedUIConfig) -> tuple[str, ...]:
    """Where the browser sends the refresh token: only the refresh and logout URLs (or the
    whole site with ``AUTO_REFRESH``, whose middleware needs it on every request)."""
    if config.auto_refresh:
        return (config.cookie_path,)
    return (reverse("fastcognito:refresh"), reverse("fastcognito:logout"))


def set_token_cookies(
    request: HttpRequest, response: HttpResponse, config: HostedUIConfig, signed: SignedIn
) -> None:
    """The access cookie, for the access token's remaining lifetime (with ``AUTO_REFRESH``, for as
    long as the refresh cookie), and the refresh cookie when Cognito sent a refresh token."""
    exp = signed.access_claims.get("exp")
    max_age = max(1, int(exp - time.time())) if isinstance(exp, (int, float)) else signed.tokens.expires_in
    if config.auto_refresh:
        # Kept past its exp, for as long as the refresh cookie: the middleware refreshes only
        # when it holds an expired token of ours, never for a refresh cookie alone.
        max_age = max(max_age, config.refresh_cookie_max_age)
    access_token = signed.tokens.access_token
    set_cookie(response, request, config, config.access_cookie_name, access_token, max_age=max_age)
    if signed.tokens.refresh_token is not None:
        for path in refresh_cookie_paths(config):
            set_cookie(
                response,
                request,
                config,
                config.refresh_cookie_name,
                signed.tokens.refresh_token,
                max_age=config.refresh_cookie_max_age,
                path=path,
            )


def clear_token_cookies(request: HttpRequest, response: HttpResponse, config: HostedUIConfig) -> None:
    """Expire the access cookie and every copy of the refresh cookie."""
    delete_cookie(response, request, config, config.access_cookie_name)
    for path in refresh_cookie_paths(config):
        delete_cookie(response, request, config, config.refresh_cookie_name, path=path)


# --- the exchange's refresh cookie (REPLICA["EXCHANGE_REFRESH_COOKIE"]) -----------------------------


def set_exchange_refresh_cookie(
    request: HttpRequest, response: HttpResponse, cookie: ExchangeCookie, refresh_token: str, *, max_age: int
) -> None:
    """The simplejwt refresh token of the token exchange, for its remaining lifetime."""
    set_http_only_cookie(
        response,
        request,
        cookie.name,
        refresh_token,
        max_age=max(0, max_age),
        path=cookie.path,
        domain=cookie.domain,
        samesite=cookie.samesite,
    )


def clear_exchange_refresh_cookie(
    request: HttpRequest, response: HttpResponse, cookie: ExchangeCookie
) -> None:
    set_exchange_refresh_cookie(request, response, cookie, "", max_age=0)


# --- the state cookies ----------------------------------------------------------------------------


def callback_path() -> str:
    """The path of the callback: the only one the state cookies are sent to."""
    path: str = reverse("fastcognito:callback")
    return path


HOST_PREFIX = "__Host-"
"""The prefix of the state cookies wherever cookies are ``Secure``. A browser takes a cookie of
this name only from this very host, over HTTPS, with ``Path=/`` and no ``Domain`` (RFC 6265bis
§4.1.3.2): a sibling subdomain, or a network attacker on an http:// subdomain, can plant a
``Domain=`` cookie of any other name, and a planted state cookie signs the victim in to the
planter's account (login CSRF) when the victim then follows the planter's callback URL."""


def state_cookie_name(request: HttpRequest, config: HostedUIConfig, state: str) -> str:
    """The state cookie of the attempt ``state``: one cookie per attempt, named after its state,
    so parallel logins in several tabs never overwrite each other's verifier; ``__Host-`` first
    unless the cookies of this request cannot be ``Secure`` (a loopback host under ``DEBUG``)."""
    name = f"{config.state_cookie_name}_{hashlib.sha256(state.encode()).hexdigest()[:16]}"
    return HOST_PREFIX + name if secure_cookies(request) else name


def is_state_cookie_name(config: HostedUIConfig, name: str) -> bool:
    """Whether ``name`` is a state cookie's, with the ``__Host-`` prefix or without it."""
    name = name.removeprefix(HOST_PREFIX)
    prefix = f"{config.state_cookie_name}_"
    suffix = name[len(prefix) :]
    return name.startswith(prefix) and len(suffix) == 16 and all(c in "0123456789abcdef" for c in suffix)


def _set_state_cookie(
    request: HttpRequest, response: HttpResponse, config: HostedUIConfig, name: str, value: str, max_age: int
) -> None:
    """Set (or, with ``max_age=0``, delete) the state cookie ``name``: a ``__Host-`` cookie must
    have ``Path=/`` and no ``Domain``; the others are sent to the callback only. Always ``Lax``
    (or ``None`` where the site's cookies are): the callback is a top-level navigation from
    Cognito's site, which a ``Strict`` cookie would miss."""
    if name.startswith(HOST_PREFIX):
        path, domain = "/", None
    else:
        path, domain = callback_path(), config.cookie_domain
    set_http_only_cookie(
        response,
        request,
        name,
        value,
        max_age=max_age,
        path=path,
        domain=domain,
        samesite="None" if config.cookie_samesite == "None" else "Lax",
    )


def set_state_cookie(
    request: HttpRequest,
    response: HttpResponse,
    config: HostedUIConfig,
    attempt: AuthorizationRequest,
    next_url: str,
) -> None:
    """Keep the attempt's ``state``, ``nonce``, PKCE verifier and ``next`` in its signed cookie."""
    payload = signing.dumps(
        # "t": when, in microseconds, to keep the newest attempts (the signature's own timestamp
        # has whole seconds only).
        {
            "s": attempt.state,
            "n": attempt.nonce,
            "v": attempt.code_verifier,
            "next": next_url,
            "t": time.time_ns() // 1000,
        },
        salt=STATE_SALT,
        compress=True,
    )
    name = state_cookie_name(request, config, attempt.state)
    _set_state_cookie(request, response, config, name, payload, config.state_max_age)


def load_state(request: HttpRequest, config: HostedUIConfig, name: str) -> dict[str, Any]:
    """The payload of the state cookie ``name``; ``InvalidStateError`` when it is missing, expired
    or not ours."""
    raw = request.COOKIES.get(name)
    if not raw:
        raise InvalidStateError("no sign-in attempt of this browser has this state")
    try:
        payload = signing.loads(raw, salt=STATE_SALT, max_age=config.state_max_age)
    except signing.SignatureExpired as err:
        raise InvalidStateError("the sign-in attempt has expired") from err
    except signing.BadSignature as err:
        raise InvalidStateError("the sign-in attempt's cookie is not ours") from err
    if not isinstance(payload, dict):
        raise InvalidStateError("the state does not match this browser's sign-in attempt")
    return payload


def delete_state_cookie(
    request: HttpRequest, response: HttpResponse, config: HostedUIConfig, name: str
) -> None:
    _set_state_cookie(request, response, config, name, "", 0)


def stale_state_cookies(request: HttpRequest, config: HostedUIConfig) -> list[str]:
    """The state cookies ``login/`` drops before it adds one: the unreadable and expired ones,
    and the oldest beyond ``MAX_PENDING_SIGNINS - 1``. Every pending attempt is a cookie sent to
    the callback; unbounded, they grow the request past the server's header limit (431)."""
    pending: list[tuple[int, str]] = []
    stale: list[str] = []
    # Where cookies are Secure, only __Host- state cookies are this browser's own: one without the
    # prefix was left by an older version or planted, and the callback never reads it.
    prefixed = secure_cookies(request)
    for name, value in request.COOKIES.items():
        if not value or not is_state_cookie_name(config, name):
            continue
        if prefixed and not name.startswith(HOST_PREFIX):
            stale.append(name)
            continue
        try:
            payload = signing.loads(value, salt=STATE_SALT, max_age=config.state_max_age)
        except (signing.BadSignature, ValueError):
            stale.append(name)
            continue
        issued = payload.get("t") if isinstance(payload, dict) else None
        pending.append((issued if isinstance(issued, int) else 0, name))
    pending.sort(reverse=True)
    stale.extend(name for _, name in pending[config.max_pending_signins - 1 :])
    return stale
