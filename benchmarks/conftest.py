"""Benchmark fixtures: locally signed Cognito-like tokens, their key, and the table of ratios.

Nothing touches the network (PyJWKClient reads its JWKS from a server on 127.0.0.1). The session
ends with one table: every case as a ratio to the baseline of its own group, measured in the same
run (the raw `cryptography` RSA verify for the verify groups). `make bench` also saves
pytest-benchmark's JSON under benchmarks/results/, with that table, the machine, the versions and
the date inside (see `pytest_benchmark_update_json`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_tokens import (  # noqa: E402  (the benchmarks directory is not a package)
    CLIENT_ID,
    DISTINCT_TOKENS,
    ISSUER,
    KID,
    POOL_ID,
    REGION,
    BenchToken,
    b64url,
)
from bench_results import Results, versions  # noqa: E402

__all__ = [
    "CLIENT_ID",
    "DISTINCT_TOKENS",
    "ISSUER",
    "KID",
    "POOL_ID",
    "REGION",
    "BenchToken",
    "Results",
    "b64url",
]


@pytest.fixture(scope="session")
def bench_token() -> BenchToken:
    return BenchToken()


_RESULTS = Results()


@pytest.fixture(scope="session")
def results() -> Results:
    return _RESULTS


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _RESULTS.rows:
        return
    terminalreporter.write_sep("=", "fastcognito: ratios to the baseline of each group, same run")
    terminalreporter.write_line(_RESULTS.table())


def pytest_benchmark_update_machine_info(config: Any, machine_info: dict[str, Any]) -> None:
    machine_info["library_versions"] = versions()


def pytest_benchmark_update_json(config: Any, benchmarks: Any, output_json: dict[str, Any]) -> None:
    # The ratios are what the README and the chart show; raw medians alone mean little on a shared VM.
    output_json["fastcognito_table"] = _RESULTS.as_json()
