"""docs/django.md, "Testing your views", "Django's `TestCase`": the example run as written.

The docs used to build the pool in ``setUpClass`` and decorate the class with it, which cannot
work: a class decorator runs when the class is defined, before ``setUpClass``. The code block is
read from the page and executed as a module of its own, then its ``TestCase`` runs under unittest
against a URL conf that has the ``/api/articles/`` the example calls.
"""

from __future__ import annotations

import io
import re
import types
import unittest
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings
from django.urls import path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from fastcognito.django import fastcognito_settings

DOC = Path(__file__).resolve().parents[2] / "docs" / "django.md"
SECTION = "### Django's `TestCase`"
CODE_BLOCK = re.compile(r"```python\n(.*?)```", re.DOTALL)


class Articles(APIView):
    """The view the example calls: the project's DRF defaults (CognitoAuthentication first,
    IsAuthenticated)."""

    def get(self, request: Request) -> Response:
        return Response({"username": request.user.username})


urlpatterns = [path("api/articles/", Articles.as_view())]


def documented_example() -> str:
    text = DOC.read_text(encoding="utf-8")
    section = text.split(SECTION, 1)[1].split("\n#", 1)[0]
    (code,) = CODE_BLOCK.findall(section)
    return code


def load_example() -> types.ModuleType:
    module = types.ModuleType("docs_django_testcase_example")
    exec(compile(documented_example(), f"{DOC.name} ({SECTION})", "exec"), module.__dict__)  # noqa: S102
    return module


def test_the_section_shows_a_module_level_pool_and_a_decorated_class() -> None:
    code = documented_example()
    assert "setUpClass" not in code
    assert re.search(r"^POOL = FakeUserPool\(\)", code, re.MULTILINE)
    assert re.search(r"^@POOL\.override_settings\(\).*\nclass \w+\(TestCase\):", code, re.MULTILINE)


@pytest.mark.django_db
def test_the_documented_testcase_passes() -> None:
    example = load_example()
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(example.ArticleTests)
    output = io.StringIO()
    with override_settings(ROOT_URLCONF=__name__):
        result = unittest.TextTestRunner(stream=output, verbosity=2).run(suite)
    assert result.testsRun == 2, output.getvalue()
    assert result.wasSuccessful(), output.getvalue()


@pytest.mark.django_db
def test_the_decorator_is_what_makes_the_pool_trusted(client: Any) -> None:
    """Outside the decorated class the project's own FASTCOGNITO holds, and the fake pool's
    tokens are not accepted (the project's JWKS_URL is a closed port: 503): the example passes
    because of the decoration, not by accident."""
    example = load_example()
    assert fastcognito_settings.USER_POOL_ID != example.POOL.user_pool_id
    with override_settings(ROOT_URLCONF=__name__):
        token = example.POOL.make_token()
        response = client.get("/api/articles/", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code in (401, 503), response.content
