"""Every library people use today to verify a Cognito token, in the same groups as fastcognito.

Each peer first goes through its correctness pass (peers.correctness_pass): it must accept the
good token and reject a forged signature; the other checks it does not make are printed beside
its figure. Then it is timed in the cold group (256 distinct tokens) and the hit group (fresh
copies of one token; no peer keeps verified tokens, so these are full verifies too).

PyJWT 2.13 and aws-jwt-verify run in their own processes (pyjwt_legacy.py, node/bench.mjs), each
against a raw verify measured there; `make bench-deps` installs both.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import BenchToken, RawVerify, Results
from peers import MISS_WORDING, PEERS, PeerKeys, correctness_pass, describe_misses, peer_keys

BENCHMARKS = Path(__file__).resolve().parent
PYJWT_LEGACY_DIR = BENCHMARKS.parent / ".bench" / "pyjwt-2.13"
PYJWT_LEGACY_VERSION = "2.13.0"
NODE_DIR = BENCHMARKS / "node"
ROUNDS = 15
FRESH_COPIES = 256
OTHER_LIBRARIES = [name for name in PEERS if not name.startswith("fastcognito")]


@pytest.fixture(scope="module")
def keys(bench_token: BenchToken) -> Iterator[PeerKeys]:
    with peer_keys(bench_token) as served:
        yield served


@pytest.mark.benchmark(group="cold")
@pytest.mark.parametrize("peer_name", OTHER_LIBRARIES)
def test_peer_cold(
    benchmark: Any,
    bench_token: BenchToken,
    raw_verify: RawVerify,
    keys: PeerKeys,
    results: Results,
    peer_name: str,
) -> None:
    peer = PEERS[peer_name]
    verify = peer.build(keys)
    correctness_pass(peer, verify, bench_token)
    tokens = [token for token, _, _ in bench_token.distinct(token_use=peer.token_use)]

    def verify_all() -> None:
        for token in tokens:
            verify(token)

    paired = raw_verify.paired_cold()
    benchmark.pedantic(verify_all, setup=paired.setup, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    results.record(peer.name, benchmark, per_round=len(tokens), note=describe_misses(peer), paired=paired)


@pytest.mark.benchmark(group="hit")
@pytest.mark.parametrize("peer_name", OTHER_LIBRARIES)
def test_peer_repeat_fresh_str(
    benchmark: Any,
    bench_token: BenchToken,
    raw_verify: RawVerify,
    keys: PeerKeys,
    results: Results,
    peer_name: str,
) -> None:
    peer = PEERS[peer_name]
    verify = peer.build(keys)
    correctness_pass(peer, verify, bench_token)

    def verify_all(tokens: list[str]) -> None:
        for token in tokens:
            verify(token)

    paired = raw_verify.paired_hit(
        lambda: ((bench_token.fresh_copies(FRESH_COPIES, token_use=peer.token_use),), {})
    )
    benchmark.pedantic(verify_all, setup=paired.setup, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    results.record(peer.name, benchmark, per_round=FRESH_COPIES, note=describe_misses(peer), paired=paired)


# --- other processes ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fixture_file(bench_token: BenchToken, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("peers") / "fixture.json"
    path.write_text(json.dumps(bench_token.fixture_json()))
    return path


def _run_external(command: list[str], env: dict[str, str] | None = None) -> dict[str, Any]:
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, f"{command[:2]} failed:\n{result.stdout}\n{result.stderr}"
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def _record_external(results: Results, name: str, report: dict[str, Any], misses_note: str) -> None:
    for group, medians in report["medians"].items():
        results.record_ratio(
            name,
            group=group,
            ratio=medians["ratio"],
            median=medians["peer"],
            note="; ".join(
                part for part in (misses_note, "own process, ratio to its own raw verify") if part
            ),
        )


def _misses_note(misses: list[str]) -> str:
    return "; ".join(MISS_WORDING[check] for check in misses)


def test_pyjwt_legacy_own_process(
    fixture_file: Path, results: Results, request: pytest.FixtureRequest
) -> None:
    if not (PYJWT_LEGACY_DIR / "jwt").is_dir():
        pytest.fail(
            f"PyJWT {PYJWT_LEGACY_VERSION} is not installed in {PYJWT_LEGACY_DIR}: run `make bench-deps`"
        )
    check_only = bool(request.config.getoption("benchmark_disable"))
    env = dict(os.environ, PYTHONPATH=str(PYJWT_LEGACY_DIR))
    command = [sys.executable, str(BENCHMARKS / "pyjwt_legacy.py"), str(fixture_file)]
    command += ["--expect-version", PYJWT_LEGACY_VERSION] + (["--check-only"] if check_only else [])
    report = _run_external(command, env)
    # Configured as the in-process PyJWT: it must make every check (2.13 already rejects a future iat).
    assert report["version"] == PYJWT_LEGACY_VERSION
    assert report["misses"] == []
    if not check_only:
        _record_external(
            results, f"PyJWT (PyJWK) {report['version']}", report, _misses_note(report["misses"])
        )


def test_aws_jwt_verify_node(fixture_file: Path, results: Results, request: pytest.FixtureRequest) -> None:
    node = shutil.which("node")
    if node is None or not (NODE_DIR / "node_modules" / "aws-jwt-verify").is_dir():
        pytest.fail("node or aws-jwt-verify is missing: run `make bench-deps` (npm ci in benchmarks/node)")
    check_only = bool(request.config.getoption("benchmark_disable"))
    command = [node, str(NODE_DIR / "bench.mjs"), str(fixture_file)] + (
        ["--check-only"] if check_only else []
    )
    report = _run_external(command)
    # aws-jwt-verify checks everything fastcognito does except that iat is not in the future.
    assert report["misses"] == ["iat"]
    if not check_only:
        name = f"aws-jwt-verify {report['version']} (Node {report['node']})"
        _record_external(results, name, report, _misses_note(report["misses"]))
