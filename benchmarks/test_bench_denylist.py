"""What the revocation denylist adds to a request: a cache hit (the fast path every repeat request
takes) with ``denylist=MemoryDenylist()`` holding 10,000 revoked sign-ins, against the same hit
without a denylist, on both twins. The baseline is the raw RSA verify of the token, as in the
"hit" group, so the rows compare with ``test_bench_verify``'s.

``CacheDenylist`` (Django) costs this plus one ``get_many`` on the configured cache: a dictionary
lookup with LocMemCache, one network round trip with Redis or Memcached.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from conftest import CLIENT_ID, POOL_ID, BenchToken, RawVerify, Results

from fastcognito import CognitoVerifier, MemoryDenylist, _verify, _verify_py

TWINS = {"compiled": _verify, "pure": _verify_py}
FRESH_COPIES = 2000
REVOKED = 10_000


def _denylist() -> MemoryDenylist:
    denylist = MemoryDenylist()
    for number in range(REVOKED):
        denylist.revoke({"origin_jti": str(uuid.UUID(int=number, version=4)), "exp": 4_000_000_000})
    return denylist


@pytest.mark.benchmark(group="hit")
@pytest.mark.parametrize("twin", ["compiled", "pure"])
def test_cache_hit_with_denylist(
    benchmark: Any, bench_token: BenchToken, raw_verify: RawVerify, results: Results, twin: str
) -> None:
    denylist = _denylist()
    verifier = CognitoVerifier(
        POOL_ID,
        client_id=CLIENT_ID,
        token_use="access",
        jwks=bench_token.jwks,
        denylist=denylist,
        _impl_module=TWINS[twin],
    )
    verify = verifier.verify
    assert verify(bench_token.token)["client_id"] == CLIENT_ID

    def verify_all(tokens: list[str]) -> None:
        for token in tokens:
            verify(token)

    paired = raw_verify.paired_hit(lambda: ((bench_token.fresh_copies(FRESH_COPIES),), {}))
    benchmark.pedantic(verify_all, setup=paired.setup, rounds=50, iterations=1, warmup_rounds=2)
    hits_before = verifier.cache_info().hits
    verify_all(bench_token.fresh_copies(3))
    assert verifier.cache_info().hits == hits_before + 3  # measured hits, each asked the denylist
    assert len(denylist) == REVOKED
    results.record(
        f"fastcognito {twin}, cache hit (fresh str), denylist of {REVOKED}",
        benchmark,
        per_round=FRESH_COPIES,
        paired=paired,
    )
