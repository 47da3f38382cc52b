"""Cache: ``ClaimsCache``, the bounded LRU of verified claims (DESIGN.md §5).

It lives in the hot-path twin, since a cache hit is the fastest path of all; this module is its
public home.

- Per verifier instance, bounded by ``maxsize`` (0 disables it), least recently used first out.
- Keyed by the whole token: its hash finds the entry, full equality confirms it. Never the
  signature alone, never a prefix.
- Entries expire at ``exp`` plus leeway and are dropped when found expired.
- Failures are never stored; stored ``Claims`` are immutable; safe under threads.
"""

from __future__ import annotations

from ._impl import CacheInfo, ClaimsCache

__all__ = ["CacheInfo", "ClaimsCache"]
