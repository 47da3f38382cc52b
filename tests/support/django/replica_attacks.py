"""Helpers of the replica's attack tests: settings for the test pool with its keys offline, tokens
verified as a request would verify them, and the two databases the replica runs on."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.test import Client

from fastcognito import Claims, CognitoVerifier
from tests.support import CLIENT_ID, POOL_ID, TokenFactory

__all__ = ["BOTH", "REPLICA_USER", "exchange", "pool_claims", "replica_settings"]

BOTH = ["default", "pg"]
REPLICA_USER = "fastcognito.django.users.replica_user"


def replica_settings(jwks_document: dict[str, Any], alias: str, **extra: Any) -> dict[str, Any]:
    """FASTCOGNITO for the test pool, its keys offline (no fetch), the replica on ``alias``."""
    replica = {"DATABASE": alias, **extra.pop("REPLICA", {})}
    return {
        **settings.FASTCOGNITO,
        "JWKS": jwks_document,
        "JWKS_URL": None,
        "USER_CLASS": REPLICA_USER,
        "REPLICA": replica,
        **extra,
    }


def pool_claims(tokens: TokenFactory, jwks_document: dict[str, Any], **claims: Any) -> Claims:
    """A pool id token signed with the test key, verified as every request verifies it."""
    verifier = CognitoVerifier(POOL_ID, client_id=CLIENT_ID, token_use="id", jwks=jwks_document)
    return verifier.verify(tokens.id(**claims))


def exchange(token: str) -> Any:
    """POST ``token`` to the replica's token exchange. The failure is the answer under test: a 500
    must show as one, not as a raised exception."""
    return Client(raise_request_exception=False).post(
        "/auth/exchange/", {"token": token}, content_type="application/json"
    )
