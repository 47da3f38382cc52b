"""``CognitoAuthentication``: DRF authentication by a Cognito token, with no database query.

``authenticate()`` is a chain of small steps a subclass may override: ``get_header``,
``get_raw_token``, ``get_claims``, ``get_user``, then the hook ``attach_attributes(user, request)``
(Djognito's name and signature).
"""

from __future__ import annotations

import logging
from typing import Any

from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, CSRFCheck
from rest_framework.request import Request

from ..claims import Claims
from ..exceptions import FastCognitoError, JWKSError, TokenError
from ..django.client import principal_for
from ..django.conf import FastCognitoSettings, fastcognito_settings
from ..django.messages import message_for
from ..django.tokens import RawToken, get_authorization_header, token_from_request
from ..verifier import CognitoVerifier

__all__ = ["CognitoAuthentication", "InvalidToken", "KeysUnavailable"]

logger = logging.getLogger("fastcognito.drf")


def _detail(error: FastCognitoError) -> dict[str, Any]:
    return {"detail": message_for(error.code), "code": error.code}


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


class CognitoAuthentication(BaseAuthentication):
    """Authenticates ``Authorization: Bearer <token>`` (types from ``AUTH_HEADER_TYPES``) or the
    cookie ``COOKIE_NAME``. No token: ``None`` (anonymous; later authenticators still run).
    ``request.user`` becomes ``USER_CLASS(claims)`` and ``request.auth`` the ``Claims``.

    Put it first in ``authentication_classes``: DRF takes the ``WWW-Authenticate`` header (and
    so the choice between 401 and 403) from the first authenticator.
    """

    settings: FastCognitoSettings = fastcognito_settings

    def authenticate(self, request: Request) -> tuple[Any, Claims] | None:
        try:
            raw_token = self.get_raw_token(request)
            if raw_token is None:
                return None
            claims = self.get_claims(raw_token)
        except TokenError as err:
            logger.debug("token rejected: %s", err.code)
            request.cognito_error = err
            raise InvalidToken(err) from None
        except JWKSError as err:
            request.cognito_error = err
            raise KeysUnavailable(err, retry_after=max(1.0, float(self.settings.JWKS_COOLDOWN))) from None
        if raw_token.source == "cookie":
            # A browser sends cookies with cross-site requests; the header cannot be forged so.
            self.enforce_csrf(request)
        user = self.get_user(claims)
        self.attach_attributes(user, request)
        return user, claims

    def authenticate_header(self, request: Request) -> str:
        types = self.settings.AUTH_HEADER_TYPES
        challenge = f'{types[0] if types else "Bearer"} realm="{self.settings.WWW_AUTHENTICATE_REALM}"'
        # RFC 6750 §3.1: error="invalid_token" for a rejected token, no error code when the
        # request carried no credentials.
        if isinstance(getattr(request, "cognito_error", None), TokenError):
            challenge += ', error="invalid_token"'
        return challenge

    # --- steps -------------------------------------------------------------------------------

    def get_header(self, request: Request) -> str | None:
        """The ``Authorization`` header, or ``None``."""
        return get_authorization_header(request)

    def get_raw_token(self, request: Request) -> RawToken | None:
        """The token from the header (one of our types), else from the cookie, else ``None``.

        Raises ``MalformedTokenError`` for a header of our type without a well-formed token.
        """
        return token_from_request(request, self.settings, self.get_header(request))

    def get_verifier(self) -> CognitoVerifier:
        return self.settings.verifier

    def get_claims(self, raw_token: RawToken) -> Claims:
        """Verify the token; raises ``TokenError`` (401) or ``JWKSError`` (503)."""
        return self.get_verifier().verify(raw_token.value)

    def get_user(self, claims: Claims) -> Any:
        """``USER_CLASS(claims)``; ``CognitoUser`` by default. No database query."""
        return principal_for(claims, self.settings.USER_CLASS)

    def attach_attributes(self, user: Any, request: Request) -> None:
        """Hook with Djognito's name and signature: add attributes or permissions to ``user``."""

    def enforce_csrf(self, request: Request) -> None:
        """CSRF validation for cookie tokens, exactly as DRF's ``SessionAuthentication`` does it."""

        def dummy_get_response(request: Any) -> None:  # pragma: no cover
            return None

        check = CSRFCheck(dummy_get_response)
        # populates request.META['CSRF_COOKIE'], which is used in process_view()
        check.process_request(request)
        reason = check.process_view(request, None, (), {})
        if reason:
            raise exceptions.PermissionDenied(f"CSRF Failed: {reason}")
