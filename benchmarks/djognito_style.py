"""A verifier written the way Djognito (and the AWS sample it follows) writes one, for comparison.

This is not Djognito's code: it reproduces its steps and their cost. Per call it reads its
settings from the environment, decodes the header with python-jose, finds the key by a linear
search, builds a python-jose key from the JWK again, checks the signature over the split token,
decodes the claims, then checks `exp` and `client_id`. It does not check `iss`, `token_use` or
`iat`, and reports a failure by returning False. The keys are given offline
(`use_offline_keys`) where Djognito fetches them once from Cognito.
"""

from __future__ import annotations

import os
import time
from typing import Any

from jose import jwk, jwt
from jose.utils import base64url_decode

_KEYS: list[dict[str, Any]] = []


def use_offline_keys(jwks: dict[str, Any]) -> None:
    _KEYS[:] = jwks["keys"]


def verify_jwt(token: str) -> dict[str, Any] | bool:
    app_client_id = os.environ.get("APP_CLIENT_ID")
    kid = jwt.get_unverified_headers(token)["kid"]
    matching = [key for key in _KEYS if key["kid"] == kid]
    if not matching:
        return False
    public_key = jwk.construct(matching[0])
    message, encoded_signature = token.rsplit(".", 1)
    if not public_key.verify(message.encode("utf8"), base64url_decode(encoded_signature.encode("utf-8"))):
        return False
    claims: dict[str, Any] = jwt.get_unverified_claims(token)
    if time.time() > claims["exp"]:
        return False
    if claims["client_id"] != app_client_id:
        return False
    return claims
