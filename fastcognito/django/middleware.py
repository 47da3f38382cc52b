"""``CognitoMiddleware``: ``request.user`` from a Cognito token for plain Django views.

Place it after ``django.contrib.auth.middleware.AuthenticationMiddleware``. A request without a
token keeps what that middleware set (the admin's session login keeps working). A request with a
token gets a lazy ``request.user`` (and ``request.auser()``) that verifies it on first use:

* accepted: a ``CognitoUser`` (or ``FASTCOGNITO["USER_CLASS"]``), ``request.cognito_error`` is None;
* rejected: ``AnonymousUser``, and ``request.cognito_error`` holds the ``TokenError`` (or the
  ``JWKSError`` when the keys cannot be had, the ``ConfigurationError`` when the source's settings
  are missing). The view decides; ``cognito_login_required`` answers 401 (503) with
  ``{"detail", "code"}``.

``request.cognito_error`` is final once ``request.user`` has been evaluated (or ``await
request.auser()`` has run); before that it is ``None``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.functional import SimpleLazyObject, empty

from ..exceptions import ConfigurationError, FastCognitoError, JWKSError, TokenError, UserRefusedError
from .autorefresh import arefresh_expired_access, refresh_expired_access
from .client import principal_for
from .conf import DERIVED, NOT_BUILT, fastcognito_settings
from .responses import error_response
from .steps import SharedToken, TokenSteps
from .tokens import (
    RawToken,
    TokenSource,
    cookie_token,
    header_token,
    rejected_header_token_error,
    request_policy,
    VARY_ON,
    vary_on_token_source,
)
from .user import CognitoUser

__all__ = [
    "CognitoMiddleware",
    "anonymous_user",
    "cognito_login_required",
    "error_response",
    "log_rejection",
    "set_user",
]

logger = logging.getLogger("fastcognito.django")

_View = TypeVar("_View", bound=Callable[..., Any])

_new_object = object.__new__
# The getter of SimpleLazyObject's instance __dict__, called directly: reading __dict__ through
# the object would run LazyObject's Python-level __getattribute__, and object.__setattr__ costs a
# slot-wrapper call per attribute.
_lazy_object_dict = next(
    vars(cls)["__dict__"] for cls in SimpleLazyObject.__mro__ if "__dict__" in vars(cls)
).__get__


def anonymous_user() -> Any:
    """Django's ``AnonymousUser``: what ``request.user`` is without an accepted token."""
    # Imported late: django.contrib.auth.models needs the app registry, which is not ready when
    # this module is imported from settings or an AppConfig.
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()


class CognitoMiddleware(TokenSteps):
    """Sets ``request.user`` lazily from the token, in sync and async stacks.

    Overridable steps, the very ones of ``CognitoAuthentication`` (``steps.TokenSteps``):
    ``get_header(request)``, ``get_raw_token(request)``, ``get_verifier()``,
    ``get_claims(raw_token)``, ``get_user(claims)``, and the hook ``attach_attributes(user, request)``.

    CSRF: a request whose ``Authorization`` header has one of our types is exempt from
    ``CsrfViewMiddleware`` (a browser cannot send that header cross-site on its own, and such a
    request never acts as the session's user). A token from any other source (a cookie, the ALB's
    ``x-amzn-oidc-data``) is ambient and CSRF-checked as usual.
    """

    sync_capable = True
    async_capable = True
    # Set from uses_default_steps() by __init__; a subclass whose __init__ does not call ours
    # takes the step-by-step path, which gives the same answers.
    _inline_steps = False

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        # uses_default_steps(), decided once per class, read per request from the instance: a
        # class attribute read through an instance takes the interpreter's slow path.
        self._inline_steps = self._default_steps
        if self.async_mode:
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        if self.async_mode:
            return self.__acall__(request)
        # HOSTED_UI["AUTO_REFRESH"]: off unless the parsed settings turn it on (a slot read, no
        # call); when on, None (nothing to do) unless the access cookie has expired and a
        # refresh cookie is present, else what sets the new cookies on the response.
        hosted_ui = DERIVED.hosted_ui
        auto_refresh = hosted_ui is NOT_BUILT or (hosted_ui is not None and hosted_ui.auto_refresh)
        finish = refresh_expired_access(request) if auto_refresh else None
        pending = self.process_request(request)
        response = self.get_response(request)
        if pending is not None and _varies(pending):
            _vary_on_token(response, pending.source)
        return finish(response) if finish else response

    async def __acall__(self, request: HttpRequest) -> HttpResponse:
        hosted_ui = DERIVED.hosted_ui
        auto_refresh = hosted_ui is NOT_BUILT or (hosted_ui is not None and hosted_ui.auto_refresh)
        finish = await arefresh_expired_access(request) if auto_refresh else None
        pending = self.process_request(request)
        response = await cast(Callable[[HttpRequest], Awaitable[HttpResponse]], self.get_response)(request)
        if pending is not None and _varies(pending):
            _vary_on_token(response, pending.source)
        return finish(response) if finish else response

    # --- wiring ------------------------------------------------------------------------------

    def process_request(self, request: HttpRequest) -> _PendingUser | _RefusedHeader | None:
        """Set the lazy ``request.user``; returns the request's ``_PendingUser`` when it holds a
        token (the response then varies on the token's source), or ``_REFUSED_HEADER`` when its
        Authorization header was malformed."""
        anyreq: Any = request
        anyreq.cognito_error = None
        header = policy = raw_token = None
        try:
            if self._inline_steps:
                # get_header() and get_raw_token(), inline, with no RawToken built. A header
                # token with whitespace in it is refused when it is verified, as the DRF class
                # does (find_token_unchecked).
                conf = self.settings
                derived = DERIVED if conf is fastcognito_settings else conf.derived_values
                policy = derived.request_policy
                if policy is NOT_BUILT:
                    policy = request_policy(conf)
                header = request.META.get("HTTP_AUTHORIZATION")
                token = header_token(header, policy) if header else None
                if token is not None:
                    source: TokenSource = "header"
                else:
                    token, source = cookie_token(request, policy), "cookie"
            else:
                raw_token = self.get_raw_token(request)
                if raw_token is None:
                    token = None
                else:
                    token, source = raw_token.value, raw_token.source
        except TokenError as err:
            # A malformed Authorization header of our type is a bad credential: anonymous, with
            # the reason, and (being that header) no CSRF check, so the view can answer 401.
            anyreq.cognito_error = err
            if self._reads_authorization:
                anyreq._dont_enforce_csrf_checks = True
            set_user(request, anonymous_user())
            return _REFUSED_HEADER
        if token is None:
            # No token: leave what AuthenticationMiddleware set (a session login), if anything.
            if not hasattr(request, "user"):
                set_user(request, anonymous_user())
            elif not hasattr(request, "auser"):
                # Django < 5.0 has no request.auser(); async views and cognito_login_required
                # rely on it.
                anyreq.auser = functools.partial(_session_auser, request)
            return None
        if source == "header":
            # Only the Authorization header is exempt (fastcognito.django.tokens.TokenSource).
            # Django's own flag (its test client and DRF's set it): CsrfViewMiddleware.process_view,
            # which runs after every middleware's __call__, then accepts the request.
            anyreq._dont_enforce_csrf_checks = True
        # One object per request holds the token, resolves the lazy user (sync and async) and,
        # from the default steps, is what CognitoAuthentication reuses (steps.SharedToken).
        # The lazy user is built without calling its class: SimpleLazyObject's __init__ chain
        # runs Python-level __setattr__ and __getattribute__ overrides and cost more than the
        # rest of this method, paid even by the DRF views that never read this request.user.
        # It holds what SimpleLazyObject.__init__ sets on every supported Django (4.2 to 6.1;
        # the middleware tests compare the two). Every slot of the _PendingUser is set.
        pending = _PendingUser()
        pending.token = token
        pending.source = source
        pending.raw_token = raw_token
        pending.header = header
        pending.policy = policy
        pending.claims = None
        pending.user = None
        pending.middleware = self
        pending.request = request
        pending.lazy = user = _new_object(SimpleLazyObject)
        state = _lazy_object_dict(user)
        state["_setupfunc"] = pending
        state["_wrapped"] = empty
        if policy is not None:
            anyreq._fastcognito_token = pending
        anyreq.user = user
        anyreq.auser = pending.auser
        return pending

    def _authenticate(self, request: HttpRequest, pending: _PendingUser) -> Any:
        try:
            raw_token = pending.raw_token
            if raw_token is None:
                # The default steps: get_claims() and get_user(), inline; attach_attributes()
                # does nothing. What CognitoAuthentication verified or built on this request is
                # taken as it is.
                user = pending.user
                if user is None:
                    conf = self.settings
                    derived = DERIVED if conf is fastcognito_settings else conf.derived_values
                    claims = pending.claims
                    if claims is None:
                        verifier = derived.verifier
                        if verifier is NOT_BUILT:
                            verifier = conf.verifier
                        claims = pending.claims = verifier.verify(pending.token)
                    policy = derived.request_policy
                    if policy is NOT_BUILT:
                        policy = request_policy(conf)
                    user = pending.user = principal_for(claims, policy.user_class)
                return user
            claims = self.get_claims(raw_token)
            # Inside the try: a USER_CLASS may refuse the user (the replica's UserRefusedError).
            user = self.get_user(claims)
        except (TokenError, JWKSError) as err:
            return self._rejected(request, pending, err)
        except ConfigurationError as err:
            return _misconfigured(request, err)
        self.attach_attributes(user, request)
        return user

    async def _aauthenticate(self, request: HttpRequest, pending: _PendingUser) -> Any:
        """``_authenticate`` for async stacks. Our own steps verify with ``averify`` (a cached
        token or a held key on the loop; a key fetch in a worker thread) and build a
        ``CognitoUser`` on the loop. Overridden steps, or another ``USER_CLASS`` (which may query
        a database), run in a worker thread, as Django requires."""
        if pending.raw_token is not None:
            return await sync_to_async(self._authenticate, thread_sensitive=False)(request, pending)
        if pending.user is not None:
            return pending.user
        conf = self.settings
        claims = pending.claims
        if claims is None:
            try:
                claims = pending.claims = await conf.verifier.averify(pending.token)
            except (TokenError, JWKSError) as err:
                return self._rejected(request, pending, err)
            except ConfigurationError as err:
                return _misconfigured(request, err)
        user_class = request_policy(conf).user_class
        if user_class is CognitoUser:
            pending.user = principal_for(claims, CognitoUser)
            return pending.user
        # What the sync path catches, caught alike: a USER_CLASS may refuse the user, or find its
        # own backing store (keys, a denylist) unavailable.
        try:
            pending.user = await sync_to_async(principal_for, thread_sensitive=False)(claims, user_class)
        except (TokenError, JWKSError) as err:
            return self._rejected(request, pending, err)
        except ConfigurationError as err:
            return _misconfigured(request, err)
        return pending.user

    def _rejected(self, request: HttpRequest, pending: SharedToken, error: TokenError | JWKSError) -> Any:
        """``AnonymousUser``, with ``request.cognito_error`` the reason: the parser's
        ``MalformedTokenError`` for a header token with whitespace in it (found only now, see
        ``process_request``), else ``error``."""
        reason: TokenError | JWKSError = rejected_header_token_error(pending.token, pending.source) or error
        log_rejection(reason)
        cast(Any, request).cognito_error = reason
        return anonymous_user()


def log_rejection(error: FastCognitoError) -> None:
    """The DEBUG line of a rejected request: the code, and for a refused user the reason (which
    field clashes, and why), never the token."""
    if isinstance(error, UserRefusedError):
        logger.debug("user refused (%s): %s", error.code, error)
    else:
        logger.debug("token rejected: %s", error.code)


class _PendingUser(SharedToken):
    """The ``SharedToken`` of one request, which also resolves its lazy ``request.user``: called
    by ``SimpleLazyObject`` (sync), or through ``auser()`` (async). ``raw_token`` is what
    ``get_raw_token()`` returned when a step is overridden, ``None`` on the default steps."""

    __slots__ = ("lazy", "middleware", "raw_token", "request")

    middleware: CognitoMiddleware
    request: HttpRequest
    lazy: Any
    raw_token: RawToken | None

    def __call__(self) -> Any:
        return self.middleware._authenticate(self.request, self)

    def was_read(self) -> bool:
        """Whether anything asked who the token's user is (as ``request.session.accessed``):
        ``request.user`` or ``auser()`` was resolved, or ``CognitoAuthentication`` verified the
        token it shares. Only then does the answer depend on the token."""
        return (
            _lazy_object_dict(self.lazy)["_wrapped"] is not empty
            or self.claims is not None
            or self.user is not None
        )

    async def auser(self) -> Any:
        user = self.lazy
        if user._wrapped is empty:
            resolved = await self.middleware._aauthenticate(self.request, self)
            if user._wrapped is empty:
                user._wrapped = resolved
        return user._wrapped


def _misconfigured(request: HttpRequest, error: ConfigurationError) -> Any:
    """A source whose settings are missing (FASTCOGNITO["ALB"] unset; check E135 reports it):
    anonymous, and cognito_login_required answers 503, never a 500 whose error report would carry
    the request's token."""
    logger.error("the token source is misconfigured: %s", error)
    cast(Any, request).cognito_error = error
    return anonymous_user()


class _RefusedHeader:
    """What ``process_request`` returns for a malformed Authorization header of ours: the user is
    anonymous with the header's fault as its reason (``cognito_error``), so the answer depends on
    that header as much as on a valid token in it."""

    __slots__ = ()
    source: TokenSource = "header"

    def was_read(self) -> bool:
        return True


_REFUSED_HEADER = _RefusedHeader()


def _varies(pending: _PendingUser | _RefusedHeader) -> bool:
    """Whether the answer to ``pending``'s request depends on its token's source: an Authorization
    header always (where Django does not vary on it itself), a cookie or the ALB's header once
    the user was read."""
    return bool(VARY_ON[pending.source]) and (pending.source == "header" or pending.was_read())


def _vary_on_token(response: Any, source: TokenSource) -> None:
    # A page built for the user of a token varies on where the token came from (tokens.VARY_ON),
    # as one built for a session user varies on its cookie (SessionMiddleware): for a cookie or
    # the ALB's header once the user was read, since every visitor's request carries them; for an
    # Authorization header always, whether or not it held a valid token (an answer to a request
    # carrying one is that client's own, and a 401 is as much built from it as a 200).
    if isinstance(response, HttpResponseBase):
        vary_on_token_source(response, source)


def set_user(request: HttpRequest, user: Any) -> None:
    """Set ``request.user`` (and ``request.auser()``) to ``user``, for sync and async views."""

    async def auser() -> Any:
        return user

    cast(Any, request).user = user
    cast(Any, request).auser = auser


def _evaluated_user(request: HttpRequest) -> Any:
    user = request.user
    # Evaluates a lazy session user here, in a worker thread, rather than on the event loop.
    user.is_authenticated  # noqa: B018
    return user


async def _session_auser(request: HttpRequest) -> Any:
    return await sync_to_async(_evaluated_user)(request)


async def _current_user(request: HttpRequest) -> Any:
    auser = getattr(request, "auser", None)
    if auser is not None:
        return await auser()
    return await sync_to_async(_evaluated_user)(request)


def cognito_login_required(view: _View) -> _View:
    """Let the view run only for an authenticated user; otherwise answer 401 (503) as JSON.

    Works on sync and async views, on every supported Django (``request.auser()`` exists only
    from Django 5.0; without it the user is read in a worker thread). Needs ``CognitoMiddleware``.
    """
    if iscoroutinefunction(view):

        @functools.wraps(view)
        async def async_wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            user = await _current_user(request)
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
