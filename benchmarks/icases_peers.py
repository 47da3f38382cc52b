"""Instruction-count cases (callgrind, `make bench-instructions`): the raw RSA verify, fastcognito
with its cache off, and every peer of peers.py, one verify per call.

Each factory does the un-measured set-up (the peer's correctness pass, one warm-up verify that
lets PyJWKClient and cognitojwt load their keys) and returns the zero-argument callable to
measure. Calls rotate through 256 distinct tokens, so no memo helps. The key, every token and the
JWKS server come from instructions.py's parent process: generated or served here, they would
differ between the two counted processes (see instructions.py).
tests/bench/test_icases_peers.py builds every case and calls it once.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from icases_core import raw_rsa_check  # noqa: E402
from instructions import bench_token as _bench_token  # noqa: E402
from instructions import fixture  # noqa: E402
from peers import PEERS, PeerKeys, correctness_pass  # noqa: E402

__all__ = ["BASELINES", "CASES", "REFERENCES"]


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
    # The first verify also sets up OpenSSL's algorithm fetch and the key's Montgomery context:
    # set-up, as every peer's correctness pass does it before its calls are counted.
    verify(*next(pairs), padding, algorithm)

    def one_verify() -> object:
        signature, signing_input = next(pairs)
        verify(signature, signing_input, padding, algorithm)
        return None

    return one_verify


def _peer_case(peer_name: str) -> Callable[[], Callable[[], object]]:
    def factory() -> Callable[[], object]:
        bench_token = _bench_token()
        peer = PEERS[peer_name]
        data = fixture()
        verify = peer.build(PeerKeys(bench_token.jwks, data["jwks_path"], data["jwks_url"]))
        correctness_pass(peer, verify, bench_token)
        tokens = itertools.cycle([token for token, _, _ in bench_token.distinct(token_use=peer.token_use)])

        def one_verify() -> object:
            return verify(next(tokens))

        return one_verify

    return factory


RAW = "raw cryptography RSA verify"
CHECK = "raw RSA check as fastcognito makes it"
CASES: dict[str, Callable[[], Callable[[], object]]] = {RAW: _raw_rsa_verify, CHECK: raw_rsa_check(big=False)}
CASES.update({f"peer {name}": _peer_case(name) for name in PEERS})
# Every peer makes one RSA verify of the token per call (instructions.py checks the figures):
# key.verify, or for fastcognito its cheaper RSA check, with key.verify as the reference.
OURS = [name for name in PEERS if PEERS[name].distribution == "fastcognito"]
BASELINES: dict[str, str] = {f"peer {name}": CHECK if name in OURS else RAW for name in PEERS}
REFERENCES: dict[str, str] = {CHECK: RAW} | {f"peer {name}": RAW for name in OURS}
