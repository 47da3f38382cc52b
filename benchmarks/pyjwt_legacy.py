"""PyJWT 2.13 in its own process: its correctness pass, then its ratio to the raw RSA verify
measured in this same process.

Run by test_bench_peers.py with PYTHONPATH pointing at a directory holding PyJWT 2.13 alone
(`make bench-deps` installs it there from requirements/pyjwt-legacy.txt), so it shares the main
venv's `cryptography` and differs from the in-process PyJWT only in PyJWT itself.

    python pyjwt_legacy.py FIXTURE.json [--check-only] [--expect-version 2.13.0]

FIXTURE.json is BenchToken.fixture_json(). Prints one JSON object: the PyJWT version, the checks
it does not make, and (unless --check-only) median seconds per verify for the raw verify and for
PyJWT and the median ratio of alternating rounds, in the cold group (distinct tokens) and the hit
group (fresh copies of one token).
"""

from __future__ import annotations

import argparse
import base64
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from cryptography.hazmat.primitives.hashes import SHA256

ROUNDS = 15


def _b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def build(fixture: dict[str, Any]) -> Callable[[str], dict[str, Any]]:
    """The same configuration as the in-process PyJWT (PyJWK) peer of peers.py."""
    by_kid = {key["kid"]: jwt.PyJWK(key, algorithm="RS256") for key in fixture["jwks"]["keys"]}
    decode, header = jwt.decode, jwt.get_unverified_header
    issuer, client_id = fixture["issuer"], fixture["client_id"]
    options = {"require": ["exp", "iat", "iss"], "verify_aud": False}

    def verify(token: str) -> dict[str, Any]:
        claims: dict[str, Any] = decode(
            token, key=by_kid[header(token)["kid"]], algorithms=["RS256"], issuer=issuer, options=options
        )
        if claims.get("client_id") != client_id or claims.get("token_use") != "access":
            raise ValueError("wrong client or token_use")
        return claims

    return verify


def misses(verify: Callable[[str], Any], fixture: dict[str, Any]) -> list[str]:
    def accepts(token: str) -> bool:
        try:
            return bool(verify(token))
        except Exception:  # noqa: BLE001 (any exception is a rejection)
            return False

    if not accepts(fixture["token"]):
        raise SystemExit("PyJWT rejects the good token")
    missed = [check for check in fixture["checks"] if accepts(fixture["bad"][check])]
    if "signature" in missed:
        raise SystemExit("PyJWT accepts a forged signature")
    return missed


def paired_rounds(raw: Callable[[], None], peer: Callable[[], None], calls: int) -> dict[str, float]:
    """Alternating rounds, the raw verify just before each peer round: medians of both and the
    median of the per-round ratios, which the drifting load of a shared machine moves least.
    CPU time of this process, as `make bench` times the in-process rows."""
    raw()
    peer()  # warm-up
    raws, peers, ratios = [], [], []
    for _ in range(ROUNDS):
        start = time.process_time()
        raw()
        middle = time.process_time()
        peer()
        end = time.process_time()
        raws.append((middle - start) / calls)
        peers.append((end - middle) / calls)
        ratios.append((end - middle) / (middle - start))
    return {
        "raw": statistics.median(raws),
        "peer": statistics.median(peers),
        "ratio": statistics.median(ratios),
    }


def measure(verify: Callable[[str], Any], fixture: dict[str, Any]) -> dict[str, dict[str, float]]:
    key = jwt.PyJWK(fixture["jwks"]["keys"][0], algorithm="RS256").key
    padding, algorithm = PKCS1v15(), SHA256()
    distinct = fixture["distinct"]
    tokens = [item["token"] for item in distinct]
    pairs = [(_b64decode(item["signature"]), item["signing_input"].encode("ascii")) for item in distinct]
    good = fixture["token"]
    good_signing_input, good_signature = good.rsplit(".", 1)
    good_pair = (_b64decode(good_signature), good_signing_input.encode("ascii"))
    copies = 256

    def raw_cold() -> None:
        for signature, signing_input in pairs:
            key.verify(signature, signing_input, padding, algorithm)

    def peer_cold() -> None:
        for token in tokens:
            verify(token)

    def raw_hit() -> None:
        signature, signing_input = good_pair
        for _ in range(copies):
            key.verify(signature, signing_input, padding, algorithm)

    def peer_hit() -> None:
        head, last = good[:-1], good[-1]
        for _ in range(copies):
            verify(head + last)  # a fresh str, as a request brings

    return {
        "cold": paired_rounds(raw_cold, peer_cold, len(tokens)),
        "hit": paired_rounds(raw_hit, peer_hit, copies),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("fixture")
    parser.add_argument("--check-only", action="store_true", help="correctness pass only, no timing")
    parser.add_argument("--expect-version", default=None, help="fail unless this PyJWT version is imported")
    args = parser.parse_args(argv)
    if args.expect_version and jwt.__version__ != args.expect_version:
        raise SystemExit(
            f"imported PyJWT {jwt.__version__} from {jwt.__file__}, expected {args.expect_version}"
        )
    with open(args.fixture, encoding="utf-8") as file:
        fixture = json.load(file)
    verify = build(fixture)
    report: dict[str, Any] = {"version": jwt.__version__, "misses": misses(verify, fixture)}
    if not args.check_only:
        report["medians"] = measure(verify, fixture)
    json.dump(report, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
