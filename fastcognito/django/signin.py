"""What every sign-in flow does with Cognito's tokens: the views, ``AUTO_REFRESH`` and the replica's
session refresh share it.

* ``verify_tokens``: a token set from Cognito, verified with the ``HOSTED_UI`` verifiers (the
  access token by the very verifier of every API request), the nonce when there is one;
* ``expired_access_claims`` and ``token_owner``: an access token of ours read even when it has
  only expired, to refresh it or to tell whether a refresh changed the user.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from ..exceptions import ExpiredTokenError, JWKSError, TokenError
from ..oauth import SignedIn, TokenSet, verify_token_set
from .hosted_ui import HostedUIConfig

__all__ = ["expired_access_claims", "token_owner", "verify_tokens"]


def verify_tokens(config: HostedUIConfig, tokens: TokenSet, nonce: str | None = None) -> SignedIn:
    """Both tokens of a sign-in (or a refresh) verified as every request's would be, and bound
    together (same user; ``at_hash``; the ``nonce`` of this attempt). Raises ``TokenError``."""
    return verify_token_set(
        tokens, access_verifier=config.access_verifier, id_verifier=config.id_verifier, nonce=nonce
    )


def _payload(token: str) -> Mapping[str, Any] | None:
    # Only called once the verifier has checked the signature and the JSON (it refuses `exp`
    # after both): the payload is canonical base64url of a JSON object of bounded depth.
    try:
        segment = token.split(".")[1]
        value = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (IndexError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def expired_access_claims(config: HostedUIConfig, token: str) -> Mapping[str, Any] | None:
    """The claims of ``token`` when it is an access token of ours that the verifier refuses only
    for its ``exp``: its signature holds (the verifier checks ``exp`` after the signature), its
    issuer is one of ours, and it was issued to the sign-in's app client. ``None`` otherwise,
    a valid token included."""
    verifier = config.access_verifier
    try:
        verifier.verify(token)
    except ExpiredTokenError:
        pass
    except (TokenError, JWKSError):
        return None
    else:
        return None
    claims = _payload(token)
    if (
        claims is None
        or claims.get("iss") not in verifier.pools
        or claims.get("token_use") != "access"
        or claims.get("client_id") != config.client.client_id
    ):
        return None
    return claims


def token_owner(config: HostedUIConfig, token: str | None) -> str | None:
    """The ``sub`` of the access token ``token`` when it is ours, valid or only expired."""
    if not token:
        return None
    try:
        claims: Mapping[str, Any] | None = config.access_verifier.verify(token)
    except ExpiredTokenError:
        claims = expired_access_claims(config, token)
    except (TokenError, JWKSError):
        return None
    sub = claims.get("sub") if claims is not None else None
    return sub if isinstance(sub, str) else None
