"""Callgrind cases for the verifier alone: a cold verify and a cache hit, on both twins."""

from __future__ import annotations

from collections.abc import Callable
from types import ModuleType

from django_app import CLIENT_ID, POOL_ID
from instructions import fixture

from fastcognito import CognitoVerifier, _verify, _verify_py

# Enough fresh str copies that no measured call sees a token whose hash is already computed.
FRESH_COPIES = 4000


def _verifier(module: ModuleType, cache_size: int) -> tuple[CognitoVerifier, str]:
    data = fixture()
    verifier = CognitoVerifier(
        POOL_ID, client_id=CLIENT_ID, token_use="access", jwks=data["jwks"], cache_size=cache_size, _impl_module=module
    )
    token: str = data["token"]
    assert verifier.verify(token)["client_id"] == CLIENT_ID
    return verifier, token


def cold(module: ModuleType) -> Callable[[], Callable[[], object]]:
    def factory() -> Callable[[], object]:
        verifier, token = _verifier(module, cache_size=0)
        verify = verifier.verify
        return lambda: verify(token)

    return factory


def cache_hit(module: ModuleType) -> Callable[[], Callable[[], object]]:
    def factory() -> Callable[[], object]:
        verifier, token = _verifier(module, cache_size=4096)
        head, last = token[:-1], token[-1]
        copies = iter([head + last for _ in range(FRESH_COPIES)])
        verify = verifier.verify
        return lambda: verify(next(copies))

    return factory


CASES: dict[str, Callable[[], Callable[[], object]]] = {
    "compiled verify, cold": cold(_verify),
    "compiled verify, cache hit (fresh str)": cache_hit(_verify),
    "pure verify, cold": cold(_verify_py),
    "pure verify, cache hit (fresh str)": cache_hit(_verify_py),
}
