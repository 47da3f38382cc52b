"""A short atheris run of the differential harness (``make test``; ``make fuzz`` runs it longer).

Not part of the per-wheel run of cibuildwheel: atheris is a tool of this repository's
environment, not of the `test` extra.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fuzz import differential

HERE = Path(__file__).resolve().parent
SLICE_SECONDS = int(os.environ.get("FUZZ_SLICE_SECONDS", "60"))


@pytest.mark.slow
@pytest.mark.skipif(
    sys.version_info < (3, 11),
    reason="atheris 3.0 has no CPython 3.10 wheel (its sdist needs clang's libFuzzer); the corpus "
    "replay (test_fuzz_corpus.py) still runs here, and the fuzz slice runs on 3.11+",
)
def test_a_short_atheris_run_finds_nothing(tmp_path: Path) -> None:
    output = tmp_path / "corpus"
    output.mkdir()
    result = subprocess.run(
        [
            sys.executable,
            str(HERE / "fuzz_verify.py"),
            f"-max_total_time={SLICE_SECONDS}",
            "-timeout=20",
            "-rss_limit_mb=2048",
            f"-artifact_prefix={tmp_path}/",
            str(output),
            str(differential.CORPUS),
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=SLICE_SECONDS + 120,
        check=False,
    )
    log = result.stderr[-4000:]
    assert result.returncode == 0, log
    assert "Done " in result.stderr, log
    assert not [path for path in tmp_path.iterdir() if path.name.startswith(("crash-", "timeout-", "oom-"))]
