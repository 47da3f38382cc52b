"""Cache: ``ClaimsCache``, the bounded LRU of verified claims (docs/verifier.md).

It lives in the hot-path twin, since a cache hit is the fastest path of all; this module is its
public home.

- Per verifier instance, bounded by ``maxsize`` (0 disables it), least recently used first out.
- Keyed by a hash of the token's last 64 characters (for a JWT, the end of its signature, cheap
  to hash whatever the token's size); a hit requires the whole token to be equal, byte for byte.
  Never the signature alone, never a prefix.
- Entries expire at ``exp`` plus leeway, or sooner when the key set that vouched for them must
  be checked again (``jwks_max_age``); they are dropped when found expired, and all of them when
  a JWKS refresh drops or replaces a key.
- Failures are never stored; stored ``Claims`` are immutable; safe under threads, and under
  finalizers that call the cache back (what a method removes is released once it is consistent).
- One cache serves one verifier: a second ``VerifierCore`` given the same cache is refused, so
  claims accepted under one configuration never answer for another.
"""

from __future__ import annotations

from ._impl import CacheInfo, ClaimsCache

__all__ = ["CacheInfo", "ClaimsCache"]
