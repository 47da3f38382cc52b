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
    "RevokedTokenError",
    "MachineTokenRefusedError",
    "JWKSError",
    "DenylistUnavailableError",
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


class RevokedTokenError(TokenError):
    """The token's ``origin_jti`` or ``jti`` is on the configured denylist (it was revoked)."""

    code = "revoked"
    default_message = "the token has been revoked"


class MachineTokenRefusedError(TokenError):
    """A machine-to-machine (client credentials) token of an app client the settings do not allow
    to use them (``FASTCOGNITO["MACHINE_CLIENTS"]``)."""

    code = "machine_token_refused"
    default_message = "machine-to-machine tokens of this client are not accepted"


class JWKSError(FastCognitoError):
    """Keys could not be fetched or validated and none are cached (HTTP 503, not 401)."""

    code = "jwks_unavailable"
    default_message = "the signing keys are unavailable"


class DenylistUnavailableError(JWKSError):
    """The revocation denylist cannot be read (its cache is down). The token may be fine and may
    be revoked, so it is neither accepted nor called invalid: HTTP 503, like missing keys (hence
    the subclass: every 503 path of ``JWKSError`` applies)."""

    code = "denylist_unavailable"
    default_message = "the revocation list is unavailable"


class InvalidSignerError(ClaimError):
    """An ALB token's ``signer`` is not one of the allowed load balancer ARNs."""

    code = "invalid_signer"
    default_message = "the token was signed by a load balancer that is not trusted"


# --- sign-in flows (fastcognito.oauth) ---------------------------------------------------------
# Kept in their own block, with their own __all__ extension, so the token tree above stays as the
# design lists it. Each carries the HTTP status a web layer answers with: 4xx for what the user
# or the browser got wrong, 502 when Cognito cannot be reached or answers nonsense.

__all__ += [
    "SignInError",
    "SignInRequestError",
    "NotSignedInError",
    "UnsafeRedirectError",
    "CognitoUnavailableError",
    "CognitoRejectedError",
    "AuthorizationDeniedError",
    "InvalidStateError",
    "InvalidGrantError",
    "InvalidNonceError",
    "InvalidCredentialsError",
    "ChallengeRequiredError",
    "SignInThrottledError",
    "SignInUnavailableError",
]


class SignInError(FastCognitoError):
    """A sign-in, refresh or sign-out step failed. Base of the sign-in errors."""

    code = "sign_in_failed"
    default_message = "the sign-in failed"
    status = 400


class SignInRequestError(SignInError):
    """The request to a sign-in endpoint is incomplete or malformed (no code, a body that is not
    the JSON expected...)."""

    code = "invalid_request"
    default_message = "the sign-in request is incomplete or malformed"
    status = 400


class UnsafeRedirectError(SignInError):
    """``next`` points to a host that is not allowed (another site, ``//evil``, ``javascript:``...):
    refused rather than followed, so a sign-in link cannot be turned into an open redirect."""

    code = "invalid_redirect"
    default_message = "the address to return to after sign-in is not allowed"
    status = 400


class NotSignedInError(SignInError):
    """A refresh or sign-out came without the refresh cookie."""

    code = "not_signed_in"
    default_message = "there is no sign-in to refresh"
    status = 401


class CognitoUnavailableError(SignInError):
    """Cognito could not be reached, timed out, answered 5xx or an unreadable body (HTTP 502)."""

    code = "cognito_unavailable"
    default_message = "Cognito cannot be reached right now"
    status = 502


class CognitoRejectedError(SignInError):
    """Cognito refused the request for a reason the user cannot fix (an unknown client, a
    redirect URI it does not allow...): a misconfiguration, answered as HTTP 502.

    ``error`` is Cognito's error name (``invalid_client``, ``ResourceNotFoundException``...).
    """

    code = "cognito_rejected"
    default_message = "Cognito refused the request"
    status = 502

    def __init__(self, message: str | None = None, *, error: str = "") -> None:
        super().__init__(message)
        self.error = error


class AuthorizationDeniedError(SignInError):
    """The callback came back with ``error=`` (the user declined, or Cognito refused the login)."""

    code = "access_denied"
    default_message = "the sign-in was cancelled or refused"
    status = 400

    def __init__(self, message: str | None = None, *, error: str = "access_denied") -> None:
        super().__init__(message)
        self.error = error


class InvalidStateError(SignInError):
    """The callback's ``state`` is missing, unknown, expired, or from another browser."""

    code = "invalid_state"
    default_message = "the sign-in attempt is unknown or has expired; start again"
    status = 400


class InvalidGrantError(SignInError):
    """Cognito refused the code (used, expired, wrong verifier) or the refresh token (expired,
    revoked, unknown)."""

    code = "invalid_grant"
    default_message = "the authorization code or refresh token was refused"
    status = 400


class InvalidNonceError(ClaimError):
    """The id token's ``nonce`` is not the one this sign-in sent (OpenID Connect Core §3.1.3.7)."""

    code = "invalid_nonce"
    default_message = "the id token's nonce does not match"


class InvalidCredentialsError(SignInError):
    """Wrong username or password. Unknown users get this same error: no enumeration."""

    code = "invalid_credentials"
    default_message = "incorrect username or password"
    status = 401


class ChallengeRequiredError(SignInError):
    """The password was right but Cognito asks for more (``NEW_PASSWORD_REQUIRED``, MFA...),
    which only the managed login pages handle. ``challenge`` is Cognito's challenge name."""

    code = "challenge_required"
    default_message = "this sign-in needs the managed login page"
    status = 401

    def __init__(self, message: str | None = None, *, challenge: str = "") -> None:
        super().__init__(message)
        self.challenge = challenge


class SignInThrottledError(SignInError):
    """Too many failed sign-ins for this user or address, or Cognito's own rate limit."""

    code = "throttled"
    default_message = "too many sign-in attempts; try again later"
    status = 429

    def __init__(self, message: str | None = None, *, retry_after: int = 0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SignInUnavailableError(SignInError):
    """The shared state a sign-in step needs (the throttle counters in Django's cache) cannot be
    read or written: the step is refused (503) rather than run uncounted."""

    code = "signin_unavailable"
    default_message = "sign-in is unavailable right now; try again later"
    status = 503


# --- the user replica (fastcognito.django.users) -----------------------------------------------

__all__ += ["UserRefusedError"]


class UserRefusedError(TokenError):
    """The token is genuine but its user is not accepted here: the replica's mapping hook refused
    it, the local user is inactive, or its fields clash with another local user. A 401 where
    tokens authenticate requests (the credential does not give access), a 403 from the token
    exchange endpoint."""

    code = "user_refused"
    default_message = "the token's user is not accepted"
