"""fastcognito.testing: tokens from a local key that the real verifier accepts, and the variants
it must refuse, each for its own reason. Both twins verify them."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from fastcognito import CognitoVerifier, default_issuer
from fastcognito.testing import OMIT, FakeUserPool
from tests.support import Twin


def offline(twin: Twin, pool: FakeUserPool, **options: Any) -> CognitoVerifier:
    settings: dict[str, Any] = {"client_id": pool.client_id, "token_use": "access", "issuer": pool.issuer, "jwks": pool.jwks}
    settings.update(options)
    return twin.verifier(pool.user_pool_id, **settings)


def test_tokens_are_cognito_shaped_and_accepted(twin: Twin, fake_user_pool: FakeUserPool) -> None:
    claims = offline(twin, fake_user_pool).verify(fake_user_pool.make_token(groups=["admins"], scopes=["api/read"]))
    assert (claims.username, claims.groups, claims.scopes) == ("alice", ("admins",), frozenset({"api/read"}))
    assert claims.client_id == fake_user_pool.client_id and claims.token_use == "access"
    assert claims["iss"] == default_issuer(fake_user_pool.user_pool_id)
    assert claims.exp - claims["iat"] == 3600

    id_claims = offline(twin, fake_user_pool, token_use="id").verify(fake_user_pool.id_token(username="bob"))
    assert (id_claims.username, id_claims["email"], id_claims["aud"]) == ("bob", "bob@example.com", fake_user_pool.client_id)
    assert "scope" not in id_claims and "client_id" not in id_claims


def test_raw_claims_and_omit(fake_user_pool: FakeUserPool) -> None:
    payload = fake_user_pool.claims(**{"custom:tenant": "acme"}, jti=OMIT, username="carol")
    assert payload["custom:tenant"] == "acme" and "jti" not in payload and payload["username"] == "carol"
    with pytest.raises(ValueError, match="token_use"):
        fake_user_pool.claims("refresh")
    with pytest.raises(ValueError, match="no scopes"):
        fake_user_pool.claims("id", scopes=["x"])


@pytest.mark.parametrize(
    ("variant", "code"),
    [
        ("expired_token", "expired"),
        ("not_yet_valid_token", "not_yet_valid"),
        ("wrong_client_token", "invalid_client"),
        ("wrong_issuer_token", "invalid_issuer"),
        ("wrong_token_use_token", "invalid_token_use"),
        ("bad_signature_token", "invalid_signature"),
        ("unknown_kid_token", "unknown_kid"),
    ],
)
@pytest.mark.parametrize("token_use", ["access", "id"])
def test_each_variant_fails_for_its_reason(
    twin: Twin, fake_user_pool: FakeUserPool, variant: str, code: str, token_use: str
) -> None:
    verifier = offline(twin, fake_user_pool, token_use=token_use)
    verifier.verify(fake_user_pool.make_token(token_use))  # the plain token passes
    with pytest.raises(Exception) as caught:
        verifier.verify(getattr(fake_user_pool, variant)(token_use))
    assert caught.value.code == code  # type: ignore[attr-defined]


def test_the_verifier_helper_and_verified_claims(fake_user_pool: FakeUserPool) -> None:
    assert fake_user_pool.verified_claims(groups=["ops"]).groups == ("ops",)
    assert fake_user_pool.verified_claims("id").token_use == "id"
    assert fake_user_pool.verifier(token_use=None).verify(fake_user_pool.id_token()).token_use == "id"


def test_serve_puts_the_jwks_on_loopback(twin: Twin) -> None:
    pool = FakeUserPool("us-east-1_Served01", "servedclient")
    with pool.serve() as url:
        assert url == pool.jwks_url and url.startswith("http://127.0.0.1:")
        with requests.Session() as http:
            http.trust_env = False
            assert http.get(url, timeout=5).json() == pool.jwks
            assert http.get(url.replace("jwks.json", "other"), timeout=5).status_code == 404
        verifier = twin.verifier(
            pool.user_pool_id, client_id=pool.client_id, token_use="access", jwks_url=url, cache_size=0
        )
        assert verifier.verify(pool.access_token()).username == "alice"
        assert pool.jwks_requests == 2
    assert pool.jwks_url is None
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=2)


def test_the_jwks_is_public_only(fake_user_pool: FakeUserPool) -> None:
    (key,) = fake_user_pool.jwks["keys"]
    assert set(key) == {"alg", "e", "kid", "kty", "n", "use"}
    assert json.dumps(fake_user_pool.jwks)  # a JSON document
