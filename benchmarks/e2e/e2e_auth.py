"""The DRF authentication classes fastcognito is loaded against, written as their sources do.

- TutorialPyJWTAuthentication: the class most tutorials give for Cognito and DRF: PyJWKClient
  (keys fetched once, then cached by PyJWT), `jwt.decode` with the issuer, then the client and
  `token_use` checked by hand; the user an unsaved Django `User`, so no database is touched.
- DjognitoStyleAuthentication: Djognito's steps (benchmarks/djognito_style.py), also with an
  unsaved `User`. Djognito reads a cookie; this one reads the same Bearer header as the others so
  every variant gets the same request.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import jwt
from django.contrib.auth.models import User
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.request import Request

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import djognito_style  # noqa: E402

ISSUER = os.environ.get("COGNITO_ISSUER") or (
    "https://cognito-idp.{}.amazonaws.com/{}".format(
        os.environ["COGNITO_USER_POOL_ID"].split("_", 1)[0], os.environ["COGNITO_USER_POOL_ID"]
    )
)
CLIENT_ID = os.environ["COGNITO_CLIENT_ID"]


def _bearer(request: Request) -> str | None:
    parts = get_authorization_header(request).split()
    if len(parts) != 2 or parts[0].lower() != b"bearer":
        return None
    return parts[1].decode("ascii")


class TutorialPyJWTAuthentication(BaseAuthentication):
    jwks_client = jwt.PyJWKClient(os.environ.get("COGNITO_JWKS_URL") or f"{ISSUER}/.well-known/jwks.json")

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        token = _bearer(request)
        if token is None:
            return None
        try:
            signing_key = self.jwks_client.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                signing_key.key,
                algorithms=["RS256"],
                issuer=ISSUER,
                options={"require": ["exp", "iat", "iss"], "verify_aud": False},
            )
        except jwt.PyJWTError as error:
            raise AuthenticationFailed("invalid token") from error
        if claims.get("client_id") != CLIENT_ID or claims.get("token_use") != "access":
            raise AuthenticationFailed("invalid token")
        return User(username=claims["username"]), claims

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'


if os.environ.get("E2E_JWKS_PATH"):
    djognito_style.use_offline_keys(json.loads(Path(os.environ["E2E_JWKS_PATH"]).read_text()))


class DjognitoStyleAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        token = _bearer(request)
        if token is None:
            return None
        try:
            claims = djognito_style.verify_jwt(token)
        except Exception as error:  # noqa: BLE001 (Djognito turns every failure into a refusal)
            raise AuthenticationFailed("invalid token") from error
        if not claims or not isinstance(claims, dict):
            raise AuthenticationFailed("invalid token")
        return User(username=claims["username"]), claims

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="api"'
