"""``CognitoAuthentication``: DRF authentication by a Cognito token, with no database query.

``authenticate()`` is the chain of steps ``CognitoMiddleware`` runs too (``fastcognito.django.steps``):
``get_header``, ``get_raw_token``, ``get_verifier``, ``get_claims``, ``get_user``, then the hook
``attach_attributes(user, request)`` (Djognito's name and signature); a subclass may override any.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, CSRFCheck
from rest_framework.request import Request

from ..claims import Claims
from ..django.client import principal_for
from ..django.conf import DERIVED, NOT_BUILT, fastcognito_settings
from ..django.messages import message_for
from ..django.responses import error_body
from ..django.steps import SharedToken, TokenSteps
from ..django.tokens import (
    RequestPolicy,
    TokenSource,
    cookie_token,
    header_token,
    VARY_ON,
    rejected_header_token_error,
    request_policy,
)
from ..exceptions import ConfigurationError, FastCognitoError, JWKSError, TokenError

if TYPE_CHECKING:
    from rest_framework.response import Response

__all__ = ["CognitoAuthentication", "InvalidToken", "KeysUnavailable", "NotConfigured", "exception_handler"]

logger = logging.getLogger("fastcognito.drf")


def _detail(error: FastCognitoError) -> dict[str, Any]:
    # The body every answer of the package has (fastcognito.django.responses).
    return error_body(error)


class InvalidToken(exceptions.AuthenticationFailed):
    """401: the token was rejected. The body is ``{"detail": ..., "code": <fastcognito code>}``."""

    default_code = "invalid_token"

    def __init__(self, error: TokenError) -> None:
        super().__init__(_detail(error), error.code)
        self.error = error


class KeysUnavailable(exceptions.APIException):
    """503: the signing keys cannot be fetched and none are cached (``code`` ``jwks_unavailable``)."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = message_for("jwks_unavailable")
    default_code = "jwks_unavailable"

    def __init__(self, error: JWKSError, retry_after: float | None = None) -> None:
        super().__init__(_detail(error), error.code)
        self.error = error
        # DRF's exception handler turns ``wait`` into a Retry-After header.
        self.wait = retry_after


class NotConfigured(exceptions.APIException):
    """503: the token source's settings are missing (``code`` ``configuration``), e.g.
    ``AlbAuthentication`` without ``FASTCOGNITO["ALB"]``; ``manage.py check`` reports it too."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = message_for("configuration")
    default_code = "configuration"

    def __init__(self, error: ConfigurationError) -> None:
        super().__init__(_detail(error), error.code)
        self.error = error


class CognitoAuthentication(TokenSteps, BaseAuthentication):
    """Authenticates ``Authorization: Bearer <token>`` (types from ``AUTH_HEADER_TYPES``) or the
    cookie ``COOKIE_NAME``. No token: ``None`` (anonymous; later authenticators still run).
    ``request.user`` becomes ``USER_CLASS(claims)`` and ``request.auth`` the ``Claims``. Unsafe
    methods need a CSRF token unless the token came from ``Authorization``.

    Put it first in ``authentication_classes``: DRF takes the ``WWW-Authenticate`` header (and
    so the choice between 401 and 403) from the first authenticator.
    """

    def authenticate(self, request: Request) -> tuple[Any, Claims] | None:
        conf = self.settings
        default_steps = self._default_steps
        shared: SharedToken | None = None
        source: TokenSource
        try:
            if default_steps:
                # get_header(), get_raw_token() and get_claims(), inline, with no RawToken built,
                # reading the settings through slots (DERIVED, a module global, for the default
                # settings).
                derived = DERIVED if conf is fastcognito_settings else conf.derived_values
                policy = derived.request_policy
                if policy is NOT_BUILT:
                    policy = request_policy(conf)
                django_request = request._request
                header = django_request.META.get("HTTP_AUTHORIZATION")
                # CognitoMiddleware, when it ran, left the token it found and what it made of it:
                # taken only for the very credential read here (steps.SharedToken).
                shared = getattr(django_request, "_fastcognito_token", None)
                if (
                    shared is not None
                    and shared.policy is policy
                    and shared.header is header
                    and (shared.source == "header" or shared.same_cookie(django_request))
                ):
                    token, source, claims = shared.token, shared.source, shared.claims
                else:
                    shared = claims = None
                    token = header_token(header, policy) if header else None
                    if token is not None:
                        source = "header"
                    else:
                        token, source = cookie_token(django_request, policy), "cookie"
                        if token is None:
                            return None
                if claims is None:
                    verifier = derived.verifier
                    if verifier is NOT_BUILT:
                        verifier = conf.verifier
                    try:
                        claims = verifier.verify(token)
                    except (TokenError, JWKSError) as err:
                        # The parser's reason for a header token with whitespace in it, which
                        # the verifier refuses too (find_token_unchecked).
                        raise rejected_header_token_error(token, source) or err from None
                    if shared is not None:
                        shared.claims = claims
            else:
                raw_token = self.get_raw_token(request)
                if raw_token is None:
                    return None
                source = raw_token.source
                claims = self.get_claims(raw_token)
        except TokenError as err:
            logger.debug("token rejected: %s", err.code)
            request.cognito_error = err
            raise InvalidToken(err) from None
        except JWKSError as err:
            request.cognito_error = err
            raise KeysUnavailable(err, retry_after=float(self._policy().retry_after)) from None
        except ConfigurationError as err:
            # Never a 500: its error report would carry the request's token (the ALB's header).
            logger.error("the token source is misconfigured: %s", err)
            request.cognito_error = err
            raise NotConfigured(err) from None
        # The answer is built for this token's user: it varies on where the token came from
        # (tokens.VARY_ON), as one built for a session user varies on its cookie.
        if VARY_ON[source]:
            _vary_on(request, source)
        if source != "header":
            # Only the Authorization header is set by the page's own script; every other source
            # (a cookie, the ALB's header) rides along with cross-site requests too.
            self.enforce_csrf(request)
        try:
            if default_steps:
                # get_user(), inline; attach_attributes() does nothing. After the CSRF check: a
                # request that fails it gets no principal from here, and builds none.
                if shared is None:
                    return principal_for(claims, policy.user_class), claims
                user = shared.user
                if user is None:
                    user = shared.user = principal_for(claims, policy.user_class)
                return user, claims
            user = self.get_user(claims)
        except TokenError as err:
            # A USER_CLASS may refuse the token's user (the replica's UserRefusedError): a 401,
            # after the CSRF check, so nothing is written for a forged request.
            logger.debug("user refused (%s): %s", err.code, err)
            request.cognito_error = err
            raise InvalidToken(err) from None
        self.attach_attributes(user, request)
        return user, claims

    def authenticate_header(self, request: Request) -> str:
        # The same challenge as cognito_login_required's for plain views.
        return self._policy().challenge_for(getattr(request, "cognito_error", None))

    def _policy(self) -> RequestPolicy:
        return request_policy(self.settings)

    def enforce_csrf(self, request: Request) -> None:
        """CSRF validation for every token not from ``Authorization`` (a cookie, the ALB's header),
        exactly as DRF's ``SessionAuthentication`` does it."""

        def dummy_get_response(request: Any) -> None:  # pragma: no cover
            return None

        check = CSRFCheck(dummy_get_response)
        # populates request.META['CSRF_COOKIE'], which is used in process_view()
        check.process_request(request)
        reason = check.process_view(request, None, (), {})
        if reason:
            raise exceptions.PermissionDenied(f"CSRF Failed: {reason}")


def _vary_on(request: Request, source: TokenSource) -> None:
    """Make the view's answer vary on a token's source (``tokens.VARY_ON``), through the headers
    DRF puts on every answer of the view (``APIView.headers``, whose ``Vary`` it merges into the
    response's), since an authentication class never sees the response itself."""
    context = getattr(request, "parser_context", None)
    headers = getattr(context.get("view"), "headers", None) if context else None
    if type(headers) is dict:
        vary = headers.get("Vary")
        names = VARY_ON[source]
        headers["Vary"] = f"{vary}, {names}" if vary else names


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's exception handler, with one change: a request without credentials gets
    ``{"detail": ..., "code": "not_authenticated"}``, the body ``cognito_login_required`` gives
    plain views, instead of ``{"detail": ...}`` alone.

    ``REST_FRAMEWORK = {"EXCEPTION_HANDLER": "fastcognito.drf.exception_handler"}``. A project
    with its own handler can call this one first, as this one calls DRF's.
    """
    # Imported here: rest_framework.views pulls in much of DRF, which this module need not load.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, exceptions.NotAuthenticated):
        data = response.data
        if isinstance(data, dict) and "code" not in data:
            detail = exc.detail
            code = detail.code if isinstance(detail, exceptions.ErrorDetail) else "not_authenticated"
            response.data = {**data, "code": code}
    return response
