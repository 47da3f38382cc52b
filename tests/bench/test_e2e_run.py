"""The end-to-end load test's set-up still works, without the load: the example project starts
under gunicorn on 127.0.0.1 with each authentication class of `make bench-e2e`, and under uvicorn
with its async view behind CognitoMiddleware, and each answers 200 to good tokens and 401 to none,
an expired one and a forged one (benchmarks/e2e/run.py --check-only raises otherwise); a server without the compiled hot path is refused; the callgrind
count of a whole server runs on a short slice. Nothing is timed here."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

E2E = Path(__file__).resolve().parents[2] / "benchmarks" / "e2e"
RUN = E2E / "run.py"
SERVER_INSTRUCTIONS = E2E / "server_instructions.py"


@pytest.mark.slow
def test_every_e2e_variant_answers_correctly_under_gunicorn() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            str(RUN),
            "--check-only",
            "--servers",
            "gunicorn sync",
            "--distinct-tokens",
            "8",
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for auth in ("fastcognito", "pyjwt", "djognito"):
        assert f"gunicorn sync / {auth}: answers checked" in result.stdout, result.stdout


@pytest.mark.slow
def test_the_async_view_behind_cognito_middleware_answers_correctly_under_uvicorn() -> None:
    result = subprocess.run(
        [sys.executable, "-W", "error", str(RUN), "--check-only", "--servers", "uvicorn", "--distinct-tokens", "8"],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "uvicorn / fastcognito: answers checked" in result.stdout, result.stdout
    # ASGI servers run the cached-token variant of fastcognito only.
    assert "uvicorn / pyjwt" not in result.stdout


def test_run_refuses_a_run_longer_than_30_seconds() -> None:
    result = subprocess.run(
        [sys.executable, str(RUN), "--seconds", "31", "--check-only"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--seconds must be between 1 and 30" in result.stderr


@pytest.mark.slow
def test_run_refuses_a_server_without_the_compiled_hot_path() -> None:
    # The pure-Python twin is what a server imports from a source checkout: never measure it.
    result = subprocess.run(
        [sys.executable, str(RUN), "--check-only", "--servers", "gunicorn sync", "--distinct-tokens", "2"],
        capture_output=True,
        text=True,
        timeout=180,
        env=dict(os.environ, FASTCOGNITO_NO_EXTENSIONS="1"),
    )
    assert result.returncode != 0
    assert "without its compiled extension" in result.stderr, result.stderr
    assert "answers checked" not in result.stdout


@pytest.mark.slow
def test_server_instructions_counts_a_request_of_the_whole_worker() -> None:
    # Two servers under callgrind (about half a minute): the count is a request's worth, far
    # above the Django handler's own million or so and below what a runaway loop would give.
    result = subprocess.run(
        [
            sys.executable,
            "-W",
            "error",
            str(SERVER_INSTRUCTIONS),
            "--case",
            "no-auth view, no token",
            "--requests",
            "3",
            "--warm",
            "1",
        ],
        capture_output=True,
        text=True,
        timeout=400,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    found = re.search(r"no-auth view, no token\s+([\d,]+)", result.stdout)
    assert found, result.stdout
    assert 1_000_000 < int(found.group(1).replace(",", "")) < 5_000_000, result.stdout
