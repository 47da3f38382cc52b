"""Real tokens from moto's Cognito on 127.0.0.1, verified against moto's JWKS.

moto signs with kid "dummy" and writes `iss` in the real AWS form, while its JWKS lives on the moto
URL: exactly the case for setting ``issuer`` and ``jwks_url`` apart.
"""

from __future__ import annotations

from typing import Any

import pytest

from fastcognito import (
    CognitoVerifier,
    InvalidClientError,
    InvalidIssuerError,
    InvalidTokenUseError,
    MissingGroupError,
    MissingScopeError,
)
from tests.support import CognitoPool, Twin, create_cognito_pool


def moto_verifier(twin: Twin, cognito: CognitoPool, **options: Any) -> CognitoVerifier:
    settings: dict[str, Any] = {
        "client_id": cognito.client_id,
        "token_use": "access",
        "issuer": cognito.issuer,
        "jwks_url": cognito.jwks_url,
    }
    settings.update(options)
    return twin.verifier(cognito.pool_id, **settings)


def user_sub(cognito: CognitoPool, username: str) -> str:
    user = cognito.client.admin_get_user(UserPoolId=cognito.pool_id, Username=username)
    return next(attr["Value"] for attr in user["UserAttributes"] if attr["Name"] == "sub")


def test_moto_access_token_verifies(twin: Twin, cognito: CognitoPool) -> None:
    tokens = cognito.login("alice")
    verifier = moto_verifier(twin, cognito)
    claims = verifier.verify(tokens["AccessToken"])
    assert claims.username == "alice"
    assert claims.sub == user_sub(cognito, "alice")
    assert sorted(claims.groups) == ["admins", "editors"]
    assert claims.scopes == frozenset({"aws.cognito.signin.user.admin"})
    assert claims.token_use == "access"
    assert claims.client_id == cognito.client_id
    assert claims.issuer == cognito.issuer
    assert claims["iss"].startswith("https://cognito-idp.eu-west-1.amazonaws.com/")
    assert list(verifier.jwks_clients[cognito.issuer].by_kid) == ["dummy"]


def test_moto_id_token_verifies(twin: Twin, cognito: CognitoPool) -> None:
    tokens = cognito.login("alice")
    claims = moto_verifier(twin, cognito, token_use="id").verify(tokens["IdToken"])
    assert claims.username == "alice"
    assert claims["cognito:username"] == "alice"
    assert claims.sub == user_sub(cognito, "alice")
    assert sorted(claims.groups) == ["admins", "editors"]
    assert claims.token_use == "id"
    assert claims.client_id == cognito.client_id


def test_bob_has_no_groups(twin: Twin, cognito: CognitoPool) -> None:
    claims = moto_verifier(twin, cognito).verify(cognito.login("bob")["AccessToken"])
    assert claims.username == "bob"
    assert claims.groups == ()


def test_token_use_none_accepts_both(twin: Twin, cognito: CognitoPool) -> None:
    tokens = cognito.login("alice")
    verifier = moto_verifier(twin, cognito, token_use=None)
    assert verifier.verify(tokens["AccessToken"]).token_use == "access"
    assert verifier.verify(tokens["IdToken"]).token_use == "id"


@pytest.mark.parametrize(("required", "token_name"), [("access", "IdToken"), ("id", "AccessToken")])
def test_the_wrong_token_use_is_rejected(twin: Twin, cognito: CognitoPool, required: str, token_name: str) -> None:
    token = cognito.login("alice")[token_name]
    with pytest.raises(InvalidTokenUseError) as caught:
        moto_verifier(twin, cognito, token_use=required).verify(token)
    assert caught.value.claim == "token_use"
    assert caught.value.expected == required


@pytest.mark.parametrize(("token_use", "token_name", "claim"), [("access", "AccessToken", "client_id"), ("id", "IdToken", "aud")])
def test_a_token_of_another_client_is_rejected(
    twin: Twin, cognito: CognitoPool, token_use: str, token_name: str, claim: str
) -> None:
    other_client = cognito.new_client()
    token = cognito.login("alice", client_id=other_client)[token_name]
    verifier = moto_verifier(twin, cognito, token_use=token_use)
    with pytest.raises(InvalidClientError) as caught:
        verifier.verify(token)
    assert caught.value.claim == claim
    assert caught.value.actual == other_client
    # Trusting both clients accepts it; client_id=None skips the check on purpose.
    both = moto_verifier(twin, cognito, token_use=token_use, client_id=[cognito.client_id, other_client])
    assert both.verify(token).client_id == other_client
    assert moto_verifier(twin, cognito, token_use=token_use, client_id=None).verify(token).username == "alice"


def test_a_token_of_another_pool_is_rejected(twin: Twin, cognito: CognitoPool) -> None:
    second = create_cognito_pool(cognito.url, "second-pool")
    second.add_user("mallory")
    token = second.login("mallory")["AccessToken"]
    # Both moto pools sign with the same key: only `iss` tells them apart.
    verifier = moto_verifier(twin, cognito, client_id=None)
    with pytest.raises(InvalidIssuerError) as caught:
        verifier.verify(token)
    assert caught.value.actual == second.issuer
    assert caught.value.expected == cognito.issuer


def test_a_required_group_is_checked(twin: Twin, cognito: CognitoPool) -> None:
    verifier = moto_verifier(twin, cognito, groups=["admins", "auditors"])
    assert verifier.verify(cognito.login("alice")["AccessToken"]).username == "alice"
    with pytest.raises(MissingGroupError) as caught:
        verifier.verify(cognito.login("bob")["AccessToken"])
    assert caught.value.actual == []
    assert caught.value.expected == ["admins", "auditors"]


def test_a_required_scope_is_checked(twin: Twin, cognito: CognitoPool) -> None:
    tokens = cognito.login("alice")
    assert moto_verifier(twin, cognito, scopes="aws.cognito.signin.user.admin").verify(tokens["AccessToken"])
    with pytest.raises(MissingScopeError):
        moto_verifier(twin, cognito, scopes="orders/write").verify(tokens["AccessToken"])


def test_an_access_token_from_the_refresh_flow_verifies(twin: Twin, cognito: CognitoPool) -> None:
    first = cognito.login("alice")
    refreshed = cognito.client.initiate_auth(
        ClientId=cognito.client_id,
        AuthFlow="REFRESH_TOKEN_AUTH",
        AuthParameters={"REFRESH_TOKEN": first["RefreshToken"]},
    )["AuthenticationResult"]
    assert refreshed["AccessToken"] != first["AccessToken"]
    verifier = moto_verifier(twin, cognito)
    claims = verifier.verify(refreshed["AccessToken"])
    assert claims.username == "alice"
    assert claims["origin_jti"] == verifier.verify(first["AccessToken"])["origin_jti"]
    assert moto_verifier(twin, cognito, token_use="id").verify(refreshed["IdToken"]).username == "alice"


def test_the_moto_jwks_is_fetched_once_for_many_tokens(twin: Twin, cognito: CognitoPool) -> None:
    verifier = moto_verifier(twin, cognito, token_use=None, cache_size=0)
    for user in ("alice", "bob", "alice"):
        tokens = cognito.login(user)
        verifier.verify(tokens["AccessToken"])
        verifier.verify(tokens["IdToken"])
    assert verifier.jwks_clients[cognito.issuer].fetches == 1
