"""fastcognito: fast, strict verification of AWS Cognito JWTs, with Django REST Framework glue."""

from __future__ import annotations

from ._impl import EXTENSION_ACTIVE
from .cache import CacheInfo, ClaimsCache
from .claims import Claims
from .exceptions import (
    ClaimError,
    ConfigurationError,
    ExpiredTokenError,
    FastCognitoError,
    InvalidClientError,
    InvalidIssuerError,
    InvalidSignatureError,
    InvalidTokenUseError,
    JWKSError,
    KeyNotFoundError,
    MalformedTokenError,
    MissingGroupError,
    MissingScopeError,
    NotYetValidError,
    TokenError,
    UnsupportedAlgorithmError,
)
from .jwk import KeySet, load_rsa_public_key
from .jwks import JWKSClient
from .verifier import CognitoVerifier, UserPool, default_issuer

__version__ = "0.1.0"

__all__ = [
    "EXTENSION_ACTIVE",
    "CacheInfo",
    "ClaimError",
    "Claims",
    "ClaimsCache",
    "CognitoVerifier",
    "ConfigurationError",
    "ExpiredTokenError",
    "FastCognitoError",
    "InvalidClientError",
    "InvalidIssuerError",
    "InvalidSignatureError",
    "InvalidTokenUseError",
    "JWKSClient",
    "JWKSError",
    "KeyNotFoundError",
    "KeySet",
    "MalformedTokenError",
    "MissingGroupError",
    "MissingScopeError",
    "NotYetValidError",
    "TokenError",
    "UnsupportedAlgorithmError",
    "UserPool",
    "__version__",
    "default_issuer",
    "load_rsa_public_key",
]
