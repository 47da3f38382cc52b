"""The sign-in views: ``login/``, ``callback/``, ``refresh/``, ``logout/`` and ``signin/``.

A thin layer over ``fastcognito.oauth``: it keeps each attempt's state in a signed, short-lived,
HttpOnly cookie (one per attempt, so parallel tabs never collide), keeps tokens in HttpOnly
cookies, and turns every failure into a 4xx (or 502/503) answer. Nothing is stored in process
memory: the only shared state, the sign-in failure counters, lives in Django's cache framework.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from typing import Any

from django.contrib.auth import SESSION_KEY
from django.contrib.auth import logout as auth_logout
from django.core import signing
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.http.request import RawPostDataException
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_POST

from ..exceptions import (
    ConfigurationError,
    FastCognitoError,
    InvalidCredentialsError,
    InvalidGrantError,
    InvalidStateError,
    JWKSError,
    NotSignedInError,
    SignInError,
    SignInRequestError,
    SignInThrottledError,
    TokenError,
    UnsafeRedirectError,
)
from ..oauth import SignedIn, TokenSet, verify_token_set
from .conf import fastcognito_settings
from .hosted_ui import HostedUIConfig, delete_cookie, hosted_ui_config, set_cookie
from .messages import message_for

__all__ = ["callback", "login", "logout", "refresh", "signin"]

logger = logging.getLogger("fastcognito.django")

STATE_SALT = "fastcognito.django.signin-state"
MAX_USERNAME_CHARS = 128
MAX_PASSWORD_CHARS = 256


# --- answers ------------------------------------------------------------------------------------


def _status(error: FastCognitoError) -> int:
    if isinstance(error, SignInError):
        return error.status
    if isinstance(error, JWKSError):
        return 503
    if isinstance(error, TokenError):
        return 401
    return 503  # ConfigurationError: reported by `manage.py check`; no 500 meanwhile


def _detail(error: FastCognitoError) -> str:
    if isinstance(error, (TokenError, JWKSError)):
        return str(message_for(error.code))
    if isinstance(error, ConfigurationError):
        return "sign-in is not configured"
    # The class's message, not the instance's: the latter is for logs.
    return type(error).default_message


def _wants_json(request: HttpRequest) -> bool:
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


def error_answer(
    request: HttpRequest, error: FastCognitoError, *, page: bool = False, status: int | None = None
) -> HttpResponse:
    """``{"detail", "code"}`` with the error's status; a small HTML page instead for a browser
    navigation (``page=True``) unless it asked for JSON."""
    status = status or _status(error)
    detail = _detail(error)
    response: HttpResponse
    if page and not _wants_json(request):
        body = (
            "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Sign-in failed</title></head>"
            f"<body><h1>Sign-in failed</h1><p>{escape(detail)}</p><p>Code: <code>{escape(error.code)}</code></p>"
            f"<p><a href='{escape(reverse('fastcognito:login'))}'>Sign in again</a></p></body></html>"
        )
        response = HttpResponse(body, status=status, content_type="text/html; charset=utf-8")
    else:
        response = JsonResponse({"detail": detail, "code": error.code}, status=status)
    if isinstance(error, SignInThrottledError) and error.retry_after:
        response["Retry-After"] = str(error.retry_after)
    response["Cache-Control"] = "no-store"
    return response


def _config() -> HostedUIConfig:
    config = hosted_ui_config()
    if config is None:
        raise ConfigurationError("FASTCOGNITO['HOSTED_UI'] is not set")
    return config


def _answers_errors(*, page: bool) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        def wrapper(request: HttpRequest) -> HttpResponse:
            try:
                return view(request)
            except ConfigurationError as err:
                logger.error("sign-in is misconfigured: %s", err)
                return error_answer(request, err, page=page)
            except FastCognitoError as err:
                logger.info("sign-in step %s failed: %s", request.path, err.code)
                return error_answer(request, err, page=page)

        wrapper.__name__ = view.__name__
        wrapper.__doc__ = view.__doc__
        return wrapper

    return decorate


# --- cookies ------------------------------------------------------------------------------------


def _set_token_cookies(request: HttpRequest, response: HttpResponse, config: HostedUIConfig, signed: SignedIn) -> None:
    exp = signed.access_claims.get("exp")
    max_age = max(1, int(exp - time.time())) if isinstance(exp, (int, float)) else signed.tokens.expires_in
    set_cookie(response, request, config, config.access_cookie_name, signed.tokens.access_token, max_age=max_age)
    if signed.tokens.refresh_token is not None:
        for path in config.refresh_cookie_paths(request):
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
    delete_cookie(response, request, config, config.access_cookie_name)
    for path in config.refresh_cookie_paths(request):
        delete_cookie(response, request, config, config.refresh_cookie_name, path=path)


def _verify(config: HostedUIConfig, tokens: TokenSet, nonce: str | None) -> SignedIn:
    return verify_token_set(
        tokens, access_verifier=config.access_verifier, id_verifier=config.id_verifier, nonce=nonce
    )


def _session_login(request: HttpRequest, signed: SignedIn) -> None:
    """With ``REPLICA["SESSION_LOGIN"]``, log the replica user into Django's session too (for the
    admin and session views). Before any cookie is set: a refused user gets no login at all."""
    replica = fastcognito_settings.user_settings.get("REPLICA")
    if not (isinstance(replica, Mapping) and replica.get("SESSION_LOGIN") is True):
        return
    from .users import session_login

    # The id token carries the e-mail and names; the access token does not. The tokens go along:
    # the session is bound to this sign-in (users.middleware.SessionRefreshMiddleware).
    session_login(request, signed.id_claims or signed.access_claims, signed=signed)


def _session_logout(request: HttpRequest) -> None:
    session = getattr(request, "session", None)
    if session is not None and SESSION_KEY in session:
        auth_logout(request)


def _allowed_redirect(request: HttpRequest, config: HostedUIConfig, url: str) -> bool:
    return bool(
        url_has_allowed_host_and_scheme(
            url,
            allowed_hosts={request.get_host(), *config.allowed_redirect_hosts},
            require_https=request.is_secure(),
        )
    )


# --- views --------------------------------------------------------------------------------------


@never_cache
@require_GET
@_answers_errors(page=True)
def login(request: HttpRequest) -> HttpResponse:
    """Start a managed-login sign-in: redirect to Cognito with PKCE S256, ``state`` and ``nonce``.

    ``?next=`` (a path, or a URL on an allowed host) is where the callback returns to.
    """
    config = _config()
    next_url = request.GET.get("next") or config.login_redirect_url
    if not _allowed_redirect(request, config, next_url):
        raise UnsafeRedirectError()
    attempt = config.client.authorization_request()
    payload = signing.dumps(
        {"s": attempt.state, "n": attempt.nonce, "v": attempt.code_verifier, "next": next_url},
        salt=STATE_SALT,
        compress=True,
    )
    response = HttpResponseRedirect(attempt.url)
    # Lax at most: the callback is a top-level navigation from Cognito's site, which a Strict
    # cookie would not follow.
    set_cookie(
        response,
        request,
        config,
        config.state_cookie_name_for(attempt.state),
        payload,
        max_age=config.state_max_age,
        path=reverse("fastcognito:callback"),
        samesite="None" if config.cookie_samesite == "None" else "Lax",
    )
    return response


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """Back from Cognito: check ``state``, exchange the code with the verifier, verify both
    tokens (with the nonce), set the cookies, and go to ``next``. All of it, or nothing."""
    try:
        config = _config()
    except ConfigurationError as err:
        return error_answer(request, err, page=True)
    state = request.GET.get("state", "")
    cookie_name = config.state_cookie_name_for(state) if state else None
    try:
        response = _callback(request, config, state, cookie_name)
    except FastCognitoError as err:
        logger.info("sign-in callback failed: %s", err.code)
        response = error_answer(request, err, page=True)
    if cookie_name is not None and cookie_name in request.COOKIES:
        # Used once, whatever the outcome: a replayed callback finds no state.
        delete_cookie(response, request, config, cookie_name, path=reverse("fastcognito:callback"))
    return response


def _callback(request: HttpRequest, config: HostedUIConfig, state: str, cookie_name: str | None) -> HttpResponse:
    if cookie_name is None:
        raise InvalidStateError("the callback has no state")
    raw = request.COOKIES.get(cookie_name)
    if not raw:
        raise InvalidStateError("no sign-in attempt of this browser has this state")
    try:
        payload = signing.loads(raw, salt=STATE_SALT, max_age=config.state_max_age)
    except signing.SignatureExpired as err:
        raise InvalidStateError("the sign-in attempt has expired") from err
    except signing.BadSignature as err:
        raise InvalidStateError("the sign-in attempt's cookie is not ours") from err
    if not (
        isinstance(payload, dict)
        and isinstance(payload.get("s"), str)
        and hmac.compare_digest(payload["s"].encode(), state.encode())
    ):
        raise InvalidStateError("the state does not match this browser's sign-in attempt")
    config.client.check_callback_error(request.GET)
    code = request.GET.get("code")
    if not code:
        raise SignInRequestError("the callback has no code")
    tokens = config.client.exchange_code(code, str(payload["v"]))
    signed = _verify(config, tokens, str(payload["n"]))
    _session_login(request, signed)
    next_url = str(payload.get("next") or config.login_redirect_url)
    if not _allowed_redirect(request, config, next_url):
        next_url = config.login_redirect_url
    response = HttpResponseRedirect(next_url)
    _set_token_cookies(request, response, config, signed)
    return response


@never_cache
@require_POST
@csrf_protect
@_answers_errors(page=False)
def refresh(request: HttpRequest) -> HttpResponse:
    """New tokens from the refresh cookie. A refused refresh token clears every cookie (401)."""
    config = _config()
    refresh_token = request.COOKIES.get(config.refresh_cookie_name)
    if not refresh_token:
        raise NotSignedInError()
    try:
        signed = _verify(config, config.client.refresh(refresh_token), None)
    except (InvalidGrantError, TokenError) as err:
        # 401, not the callback's 400: the credential (the refresh token) is what was refused.
        response = error_answer(request, err, status=401)
        clear_token_cookies(request, response, config)
        return response
    response = JsonResponse({"expires_in": signed.tokens.expires_in, "rotated": signed.tokens.refresh_token is not None})
    _set_token_cookies(request, response, config, signed)
    return response


@never_cache
@require_POST
@csrf_protect
@_answers_errors(page=True)
def logout(request: HttpRequest) -> HttpResponse:
    """Revoke the refresh token, clear the cookies, and end the managed-login session at
    Cognito's ``/logout``. A failed revocation still signs this browser out, and is logged."""
    config = _config()
    _revoke_access_token(request, config)
    refresh_token = request.COOKIES.get(config.refresh_cookie_name)
    if refresh_token:
        try:
            config.client.revoke(refresh_token)
        except SignInError as err:
            logger.warning("the refresh token could not be revoked at sign-out (%s): %s", err.code, err)
    _session_logout(request)
    logout_url = config.client.logout_url(config.logout_uri)
    response: HttpResponse
    if _wants_json(request):
        response = JsonResponse({"logout_url": logout_url})
    else:
        response = HttpResponseRedirect(logout_url)
    clear_token_cookies(request, response, config)
    return response


def _revoke_access_token(request: HttpRequest, config: HostedUIConfig) -> None:
    """With ``FASTCOGNITO["DENYLIST"]``, put the signed-out access token's ``origin_jti`` on it:
    every access and id token of this sign-in, copies held elsewhere included, is refused from now
    on. A token that does not verify (expired, already revoked) has nothing left to refuse."""
    verifier = config.access_verifier
    access_token = request.COOKIES.get(config.access_cookie_name)
    if verifier.denylist is None or not access_token:
        return
    try:
        verifier.revoke(verifier.verify(access_token))
    except TokenError:
        pass
    except FastCognitoError as err:
        logger.warning("the access token could not be revoked at sign-out (%s): %s", err.code, err)


def _failure_keys(request: HttpRequest, username: str) -> tuple[str, str]:
    # Hashed: cache keys must not carry user names or addresses in clear, and stay short.
    user = hashlib.sha256(username.casefold().encode("utf-8")).hexdigest()[:32]
    address = hashlib.sha256(str(request.META.get("REMOTE_ADDR", "")).encode()).hexdigest()[:32]
    return f"fastcognito:signin:user:{user}", f"fastcognito:signin:addr:{address}"


@never_cache
@require_POST
@csrf_protect
@_answers_errors(page=False)
def signin(request: HttpRequest) -> HttpResponse:
    """Password sign-in: ``{"username", "password"}`` as JSON, through ``InitiateAuth``.

    Sets the same cookies as the callback. Wrong passwords and unknown users get the same
    answer; repeated failures per user and per address are throttled through Django's cache.
    """
    config = _config()
    if request.content_type != "application/json":
        raise SignInRequestError("the body must be application/json")
    try:
        body = json.loads(request.body or b"null")
    except (ValueError, RawPostDataException) as err:
        raise SignInRequestError("the body is not JSON") from err
    username = body.get("username") if isinstance(body, dict) else None
    password = body.get("password") if isinstance(body, dict) else None
    if not (
        isinstance(username, str)
        and isinstance(password, str)
        and 0 < len(username) <= MAX_USERNAME_CHARS
        and 0 < len(password) <= MAX_PASSWORD_CHARS
    ):
        raise SignInRequestError('the body must be {"username": "...", "password": "..."}')

    cache = caches[config.cache_alias]
    user_key, address_key = _failure_keys(request, username)
    failures = cache.get_many([user_key, address_key])
    if (
        failures.get(user_key, 0) >= config.signin_max_failures
        or failures.get(address_key, 0) >= config.signin_max_failures_per_address
    ):
        raise SignInThrottledError(retry_after=config.signin_failure_window)
    try:
        tokens = config.client.initiate_auth(username, password)
    except InvalidCredentialsError:
        # Only wrong passwords count: a challenge means the password was right.
        _count_failure(cache, (user_key, address_key), config.signin_failure_window)
        raise
    signed = _verify(config, tokens, None)
    _session_login(request, signed)
    cache.delete(user_key)
    response = JsonResponse({"expires_in": signed.tokens.expires_in})
    _set_token_cookies(request, response, config, signed)
    return response


def _count_failure(cache: Any, keys: tuple[str, ...], window: int) -> None:
    for key in keys:
        # add() then incr(): atomic on Redis and Memcached, so workers never lose a count.
        cache.add(key, 0, timeout=window)
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, timeout=window)
