"""The population benchmark (benchmarks/population.py, `make bench-population`) on a tiny
population: it runs on both twins, every token of its stream verifies, and its report is whole
and adds up. Nothing about time is asserted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

POPULATION = Path(__file__).resolve().parents[2] / "benchmarks" / "population.py"
USERS = 120
REQUESTS = 2048
SIZES = (16, 4096)


@pytest.mark.slow
def test_population_report_is_whole_and_consistent(tmp_path: Path) -> None:
    command = [
        sys.executable,
        "-W",
        "error",
        str(POPULATION),
        "--users",
        str(USERS),
        "--requests",
        str(REQUESTS),
        "--hours",
        "2",
        "--cache-sizes",
        ",".join(map(str, SIZES)),
        "--memory-entries",
        "40",
        "--token-dir",
        str(tmp_path / "tokens"),
        "--out",
        str(tmp_path / "results"),
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    [path] = (tmp_path / "results").glob("population-*.json")
    report = json.loads(path.read_text())

    assert {"date", "commit", "machine", "versions", "population", "replays", "memory"} <= report.keys()
    population = report["population"]
    assert (population["users"], population["requests"]) == (USERS, REQUESTS)
    # Every user of the stream holds at least one token, and no request brings more than one.
    assert 0 < population["distinct_tokens"] <= REQUESTS
    replays = report["replays"]
    assert [(run["twin"], run["cache_size"]) for run in replays] == [
        (twin, size) for twin in ("c", "py") for size in SIZES
    ]
    for run in replays:
        assert run["hits"] + run["misses"] == REQUESTS
        assert run["hit_rate"] == pytest.approx(run["hits"] / REQUESTS)
        assert run["misses"] >= population["distinct_tokens"]  # each token misses once, at least
        assert run["entries_at_end"] <= run["cache_size"]
        assert len(run["hourly_hit_rate"]) == 2
        assert all(0 <= rate <= 1 for rate in run["hourly_hit_rate"])
        assert run["raw_rsa_us"] > 0
    # The same stream through the same cache gives the same hits on both twins.
    by_twin = {(run["twin"], run["cache_size"]): run["hits"] for run in replays}
    for size in SIZES:
        assert by_twin["c", size] == by_twin["py", size]
    # A cache big enough for every token misses each once and never again, except where an entry
    # ended with its key set's trust (the JWKS is trusted for an hour).
    assert by_twin["c", 4096] >= by_twin["c", 16]

    shapes = {(found["twin"], found["tokens"]) for found in report["memory"]}
    assert {("c", "1 kB"), ("py", "1 kB")} <= shapes
    for found in report["memory"]:
        assert found["entries"] >= 2
        # At least the token itself, at most what a 5 kB token's claims could take many times over.
        assert 1000 < found["bytes_per_entry"] < 100_000
        assert sum(found["parts"].values()) == pytest.approx(found["bytes_per_entry"])
    assert set(report["bytes_per_entry_mixed"]) == {"c", "py"}
