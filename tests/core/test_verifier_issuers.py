"""Both issuer forms, the migration window and replica Regions, by configuration alone.

Each issuer's JWKS is served by a real HTTP server on 127.0.0.1. The verifier builds the real
Cognito URLs (``https://cognito-idp.{region}.amazonaws.com/...``); the test session routes every
https request to the local server with the original host as the first path segment, so the
server sees which host each fetch was meant for.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import requests.adapters
from cryptography.hazmat.primitives.asymmetric import rsa
from pytest_httpserver import HTTPServer

from fastcognito import (
    CognitoVerifier,
    ConfigurationError,
    InvalidIssuerError,
    JWKSError,
    KeyNotFoundError,
    UserPool,
    default_issuer,
)
from fastcognito.verifier import cognito_issuers
from tests.support import CLIENT_ID, KID, KID2, POOL_ID, TokenFactory, Twin, rsa_jwk

ORIGINAL = f"https://cognito-idp.eu-west-1.amazonaws.com/{POOL_ID}"
UPDATED = f"https://issuer-cognito-idp.eu-west-1.amazonaws.com/{POOL_ID}"
REPLICA = f"https://cognito-idp.eu-central-1.amazonaws.com/{POOL_ID}"


class LoopbackAdapter(requests.adapters.HTTPAdapter):
    """Sends ``https://HOST/PATH`` to ``{base}/HOST/PATH`` (plain http on 127.0.0.1)."""

    def __init__(self, base: str) -> None:
        super().__init__()
        self.base = base.rstrip("/")

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        parts = urlsplit(request.url or "")
        request.url = f"{self.base}/{parts.hostname}{parts.path}"
        return super().send(request, *args, **kwargs)


def routed_session(httpserver: HTTPServer) -> requests.Session:
    session = requests.Session()
    session.mount("https://", LoopbackAdapter(httpserver.url_for("/")))
    return session


def jwks_path(issuer: str) -> str:
    parts = urlsplit(issuer)
    return f"/{parts.hostname}{parts.path}/.well-known/jwks.json"


def fetched(httpserver: HTTPServer) -> list[str]:
    return [request.path for request, _ in httpserver.log]


@pytest.fixture
def other_tokens(rsa_key2: rsa.RSAPrivateKey) -> TokenFactory:
    return TokenFactory(rsa_key2, kid=KID2)


def serve(httpserver: HTTPServer, issuer: str, *keys: dict[str, Any]) -> None:
    httpserver.expect_request(jwks_path(issuer)).respond_with_json({"keys": list(keys)})


def online(twin: Twin, httpserver: HTTPServer, **options: Any) -> CognitoVerifier:
    options.setdefault("client_id", CLIENT_ID)
    options.setdefault("token_use", "access")
    return twin.verifier(POOL_ID, session=routed_session(httpserver), cache_size=0, **options)


# --- which issuers a configuration trusts ------------------------------------------------------


def test_issuers_of_each_form() -> None:
    assert cognito_issuers(POOL_ID) == (ORIGINAL,)
    assert cognito_issuers(POOL_ID, issuer_form="updated") == (UPDATED,)
    assert cognito_issuers(POOL_ID, issuer_form="both") == (ORIGINAL, UPDATED)
    assert cognito_issuers(POOL_ID, additional_regions=["eu-central-1"]) == (ORIGINAL, REPLICA)
    assert cognito_issuers(POOL_ID, issuer_form="both", additional_regions=("eu-central-1",)) == (
        ORIGINAL,
        REPLICA,
        UPDATED,
    )
    assert default_issuer(POOL_ID, form="updated") == UPDATED


def test_each_issuer_fetches_from_its_own_jwks_url(twin: Twin, httpserver: HTTPServer) -> None:
    verifier = online(twin, httpserver, issuer_form="both", additional_regions=["eu-central-1"])
    assert {issuer: client.url for issuer, client in verifier.jwks_clients.items()} == {
        ORIGINAL: f"{ORIGINAL}/.well-known/jwks.json",
        REPLICA: f"{REPLICA}/.well-known/jwks.json",
        UPDATED: f"{UPDATED}/.well-known/jwks.json",
    }
    assert sorted(verifier.pools) == sorted([ORIGINAL, REPLICA, UPDATED])
    assert {pool.user_pool_id for pool in verifier.pools.values()} == {POOL_ID}


# --- verification per form ------------------------------------------------------------------


def test_original_form_is_the_default(
    twin: Twin, httpserver: HTTPServer, rsa_key: rsa.RSAPrivateKey, tokens: TokenFactory
) -> None:
    serve(httpserver, ORIGINAL, rsa_jwk(rsa_key, KID))
    verifier = online(twin, httpserver)
    assert verifier.verify(tokens.access(iss=ORIGINAL)).issuer == ORIGINAL
    with pytest.raises(InvalidIssuerError):
        verifier.verify(tokens.access(iss=UPDATED))
    assert fetched(httpserver) == [jwks_path(ORIGINAL)]


def test_updated_form_alone(
    twin: Twin, httpserver: HTTPServer, rsa_key: rsa.RSAPrivateKey, tokens: TokenFactory
) -> None:
    serve(httpserver, UPDATED, rsa_jwk(rsa_key, KID))
    verifier = online(twin, httpserver, issuer_form="updated")
    claims = verifier.verify(tokens.access(iss=UPDATED))
    assert claims.issuer == UPDATED
    with pytest.raises(InvalidIssuerError):
        verifier.verify(tokens.access(iss=ORIGINAL))
    # The original form's JWKS was never asked for.
    assert fetched(httpserver) == [jwks_path(UPDATED)]


def test_migration_window_accepts_both_forms_each_with_its_own_keys(
    twin: Twin,
    httpserver: HTTPServer,
    rsa_key: rsa.RSAPrivateKey,
    rsa_key2: rsa.RSAPrivateKey,
    tokens: TokenFactory,
    other_tokens: TokenFactory,
) -> None:
    # Different keys behind each issuer prove which JWKS each token was checked against.
    serve(httpserver, ORIGINAL, rsa_jwk(rsa_key, KID))
    serve(httpserver, UPDATED, rsa_jwk(rsa_key2, KID2))
    verifier = online(twin, httpserver, issuer_form="both")
    assert verifier.verify(tokens.access(iss=ORIGINAL)).issuer == ORIGINAL
    assert verifier.verify(other_tokens.access(iss=UPDATED)).issuer == UPDATED
    assert sorted(fetched(httpserver)) == sorted([jwks_path(ORIGINAL), jwks_path(UPDATED)])
    # A key of one issuer does not vouch for the other issuer's tokens.
    with pytest.raises(KeyNotFoundError):
        verifier.verify(other_tokens.access(iss=ORIGINAL))


def test_replica_region_of_a_multi_region_pool(
    twin: Twin,
    httpserver: HTTPServer,
    rsa_key: rsa.RSAPrivateKey,
    rsa_key2: rsa.RSAPrivateKey,
    tokens: TokenFactory,
    other_tokens: TokenFactory,
) -> None:
    serve(httpserver, ORIGINAL, rsa_jwk(rsa_key, KID))
    serve(httpserver, REPLICA, rsa_jwk(rsa_key2, KID2))
    verifier = online(twin, httpserver, additional_regions=["eu-central-1"])
    assert verifier.verify(other_tokens.access(iss=REPLICA)).issuer == REPLICA
    assert verifier.verify(tokens.access(iss=ORIGINAL)).issuer == ORIGINAL
    assert fetched(httpserver) == [jwks_path(REPLICA), jwks_path(ORIGINAL)]
    # A Region that is not configured is never trusted, nor fetched from.
    stranger = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL_ID}"
    with pytest.raises(InvalidIssuerError):
        verifier.verify(tokens.access(iss=stranger))
    assert len(fetched(httpserver)) == 2


def test_offline_jwks_serves_every_issuer_of_the_pool(
    twin: Twin, jwks_document: dict[str, Any], tokens: TokenFactory
) -> None:
    verifier = twin.verifier(
        POOL_ID,
        client_id=CLIENT_ID,
        token_use="access",
        jwks=jwks_document,
        issuer_form="both",
        additional_regions=["eu-central-1"],
    )
    for issuer in (ORIGINAL, UPDATED, REPLICA):
        assert verifier.verify(tokens.access(iss=issuer)).issuer == issuer
    assert verifier.jwks_clients == {}


def test_user_pool_sets_its_own_form(twin: Twin, jwks_document: dict[str, Any], tokens: TokenFactory) -> None:
    other_pool = "us-east-1_OtherPool9"
    other_updated = f"https://issuer-cognito-idp.us-east-1.amazonaws.com/{other_pool}"
    verifier = twin.verifier(
        [
            UserPool(POOL_ID, jwks=jwks_document),
            UserPool(other_pool, jwks=jwks_document, issuer_form="updated"),
        ],
        client_id=CLIENT_ID,
        token_use="access",
    )
    assert sorted(verifier.pools) == sorted([ORIGINAL, other_updated])
    assert verifier.verify(tokens.access(iss=other_updated)).issuer == other_updated
    with pytest.raises(InvalidIssuerError):
        verifier.verify(tokens.access(iss=default_issuer(other_pool)))


# --- hydrate -----------------------------------------------------------------------------------


def test_hydrate_succeeds_on_a_pool_that_has_not_switched(
    twin: Twin,
    httpserver: HTTPServer,
    rsa_key: rsa.RSAPrivateKey,
    tokens: TokenFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Cognito answers 403 for the updated form's JWKS of a pool still on the original form.
    serve(httpserver, ORIGINAL, rsa_jwk(rsa_key, KID))
    httpserver.expect_request(jwks_path(UPDATED)).respond_with_data("Forbidden", status=403)
    verifier = online(twin, httpserver, issuer_form="both")
    with caplog.at_level(logging.INFO, logger="fastcognito"):
        verifier.hydrate()
    assert sorted(fetched(httpserver)) == sorted([jwks_path(ORIGINAL), jwks_path(UPDATED)])
    assert any(UPDATED in record.getMessage() for record in caplog.records)
    assert verifier.verify(tokens.access(iss=ORIGINAL)).issuer == ORIGINAL
    assert len(fetched(httpserver)) == 2


def test_hydrate_fails_when_no_issuer_of_a_pool_answers(twin: Twin, httpserver: HTTPServer) -> None:
    httpserver.expect_request(jwks_path(ORIGINAL)).respond_with_data("no", status=500)
    httpserver.expect_request(jwks_path(UPDATED)).respond_with_data("no", status=403)
    verifier = online(twin, httpserver, issuer_form="both")
    with pytest.raises(JWKSError) as caught:
        verifier.hydrate()
    assert ORIGINAL in caught.value.message and UPDATED in caught.value.message


def test_hydrate_of_one_form_still_fails_loudly(twin: Twin, httpserver: HTTPServer) -> None:
    httpserver.expect_request(jwks_path(UPDATED)).respond_with_data("no", status=403)
    verifier = online(twin, httpserver, issuer_form="updated")
    with pytest.raises(JWKSError):
        verifier.hydrate()


# --- configuration errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"issuer_form": "new"}, "issuer_form must be"),
        ({"issuer_form": None}, "issuer_form must be"),
        ({"issuer_form": "updated", "additional_regions": ["eu-central-1"]}, "original issuer form only"),
        ({"additional_regions": ["eu-west-1"]}, "twice"),
        ({"additional_regions": ["eu-central-1", "eu-central-1"]}, "twice"),
        ({"additional_regions": ["mars-1"]}, "not an AWS region"),
        ({"additional_regions": [""]}, "not an AWS region"),
        ({"additional_regions": 3}, "list of AWS regions"),
        ({"issuer": ORIGINAL, "issuer_form": "both"}, "issuer is set explicitly"),
        ({"issuer": ORIGINAL, "additional_regions": ["eu-central-1"]}, "issuer is set explicitly"),
        ({"issuer_form": "both", "jwks_url": "https://keys.example/jwks.json"}, "each fetched from its own"),
    ],
)
def test_inconsistent_issuer_settings_are_configuration_errors(options: dict[str, Any], message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        CognitoVerifier(POOL_ID, client_id=CLIENT_ID, token_use="access", **options)


def test_a_region_string_is_one_region() -> None:
    verifier = CognitoVerifier(POOL_ID, client_id=None, token_use=None, additional_regions="eu-central-1")
    assert sorted(verifier.pools) == sorted([ORIGINAL, REPLICA])
    assert verifier.pools[REPLICA].additional_regions == ("eu-central-1",)
    assert verifier.pools[REPLICA].issuer_form == "original"
