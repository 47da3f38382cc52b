"""Revocation denylists: tokens refused before their ``exp`` because the user signed out.

Cognito's revocation (``RevokeToken``, global sign-out) cannot be seen offline: a signature and an
``exp`` stay valid. A denylist remembers what this application revoked. It is keyed on
``origin_jti`` (shared by every access and id token minted from one sign-in, refreshes included)
and on ``jti`` (one token; machine tokens have no ``origin_jti``).

``CognitoVerifier(denylist=...)`` asks it after the signature and on every cache hit, through the
same per-token hook as ``custom_check`` (the denylist first), and raises ``RevokedTokenError``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from ._constants import CLAIM_JTI, CLAIM_ORIGIN_JTI
from .exceptions import ConfigurationError, RevokedTokenError

__all__ = [
    "MAX_TOKEN_LIFETIME",
    "Denylist",
    "MemoryDenylist",
    "denylist_check",
    "revocation_keys",
    "revoked_until",
]

# Cognito's longest access and id token validity (1 day). Every token sharing an `origin_jti`
# with one revoked now was issued before now, so it expires within this many seconds.
MAX_TOKEN_LIFETIME = 86400.0


@runtime_checkable
class Denylist(Protocol):
    """What ``CognitoVerifier(denylist=...)`` needs. Both methods must be safe under threads."""

    def is_revoked(self, claims: Mapping[str, Any]) -> bool:
        """Whether the token's ``origin_jti`` or ``jti`` was revoked (and has not expired)."""
        ...

    def revoke(self, claims: Mapping[str, Any], until: float | None = None) -> None:
        """Refuse the token's ``origin_jti`` (else its ``jti``) until ``until`` (epoch seconds;
        default: ``revoked_until(claims)``)."""
        ...


def revocation_keys(claims: Mapping[str, Any]) -> tuple[str, ...]:
    """The identifiers ``revoke`` stores: the ``origin_jti`` when the token has one (it revokes
    the whole sign-in), else the ``jti``. The twins made sure both are strings."""
    origin = claims.get(CLAIM_ORIGIN_JTI)
    if origin:
        return (origin,)
    jti = claims.get(CLAIM_JTI)
    if jti:
        return (jti,)
    raise ConfigurationError("the token has neither origin_jti nor jti: it cannot be revoked")


def revoked_until(claims: Mapping[str, Any], now: float) -> float:
    """How long an entry must live: past this token's ``exp``, and for an ``origin_jti`` past the
    ``exp`` of every sibling token issued before ``now`` (at most ``MAX_TOKEN_LIFETIME``)."""
    exp = claims.get("exp")
    exp = float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else now
    if claims.get(CLAIM_ORIGIN_JTI):
        return max(exp, now + MAX_TOKEN_LIFETIME)
    return exp


class MemoryDenylist:
    """An in-process denylist: for one process (a worker, a script) and for tests.

    Each process has its own; behind several workers use a shared one (the Django cache one,
    ``fastcognito.django.denylist.CacheDenylist``). Expired entries are dropped as new ones come.
    """

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        if not callable(clock):
            raise ConfigurationError("clock must be callable")
        self._clock = clock
        # Readers only call .get, which is safe while a writer holding the lock inserts or deletes.
        self._until: dict[str, float] = {}
        self._since_prune = 0
        self._lock = threading.Lock()

    def is_revoked(self, claims: Mapping[str, Any]) -> bool:
        until = self._until
        if not until:
            return False
        get = claims.get
        for key in (get(CLAIM_ORIGIN_JTI), get(CLAIM_JTI)):
            if key:
                end = until.get(key)
                if end is not None and self._clock() < end:
                    return True
        return False

    def revoke(self, claims: Mapping[str, Any], until: float | None = None) -> None:
        now = self._clock()
        end = revoked_until(claims, now) if until is None else float(until)
        keys = revocation_keys(claims)
        with self._lock:
            entries = self._until
            for key in keys:
                entries[key] = max(end, entries.get(key, end))
            # Expired entries go every len/2 revocations (amortised O(1) per revoke), so a caller
            # who can trigger revocations cannot grow the dict much past the tokens still alive.
            self._since_prune += 1
            if self._since_prune >= max(64, len(entries) // 2):
                self._since_prune = 0
                for key in [key for key, value in entries.items() if value <= now]:
                    del entries[key]

    def __len__(self) -> int:
        """The entries still in force."""
        now = self._clock()
        with self._lock:
            return sum(1 for value in self._until.values() if value > now)


def denylist_check(
    denylist: Denylist, custom_check: Callable[[Any], object] | None = None
) -> Callable[[Any], object]:
    """One per-token check: the denylist first, then ``custom_check``. The twins run it after the
    signature and on every cache hit."""
    is_revoked = denylist.is_revoked
    if custom_check is None:

        def check(claims: Any) -> None:
            if is_revoked(claims):
                raise RevokedTokenError()

        return check

    def check_then_custom(claims: Any) -> object:
        if is_revoked(claims):
            raise RevokedTokenError()
        return custom_check(claims)

    return check_then_custom
