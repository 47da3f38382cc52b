"""The end-to-end load test's set-up still works, without the load: the example project starts
under gunicorn on 127.0.0.1 with each authentication class of `make bench-e2e`, and each answers
200 to good tokens and 401 to none, an expired one and a forged one (benchmarks/e2e/run.py
--check-only raises otherwise). Nothing is timed here."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

RUN = Path(__file__).resolve().parents[1] / "benchmarks" / "e2e" / "run.py"


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


def test_run_refuses_a_run_longer_than_30_seconds() -> None:
    result = subprocess.run(
        [sys.executable, str(RUN), "--seconds", "31", "--check-only"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--seconds must be between 1 and 30" in result.stderr
