"""The fuzz harness in the suite: the seed corpus replayed on both twins, and a short atheris run.

``make fuzz`` runs the same harness for as long as asked (``FUZZ_SECONDS``).
"""

from __future__ import annotations

import collections
import os
import subprocess
import sys
from pathlib import Path

import differential
import pytest

HERE = Path(__file__).resolve().parent
SLICE_SECONDS = int(os.environ.get("FUZZ_SLICE_SECONDS", "60"))


@pytest.mark.parametrize("path", differential.corpus_files(), ids=lambda path: path.name)
def test_seed_corpus_replays_identically_on_both_twins(path: Path) -> None:
    differential.check(path.read_bytes())


def test_seed_corpus_reaches_every_step() -> None:
    # A harness whose inputs all die in the base64url decoder would fuzz nothing else.
    seen: collections.Counter[str] = collections.Counter()
    for path in differential.corpus_files():
        token = differential.token_for(path.read_bytes())
        if token is None:
            continue
        for compiled, _ in differential.verifier_pairs():
            seen[differential._outcome(compiled.verify, token, None)[0]] += 1
    for outcome in (
        "claims",
        "MalformedTokenError",
        "UnsupportedAlgorithmError",
        "KeyNotFoundError",
        "InvalidSignatureError",
        "ExpiredTokenError",
        "NotYetValidError",
        "InvalidIssuerError",
        "InvalidTokenUseError",
        "MissingScopeError",
        "ClaimError",  # the custom check
    ):
        assert seen[outcome], (outcome, seen)


def test_a_divergence_fails_the_oracle() -> None:
    def compiled(segment: str) -> bytes:
        return b"x"

    def pure(segment: str) -> bytes:
        return b"y"

    with pytest.raises(differential.Divergence):
        differential.compare_helpers("QQ", [(compiled, pure)])
    differential.compare_helpers("QQ", [(pure, pure)])


@pytest.mark.slow
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
