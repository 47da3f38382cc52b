"""fastcognito: fast, strict verification of AWS Cognito JWTs, with Django REST Framework glue."""

from __future__ import annotations

from ._impl import EXTENSION_ACTIVE, EXTENSION_ERROR
from .alb import AlbVerifier
from .cache import CacheInfo, ClaimsCache
from .claims import Claims
from .exceptions import (
    ClaimError,
    ConfigurationError,
    DenylistUnavailableError,
    ExpiredTokenError,
    FastCognitoError,
    InvalidClientError,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidSignerError,
    InvalidTokenUseError,
    JWKSError,
    KeyNotFoundError,
    MachineTokenRefusedError,
    MalformedTokenError,
    MissingGroupError,
    MissingScopeError,
    NotYetValidError,
    RevokedTokenError,
    TokenError,
    UnsupportedAlgorithmError,
)
from .denylist import Denylist, MemoryDenylist, RememberingDenylist
from .jwk import KeySet, load_rsa_public_key
from .jwks import JWKSClient
from .verifier import CognitoVerifier, UserPool, cognito_issuers, default_issuer

__version__ = "0.1.0"

__all__ = [
    "EXTENSION_ACTIVE",
    "EXTENSION_ERROR",
    "AlbVerifier",
    "CacheInfo",
    "ClaimError",
    "Claims",
    "ClaimsCache",
    "CognitoVerifier",
    "ConfigurationError",
    "DenylistUnavailableError",
    "Denylist",
    "ExpiredTokenError",
    "FastCognitoError",
    "InvalidClientError",
    "InvalidIssuerError",
    "InvalidSignatureError",
    "InvalidSignerError",
    "InvalidTokenUseError",
    "JWKSClient",
    "JWKSError",
    "KeyNotFoundError",
    "KeySet",
    "MachineTokenRefusedError",
    "MalformedTokenError",
    "MemoryDenylist",
    "MissingGroupError",
    "MissingScopeError",
    "NotYetValidError",
    "RememberingDenylist",
    "RevokedTokenError",
    "TokenError",
    "UnsupportedAlgorithmError",
    "UserPool",
    "__version__",
    "cognito_issuers",
    "default_issuer",
    "load_rsa_public_key",
]
