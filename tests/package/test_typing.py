"""The package type-checks under mypy --strict (pyproject's [tool.mypy]), the extension through
its .pyi."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def test_mypy_strict_passes() -> None:
    mypy = Path(sys.executable).with_name("mypy")
    result = subprocess.run(
        [mypy, "--config-file", REPO / "pyproject.toml", "--cache-dir", REPO / ".mypy_cache"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert "Success: no issues found" in result.stdout
