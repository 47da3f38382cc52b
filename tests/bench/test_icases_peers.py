"""The instruction-count cases of benchmarks/icases_peers.py still build and verify.

Each case is built and called twice in a subprocess started in benchmarks/ (so the installed
fastcognito is imported and Django's settings of this session stay untouched); every peer case
must return its claims for a good token. Nothing is timed here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"

BUILD_AND_CALL = """
import json, sys
sys.path.insert(0, ".")
from icases_peers import CASES
from peers import PEERS
outcome = {"peers": list(PEERS)}
for name, factory in CASES.items():
    call = factory()
    first, second = call(), call()
    outcome[name] = [type(first).__name__, bool(first), bool(second)]
print(json.dumps(outcome))
"""


def run_in_benchmarks(code: str) -> Any:
    """What ``code``, run with warnings as errors in benchmarks/, prints as JSON."""
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.slow
def test_every_instruction_case_builds_and_verifies() -> None:
    outcome = run_in_benchmarks(BUILD_AND_CALL)
    peers = outcome.pop("peers")
    assert {"fastcognito-compiled", "pyjwt-pyjwkclient", "djognito-style", "django-cognito-jwt"} <= set(peers)
    assert set(outcome) == {"raw cryptography RSA verify"} | {f"peer {name}" for name in peers}
    assert outcome["raw cryptography RSA verify"] == ["NoneType", False, False]
    for name in peers:
        kind, first_ok, second_ok = outcome[f"peer {name}"]
        assert first_ok and second_ok, f"{name} returned a falsy {kind} for a good token"


BUILD_AND_CALL_E2E = """
import json, os, sys, tempfile
from pathlib import Path
sys.path.insert(0, ".")
import instructions
with tempfile.TemporaryDirectory() as directory:
    fixture = Path(directory) / "fixture.json"
    instructions._make_fixture(fixture)
    os.environ[instructions.FIXTURE_ENV] = str(fixture)
    from icases_e2e import CASES
    print(json.dumps({name: [factory()() for _ in range(2)] for name, factory in CASES.items()}))
"""


@pytest.mark.slow
def test_every_example_project_case_answers_200() -> None:
    # The in-process cases of the example project's stack (icases_e2e.py): each builds, its
    # warm-up passes, and the callable `make bench-instructions` counts answers 200, the DRF one
    # only because the token authenticates (IsAuthenticated).
    outcome = run_in_benchmarks(BUILD_AND_CALL_E2E)
    assert len(outcome) == 4
    assert any(name.startswith("DRF view, cached token") for name in outcome)
    assert all(statuses == [200, 200] for statuses in outcome.values()), outcome
