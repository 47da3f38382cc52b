"""The one exception tree of fastcognito.

Every class carries a stable ``code``. No message or attribute ever holds the raw token.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "FastCognitoError",
    "ConfigurationError",
    "TokenError",
    "MalformedTokenError",
    "UnsupportedAlgorithmError",
    "KeyNotFoundError",
    "InvalidSignatureError",
    "ClaimError",
    "ExpiredTokenError",
    "NotYetValidError",
    "InvalidIssuerError",
    "InvalidTokenUseError",
    "InvalidClientError",
    "MissingGroupError",
    "MissingScopeError",
    "JWKSError",
    "InvalidSignerError",
]


class FastCognitoError(Exception):
    """Root of every error fastcognito raises."""

    code: str = "error"
    default_message: str = "fastcognito error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    @property
    def message(self) -> str:
        return str(self.args[0])


class ConfigurationError(FastCognitoError):
    """Bad or missing settings. Raised at construction, never per request."""

    code = "configuration"
    default_message = "fastcognito is misconfigured"


class TokenError(FastCognitoError):
    """The token is not acceptable (HTTP 401). Base of every rejection."""

    code = "invalid_token"
    default_message = "the token is not acceptable"


class MalformedTokenError(TokenError):
    """Size, segments, base64url, JSON, header or claim types are wrong."""

    code = "malformed"
    default_message = "the token is malformed"


class UnsupportedAlgorithmError(TokenError):
    """``alg`` is not RS256, or differs from the key's ``alg``."""

    code = "unsupported_alg"
    default_message = "the token's algorithm is not allowed"


class KeyNotFoundError(TokenError):
    """No key has the token's ``kid``, even after a refresh of the JWKS."""

    code = "unknown_kid"
    default_message = "no key matches the token's kid"


class InvalidSignatureError(TokenError):
    """The RS256 signature does not verify."""

    code = "invalid_signature"
    default_message = "the token's signature is invalid"


class ClaimError(TokenError):
    """A claim failed its check. Carries ``claim``, ``actual`` and ``expected``."""

    code = "invalid_claim"
    default_message = "a claim is not acceptable"

    def __init__(
        self,
        message: str | None = None,
        *,
        claim: str | None = None,
        actual: Any = None,
        expected: Any = None,
    ) -> None:
        super().__init__(message)
        self.claim = claim
        self.actual = actual
        self.expected = expected


class ExpiredTokenError(ClaimError):
    """``exp`` (plus leeway) has passed."""

    code = "expired"
    default_message = "the token has expired"


class NotYetValidError(ClaimError):
    """``iat`` or ``nbf`` lies in the future (beyond the leeway)."""

    code = "not_yet_valid"
    default_message = "the token is not valid yet"


class InvalidIssuerError(ClaimError):
    """``iss`` is not the issuer of a trusted user pool."""

    code = "invalid_issuer"
    default_message = "the token's issuer is not trusted"


class InvalidTokenUseError(ClaimError):
    """``token_use`` is not ``access``/``id``, or not the one required."""

    code = "invalid_token_use"
    default_message = "the token's token_use is not accepted"


class InvalidClientError(ClaimError):
    """``client_id`` (access tokens) or ``aud`` (id tokens) is not an allowed client."""

    code = "invalid_client"
    default_message = "the token was issued to another client"


class MissingGroupError(ClaimError):
    """None of the required groups is in ``cognito:groups``."""

    code = "missing_group"
    default_message = "the user is in none of the required groups"


class MissingScopeError(ClaimError):
    """None of the required scopes is in ``scope``."""

    code = "missing_scope"
    default_message = "the token has none of the required scopes"


class JWKSError(FastCognitoError):
    """Keys could not be fetched or validated and none are cached (HTTP 503, not 401)."""

    code = "jwks_unavailable"
    default_message = "the signing keys are unavailable"


class InvalidSignerError(ClaimError):
    """An ALB token's ``signer`` is not one of the allowed load balancer ARNs."""

    code = "invalid_signer"
    default_message = "the token was signed by a load balancer that is not trusted"
