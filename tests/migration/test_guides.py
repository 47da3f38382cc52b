"""docs/migrating.md has a guide for each replaced system, and each guide a test of its own."""

from __future__ import annotations

import re
from pathlib import Path

from tests.support.migration import guide_blocks, guide_names

TESTED = {
    "djognito": "test_djognito.py",
    "tutorial": "test_tutorial.py",
    "rest-microservice": "test_rest_microservice.py",
    "code-grant": "test_code_grant.py",
    "django-cognito-jwt": "test_cognito_jwt.py",
    "pyjwt": "test_pyjwt.py",
}


def test_every_guide_is_applied_by_a_test_of_its_own() -> None:
    assert guide_names() == set(TESTED)
    here = Path(__file__).parent
    for name, test in TESTED.items():
        assert "settings" in guide_blocks(name), name
        applies = re.search(rf'apply_guide\(\s*"{re.escape(name)}"', (here / test).read_text())
        assert applies, f"{test} does not apply the guide {name}"
