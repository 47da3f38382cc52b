"""``HOSTED_UI["AUTO_REFRESH"]``: ``CognitoMiddleware`` refreshes an expired access cookie once.

When the access cookie is gone (the browser drops it at the token's ``exp``) or holds an expired
token, and a refresh cookie is present, the middleware calls ``refresh_expired_access(request)``
before verifying: one refresh at Cognito, the new access token put in ``request.COOKIES`` so this
very request is authenticated with it, and the returned ``finish(response)`` sets the new cookies
on the response. A refused refresh token clears the cookies; Cognito being down leaves them be.
Nothing is kept in process memory: two workers refreshing at once each get valid tokens.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from asgiref.sync import sync_to_async
from django.http import HttpRequest, HttpResponse

from ..exceptions import ExpiredTokenError, FastCognitoError, InvalidGrantError, JWKSError, SignInError, TokenError
from . import hosted_ui

__all__ = ["arefresh_expired_access", "refresh_expired_access"]

logger = logging.getLogger("fastcognito.django")

Finish = Callable[[HttpResponse], HttpResponse]


def _enabled_config() -> hosted_ui.HostedUIConfig | None:
    # The per-request fast path when the feature is off: one list read, no settings lookup.
    cached = hosted_ui._cached
    config = cached[0] if cached else hosted_ui.hosted_ui_config_or_none()
    return config if config is not None and config.auto_refresh else None


def _needs_refresh(request: HttpRequest, config: hosted_ui.HostedUIConfig) -> bool:
    if request.META.get("HTTP_AUTHORIZATION") or not request.COOKIES.get(config.refresh_cookie_name):
        return False  # a client that sends its own header refreshes on its own
    access = request.COOKIES.get(config.access_cookie_name)
    if not access:
        return True
    try:
        config.access_verifier.verify(access)
    except ExpiredTokenError:
        return True
    except (TokenError, JWKSError):
        return False  # not ours to fix: the middleware reports it
    return False


def refresh_expired_access(request: HttpRequest) -> Finish | None:
    """Refresh once when needed (see the module). Returns what to apply to the response, or
    ``None`` when nothing was done."""
    # Every request of every site with CognitoMiddleware passes here: when the feature is off,
    # answer from the parsed settings without another call.
    cached = hosted_ui._cached
    if cached and (cached[0] is None or not cached[0].auto_refresh):
        return None
    return _refresh(request)


def _refresh(request: HttpRequest) -> Finish | None:
    config = _enabled_config()
    if config is None or not _needs_refresh(request, config):
        return None
    from .views import _set_token_cookies, _verify, clear_token_cookies

    try:
        signed = _verify(config, config.client.refresh(request.COOKIES[config.refresh_cookie_name]), None)
    except (InvalidGrantError, TokenError) as err:
        logger.info("automatic refresh refused (%s): signing the browser out", err.code)
        request.COOKIES.pop(config.access_cookie_name, None)

        def sign_out(response: HttpResponse) -> HttpResponse:
            clear_token_cookies(request, response, config)
            return response

        return sign_out
    except (SignInError, JWKSError) as err:
        logger.warning("automatic refresh failed (%s); the request goes on unauthenticated", err.code)
        return None
    except FastCognitoError as err:  # ConfigurationError: reported by the checks
        logger.error("automatic refresh is misconfigured: %s", err)
        return None
    request.COOKIES[config.access_cookie_name] = signed.tokens.access_token

    def store(response: HttpResponse) -> HttpResponse:
        _set_token_cookies(request, response, config, signed)
        return response

    return store


async def arefresh_expired_access(request: HttpRequest) -> Finish | None:
    """``refresh_expired_access`` for async stacks: the network call runs off the event loop."""
    cached = hosted_ui._cached
    if (cached and (cached[0] is None or not cached[0].auto_refresh)) or _enabled_config() is None:
        return None
    result: Any = await sync_to_async(refresh_expired_access, thread_sensitive=False)(request)
    return result  # type: ignore[no-any-return]
