"""Literals shared by both twins and the layers below them.

Keep every value the twins compare against here, once: a copy in one twin drifts.
"""

from __future__ import annotations

from typing import Final

# RFC 4648 §5: the URL- and filename-safe alphabet, without padding (RFC 7515 §2).
B64URL_ALPHABET: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

# Cognito signs with RS256 only; RFC 8725 §3.1: a verifier allows exactly the algorithms it uses.
ALLOWED_ALGORITHMS: Final = frozenset({"RS256"})

# RS256 is RSASSA-PKCS1-v1_5 with SHA-256 (RFC 7518 §3.3). RFC 8017 §9.2, note 1: the DER
# DigestInfo of a SHA-256 hash is these 19 octets, then the 32 of the hash. Verification decrypts
# the signature (cryptography checks the type-1 padding) and compares the rest with this whole.
SHA256_DIGEST_INFO: Final = bytes.fromhex("3031300d060960864801650304020105000420")

# RFC 7515 §4.1.11: `crit` names extensions we do not understand, so the token must be rejected.
# `jku`, `x5u`, `jwk`, `x5c` point at keys chosen by the sender (RFC 8725 §3.10); Cognito never
# sends them, and a token that does is rejected rather than quietly trusted or ignored.
FORBIDDEN_HEADER_PARAMETERS: Final = ("crit", "jku", "x5u", "jwk", "x5c")

TOKEN_USES: Final = frozenset({"access", "id"})

CLAIM_EXP: Final = "exp"
CLAIM_IAT: Final = "iat"
CLAIM_NBF: Final = "nbf"
CLAIM_ISS: Final = "iss"
CLAIM_SUB: Final = "sub"
CLAIM_TOKEN_USE: Final = "token_use"
CLAIM_CLIENT_ID: Final = "client_id"
CLAIM_AUD: Final = "aud"
CLAIM_GROUPS: Final = "cognito:groups"
CLAIM_SCOPE: Final = "scope"
CLAIM_USERNAME: Final = "username"
CLAIM_COGNITO_USERNAME: Final = "cognito:username"
CLAIM_JTI: Final = "jti"
CLAIM_ORIGIN_JTI: Final = "origin_jti"
CLAIM_EVENT_ID: Final = "event_id"

# Claims whose type is checked when present (RFC 7519 §4.1): NumericDates and strings.
NUMERIC_CLAIMS: Final = (CLAIM_EXP, CLAIM_IAT, CLAIM_NBF, "auth_time")
REQUIRED_CLAIMS: Final = frozenset({CLAIM_EXP, CLAIM_IAT})
STRING_CLAIMS: Final = (
    CLAIM_ISS,
    CLAIM_SUB,
    CLAIM_TOKEN_USE,
    CLAIM_CLIENT_ID,
    CLAIM_SCOPE,
    CLAIM_USERNAME,
    CLAIM_COGNITO_USERNAME,
    # Cognito always writes these as strings; another JSON type is a forged or broken token
    # (aws-jwt-verify and PyJWT refuse a non-string `jti` too), and a denylist keys on them.
    CLAIM_JTI,
    CLAIM_ORIGIN_JTI,
    CLAIM_EVENT_ID,
)

# Limits.
DEFAULT_MAX_TOKEN_BYTES: Final = 8 * 1024
# Verified tokens a verifier keeps. From the population benchmark (docs/benchmarks.md): 100,000
# users, hourly tokens, about 140 requests a second a process: 16,384 entries (about 40 MB) hit
# 0.77 of requests, where 4,096 hit 0.64 and no size beats 0.84.
DEFAULT_CACHE_SIZE: Final = 16384
HEADER_CACHE_SIZE: Final = 64
MAX_HEADER_SEGMENT_CHARS: Final = 1024
# Arrays and objects nested deeper than this are refused before any JSON parser (all recursive)
# sees them: the same answer on every interpreter, whatever its recursion limit or stack depth.
MAX_JSON_DEPTH: Final = 64
JWKS_MAX_BYTES: Final = 64 * 1024
JWKS_CONNECT_TIMEOUT: Final = 1.5
JWKS_READ_TIMEOUT: Final = 3.0
JWKS_COOLDOWN: Final = 10.0
# A key set older than this is fetched again on its next use, so a key removed from the pool's
# JWKS stops being trusted within about this long, cached tokens included.
JWKS_MAX_AGE: Final = 3600.0
JWKS_MAX_KEYS: Final = 64
# How long averify waits for a blocking denylist (a Redis round trip takes a millisecond) before
# it answers DenylistUnavailableError (503).
DENYLIST_TIMEOUT: Final = 1.0
# RememberingDenylist (Django: DENYLIST_MAX_STALENESS): the longest a remembered denylist answer
# may be used, in seconds (a revocation delay, not a cache lifetime: 500 meant as milliseconds
# must not become eight minutes), and how many answers one process keeps at most.
MAX_DENYLIST_STALENESS: Final = 60.0
DENYLIST_REMEMBERED_ANSWERS: Final = 10_000
MIN_RSA_BITS: Final = 2048

ENV_NO_EXTENSIONS: Final = "FASTCOGNITO_NO_EXTENSIONS"
