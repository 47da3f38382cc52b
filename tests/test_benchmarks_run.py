"""The benchmark suite still runs: every benchmark once, untimed (--benchmark-disable).

It runs in a subprocess started in benchmarks/, so the installed fastcognito is imported (never
the source tree) and the benchmarks' conftest stays out of this session.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


@pytest.mark.slow
def test_benchmarks_run_untimed() -> None:
    pytest_bin = Path(sys.executable).with_name("pytest")
    result = subprocess.run(
        [str(pytest_bin), str(BENCHMARKS), "--benchmark-disable", "-q"],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "18 passed" in result.stdout, result.stdout
