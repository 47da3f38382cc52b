"""Instruction-count cases (callgrind, `make bench-instructions`): the raw RSA verify, fastcognito
with its cache off, and every peer of peers.py, one verify per call.

Each factory does the un-measured set-up (keys, tokens, the peer's correctness pass, one warm-up
verify that lets PyJWKClient and cognitojwt load their keys) and returns the zero-argument
callable to measure. Calls rotate through 256 distinct tokens, so no memo helps.
tests/bench/test_icases_peers.py builds every case and calls it once.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_tokens import BenchToken  # noqa: E402
from peers import PEERS, correctness_pass, peer_keys  # noqa: E402

__all__ = ["CASES"]


@lru_cache(maxsize=1)
def _bench_token() -> BenchToken:
    return BenchToken()


def _raw_rsa_verify() -> Callable[[], object]:
    from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
    from cryptography.hazmat.primitives.hashes import SHA256

    from fastcognito.jwk import load_rsa_public_key

    bench_token = _bench_token()
    key = load_rsa_public_key(bench_token.jwk)
    padding, algorithm = PKCS1v15(), SHA256()
    pairs = itertools.cycle(
        [(signature, signing_input) for _, signing_input, signature in bench_token.distinct()]
    )
    verify = key.verify

    def one_verify() -> object:
        signature, signing_input = next(pairs)
        verify(signature, signing_input, padding, algorithm)
        return None

    return one_verify


def _peer_case(peer_name: str) -> Callable[[], Callable[[], object]]:
    def factory() -> Callable[[], object]:
        bench_token = _bench_token()
        peer = PEERS[peer_name]
        with peer_keys(bench_token) as keys:
            verify = peer.build(keys)
            correctness_pass(peer, verify, bench_token)
        tokens = itertools.cycle([token for token, _, _ in bench_token.distinct(token_use=peer.token_use)])

        def one_verify() -> object:
            return verify(next(tokens))

        return one_verify

    return factory


CASES: dict[str, Callable[[], Callable[[], object]]] = {"raw cryptography RSA verify": _raw_rsa_verify}
CASES.update({f"peer {name}": _peer_case(name) for name in PEERS})
