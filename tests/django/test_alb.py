"""ALB tokens in Django: AlbAuthentication (DRF) and AlbMiddleware read x-amzn-oidc-data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.conf import settings
from django.test import AsyncClient, Client, override_settings
from pytest_httpserver import HTTPServer

from fastcognito.django.alb import alb_verifier
from tests.support.alb_tokens import ALB_KID, ARN, CLIENT, ISSUER, OTHER_ARN, AlbTokens, pem

MIDDLEWARE = [
    path if path != "fastcognito.django.CognitoMiddleware" else "fastcognito.django.alb.AlbMiddleware"
    for path in settings.MIDDLEWARE
]


@pytest.fixture(scope="module")
def alb() -> AlbTokens:
    return AlbTokens(ec.generate_private_key(ec.SECP256R1()))


@pytest.fixture
def alb_settings(httpserver: HTTPServer, alb: AlbTokens) -> Iterator[dict[str, Any]]:
    httpserver.expect_request(f"/{ALB_KID}").respond_with_data(pem(alb.key))
    config = {
        **settings.FASTCOGNITO,
        "ALB": {"ARNS": [ARN], "CLIENT_ID": CLIENT, "ISSUER": ISSUER, "KEYS_URL": httpserver.url_for("/")},
    }
    urls = "tests.support.django.alb_urls"
    with override_settings(FASTCOGNITO=config, ROOT_URLCONF=urls, MIDDLEWARE=MIDDLEWARE):
        yield config


def oidc(token: str) -> dict[str, str]:
    return {"HTTP_X_AMZN_OIDC_DATA": token}


@pytest.mark.usefixtures("alb_settings")
class TestDrf:
    def test_the_alb_header_authenticates(self, alb: AlbTokens) -> None:
        response = Client().get("/drf/alb/", **oidc(alb.token()))
        assert response.status_code == 200, response.content
        assert response.json() == {"username": "alice", "email": "alice@example.com"}

    def test_no_header_is_anonymous(self) -> None:
        response = Client().get("/drf/alb/")
        assert response.status_code == 401
        assert "error=" not in response["WWW-Authenticate"]

    def test_another_load_balancer_is_refused_with_its_code(self, alb: AlbTokens) -> None:
        response = Client().get("/drf/alb/", **oidc(alb.token(header=alb.header(signer=OTHER_ARN))))
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_signer"
        assert 'error="invalid_token"' in response["WWW-Authenticate"]

    def test_a_bearer_token_is_not_an_alb_token(self, alb: AlbTokens) -> None:
        response = Client().get("/drf/alb/", HTTP_AUTHORIZATION=f"Bearer {alb.token()}")
        assert response.status_code == 401
        assert "error=" not in response["WWW-Authenticate"]

    def test_key_server_down_is_503(self, alb: AlbTokens, alb_settings: dict[str, Any]) -> None:
        import socket

        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        config = {**alb_settings, "ALB": {**alb_settings["ALB"], "KEYS_URL": f"http://127.0.0.1:{port}"}}
        with override_settings(FASTCOGNITO=config):
            response = Client().get("/drf/alb/", **oidc(alb.token()))
        assert response.status_code == 503
        assert response.json()["code"] == "jwks_unavailable"


@pytest.mark.usefixtures("alb_settings")
class TestMiddleware:
    def test_sync_view(self, alb: AlbTokens) -> None:
        assert Client().get("/plain/alb/", **oidc(alb.token())).json() == {
            "authenticated": True,
            "username": "alice",
            "error": None,
        }

    def test_async_view(self, alb: AlbTokens) -> None:
        from asgiref.sync import async_to_sync

        async def run() -> Any:
            return await AsyncClient().get("/plain/async-alb/", headers={"x-amzn-oidc-data": alb.token()})

        response = async_to_sync(run)()
        assert response.json() == {"authenticated": True, "username": "alice", "error": None}

    def test_rejected_token_is_anonymous_with_the_reason(self, alb: AlbTokens) -> None:
        expired = alb.token(claims=alb.claims(exp=1))
        assert Client().get("/plain/alb/", **oidc(expired)).json() == {
            "authenticated": False,
            "username": "",
            "error": "expired",
        }
        response = Client().get("/plain/alb-protected/", **oidc(expired))
        assert response.status_code == 401 and response.json()["code"] == "expired"

    def test_login_required(self, alb: AlbTokens) -> None:
        assert Client().get("/plain/alb-protected/", **oidc(alb.token())).status_code == 200
        assert Client().get("/plain/alb-protected/").status_code == 401


def test_verifier_follows_the_settings(alb_settings: dict[str, Any]) -> None:
    first = alb_verifier()
    assert alb_verifier() is first and first.arns == frozenset({ARN})
    config = {**alb_settings, "ALB": {**alb_settings["ALB"], "ARNS": [OTHER_ARN]}}
    with override_settings(FASTCOGNITO=config):
        assert alb_verifier().arns == frozenset({OTHER_ARN})
