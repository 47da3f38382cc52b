"""Benchmark fixtures: locally signed Cognito-like tokens, their key, and the table of ratios.

Nothing touches the network (PyJWKClient reads its JWKS from a server on 127.0.0.1). The session
ends with one table: every case as a ratio to the baseline of its own group, measured in the same
run (the raw `cryptography` RSA verify for the verify groups). `make bench` also saves
pytest-benchmark's JSON under benchmarks/results/, with that table, the machine, the versions and
the date inside (see `pytest_benchmark_update_json`).
"""

from __future__ import annotations

import sys
from hashlib import sha256
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_tokens import (  # noqa: E402  (the benchmarks directory is not a package)
    BIG_GROUPS,
    CLIENT_ID,
    DISTINCT_TOKENS,
    ISSUER,
    KID,
    POOL_ID,
    REGION,
    BenchToken,
    b64url,
)
from bench_results import Paired, Results, versions  # noqa: E402
from floors import pure_floor  # noqa: E402
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15  # noqa: E402
from cryptography.hazmat.primitives.hashes import SHA256  # noqa: E402

from fastcognito._constants import SHA256_DIGEST_INFO  # noqa: E402
from fastcognito.jwk import load_rsa_public_key  # noqa: E402

__all__ = [
    "BIG_GROUPS",
    "CLIENT_ID",
    "DISTINCT_TOKENS",
    "ISSUER",
    "KID",
    "POOL_ID",
    "REGION",
    "BenchToken",
    "Paired",
    "RawVerify",
    "Results",
    "b64url",
]


@pytest.fixture(scope="session")
def bench_token() -> BenchToken:
    return BenchToken()


class RawVerify:
    """Rounds of the raw `cryptography` RSA verify: the baseline of the verify groups, run alone
    and, through `Paired`, just before each measured round."""

    # Operations per one-token round: long enough to time, short beside a peer's round.
    ONE_TOKEN_OPERATIONS = 256

    def __init__(self, bench_token: BenchToken, big: bool = False) -> None:
        self.key = load_rsa_public_key(bench_token.jwk)
        self.padding, self.algorithm = PKCS1v15(), SHA256()
        self.pairs = [
            (signature, signing_input) for _, signing_input, signature in bench_token.distinct(big=big)
        ]
        self.tokens = [token for token, _, _ in bench_token.distinct(big=big)]
        self.pure_floor = pure_floor(self.key)
        if big:
            self.signature, self.signing_input = bench_token.big_signature, bench_token.big_signing_input
        else:
            self.signature, self.signing_input = bench_token.signature, bench_token.signing_input

    def distinct_round(self) -> None:
        verify, padding, algorithm = self.key.verify, self.padding, self.algorithm
        for signature, signing_input in self.pairs:
            verify(signature, signing_input, padding, algorithm)

    def check_round(self) -> None:
        """The RSA check of a fastcognito verify (RFC 8017 §8.2.2 as both twins make it) on the
        same signatures: the length, cryptography's RSAVP1 with the padding check, the SHA-256
        DigestInfo compared whole. The least a verify of these tokens can cost."""
        recover, padding, length = self.key.recover_data_from_signature, self.padding, (self.key.key_size + 7) >> 3
        for signature, signing_input in self.pairs:
            if len(signature) != length or recover(signature, padding, None) != SHA256_DIGEST_INFO + sha256(
                signing_input
            ).digest():
                raise AssertionError("the benchmark's own signature does not verify")

    def pure_floor_round(self) -> None:
        """The pure twin's floor (floors.py) on the same tokens: a call per token, as the twins'
        rows make a call to ``verify`` per token."""
        floor = self.pure_floor
        for token in self.tokens:
            floor(token)

    def one_token_round(self) -> None:
        verify, padding, algorithm = self.key.verify, self.padding, self.algorithm
        signature, signing_input = self.signature, self.signing_input
        for _ in range(self.ONE_TOKEN_OPERATIONS):
            verify(signature, signing_input, padding, algorithm)

    def paired_cold(self) -> Paired:
        return Paired(self.distinct_round, len(self.pairs))

    def paired_hit(self, arguments: Any = None) -> Paired:
        return Paired(self.one_token_round, self.ONE_TOKEN_OPERATIONS, arguments)


@pytest.fixture(scope="session")
def raw_verify(bench_token: BenchToken) -> RawVerify:
    return RawVerify(bench_token)


@pytest.fixture(scope="session")
def raw_verify_big(bench_token: BenchToken) -> RawVerify:
    """The same, over the ~5 kB tokens with 200 groups (SHA-256 of their signing input included)."""
    return RawVerify(bench_token, big=True)


_RESULTS = Results()


@pytest.fixture(scope="session")
def results() -> Results:
    return _RESULTS


@pytest.hookimpl(trylast=True)  # after pytest-benchmark's own tables, so the ratios close the run
def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _RESULTS.rows:
        return
    terminalreporter.write_sep("=", "fastcognito: ratios to the baseline of each group, same run")
    terminalreporter.write_line(_RESULTS.table())
    terminalreporter.write_line(_RESULTS.load_line())


def pytest_benchmark_update_machine_info(config: Any, machine_info: dict[str, Any]) -> None:
    machine_info["library_versions"] = versions()


def pytest_benchmark_update_json(config: Any, benchmarks: Any, output_json: dict[str, Any]) -> None:
    # The ratios are what the README and the chart show; raw medians alone mean little on a shared VM.
    output_json["fastcognito_table"] = _RESULTS.as_json()
