"""``HOSTED_UI["AUTO_REFRESH"]``: ``CognitoMiddleware`` refreshes an expired access cookie once.

With the feature on, the sign-in views keep the access cookie for the refresh cookie's lifetime,
so an expired access token stays in it. When that token is ours, genuine and refused only for
its ``exp``, and a refresh cookie is present, the middleware calls
``refresh_expired_access(request)`` before verifying: one refresh at Cognito, the new access token
put in ``request.COOKIES`` so this very request is authenticated with it, and the returned
``finish(response)`` sets the new cookies on the response.

Bounded and side-effect free for strangers:

* no access cookie, or one that is not a genuine token of ours, never calls Cognito, whatever
  the refresh cookie holds: anonymous requests cannot make us call Cognito at will;
* each expired access token buys at most one refresh attempt per ``REFRESH_ATTEMPT_WINDOW``,
  counted first and atomically (``cache.add``) in ``HOSTED_UI["CACHE"]``. A cache that cannot
  answer means no refresh (fail closed). A parallel request of the same browser that loses this
  race goes on with its expired token and leaves the winner's new cookies alone;
* an unsafe method refreshes only after Django's CSRF check of the request has passed, so a
  forged cross-site request refreshes nothing and sets no cookie.

A refused refresh token clears the cookies; Cognito being down leaves them be. Nothing is kept in
process memory: the attempt counter lives in Django's cache framework.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from asgiref.sync import sync_to_async
from django.core.cache import caches
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CsrfViewMiddleware, rotate_token
from django.views.decorators.debug import sensitive_variables

from ..exceptions import FastCognitoError, InvalidGrantError, JWKSError, SignInError, TokenError
from .conf import DERIVED, NOT_BUILT
from .cookies import clear_token_cookies, set_token_cookies
from .hosted_ui import HostedUIConfig, hosted_ui_config_or_none
from .signin import expired_access_claims, verify_tokens

__all__ = ["REFRESH_ATTEMPT_WINDOW", "arefresh_expired_access", "refresh_expired_access"]

logger = logging.getLogger("fastcognito.django")

Finish = Callable[[HttpResponse], HttpResponse]

# Seconds during which one expired access token cannot start a second refresh: longer than any
# burst of parallel requests of one page, short enough that a refresh that failed because
# Cognito was down is tried again soon.
REFRESH_ATTEMPT_WINDOW = 60

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def _enabled_config() -> HostedUIConfig | None:
    config: HostedUIConfig | None = DERIVED.hosted_ui
    if config is NOT_BUILT:  # not parsed since the last settings change (or not usable)
        config = hosted_ui_config_or_none()
    return config if config is not None and config.auto_refresh else None


def csrf_check_passes(request: HttpRequest) -> bool:
    """Whether the request passes Django's CSRF check now, before any view runs (as DRF's
    ``CSRFCheck`` does). Safe methods always pass."""
    if request.method in _SAFE_METHODS:
        return True

    def no_response(request: HttpRequest) -> HttpResponse:  # pragma: no cover
        raise AssertionError("never called")

    check = _CsrfCheck(no_response)
    check.process_request(request)
    return check.process_view(request, None, (), {}) is None


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request: HttpRequest, reason: str) -> Any:
        # The reason, not Django's 403 page (and its log line): CsrfViewMiddleware itself
        # answers the request later, as usual.
        return reason


def _first_attempt(config: HostedUIConfig, claims: Mapping[str, Any], token: str) -> bool:
    """Count this refresh attempt for this expired token, first and atomically: ``True`` for the
    first attempt in the window only. A cache that cannot answer counts as "not first"."""
    handle = claims.get("jti") or claims.get("origin_jti") or token.rpartition(".")[2]
    key = f"fastcognito:refresh:{hashlib.sha256(str(handle).encode()).hexdigest()[:32]}"
    try:
        return bool(caches[config.cache_alias].add(key, 1, timeout=REFRESH_ATTEMPT_WINDOW))
    except Exception as err:  # any backend's own errors: Redis, Memcached, a custom cache
        logger.warning("automatic refresh skipped: the cache %r cannot answer (%s)", config.cache_alias,
                       type(err).__name__)
        return False


def refresh_expired_access(request: HttpRequest) -> Finish | None:
    """Refresh once when needed (see the module). Returns what to apply to the response, or
    ``None`` when nothing was done. ``CognitoMiddleware`` skips the call when the parsed settings
    turn the feature off."""
    config = DERIVED.hosted_ui  # a slot read, no call
    if config is NOT_BUILT:
        config = _enabled_config()
    if config is None or not config.auto_refresh:
        return None
    finish: Finish | None = _refresh(request)  # through sensitive_variables(), untyped
    return finish


@sensitive_variables()
def _refresh(request: HttpRequest) -> Finish | None:
    config = _enabled_config()
    if config is None or request.META.get("HTTP_AUTHORIZATION"):
        return None  # a client that sends its own header refreshes on its own
    access = request.COOKIES.get(config.access_cookie_name)
    if not access:
        return None  # nothing of ours to renew: a refresh cookie alone never calls Cognito
    claims = expired_access_claims(config, access)
    if claims is None:
        return None  # valid, or not ours to fix: the middleware reports it
    refresh_token = request.COOKIES.get(config.refresh_cookie_name)
    if not csrf_check_passes(request):
        return None  # a forged request: no call, no cookie; CsrfViewMiddleware answers it
    if not refresh_token:
        # The refresh cookie is gone (expired or cleared): the expired access token is of no
        # use, and would make DRF answer 401 even on public views. Forget it.
        request.COOKIES.pop(config.access_cookie_name, None)
        return _clear(request, config)
    if not _first_attempt(config, claims, access):
        return None
    try:
        signed = verify_tokens(config, config.client.refresh(refresh_token))
    except (InvalidGrantError, TokenError) as err:
        logger.info("automatic refresh refused (%s): signing the browser out", err.code)
        request.COOKIES.pop(config.access_cookie_name, None)
        return _clear(request, config)
    except (SignInError, JWKSError) as err:
        logger.warning("automatic refresh failed (%s); the request goes on unauthenticated", err.code)
        return None
    except FastCognitoError as err:  # ConfigurationError: reported by the checks
        logger.error("automatic refresh is misconfigured: %s", err)
        return None
    request.COOKIES[config.access_cookie_name] = signed.tokens.access_token
    if signed.access_claims.get("sub") != claims.get("sub"):
        # Another user than the expired cookie's: a new sign-in, so a new CSRF token, as
        # django.contrib.auth.login() does.
        rotate_token(request)

    def store(response: HttpResponse) -> HttpResponse:
        set_token_cookies(request, response, config, signed)
        return response

    return store


def _clear(request: HttpRequest, config: HostedUIConfig) -> Finish:
    def sign_out(response: HttpResponse) -> HttpResponse:
        clear_token_cookies(request, response, config)
        return response

    return sign_out


async def arefresh_expired_access(request: HttpRequest) -> Finish | None:
    """``refresh_expired_access`` for async stacks: the network call runs off the event loop."""
    config = DERIVED.hosted_ui  # a slot read, no call
    if config is NOT_BUILT:
        config = _enabled_config()
    if config is None or not config.auto_refresh:
        return None
    result: Any = await sync_to_async(refresh_expired_access, thread_sensitive=False)(request)
    return result  # type: ignore[no-any-return]
