"""Helpers of the replica's tests: moto's pool with an app client that may read the e-mail."""

from __future__ import annotations

from typing import Any

from fastcognito import Claims, CognitoVerifier
from tests.support import CognitoPool

__all__ = ["id_claims", "login", "moto_settings", "reading_client", "verify"]

_READERS: dict[str, str] = {}


def reading_client(cognito: CognitoPool) -> str:
    """An app client that may read the e-mail and names: moto puts only those in its id tokens."""
    if cognito.pool_id not in _READERS:
        _READERS[cognito.pool_id] = cognito.client.create_user_pool_client(
            UserPoolId=cognito.pool_id,
            ClientName="reader",
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
            ReadAttributes=["email", "email_verified", "given_name", "family_name"],
        )["UserPoolClient"]["ClientId"]
    return _READERS[cognito.pool_id]


def moto_settings(cognito: CognitoPool, **extra: Any) -> dict[str, Any]:
    return {
        "USER_POOL_ID": cognito.pool_id,
        "CLIENT_ID": [cognito.client_id, reading_client(cognito)],
        "TOKEN_USE": "access",
        "JWKS_URL": cognito.jwks_url,
        "SUPERUSER_GROUPS": ["admins"],
        "STAFF_GROUPS": ["editors"],
        **extra,
    }


def verify(cognito: CognitoPool, token: str) -> Claims:
    verifier = CognitoVerifier(
        cognito.pool_id,
        client_id=[cognito.client_id, reading_client(cognito)],
        token_use=None,
        jwks_url=cognito.jwks_url,
    )
    return verifier.verify(token)


def login(cognito: CognitoPool, username: str) -> dict[str, str]:
    return cognito.login(username, client_id=reading_client(cognito))


def id_claims(cognito: CognitoPool, username: str) -> Claims:
    return verify(cognito, login(cognito, username)["IdToken"])


