"""Typed public API of the compiled hot path (``_verify.pyx``), the twin of ``_verify_py.py``.

Both twins expose exactly these names with these signatures; tests/core/test_verify_twin_parity.py checks it.
"""

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from .claims import Claims

__all__ = [
    "CacheInfo",
    "ClaimsCache",
    "VerifierCore",
    "b64url_decode",
    "decode_header",
    "json_too_deep",
    "token_text",
]

class CacheInfo(NamedTuple):
    """Counters of a ``ClaimsCache``: hits, misses, current size, maximum size."""

    hits: int
    misses: int
    size: int
    maxsize: int

class ClaimsCache:
    """Bounded LRU of verified claims, keyed by a hash of the token's end, a hit confirmed by the
    whole token (full equality).

    Entries live until ``exp`` plus leeway; an expired or not-yet-valid entry is never returned.
    Safe under threads, and under finalizers that call it again: what a method removes is
    released only once the cache is consistent. One cache serves one verifier.
    """

    maxsize: int
    hits: int
    misses: int
    def __init__(self, maxsize: int) -> None: ...
    def get(self, token: str, now: float) -> Claims | None:
        """The claims stored for exactly ``token`` if ``not_before <= now < expires_at``."""
    def put(self, token: str, claims: Claims, expires_at: float, not_before: float) -> None:
        """Store ``claims`` for ``token``, evicting the least recently used beyond ``maxsize``."""
    def discard(self, token: str) -> None:
        """Drop the entry of ``token``, if any."""
    def drop_entries(self) -> None:
        """Drop every entry; the counters stay."""
    def clear(self) -> None:
        """Drop every entry and reset the counters."""
    def info(self) -> CacheInfo: ...
    def __len__(self) -> int: ...

class VerifierCore:
    """Steps 1 to 8 of the verification (docs/verifier.md), minus the network.

    ``pools`` maps each trusted issuer to its key source: an object with a ``by_kid`` dict (kid
    to ``cryptography`` RSA public key), replaced whole when the keys change, and
    ``key_for(kid)`` that may refresh and returns the key with the seconds its key set may be
    trusted without asking again. ``cache``, if given, must not serve another core
    (``ConfigurationError``). ``claims_check`` runs once per token, before its claims are cached;
    ``custom_check`` runs on every accepted token, cache hits included.
    """

    def __init__(
        self,
        *,
        pools: Mapping[str, Any],
        leeway: float,
        token_use: str | None,
        clients: frozenset[str] | None,
        groups: frozenset[str] | None,
        scopes: frozenset[str] | None,
        claims_check: Callable[[Claims], object] | None = None,
        custom_check: Callable[[Claims], object] | None,
        max_token_bytes: int,
        cache: ClaimsCache | None,
        clock: Callable[[], float],
    ) -> None: ...
    def verify(self, token: str | bytes) -> Claims:
        """Verify ``token``; return its claims or raise a ``TokenError`` subclass (or
        ``JWKSError`` from the key source)."""
    def clear_header_cache(self) -> None:
        """Forget the decoded header segments."""

def b64url_decode(segment: str) -> bytes:
    """Strict base64url (RFC 4648 §5): no padding, nothing outside the alphabet, canonical
    trailing bits. Raises ``MalformedTokenError``; ``TypeError`` for a non-str."""

def decode_header(segment: str) -> str:
    """Decode and check a JWS header segment (RS256 only, no ``crit``/``jku``/``x5u``/``jwk``/
    ``x5c``); return its ``kid``. Raises ``MalformedTokenError`` or ``UnsupportedAlgorithmError``."""

def token_text(token: object, max_token_bytes: int) -> str:
    """Step 1 of ``VerifierCore.verify``: ``token`` (a str, or ASCII bytes) as a str of at most
    ``max_token_bytes`` ASCII characters, or ``MalformedTokenError``."""

def json_too_deep(text: str) -> bool:
    """Whether arrays and objects nest more than ``MAX_JSON_DEPTH`` deep anywhere in ``text``
    (brackets inside strings do not count)."""
