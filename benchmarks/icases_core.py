"""Callgrind cases for the verifier alone, on both twins and on two token sizes: the ~1 kB token
and a ~5 kB one with 200 groups (``BenchToken.big_token``, as where groups mirror an enterprise
directory).

- cold: the cache off, 256 users' tokens in rotation (every per-token claim different, as real
  traffic brings), against the RSA check it contains, made as fastcognito makes it, on the same
  256 signatures (``BASELINES``), and against cryptography's ``key.verify`` of them
  (``REFERENCES``, the reference the performance goals are set against); the pure twin's floor
  (floors.py: base64url, the RSA check, the JSON, nothing checked) is a case of its own, on both
  sizes;
  "cold, one token" verifies one token again and again, as this group did before it had the
  rotation (its parser then finds every value of the previous payload again);
- cache hit: one token again and again, each call a fresh ``str`` copy (its hash not computed,
  as a request brings it).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from types import ModuleType

from django_app import CLIENT_ID, POOL_ID
from floors import PURE_FLOOR, pure_floor
from instructions import bench_token

from fastcognito import CognitoVerifier, _verify, _verify_py

# Enough fresh str copies that no measured call sees a token whose hash is already computed.
FRESH_COPIES = 4000

Case = Callable[[], Callable[[], object]]


def _verifier(module: ModuleType, cache_size: int, big: bool) -> CognitoVerifier:
    verifier = CognitoVerifier(
        POOL_ID,
        client_id=CLIENT_ID,
        token_use="access",
        jwks=bench_token().jwks,
        cache_size=cache_size,
        _impl_module=module,
    )
    # Keys loaded and the header seen; the hit cases cache the token here.
    assert verifier.verify(bench_token().good(big=big))["client_id"] == CLIENT_ID
    return verifier


def raw_rsa_verify(big: bool) -> Case:
    def factory() -> Callable[[], object]:
        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
        from cryptography.hazmat.primitives.hashes import SHA256

        from fastcognito.jwk import load_rsa_public_key

        key = load_rsa_public_key(bench_token().jwk)
        padding, algorithm = PKCS1v15(), SHA256()
        triples = bench_token().distinct(big=big)
        pairs = itertools.cycle([(signature, signed) for _, signed, signature in triples])
        verify = key.verify
        # OpenSSL's algorithm fetch and the key's Montgomery context: set-up, not counted.
        verify(*next(pairs), padding, algorithm)

        def one_verify() -> object:
            signature, signed = next(pairs)
            verify(signature, signed, padding, algorithm)
            return None

        return one_verify

    return factory


def raw_rsa_check(big: bool) -> Case:
    """The RSA check a fastcognito verify makes (RFC 8017 §8.2.2 as both twins do it): the
    signature's length, cryptography's RSAVP1 with the type-1 padding check, then the SHA-256
    DigestInfo compared whole. Cheaper than ``key.verify``, which sets OpenSSL's digest up again on
    every call; the least a verify of these tokens can cost."""

    def factory() -> Callable[[], object]:
        from hashlib import sha256

        from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15

        from fastcognito._constants import SHA256_DIGEST_INFO
        from fastcognito.jwk import load_rsa_public_key

        key = load_rsa_public_key(bench_token().jwk)
        padding, length = PKCS1v15(), (key.key_size + 7) >> 3
        triples = bench_token().distinct(big=big)
        pairs = itertools.cycle([(signature, signed) for _, signed, signature in triples])
        recover = key.recover_data_from_signature

        def one_check() -> object:
            signature, signed = next(pairs)
            if len(signature) != length or recover(signature, padding, None) != SHA256_DIGEST_INFO + sha256(
                signed
            ).digest():
                raise AssertionError("the benchmark's own signature does not verify")
            return None

        one_check()  # the key's Montgomery context: set-up, not counted
        return one_check

    return factory


def raw_pure_floor(big: bool) -> Case:
    """The pure twin's floor (floors.py) on the same tokens: what a pure-Python verify costs before
    any of its checks."""

    def factory() -> Callable[[], object]:
        from fastcognito.jwk import load_rsa_public_key

        floor = pure_floor(load_rsa_public_key(bench_token().jwk))
        tokens = itertools.cycle([token for token, _, _ in bench_token().distinct(big=big)])
        floor(next(tokens))  # the key's Montgomery context: set-up, not counted
        return lambda: floor(next(tokens))

    return factory


def cold(module: ModuleType, big: bool) -> Case:
    def factory() -> Callable[[], object]:
        verify = _verifier(module, cache_size=0, big=big).verify
        tokens = itertools.cycle([token for token, _, _ in bench_token().distinct(big=big)])
        return lambda: verify(next(tokens))

    return factory


def cold_one_token(module: ModuleType) -> Case:
    def factory() -> Callable[[], object]:
        verify = _verifier(module, cache_size=0, big=False).verify
        token = bench_token().good()
        return lambda: verify(token)

    return factory


def cache_hit(module: ModuleType, big: bool) -> Case:
    def factory() -> Callable[[], object]:
        verify = _verifier(module, cache_size=4096, big=big).verify
        copies = iter(bench_token().fresh_copies(FRESH_COPIES, big=big))
        return lambda: verify(next(copies))

    return factory


RAW_1K = "raw cryptography RSA verify, 1 kB tokens"
RAW_5K = "raw cryptography RSA verify, 5 kB tokens (200 groups)"
CHECK_1K = "raw RSA check as fastcognito makes it, 1 kB tokens"
CHECK_5K = "raw RSA check as fastcognito makes it, 5 kB tokens (200 groups)"
PURE_FLOOR_1K = f"raw {PURE_FLOOR}, 1 kB tokens"
PURE_FLOOR_5K = f"raw {PURE_FLOOR}, 5 kB tokens (200 groups)"
CASES: dict[str, Case] = {
    RAW_1K: raw_rsa_verify(big=False),
    RAW_5K: raw_rsa_verify(big=True),
    CHECK_1K: raw_rsa_check(big=False),
    CHECK_5K: raw_rsa_check(big=True),
    PURE_FLOOR_1K: raw_pure_floor(big=False),
    PURE_FLOOR_5K: raw_pure_floor(big=True),
}
# The RSA check each full verify contains (a floor: no verify may count fewer), and the reference
# the goals are set against: cryptography's key.verify of the same signatures. The pure twin's
# floor contains the same check.
BASELINES: dict[str, str] = {PURE_FLOOR_1K: CHECK_1K, PURE_FLOOR_5K: CHECK_5K}
REFERENCES: dict[str, str] = {
    CHECK_1K: RAW_1K,
    CHECK_5K: RAW_5K,
    PURE_FLOOR_1K: RAW_1K,
    PURE_FLOOR_5K: RAW_5K,
}
for _twin, _module in (("compiled", _verify), ("pure", _verify_py)):
    CASES[f"{_twin} verify, cold, one token"] = cold_one_token(_module)
    CASES[f"{_twin} verify, cold"] = cold(_module, big=False)
    CASES[f"{_twin} verify, cold, 5 kB"] = cold(_module, big=True)
    CASES[f"{_twin} verify, cache hit (fresh str)"] = cache_hit(_module, big=False)
    CASES[f"{_twin} verify, cache hit (fresh str), 5 kB"] = cache_hit(_module, big=True)
    BASELINES[f"{_twin} verify, cold, one token"] = CHECK_1K
    BASELINES[f"{_twin} verify, cold"] = CHECK_1K
    BASELINES[f"{_twin} verify, cold, 5 kB"] = CHECK_5K
    REFERENCES[f"{_twin} verify, cold, one token"] = RAW_1K
    REFERENCES[f"{_twin} verify, cold"] = RAW_1K
    REFERENCES[f"{_twin} verify, cold, 5 kB"] = RAW_5K
