"""A slice of the two-host rehearsal (`make scale`, benchmarks/e2e/scale.py --quick): two
gunicorn hosts and a uvicorn instance of the example project on one Redis, ministack for
sign-in, Redis stopped for 2 s under load. Behaviours only, never a rate or a latency."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

SCALE = Path(__file__).resolve().parents[2] / "benchmarks" / "e2e" / "scale.py"


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    out = tmp_path_factory.mktemp("scale")
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            str(SCALE),
            "--quick",
            "--out",
            str(out),
            "--logs",
            str(out / "logs"),
        ],
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    (path,) = out.glob("scale-quick-*.json")
    found: dict[str, Any] = json.loads(path.read_text())["runs"]["redis"]
    return found


@pytest.mark.slow
def test_a_logout_on_one_host_is_refused_by_every_worker_at_once(rehearsal: dict[str, Any]) -> None:
    default = rehearsal["default"]
    assert default["logouts_recorded"] > 0
    assert default["revoked_accepted_after_logout"] == 0
    assert default["very_next_request_per_worker"]["accepted"] == 0
    # Both gunicorn hosts and the uvicorn instance were asked for revoked tokens.
    instances = {worker.split("/")[0] for worker in default["revoked_after_logout_per_worker"]}
    assert instances == {"host-a", "host-b", "asgi"}


@pytest.mark.slow
def test_the_sign_in_throttle_counts_across_hosts(rehearsal: dict[str, Any]) -> None:
    throttle = rehearsal["throttle"]
    assert throttle["counted_across_hosts"], throttle
    assert {entry["instance"] for entry in throttle["wrong_passwords"]} == {"host-a", "host-b", "asgi"}
    assert throttle["right_password_same_address"] == 429
    assert throttle["right_password_other_address"] == 200  # the right user is not locked out


@pytest.mark.slow
def test_a_redis_outage_fails_closed_and_service_comes_back_without_a_restart(
    rehearsal: dict[str, Any],
) -> None:
    default = rehearsal["default"]
    outage = default["outage"]
    assert outage["revoked_accepted_during"] == 0
    assert sum(outage["revoked_during"].values()) > 0
    assert set(outage["revoked_during"]) <= {"503 denylist_unavailable", "401 revoked"}
    assert set(outage["live_during"]) == {"503 denylist_unavailable"}  # as documented
    assert default["status_500"] == 0 and default["no_answer"] == 0
    # Every worker answered a good token again after Redis came back; the servers never restarted.
    assert outage["workers_without_200_after_back"] == []
    assert outage["worker_first_200_after_back_s"]


@pytest.mark.slow
def test_bounded_staleness_holds_its_bound_on_every_worker(rehearsal: dict[str, Any]) -> None:
    staleness = rehearsal["staleness"]
    assert staleness["status_500"] == 0
    bound = staleness["staleness"]
    assert bound["requests_after_logout"] > 0
    assert bound["within_bound"] and bound["accepted_after_the_bound"] == 0, bound
    assert bound["logout_worker_accepted"] == 0  # the worker that signed out refuses at once


@pytest.mark.slow
def test_no_token_or_password_reaches_the_servers_logs(rehearsal: dict[str, Any]) -> None:
    logs = rehearsal["logs"]
    assert logs["secrets_searched"] > 10
    assert set(logs["files"]) == {"host-a.log", "host-b.log", "asgi.log"}
    assert logs["secrets_found"] == []


def test_the_rehearsal_refuses_an_unbounded_run() -> None:
    result = subprocess.run(
        [sys.executable, str(SCALE), "--seconds", "600"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "--seconds <= 300" in result.stderr
