"""The instruction-count cases of benchmarks/icases_django.py build and answer as counted.

Each case is built and called twice in a subprocess started in benchmarks/ (so the installed
fastcognito is imported and Django's settings of this session stay untouched), one process per
case: each configures Django for itself. Every case must answer 200. Nothing is timed here.
"""

from __future__ import annotations

import pytest

from tests.support.benchmarks import WITH_FIXTURE, run_in_benchmarks

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
    assert run_in_benchmarks(BUILD_AND_CALL_DJANGO, name) == [200, 200]


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
