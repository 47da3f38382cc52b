"""Verification speed, all in one process: raw RSA verify as the baseline, then fastcognito's
compiled and pure twins (cold and cache hit) and PyJWT doing the same checks. The distinct-token
group cycles through tokens of different users, as real traffic; the one-token group repeats one.

No timing assertions: `make bench` prints the medians and their ratios to the baseline.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jwt
import pytest
from conftest import CLIENT_ID, ISSUER, POOL_ID, BenchToken, Results
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256

from fastcognito import CognitoVerifier, Claims, _verify, _verify_py
from fastcognito.jwk import load_rsa_public_key

TWINS = {"compiled": _verify, "pure": _verify_py}
FRESH_COPIES = 2000
ROUNDS = 30


def _verifier(bench_token: BenchToken, twin: str, cache_size: int) -> CognitoVerifier:
    verifier = CognitoVerifier(
        POOL_ID,
        client_id=CLIENT_ID,
        token_use="access",
        jwks=bench_token.jwks,
        cache_size=cache_size,
        _impl_module=TWINS[twin],
    )
    claims = verifier.verify(bench_token.token)  # keys loaded, header seen; hit cases cache it
    assert claims["client_id"] == CLIENT_ID
    return verifier


@pytest.mark.benchmark(group="distinct")
def test_raw_rsa_verify_distinct(benchmark: Any, bench_token: BenchToken, results: Results) -> None:
    key = load_rsa_public_key(bench_token.jwks["keys"][0])
    padding, algorithm = PKCS1v15(), SHA256()
    pairs = [(signature, signing_input) for _, signing_input, signature in bench_token.distinct()]
    verify = key.verify

    def verify_all() -> None:
        for signature, signing_input in pairs:
            verify(signature, signing_input, padding, algorithm)

    benchmark.pedantic(verify_all, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    results.record("raw RSA verify, distinct tokens (baseline)", benchmark, per_round=len(pairs))


@pytest.mark.benchmark(group="distinct")
@pytest.mark.parametrize("twin", ["compiled", "pure"])
def test_cold_verify_distinct(benchmark: Any, bench_token: BenchToken, results: Results, twin: str) -> None:
    verifier = _verifier(bench_token, twin, cache_size=0)
    tokens = [token for token, _, _ in bench_token.distinct()]
    verify = verifier.verify

    def verify_all() -> None:
        for token in tokens:
            verify(token)

    benchmark.pedantic(verify_all, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    assert verifier.verify(tokens[-1])["username"] == f"user{len(tokens) - 1:05d}"
    results.record(f"{twin} cold verify, distinct tokens", benchmark, per_round=len(tokens))


@pytest.mark.benchmark(group="distinct")
def test_pyjwt_decode_distinct(benchmark: Any, bench_token: BenchToken, results: Results) -> None:
    decode = _pyjwt_decode(bench_token)
    tokens = [token for token, _, _ in bench_token.distinct()]

    def decode_all() -> None:
        for token in tokens:
            decode(token)

    benchmark.pedantic(decode_all, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    results.record("PyJWT jwt.decode, distinct tokens (same checks)", benchmark, per_round=len(tokens))


@pytest.mark.benchmark(group="verify")
def test_raw_rsa_verify(benchmark: Any, bench_token: BenchToken, results: Results) -> None:
    key = load_rsa_public_key(bench_token.jwks["keys"][0])
    padding, algorithm = PKCS1v15(), SHA256()
    signature, signing_input = bench_token.signature, bench_token.signing_input
    benchmark(key.verify, signature, signing_input, padding, algorithm)
    results.record("raw RSA verify, one token (baseline)", benchmark)


@pytest.mark.benchmark(group="verify")
@pytest.mark.parametrize("twin", ["compiled", "pure"])
def test_cold_verify(benchmark: Any, bench_token: BenchToken, results: Results, twin: str) -> None:
    verifier = _verifier(bench_token, twin, cache_size=0)
    claims = benchmark(verifier.verify, bench_token.token)
    assert isinstance(claims, Claims)
    results.record(f"{twin} cold verify, one token", benchmark)


@pytest.mark.benchmark(group="verify")
@pytest.mark.parametrize("twin", ["compiled", "pure"])
def test_cache_hit_fresh_str(benchmark: Any, bench_token: BenchToken, results: Results, twin: str) -> None:
    verifier = _verifier(bench_token, twin, cache_size=4096)
    verify = verifier.verify

    def verify_all(tokens: list[str]) -> None:
        for token in tokens:
            verify(token)

    def setup() -> tuple[tuple[list[str]], dict[str, Any]]:
        return (bench_token.fresh_copies(FRESH_COPIES),), {}

    benchmark.pedantic(verify_all, setup=setup, rounds=50, iterations=1, warmup_rounds=2)
    hits_before = verifier.cache_info().hits
    verify_all(bench_token.fresh_copies(3))
    assert verifier.cache_info().hits == hits_before + 3
    results.record(f"{twin} cache hit (fresh str)", benchmark, per_round=FRESH_COPIES)


@pytest.mark.benchmark(group="verify")
@pytest.mark.parametrize("twin", ["compiled", "pure"])
def test_cache_hit_same_str(benchmark: Any, bench_token: BenchToken, results: Results, twin: str) -> None:
    verifier = _verifier(bench_token, twin, cache_size=4096)
    claims = benchmark(verifier.verify, bench_token.token)
    assert claims["username"] == "alice"
    results.record(f"{twin} cache hit (same str object)", benchmark)


def _pyjwt_decode(bench_token: BenchToken) -> Callable[[str], dict[str, Any]]:
    key = load_rsa_public_key(bench_token.jwks["keys"][0])

    # Cognito access tokens carry `client_id`, not `aud`: PyJWT checks the rest, then the client.
    def decode(token: str) -> dict[str, Any]:
        claims: dict[str, Any] = jwt.decode(
            token,
            key=key,
            algorithms=["RS256"],
            issuer=ISSUER,
            options={"require": ["exp", "iat", "iss"], "verify_aud": False},
        )
        if claims.get("client_id") != CLIENT_ID or claims.get("token_use") != "access":
            raise jwt.InvalidTokenError("wrong client or token_use")
        return claims

    return decode


@pytest.mark.benchmark(group="verify")
def test_pyjwt_decode(benchmark: Any, bench_token: BenchToken, results: Results) -> None:
    claims = benchmark(_pyjwt_decode(bench_token), bench_token.token)
    assert claims["client_id"] == CLIENT_ID
    results.record("PyJWT jwt.decode, one token (same checks)", benchmark)
