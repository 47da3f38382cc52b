"""Running code from benchmarks/ in a child process, as `make bench-instructions` does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def run_in_benchmarks(code: str, *args: str) -> Any:
    """What ``code``, run with warnings as errors in benchmarks/ (so the installed fastcognito is
    imported and this session's Django settings stay untouched), prints as JSON."""
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code, *args],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
