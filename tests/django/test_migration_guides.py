"""Every migration guide's "after" settings (docs/migrating.md), run as written against genuine
tokens from moto's Cognito: the guides cannot go stale without this failing.

Each block marked ``<!-- after: NAME token=id|access via=header|cookie|exchange
path=drf|middleware -->`` is executed as a settings module with the environment variables the
guides name set to the emulator's pool. Only ``JWKS_URL`` is added (moto serves its keys on its
own address). The settings must pass fastcognito's system checks, and authenticate the token.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.test import Client, override_settings
from django.utils.module_loading import import_string
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from tests.support import CognitoPool
from tests.support.django.replica import login, reading_client
from tests.support.django.views import describe

pytestmark = pytest.mark.django_db

GUIDES = Path(__file__).resolve().parents[2] / "docs" / "migrating.md"
BLOCK = re.compile(r"<!-- after: (?P<name>\S+) (?P<options>[^>]*?) -->\n```python\n(?P<code>.*?)```", re.S)
EXPECTED = {"djognito", "tutorial", "rest-microservice", "code-grant", "django-cognito-jwt", "pyjwt"}


def guides() -> dict[str, tuple[dict[str, str], str]]:
    found = {}
    for match in BLOCK.finditer(GUIDES.read_text()):
        options = dict(option.split("=", 1) for option in match["options"].split())
        found[match["name"]] = (options, match["code"])
    return found


def test_every_guide_has_a_tested_after_block() -> None:
    assert set(guides()) == EXPECTED


def environment(cognito: CognitoPool) -> dict[str, str]:
    """Every variable the guides read, pointing at the emulator's pool."""
    pool, client = cognito.pool_id, reading_client(cognito)
    return {
        # Djognito's, read by fastcognito itself as fallbacks.
        "AWS_COGNITO_USER_POOL_ID": pool,
        "AWS_COGNITO_REGION": cognito.region,
        "AWS_COGNITO_APP_CLIENT_ID": client,
        # The tutorial's.
        "AWS_USER_POOLS_ID": pool,
        "AWS_APP_CLIENT_ID": client,
        # django-cognito-jwt's setting names, kept as variables.
        "COGNITO_USER_POOL": pool,
        "COGNITO_AUDIENCE": client,
        # The example project's.
        "COGNITO_USER_POOL_ID": pool,
        "COGNITO_CLIENT_ID": client,
        "COGNITO_DOMAIN": "https://auth.example.com",
        "COGNITO_REDIRECT_URI": "https://app.example.com/auth/callback/",
        "COGNITO_LOGOUT_URI": "https://app.example.com/signed-out/",
    }


@pytest.fixture
def guide_env(cognito: CognitoPool, monkeypatch: pytest.MonkeyPatch) -> Iterator[CognitoPool]:
    for name, value in environment(cognito).items():
        monkeypatch.setenv(name, value)
    yield cognito


def drf_view(classes: list[str], permission: Any) -> Any:
    class GuideView(APIView):
        authentication_classes = [import_string(path) for path in classes]
        permission_classes = [permission]

        def get(self, request: Request) -> Response:
            return Response(describe(request.user))

    return GuideView.as_view()


def drf_request(view: Any, token: str, via: str, cookie_name: str | None) -> Any:
    factory = APIRequestFactory()
    if via == "cookie":
        assert cookie_name, "a cookie guide must name its cookie"
        factory.cookies[cookie_name] = token
        request = factory.get("/")
    else:
        request = factory.get("/", HTTP_AUTHORIZATION=f"Bearer {token}")
    response = view(request)
    response.render()
    return response


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_the_after_settings_authenticate_an_emulator_token(guide_env: CognitoPool, name: str) -> None:
    options, code = guides()[name]
    namespace: dict[str, Any] = {}
    exec(compile(code, f"docs/migrating.md ({name})", "exec"), namespace)  # noqa: S102  (our own doc)

    missing = set(namespace.get("INSTALLED_APPS", ())) - set(settings.INSTALLED_APPS)
    assert not missing, f"the test project lacks {missing}"
    fastcognito = {**namespace["FASTCOGNITO"], "JWKS_URL": guide_env.jwks_url}
    overrides: dict[str, Any] = {"FASTCOGNITO": fastcognito}
    for setting in ("MIDDLEWARE", "REST_FRAMEWORK"):
        if setting in namespace:
            overrides[setting] = namespace[setting]
    replica = fastcognito.get("USER_CLASS") == "fastcognito.django.users.replica_user" or options["via"] == "exchange"

    with override_settings(**overrides):
        problems = [str(m) for m in run_checks() if m.id and m.id.startswith("fastcognito") and m.is_serious()]
        assert problems == []
        from fastcognito.django import fastcognito_settings

        token = login(guide_env, "alice")["IdToken" if options["token"] == "id" else "AccessToken"]
        if options["path"] == "middleware":
            body = Client().get("/plain/whoami/", HTTP_AUTHORIZATION=f"Bearer {token}").json()
            refused = Client().get("/plain/protected/", HTTP_AUTHORIZATION="Bearer not.a.token")
        else:
            classes = namespace["REST_FRAMEWORK"]["DEFAULT_AUTHENTICATION_CLASSES"]
            view = drf_view(classes, IsAuthenticated)
            if options["via"] == "exchange":
                answer = Client().post("/auth/exchange/", {"token": token}, content_type="application/json")
                assert answer.status_code == 200, answer.content
                token, via = answer.json()["access"], "header"
                refused = Client().post("/auth/exchange/", {"token": "not.a.token"}, content_type="application/json")
            else:
                via = options["via"]
                # A bad token is a 401 even where anonymous users are allowed.
                refused = drf_request(drf_view(classes, AllowAny), "not.a.token", via, fastcognito_settings.COOKIE_NAME)
            answer = drf_request(view, token, via, fastcognito_settings.COOKIE_NAME)
            assert answer.status_code == 200, answer.content
            body = answer.data

    assert body["authenticated"] is True
    assert body["username"] == "alice"
    assert body["class"] == ("User" if replica else "CognitoUser")
    assert refused.status_code == 401
    refused_body = refused.data if hasattr(refused, "data") else refused.json()
    assert refused_body["code"] == "malformed"
