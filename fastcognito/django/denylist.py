"""The revocation denylist on Django's cache framework: shared by every worker that shares the cache.

Enabled by ``FASTCOGNITO["DENYLIST"]`` (the alias of one of ``settings.CACHES``); the verifier of
the settings then refuses revoked tokens with ``RevokedTokenError`` (a 401 with code
``revoked``), and the logout view revokes the signed-out access token's ``origin_jti``.

It fails closed whatever the backend and its client do with errors. A cache client may answer
"nothing found" when it could not ask at all: pymemcache's ``HashClient`` (Django's Memcached
client) does so while a server is in its retry window, and for the whole outage with
``ignore_exc``. So the denylist keeps a marker key (the canary) that never expires, and reads it
in the same ``get_many`` as the token's keys: an answer without it cannot vouch for the absence
of a revocation, and is a ``DenylistUnavailableError`` (503), never an accept.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from django.core.cache import caches

from .._constants import CLAIM_JTI, CLAIM_ORIGIN_JTI
from .._validate import number
from ..denylist import revocation_keys, revoked_until
from ..exceptions import ConfigurationError, DenylistUnavailableError

__all__ = ["CANARY_SUFFIX", "DEFAULT_KEY_PREFIX", "CacheDenylist"]

DEFAULT_KEY_PREFIX = "fastcognito:revoked:"
# After the prefix, as the token keys are; those are hexadecimal digests, which this is not.
CANARY_SUFFIX = "canary"

logger = logging.getLogger("fastcognito.django")


class CacheDenylist:
    """A ``fastcognito.Denylist`` on the Django cache ``alias``.

    ``is_revoked`` costs one ``get_many`` (one round trip to Redis or Memcached) per request,
    cache hits of the claims cache included: the token's keys and the canary together. Entries
    expire on their own when the last token they refuse does (the cache's timeout); the canary
    never expires. Any failure of the backend is a ``DenylistUnavailableError``, never a 500.
    """

    # A network round trip: ``averify`` runs it in a worker thread, never on the event loop.
    blocking = True

    def __init__(
        self,
        alias: str = "default",
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        clock: Callable[[], float] = time.time,
        leeway: float = 0,
    ) -> None:
        if not isinstance(alias, str) or not alias:
            raise ConfigurationError("the denylist's cache alias must be a non-empty string")
        if not isinstance(key_prefix, str):
            raise ConfigurationError("key_prefix must be a string")
        self.alias = alias
        self.key_prefix = key_prefix
        self.canary_key = key_prefix + CANARY_SUFFIX
        self._clock = clock
        # The verifier's leeway (FASTCOGNITO["LEEWAY"]), for revoke() without ``until``.
        self.leeway = number("leeway", leeway)

    def _key(self, identifier: str) -> str:
        # Hashed: a jti may be any string, and Memcached keys refuse spaces, controls and length.
        # surrogatepass: a lone surrogate (JSON "\ud800" in a signed token) has bytes of its own,
        # so the key stays one to one with the identifier, as the in-memory denylist's dict is;
        # strict UTF-8 raised here, and every request with such a token was a 503.
        return self.key_prefix + hashlib.sha256(identifier.encode("utf-8", "surrogatepass")).hexdigest()[:40]

    def is_revoked(self, claims: Mapping[str, Any]) -> bool:
        get = claims.get
        keys = [self._key(identifier) for identifier in (get(CLAIM_ORIGIN_JTI), get(CLAIM_JTI)) if identifier]
        if not keys:
            return False
        canary = self.canary_key
        try:
            cache = caches[self.alias]
            found = cache.get_many([canary, *keys])
            if canary not in found:
                found = self._vouch_again(cache, keys)
        except DenylistUnavailableError:
            raise
        except Exception as err:  # noqa: BLE001  (each backend raises its own errors)
            # Fail closed, and never as a 500: a revoked token must not pass while the cache is
            # down, and a good one is told to come back (503), not that it is invalid.
            logger.warning("the denylist cache %r cannot be read: %s", self.alias, type(err).__name__)
            raise DenylistUnavailableError() from None
        return any(key in found for key in keys)

    def _vouch_again(self, cache: Any, keys: list[str]) -> dict[str, Any]:
        """The canary was missing: the cache is down (an answer made up by its client), or it
        works and lost the canary with everything else (restarted, flushed, evicting). Write it
        again, and trust the cache only once it can be read back with the token's keys."""
        created = self._write_canary(cache)
        found: dict[str, Any] = cache.get_many([self.canary_key, *keys])
        if self.canary_key not in found:
            logger.warning(
                "the denylist cache %r cannot vouch for its answers: its marker key is missing and "
                "cannot be written back",
                self.alias,
            )
            raise DenylistUnavailableError()
        if created:
            self._log_loss()
        return found

    def _write_canary(self, cache: Any) -> bool:
        # add(): whichever worker comes first writes it; timeout None: it never expires.
        return bool(cache.add(self.canary_key, int(self._clock()), timeout=None))

    def _log_loss(self) -> None:
        logger.warning(
            "the denylist cache %r held no marker key: it is new, or it was restarted, flushed or "
            "evicted entries; revocations stored in it before then are lost. The marker is written again",
            self.alias,
        )

    def revoke(self, claims: Mapping[str, Any], until: float | None = None) -> None:
        """Store the revocation, and confirm it by reading it back: a write a client dropped
        silently (``ignore_exc``, a full cache) is a ``DenylistUnavailableError``, never a
        revocation reported as stored."""
        now = self._clock()
        end = revoked_until(claims, now, self.leeway) if until is None else float(until)
        timeout = math.ceil(end - now)
        if timeout <= 0:
            return  # already over: nothing it refuses can still be accepted
        entries = {self._key(key): 1 for key in revocation_keys(claims)}
        try:
            cache = caches[self.alias]
            created = self._write_canary(cache)
            # Django's Memcached backend returns the keys it failed to store; the others None.
            failed = cache.set_many(entries, timeout=timeout)
            found = cache.get_many([self.canary_key, *entries])
        except Exception as err:  # noqa: BLE001  (each backend raises its own errors)
            name = type(err).__name__
            logger.warning("the denylist cache %r cannot store a revocation: %s", self.alias, name)
            raise DenylistUnavailableError("the revocation could not be stored") from None
        if failed or not all(key in found for key in (self.canary_key, *entries)):
            logger.warning("the denylist cache %r did not keep a revocation written to it", self.alias)
            raise DenylistUnavailableError("the revocation could not be stored")
        if created:
            self._log_loss()

    def __repr__(self) -> str:
        return f"CacheDenylist(alias={self.alias!r})"
