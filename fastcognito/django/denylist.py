"""The revocation denylist on Django's cache framework: shared by every worker that shares the cache.

Enabled by ``FASTCOGNITO["DENYLIST"]`` (the alias of one of ``settings.CACHES``); the verifier of
the settings then refuses revoked tokens with ``RevokedTokenError`` (a 401 with code
``revoked``), and the logout view revokes the signed-out access token's ``origin_jti``.
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
from ..denylist import revocation_keys, revoked_until
from ..exceptions import ConfigurationError, DenylistUnavailableError

__all__ = ["DEFAULT_KEY_PREFIX", "CacheDenylist"]

DEFAULT_KEY_PREFIX = "fastcognito:revoked:"

logger = logging.getLogger("fastcognito.django")


class CacheDenylist:
    """A ``fastcognito.Denylist`` on the Django cache ``alias``.

    ``is_revoked`` costs one ``get_many`` (one round trip to Redis or Memcached) per request,
    cache hits of the claims cache included. Entries expire on their own when the last token
    they refuse does (the cache's timeout).
    """

    def __init__(
        self,
        alias: str = "default",
        *,
        key_prefix: str = DEFAULT_KEY_PREFIX,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not isinstance(alias, str) or not alias:
            raise ConfigurationError("the denylist's cache alias must be a non-empty string")
        if not isinstance(key_prefix, str):
            raise ConfigurationError("key_prefix must be a string")
        self.alias = alias
        self.key_prefix = key_prefix
        self._clock = clock

    def _key(self, identifier: str) -> str:
        # Hashed: a jti may be any string, and Memcached keys refuse spaces, controls and length.
        return self.key_prefix + hashlib.sha256(identifier.encode("utf-8")).hexdigest()[:40]

    def is_revoked(self, claims: Mapping[str, Any]) -> bool:
        get = claims.get
        keys = [self._key(identifier) for identifier in (get(CLAIM_ORIGIN_JTI), get(CLAIM_JTI)) if identifier]
        if not keys:
            return False
        try:
            return bool(caches[self.alias].get_many(keys))
        except Exception as err:  # noqa: BLE001  (each backend raises its own errors)
            # Fail closed, and never as a 500: a revoked token must not pass while the cache is
            # down, and a good one is told to come back (503), not that it is invalid.
            logger.warning("the denylist cache %r cannot be read: %s", self.alias, type(err).__name__)
            raise DenylistUnavailableError() from None

    def revoke(self, claims: Mapping[str, Any], until: float | None = None) -> None:
        now = self._clock()
        end = revoked_until(claims, now) if until is None else float(until)
        timeout = math.ceil(end - now)
        if timeout <= 0:
            return  # already over: nothing it refuses can still be accepted
        caches[self.alias].set_many({self._key(key): 1 for key in revocation_keys(claims)}, timeout=timeout)

    def __repr__(self) -> str:
        return f"CacheDenylist(alias={self.alias!r})"
