"""Revocation denylists: tokens refused before their ``exp`` because the user signed out.

Cognito's revocation (``RevokeToken``, global sign-out) cannot be seen offline: a signature and an
``exp`` stay valid. A denylist remembers what this application revoked. It is keyed on
``origin_jti`` (shared by every access and id token minted from one sign-in, refreshes included)
and on ``jti`` (one token; machine tokens have no ``origin_jti``).

``CognitoVerifier(denylist=...)`` asks it after the signature and on every cache hit, through the
same per-token hook as ``custom_check`` (the denylist first), and raises ``RevokedTokenError``.
A denylist that cannot answer is a ``DenylistUnavailableError`` (503), whatever it raised.

``averify`` never asks a blocking denylist (one without ``blocking = False``, such as the Django
cache one) on the event loop: through ``denylist_cleared`` the hook hands the claims back to it
(``DenylistCheckNeeded``), it asks the denylist in a worker thread with a timeout, and then runs
the core again, which finds the token cleared and goes on to ``custom_check``. The order of the
checks, and what is accepted and refused, are those of ``verify``.

``RememberingDenylist`` wraps a shared denylist for sites that choose a bounded revocation delay
over a network round trip per request: each process remembers answers for at most
``max_staleness`` seconds (``averify`` reads that memory on the loop, without a thread hop).
"""

from __future__ import annotations

import contextvars
import logging
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

from ._constants import CLAIM_JTI, CLAIM_ORIGIN_JTI, DENYLIST_REMEMBERED_ANSWERS, MAX_DENYLIST_STALENESS
from ._validate import number
from .exceptions import ConfigurationError, DenylistUnavailableError, FastCognitoError, RevokedTokenError

__all__ = [
    "MAX_TOKEN_LIFETIME",
    "Denylist",
    "MemoryDenylist",
    "RememberingDenylist",
    "ask_denylist",
    "denylist_check",
    "is_blocking",
    "revocation_keys",
    "revoked_until",
]

logger = logging.getLogger("fastcognito.denylist")

# Cognito's longest access and id token validity (1 day). Every token sharing an `origin_jti`
# with one revoked now was issued before now, so it expires within this many seconds.
MAX_TOKEN_LIFETIME = 86400.0


@runtime_checkable
class Denylist(Protocol):
    """What ``CognitoVerifier(denylist=...)`` needs. Both methods must be safe under threads.

    An optional attribute ``blocking`` (true when absent) says whether ``is_revoked`` may wait on
    the network: ``averify`` then asks it in a worker thread, with a timeout.
    """

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


def revoked_until(claims: Mapping[str, Any], now: float, leeway: float = 0.0) -> float:
    """How long an entry must live: as long as a verifier with this ``leeway`` still accepts the
    token, past its ``exp`` plus the leeway, and for an ``origin_jti`` past that of every sibling
    token issued before ``now`` (at most ``MAX_TOKEN_LIFETIME``). An entry that ended at ``exp``
    would let the token back in for the leeway's seconds."""
    exp = claims.get("exp")
    exp = float(exp) if isinstance(exp, (int, float)) and not isinstance(exp, bool) else now
    if claims.get(CLAIM_ORIGIN_JTI):
        return max(exp, now + MAX_TOKEN_LIFETIME) + leeway
    return exp + leeway


class MemoryDenylist:
    """An in-process denylist: for one process (a worker, a script) and for tests.

    Each process has its own; behind several workers use a shared one (the Django cache one,
    ``fastcognito.django.denylist.CacheDenylist``). Expired entries are dropped as new ones come.
    """

    # A dict lookup: ``averify`` asks it on the event loop, without a thread hop.
    blocking = False

    def __init__(self, *, clock: Callable[[], float] = time.time, leeway: float = 0) -> None:
        if not callable(clock):
            raise ConfigurationError("clock must be callable")
        self._clock = clock
        # The verifier's leeway, for revoke() without ``until`` (CognitoVerifier.revoke passes
        # an ``until`` with its own leeway already added).
        self.leeway = number("leeway", leeway)
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
        end = revoked_until(claims, now, self.leeway) if until is None else float(until)
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


class RememberingDenylist:
    """A shared denylist (``inner``) asked at most once per ``max_staleness`` seconds per token
    and process: a revocation delay the site chooses, for the round trip it saves.

    Each answer, "revoked" or "not revoked", is remembered per (``origin_jti``, ``jti``) for
    ``max_staleness`` seconds from the moment it was asked, in at most ``max_entries`` entries
    (the oldest go first). So a sign-out made on another worker or host is refused everywhere at
    most ``max_staleness`` seconds after it was stored; one made through this object (``revoke``:
    the logout view of this process) is refused by this process at once. A backend that cannot
    answer still fails closed: ``DenylistUnavailableError`` once no remembered answer is fresh,
    and failures are never remembered. ``max_staleness=0`` asks on every call, as ``inner`` does
    alone. ``clock`` (a monotonic clock) is for tests.
    """

    def __init__(
        self,
        inner: Denylist,
        max_staleness: float,
        *,
        max_entries: int = DENYLIST_REMEMBERED_ANSWERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not isinstance(inner, Denylist):
            raise ConfigurationError("inner must have is_revoked(claims) and revoke(claims, until)")
        if (
            isinstance(max_staleness, bool)
            or not isinstance(max_staleness, (int, float))
            or not 0 <= max_staleness <= MAX_DENYLIST_STALENESS
        ):
            raise ConfigurationError(
                f"max_staleness must be a number of seconds from 0 to {MAX_DENYLIST_STALENESS:g}, "
                f"got {max_staleness!r}"
            )
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 1:
            raise ConfigurationError(f"max_entries must be an integer of at least 1, got {max_entries!r}")
        if not callable(clock):
            raise ConfigurationError("clock must be callable")
        self.inner = inner
        self.max_staleness = float(max_staleness)
        self.max_entries = max_entries
        # Asked in a worker thread by averify when nothing fresh is remembered.
        self.blocking = is_blocking(inner)
        self._clock = clock
        # (origin_jti, jti) -> (remembered until, revoked). Insertion order is the order answers
        # were asked in, so the stalest entry is always the first one.
        self._answers: dict[tuple[object, object], tuple[float, bool]] = {}
        # Identifiers revoked through this object -> until when this process refuses them on its
        # own: as long as an answer asked before the revocation may still be remembered.
        self._revoked_here: dict[str, float] = {}
        self._lock = threading.Lock()

    def remembered(self, claims: Mapping[str, Any]) -> bool | None:
        """The remembered answer for ``claims`` if it is fresh, else ``None``. Never waits on the
        network: ``averify`` calls it on the event loop."""
        get = claims.get
        origin, jti = get(CLAIM_ORIGIN_JTI), get(CLAIM_JTI)
        now = self._clock()
        revoked_here = self._revoked_here
        if revoked_here:
            for identifier in (origin, jti):
                if identifier and now < revoked_here.get(identifier, now):
                    return True
        entry = self._answers.get((origin, jti))
        if entry is not None and now < entry[0]:
            return entry[1]
        return None

    def is_revoked(self, claims: Mapping[str, Any]) -> bool:
        known = self.remembered(claims)
        if known is not None:
            return known
        asked = self._clock()  # the answer is this old at most when it is used
        revoked = ask_denylist(self.inner, claims)
        if self.max_staleness > 0:
            self._remember((claims.get(CLAIM_ORIGIN_JTI), claims.get(CLAIM_JTI)), asked, revoked)
        return revoked

    def _remember(self, key: tuple[object, object], asked: float, revoked: bool) -> None:
        until = asked + self.max_staleness
        answers = self._answers
        with self._lock:
            answers.pop(key, None)
            answers[key] = (until, revoked)
            now = self._clock()
            # The stalest first: expired ones, then the oldest past max_entries. Amortised O(1).
            while answers:
                first = next(iter(answers))
                if len(answers) <= self.max_entries and answers[first][0] > now:
                    break
                del answers[first]

    def revoke(self, claims: Mapping[str, Any], until: float | None = None) -> None:
        """``inner.revoke``, refused by this process from now on, whatever it still remembers
        (also when ``inner`` cannot store it: this process at least refuses the token)."""
        keys = revocation_keys(claims)
        if self.max_staleness > 0:
            # Answers asked before now are used until now + max_staleness at most.
            end = self._clock() + self.max_staleness
            with self._lock:
                revoked_here = self._revoked_here
                for key in keys:
                    revoked_here[key] = end
                now = self._clock()
                for key in [key for key, value in revoked_here.items() if value <= now]:
                    del revoked_here[key]
        self.inner.revoke(claims, until)

    def __len__(self) -> int:
        """The answers remembered (fresh or not yet dropped)."""
        return len(self._answers)

    def __repr__(self) -> str:
        return f"RememberingDenylist({self.inner!r}, max_staleness={self.max_staleness:g})"


# Set by ``CognitoVerifier.averify`` around its calls into the core (a context variable: that task
# alone). ``None``, the default: the per-token check asks the denylist itself, as ``verify`` does.
# Otherwise the (origin_jti, jti) that averify has found not revoked, off the event loop, for this
# call; claims with other identifiers are handed back to it through ``DenylistCheckNeeded``.
denylist_cleared: contextvars.ContextVar[tuple[object, object] | None] = contextvars.ContextVar(
    "fastcognito_denylist_cleared", default=None
)
# What averify sets first: equal to no token's identifiers.
NOTHING_CLEARED: tuple[object, object] = (object(), object())


class DenylistCheckNeeded(Exception):
    """The per-token check would ask a blocking denylist while ``denylist_cleared`` is set.
    Internal: never leaves ``averify``."""

    def __init__(self, claims: Mapping[str, Any]) -> None:
        super().__init__()
        self.claims = claims


def is_blocking(denylist: Denylist) -> bool:
    """Whether ``averify`` must ask ``denylist`` in a worker thread (``blocking``, true when absent)."""
    return bool(getattr(denylist, "blocking", True))


def cleared_identifiers(claims: Mapping[str, Any]) -> tuple[object, object]:
    return (claims.get(CLAIM_ORIGIN_JTI), claims.get(CLAIM_JTI))


def ask_denylist(denylist: Denylist, claims: Mapping[str, Any]) -> bool:
    """``denylist.is_revoked(claims)``, where anything it raises other than our own errors is a
    ``DenylistUnavailableError``: a denylist that cannot answer is a 503, never a 500."""
    try:
        return bool(denylist.is_revoked(claims))
    except FastCognitoError:
        raise
    except Exception as err:  # noqa: BLE001  (a denylist's backend raises its own errors)
        raise _unavailable(denylist, err) from None


def _unavailable(denylist: Denylist, err: Exception) -> DenylistUnavailableError:
    logger.warning("the denylist %r cannot answer: %s", denylist, type(err).__name__)
    return DenylistUnavailableError()


def denylist_check(
    denylist: Denylist, custom_check: Callable[[Any], object] | None = None
) -> Callable[[Any], object]:
    """One per-token check: the denylist first, then ``custom_check``. The twins run it after the
    signature and on every cache hit."""
    is_revoked = denylist.is_revoked
    blocking = is_blocking(denylist)
    cleared = denylist_cleared.get
    # A denylist that remembers answers (RememberingDenylist) gives a fresh one without waiting.
    remembered: Callable[[Mapping[str, Any]], bool | None] | None = getattr(denylist, "remembered", None)

    def check(claims: Any) -> object:
        if blocking and (done := cleared()) is not None:
            # averify: the denylist is asked off the event loop, then the core runs again.
            if done != (claims.get(CLAIM_ORIGIN_JTI), claims.get(CLAIM_JTI)):
                known = None if remembered is None else remembered(claims)
                if known is None:
                    raise DenylistCheckNeeded(claims)
                if known:
                    raise RevokedTokenError()
        else:
            try:
                revoked = is_revoked(claims)
            except FastCognitoError:
                raise
            except Exception as err:  # noqa: BLE001  (a denylist's backend raises its own errors)
                raise _unavailable(denylist, err) from None
            if revoked:
                raise RevokedTokenError()
        return None if custom_check is None else custom_check(claims)

    return check
