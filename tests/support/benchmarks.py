"""Running code from benchmarks/ in a child process, as `make bench-instructions` does."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

# The start of a child's code: the fixture of `make bench-instructions` (key, tokens, a JWKS
# served on 127.0.0.1) set up as it sets it up. What follows runs inside the block, indented by
# eight spaces.
WITH_FIXTURE = """
import json, os, sys, tempfile
from pathlib import Path
sys.path.insert(0, ".")
import instructions
with tempfile.TemporaryDirectory() as directory:
    fixture = Path(directory) / "fixture.json"
    with instructions.served_fixture(fixture):
        os.environ[instructions.FIXTURE_ENV] = str(fixture)
"""


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
