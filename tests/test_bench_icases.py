"""The instruction-count cases of benchmarks/icases_*.py still build and verify.

Each case is built and called twice in a subprocess started in benchmarks/ (so the installed
fastcognito is imported and Django's settings of this session stay untouched); every peer case
must return its claims for a good token, every Django case its 200 (one process per case: each
configures Django for itself). Nothing is timed here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"

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


WITH_FIXTURE = """
import json, os, sys, tempfile
from pathlib import Path
sys.path.insert(0, ".")
import instructions
with tempfile.TemporaryDirectory() as directory:
    fixture = Path(directory) / "fixture.json"
    instructions._make_fixture(fixture)
    os.environ[instructions.FIXTURE_ENV] = str(fixture)
"""

BUILD_AND_CALL_DJANGO = WITH_FIXTURE + """
    from icases_django import CASES
    call = CASES[sys.argv[1]]()
    print(json.dumps([call() for _ in range(2)]))
"""

DJANGO_CASES = [
    "DRF, no authentication (baseline)",
    "DRF, CognitoAuthentication, cached token",
    "DRF, CognitoAuthentication, cold token",
    "DRF, PyJWT tutorial class",
    "DRF, CognitoMiddleware + CognitoAuthentication, cached token",
    "plain view, no CognitoMiddleware (baseline)",
    "plain view, CognitoMiddleware, cached token",
]


def test_the_django_cases_are_the_listed_ones() -> None:
    code = "import json, sys\nsys.path.insert(0, '.')\nimport icases_django\n"
    code += "print(json.dumps([*icases_django.CASES]))"
    assert run_in_benchmarks(code) == DJANGO_CASES


@pytest.mark.slow
@pytest.mark.parametrize("name", DJANGO_CASES)
def test_every_django_case_builds_and_answers_200(name: str) -> None:
    # The DRF cases with a token pass their correctness check while they are built (200 to the
    # token, 401 to none and to a forged signature), or the case has no figure.
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", BUILD_AND_CALL_DJANGO, name],
        cwd=BENCHMARKS,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [200, 200]


REFUSED = WITH_FIXTURE + """
    import django_app
    data = instructions.fixture()
    server = django_app.JWKSServer(data["jwks"])
    django_app.configure(server.url)
    handler = django_app.wsgi_handler(django_app.COGNITO_MIDDLEWARE)
    try:
        django_app.refuse_unless_it_authenticates(handler, "/drf/noauth/", data["token"], data["distinct"][0])
    except SystemExit as refusal:
        print(json.dumps(str(refusal)))
    else:
        print(json.dumps(None))
    server.stop()
"""


@pytest.mark.slow
def test_a_view_that_does_not_authenticate_gets_no_figure() -> None:
    refusal = run_in_benchmarks(REFUSED)
    assert refusal is not None and "no figure" in refusal
    assert "'no token': 200" in refusal and "'a forged signature': 200" in refusal
