"""``CognitoMiddleware``: ``request.user`` from a Cognito token for plain Django views.

Place it after ``django.contrib.auth.middleware.AuthenticationMiddleware``. A request without a
token keeps what that middleware set (the admin's session login keeps working). A request with a
token gets a lazy ``request.user`` (and ``request.auser()``) that verifies it on first use:

* accepted: a ``CognitoUser`` (or ``FASTCOGNITO["USER_CLASS"]``), ``request.cognito_error`` is None;
* rejected: ``AnonymousUser``, and ``request.cognito_error`` holds the ``TokenError`` (or the
  ``JWKSError`` when the keys cannot be had). The view decides; ``cognito_login_required``
  answers 401 (503) with ``{"detail", "code"}``.

``request.cognito_error`` is final once ``request.user`` has been evaluated (or ``await
request.auser()`` has run); before that it is ``None``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.functional import SimpleLazyObject

from ..claims import Claims
from ..exceptions import FastCognitoError, JWKSError, TokenError
from .autorefresh import arefresh_expired_access, refresh_expired_access
from .conf import fastcognito_settings
from .tokens import RawToken, token_from_request
from .user import CognitoUser

__all__ = ["CognitoMiddleware", "cognito_login_required", "error_response"]

logger = logging.getLogger("fastcognito.django")

_View = TypeVar("_View", bound=Callable[..., Any])


def _anonymous_user() -> Any:
    # Imported late: django.contrib.auth.models needs the app registry, which is not ready when
    # this module is imported from settings or an AppConfig.
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


class CognitoMiddleware:
    """Sets ``request.user`` lazily from the token, in sync and async stacks.

    Overridable steps, as on ``CognitoAuthentication``: ``get_raw_token(request)``,
    ``get_claims(raw_token)``, ``get_user(claims)``, and the hook ``attach_attributes(user, request)``.
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        cls = type(self)
        self._claims_overridden = cls.get_claims is not CognitoMiddleware.get_claims
        self._steps_overridden = (
            cls.get_user is not CognitoMiddleware.get_user
            or cls.attach_attributes is not CognitoMiddleware.attach_attributes
        )
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        finish = refresh_expired_access(request)
        self.process_request(request)
        response = self.get_response(request)
        return finish(response) if finish else response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        finish = await arefresh_expired_access(request)
        self.process_request(request)
        response = await cast(Callable[[HttpRequest], Awaitable[HttpResponse]], self.get_response)(request)
        return finish(response) if finish else response

    # --- steps -------------------------------------------------------------------------------

    def get_raw_token(self, request: HttpRequest) -> RawToken | None:
        return token_from_request(request)

    def get_claims(self, raw_token: RawToken) -> Claims:
        return fastcognito_settings.verifier.verify(raw_token.value)

    def get_user(self, claims: Claims) -> Any:
        return fastcognito_settings.USER_CLASS(claims)

    def attach_attributes(self, user: Any, request: HttpRequest) -> None:
        """Hook (Djognito's name and signature): add attributes to ``user`` before views see it."""

    # --- wiring ------------------------------------------------------------------------------

    def process_request(self, request: HttpRequest) -> None:
        anyreq = cast(Any, request)
        anyreq.cognito_error = None
        try:
            raw_token = self.get_raw_token(request)
        except TokenError as err:
            # A malformed Authorization header is a bad credential: anonymous, with the reason.
            anyreq.cognito_error = err
            _set_user(request, _anonymous_user())
            return
        if raw_token is None:
            # No token: leave what AuthenticationMiddleware set (a session login), if anything.
            if not hasattr(request, "user"):
                _set_user(request, _anonymous_user())
            return

        resolved: list[Any] = []

        def resolve() -> Any:
            if not resolved:
                resolved.append(self._authenticate(request, raw_token))
            return resolved[0]

        async def auser() -> Any:
            if not resolved:
                user = await self._aauthenticate(request, raw_token)
                if not resolved:
                    resolved.append(user)
            return resolved[0]

        anyreq.user = SimpleLazyObject(resolve)
        anyreq.auser = auser

    async def aget_claims(self, raw_token: RawToken) -> Claims:
        """``get_claims`` for async stacks: ``averify``, which verifies a cached token or a held key
        on the loop and fetches a missing key off it. An overridden ``get_claims`` runs in a
        worker thread instead, since it may block."""
        if self._claims_overridden:
            return await sync_to_async(self.get_claims, thread_sensitive=False)(raw_token)
        return await fastcognito_settings.verifier.averify(raw_token.value)

    async def _aauthenticate(self, request: HttpRequest, raw_token: RawToken) -> Any:
        try:
            claims = await self.aget_claims(raw_token)
        except (TokenError, JWKSError) as err:
            logger.debug("token rejected: %s", err.code)
            cast(Any, request).cognito_error = err
            return _anonymous_user()
        if self._user_steps_may_block():
            return await sync_to_async(self._user_for, thread_sensitive=False)(claims, request)
        return self._user_for(claims, request)

    def _user_steps_may_block(self) -> bool:
        # Our own steps build a CognitoUser from the claims alone; anything else may query a
        # database, which Django forbids on the event loop.
        return self._steps_overridden or fastcognito_settings.USER_CLASS is not CognitoUser

    def _user_for(self, claims: Claims, request: HttpRequest) -> Any:
        user = self.get_user(claims)
        self.attach_attributes(user, request)
        return user

    def _authenticate(self, request: HttpRequest, raw_token: RawToken) -> Any:
        try:
            claims = self.get_claims(raw_token)
        except (TokenError, JWKSError) as err:
            logger.debug("token rejected: %s", err.code)
            cast(Any, request).cognito_error = err
            return _anonymous_user()
        user = self.get_user(claims)
        self.attach_attributes(user, request)
        return user


def _set_user(request: HttpRequest, user: Any) -> None:
    async def auser() -> Any:
        return user

    cast(Any, request).user = user
    cast(Any, request).auser = auser


def error_response(error: FastCognitoError | None, realm: str | None = None) -> JsonResponse:
    """The 401 (or 503) answer for ``error``: ``{"detail", "code"}`` and ``WWW-Authenticate``.

    ``error=None`` means no credentials at all: 401 without an error code (RFC 6750 §3.1).
    """
    from .messages import message_for

    realm = realm or fastcognito_settings.WWW_AUTHENTICATE_REALM
    scheme = fastcognito_settings.AUTH_HEADER_TYPES[0] if fastcognito_settings.AUTH_HEADER_TYPES else "Bearer"
    if isinstance(error, JWKSError):
        response = JsonResponse({"detail": str(message_for(error.code)), "code": error.code}, status=503)
        response["Retry-After"] = str(max(1, int(fastcognito_settings.JWKS_COOLDOWN)))
        return response
    if error is None:
        code = "not_authenticated"
        challenge = f'{scheme} realm="{realm}"'
    else:
        code = error.code
        challenge = f'{scheme} realm="{realm}", error="invalid_token"'
    response = JsonResponse({"detail": str(message_for(code)), "code": code}, status=401)
    response["WWW-Authenticate"] = challenge
    return response


def cognito_login_required(view: _View) -> _View:
    """Let the view run only for an authenticated user; otherwise answer 401 (503) as JSON.

    Works on sync and async views. Needs ``CognitoMiddleware``.
    """
    if iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            user = await cast(Any, request).auser()
            if not user.is_authenticated:
                return error_response(getattr(request, "cognito_error", None))
            return await view(request, *args, **kwargs)

        return cast(_View, async_wrapper)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        if not request.user.is_authenticated:
            return error_response(getattr(request, "cognito_error", None))
        return view(request, *args, **kwargs)

    return cast(_View, wrapper)
