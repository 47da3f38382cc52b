"""Cognito's sign-in protocol, framework-free: managed login (code grant with PKCE), refresh,
revocation, password sign-in and logout.

No web framework is imported here: the Django views are a thin layer over ``CognitoOAuthClient``,
and Flask or FastAPI code can use it the same way. The same endpoints and parameters serve
Cognito's managed login and the classic hosted UI.

Every failure is a ``SignInError`` with a stable ``code`` and the HTTP ``status`` a web layer should
answer with. No token, code, verifier, secret or password ever appears in a message or a log line.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple
from urllib.parse import urlencode, urlsplit

import requests
import urllib3.exceptions

from ._constants import MAX_JSON_DEPTH
from ._impl import json_too_deep
from ._validate import check_url, reject_constant
from .claims import Claims
from .exceptions import (
    AuthorizationDeniedError,
    ChallengeRequiredError,
    CognitoRejectedError,
    CognitoUnavailableError,
    ConfigurationError,
    InvalidCredentialsError,
    InvalidGrantError,
    InvalidNonceError,
    MalformedTokenError,
    SignInError,
    SignInThrottledError,
)
from .jwks import NETWORK_ERRORS, BodyRefused, read_body
from .verifier import CognitoVerifier

__all__ = [
    "AuthorizationRequest",
    "CognitoOAuthClient",
    "SignedIn",
    "TokenSet",
    "at_hash",
    "code_challenge",
    "cognito_api_url",
    "new_code_verifier",
    "secret_hash",
    "verify_token_set",
]

logger = logging.getLogger("fastcognito.oauth")

DEFAULT_TIMEOUT = (3.05, 10.0)
# Cognito's answers are a few kilobytes; anything far larger is not Cognito.
MAX_RESPONSE_BYTES = 256 * 1024
JSON_API_TARGET = "AWSCognitoIdentityProviderService."

# RFC 6749 §5.2 errors that mean the grant itself is bad (the user can start again), as opposed
# to the client being misconfigured (an operator must act).
_GRANT_ERRORS = frozenset({"invalid_grant"})
_THROTTLE_ERRORS = frozenset({"TooManyRequestsException", "LimitExceededException"})


def new_code_verifier() -> str:
    """A PKCE code verifier (RFC 7636 §4.1): 64 characters of the unreserved alphabet."""
    return secrets.token_urlsafe(48)


def code_challenge(verifier: str) -> str:
    """The S256 challenge of ``verifier`` (RFC 7636 §4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def at_hash(access_token: str) -> str:
    """OpenID Connect Core §3.1.3.6: base64url of the left half of SHA-256 of the access token."""
    digest = hashlib.sha256(access_token.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[: len(digest) // 2]).rstrip(b"=").decode("ascii")


def secret_hash(username: str, client_id: str, client_secret: str) -> str:
    """Cognito's ``SECRET_HASH``: base64 of HMAC-SHA256(secret, username + client_id)."""
    mac = hmac.new(client_secret.encode("utf-8"), (username + client_id).encode("utf-8"), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode("ascii")


def cognito_api_url(region: str) -> str:
    """The endpoint of Cognito's JSON API (``InitiateAuth``, ``RevokeToken``) in ``region``."""
    return f"https://cognito-idp.{region}.amazonaws.com/"


@dataclass(frozen=True)
class AuthorizationRequest:
    """One login attempt: the URL to send the browser to, and what the callback must check.

    ``state``, ``nonce`` and ``code_verifier`` must be kept bound to this browser until the
    callback (a signed HttpOnly cookie, or server-side), and used once.
    """

    url: str
    state: str
    nonce: str
    code_verifier: str = field(repr=False)


@dataclass(frozen=True)
class TokenSet:
    """Tokens Cognito issued. ``refresh_token`` is ``None`` when a refresh did not rotate it;
    ``id_token`` is ``None`` without the ``openid`` scope. Tokens never show in the repr."""

    access_token: str = field(repr=False)
    id_token: str | None = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_in: int
    token_type: str = "Bearer"


@dataclass(frozen=True)
class SignedIn:
    """A verified ``TokenSet``: the tokens and the claims of each."""

    tokens: TokenSet
    access_claims: Claims
    id_claims: Claims | None


def verify_token_set(
    tokens: TokenSet,
    *,
    access_verifier: CognitoVerifier,
    id_verifier: CognitoVerifier | None,
    nonce: str | None = None,
) -> SignedIn:
    """Verify the access token and the id token with the same rules as every other token.

    With ``nonce`` the id token must be present and carry it (OpenID Connect Core §3.1.3.7);
    its ``at_hash``, when present, must match the access token (§3.1.3.6). Raises a
    ``TokenError`` (or ``JWKSError``).
    """
    access_claims = access_verifier.verify(tokens.access_token)
    id_claims: Claims | None = None
    if tokens.id_token is not None and id_verifier is not None:
        id_claims = id_verifier.verify(tokens.id_token)
        expected_hash = id_claims.get("at_hash")
        if expected_hash is not None and not (
            isinstance(expected_hash, str)
            and hmac.compare_digest(expected_hash.encode(), at_hash(tokens.access_token).encode())
        ):
            raise MalformedTokenError("the id token's at_hash does not match the access token")
        if id_claims.get("sub") != access_claims.get("sub"):
            raise MalformedTokenError("the id token and the access token are for different users")
    if nonce is not None:
        if id_claims is None:
            raise InvalidNonceError("no id token came back to carry the nonce", claim="nonce")
        actual = id_claims.get("nonce")
        if not (isinstance(actual, str) and hmac.compare_digest(actual.encode(), nonce.encode())):
            # The values are not echoed: a nonce is a one-time secret of this sign-in.
            raise InvalidNonceError(claim="nonce")
    return SignedIn(tokens, access_claims, id_claims)


class _Answer(NamedTuple):
    """What ``_post`` read of an answer: its status and its body, within the caps."""

    status_code: int
    content: bytes


class CognitoOAuthClient:
    """The sign-in endpoints of one app client.

    ``domain`` is the managed-login base URL (``https://<prefix>.auth.<region>.amazoncognito.com``
    or a custom domain; plain http only on loopback). ``api_url`` is the JSON API endpoint
    (``cognito_api_url(region)``), needed for ``revoke`` and ``initiate_auth``. ``timeout`` is
    ``(connect, read)`` seconds for every call; their sum also bounds the whole of each answer.
    """

    def __init__(
        self,
        *,
        domain: str,
        client_id: str,
        redirect_uri: str,
        client_secret: str | None = None,
        scopes: Iterable[str] = ("openid",),
        api_url: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        session: requests.Session | None = None,
    ) -> None:
        self.domain = check_url("domain", domain).rstrip("/")
        if urlsplit(self.domain).path or urlsplit(self.domain).query:
            raise ConfigurationError(f"domain must be a base URL without a path, got {domain!r}")
        if not isinstance(client_id, str) or not client_id:
            raise ConfigurationError("client_id must be a non-empty string")
        if client_secret is not None and (not isinstance(client_secret, str) or not client_secret):
            raise ConfigurationError("client_secret must be a non-empty string or None")
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = check_url("redirect_uri", redirect_uri)
        self.scopes = tuple(scopes)
        if not all(isinstance(scope, str) and scope and " " not in scope for scope in self.scopes):
            raise ConfigurationError("scopes must be words without spaces")
        self.api_url = check_url("api_url", api_url) if api_url is not None else None
        self.timeout = timeout
        self.session = session if session is not None else requests.Session()

    def __repr__(self) -> str:
        return f"CognitoOAuthClient(domain={self.domain!r}, client_id={self.client_id!r})"

    # --- managed login -----------------------------------------------------------------------

    def authorization_request(self) -> AuthorizationRequest:
        """A fresh attempt: new ``state``, ``nonce`` and PKCE S256 verifier, and its URL."""
        state = secrets.token_urlsafe(32)
        nonce = secrets.token_urlsafe(32)
        verifier = new_code_verifier()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": self.redirect_uri,
                "scope": " ".join(self.scopes),
                "state": state,
                "nonce": nonce,
                "code_challenge": code_challenge(verifier),
                "code_challenge_method": "S256",
            }
        )
        return AuthorizationRequest(f"{self.domain}/oauth2/authorize?{query}", state, nonce, verifier)

    @staticmethod
    def check_callback_error(params: Mapping[str, str]) -> None:
        """Raise ``AuthorizationDeniedError`` when the callback carries ``error=``."""
        error = params.get("error")
        if error:
            # Only Cognito's short error name is kept: the description is attacker-controllable text.
            name = error if error.replace("_", "").isalnum() and len(error) <= 64 else "invalid_request"
            raise AuthorizationDeniedError(error=name)

    def exchange_code(self, code: str, code_verifier: str) -> TokenSet:
        """Trade an authorization code for tokens at ``/oauth2/token``."""
        return self._token_request(
            {
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.redirect_uri,
                "code_verifier": code_verifier,
            },
            require_refresh=True,
        )

    def refresh(self, refresh_token: str) -> TokenSet:
        """New tokens from ``refresh_token``; ``refresh_token`` in the result is the rotated one,
        or ``None`` when Cognito kept the old one."""
        return self._token_request(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}, require_refresh=False
        )

    def logout_url(self, logout_uri: str) -> str:
        """Cognito's ``/logout``, which ends the managed-login session and returns to ``logout_uri``
        (one of the app client's sign-out URLs)."""
        return f"{self.domain}/logout?{urlencode({'client_id': self.client_id, 'logout_uri': logout_uri})}"

    # --- JSON API ----------------------------------------------------------------------------

    def revoke(self, refresh_token: str) -> None:
        """Revoke ``refresh_token`` (and the tokens issued from it) with ``RevokeToken``."""
        body: dict[str, Any] = {"Token": refresh_token, "ClientId": self.client_id}
        if self.client_secret is not None:
            body["ClientSecret"] = self.client_secret
        self._json_api("RevokeToken", body)

    def initiate_auth(self, username: str, password: str) -> TokenSet:
        """Password sign-in (``InitiateAuth`` with ``USER_PASSWORD_AUTH``), with ``SECRET_HASH``
        when the client has a secret. Wrong passwords and unknown users raise the same
        ``InvalidCredentialsError``; a challenge raises ``ChallengeRequiredError``."""
        parameters = {"USERNAME": username, "PASSWORD": password}
        if self.client_secret is not None:
            parameters["SECRET_HASH"] = secret_hash(username, self.client_id, self.client_secret)
        answer = self._json_api(
            "InitiateAuth",
            {"AuthFlow": "USER_PASSWORD_AUTH", "ClientId": self.client_id, "AuthParameters": parameters},
        )
        challenge = answer.get("ChallengeName")
        if challenge:
            raise ChallengeRequiredError(challenge=str(challenge)[:64])
        result = answer.get("AuthenticationResult")
        if not isinstance(result, dict):
            raise CognitoUnavailableError("Cognito answered InitiateAuth without tokens")
        return _token_set(
            {
                "access_token": result.get("AccessToken"),
                "id_token": result.get("IdToken"),
                "refresh_token": result.get("RefreshToken"),
                "expires_in": result.get("ExpiresIn"),
                "token_type": result.get("TokenType", "Bearer"),
            },
            require_refresh=True,
        )

    # --- transport ---------------------------------------------------------------------------

    def _post(self, url: str, *, headers: Mapping[str, str], **kwargs: Any) -> _Answer:
        # The read timeout bounds each socket read, not the answer: one that trickles a byte per
        # read would hold the request for as long as it likes. The body is streamed under a
        # deadline for the whole call (connect plus read timeout) and dropped past the size cap.
        deadline = time.monotonic() + sum(self.timeout)
        try:
            with self.session.post(
                url,
                timeout=self.timeout,
                allow_redirects=False,
                stream=True,
                # A compressed answer would have to be inflated to be capped: Cognito sends it plain.
                headers={**headers, "Accept-Encoding": "identity"},
                **kwargs,
            ) as response:
                try:
                    body = read_body(response, MAX_RESPONSE_BYTES, deadline, gzip=False)
                except BodyRefused as refused:
                    raise _refused_answer(refused.kind) from None
                return _Answer(response.status_code, body)
        except (requests.Timeout, urllib3.exceptions.TimeoutError, TimeoutError) as err:
            logger.warning("Cognito did not answer in time (%s)", urlsplit(url).path)
            raise CognitoUnavailableError("Cognito did not answer in time") from err
        except NETWORK_ERRORS as err:  # whatever breaks while connecting or mid-answer
            logger.warning("Cognito cannot be reached (%s): %s", urlsplit(url).path, type(err).__name__)
            raise CognitoUnavailableError() from err

    @staticmethod
    def _json_body(response: _Answer) -> dict[str, Any]:
        status = response.status_code
        unreadable = CognitoUnavailableError(f"Cognito answered HTTP {status} with unreadable JSON")
        try:
            text = response.content.decode("utf-8")
            # json.loads recurses once per level: an answer nested thousands deep (the size cap
            # lets in about 100,000 levels) would be a RecursionError, not a refusal.
            if json_too_deep(text):
                raise ValueError(f"nested more than {MAX_JSON_DEPTH} deep")
            body = json.loads(text, parse_constant=reject_constant)
        except (ValueError, RecursionError) as err:  # UnicodeDecodeError is a ValueError
            raise unreadable from err
        if not isinstance(body, dict):
            raise unreadable
        return body

    def _token_request(self, form: dict[str, str], *, require_refresh: bool) -> TokenSet:
        # RFC 6749 §2.3.1: a confidential client authenticates with HTTP Basic; client_id is
        # always in the body too, which Cognito requires for public clients and accepts otherwise.
        form = {**form, "client_id": self.client_id}
        auth = (self.client_id, self.client_secret) if self.client_secret is not None else None
        response = self._post(
            f"{self.domain}/oauth2/token",
            data=form,
            auth=auth,
            headers={"Accept": "application/json"},
        )
        if response.status_code >= 500:
            logger.warning("Cognito's token endpoint answered HTTP %d", response.status_code)
            raise CognitoUnavailableError(f"Cognito answered HTTP {response.status_code}")
        body = self._json_body(response)
        if response.status_code != 200:
            error = body.get("error")
            name = error if isinstance(error, str) and error.replace("_", "").isalnum() else "invalid_request"
            if name in _GRANT_ERRORS:
                raise InvalidGrantError()
            logger.warning("Cognito's token endpoint refused the client: %s", name)
            raise CognitoRejectedError(f"Cognito refused the request: {name}", error=name)
        return _token_set(body, require_refresh=require_refresh)

    def _json_api(self, action: str, body: dict[str, Any]) -> dict[str, Any]:
        if self.api_url is None:
            raise ConfigurationError(f"{action} needs api_url, the endpoint of Cognito's JSON API")
        # Cognito's public actions need no AWS signature: only the target and the JSON body.
        response = self._post(
            self.api_url,
            data=json.dumps(body),
            headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": JSON_API_TARGET + action,
            },
        )
        if response.status_code >= 500:
            logger.warning("Cognito's %s answered HTTP %d", action, response.status_code)
            raise CognitoUnavailableError(f"Cognito answered HTTP {response.status_code}")
        answer = self._json_body(response)
        if response.status_code == 200:
            return answer
        raise _api_error(action, answer)


def _refused_answer(kind: str) -> CognitoUnavailableError:
    """The error for an answer ``read_body`` refused (it is asked for uncompressed, so never a
    truncated gzip stream)."""
    if kind == "slow":
        logger.warning("Cognito's answer took longer than its timeout in total")
        return CognitoUnavailableError("Cognito did not answer in time")
    if kind == "encoded":
        return CognitoUnavailableError("Cognito's answer is compressed though it was asked not to be")
    return CognitoUnavailableError("Cognito's answer is too large to be genuine")


def _api_error(action: str, answer: Mapping[str, Any]) -> SignInError:
    kind = str(answer.get("__type", "")).rsplit("#", 1)[-1]
    message = str(answer.get("message", answer.get("Message", "")))
    if kind in _THROTTLE_ERRORS or (kind == "NotAuthorizedException" and "attempts exceeded" in message.lower()):
        return SignInThrottledError()
    if action == "InitiateAuth":
        if kind == "NotAuthorizedException" and "secret hash" not in message.lower():
            return InvalidCredentialsError()
        # UserNotFound is answered like a wrong password (no enumeration); so is an unconfirmed
        # user, which Cognito reports only to someone who knows the password anyway.
        if kind in ("UserNotFoundException", "UserNotConfirmedException"):
            return InvalidCredentialsError()
        if kind == "PasswordResetRequiredException":
            return ChallengeRequiredError(challenge="PASSWORD_RESET_REQUIRED")
    if action == "RevokeToken" and kind in ("NotAuthorizedException", "UnsupportedTokenTypeException"):
        return InvalidGrantError()
    logger.warning("Cognito refused %s: %s", action, kind or "unknown error")
    return CognitoRejectedError(f"Cognito refused {action}: {kind or 'unknown error'}", error=kind)


def _token_set(body: Mapping[str, Any], *, require_refresh: bool) -> TokenSet:
    access = body.get("access_token")
    id_token = body.get("id_token")
    refresh = body.get("refresh_token")
    expires_in = body.get("expires_in")
    token_type = body.get("token_type", "Bearer")
    if (
        not isinstance(access, str)
        or not access
        or (id_token is not None and not isinstance(id_token, str))
        or (refresh is not None and not isinstance(refresh, str))
        or (require_refresh and not refresh)
        or isinstance(expires_in, bool)
        or not isinstance(expires_in, int)
        or expires_in <= 0
        or not isinstance(token_type, str)
    ):
        raise CognitoUnavailableError("Cognito's token answer is incomplete")
    return TokenSet(access, id_token or None, refresh or None, expires_in, token_type)
