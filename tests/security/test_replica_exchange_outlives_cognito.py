"""Finding 8, the exchange's half (issue 17): a simplejwt pair outlived the Cognito sign-in.

The exchange endpoint issued pairs with simplejwt's own lifetimes (a day for the refresh token),
whatever was left of the Cognito token it was given: a user disabled, signed out or removed from
a group in Cognito kept API access through the pair. The pair now ends with the Cognito token:
its access token by the Cognito ``exp``, its refresh token early enough that no access token
simplejwt's refresh view mints from it lives longer (``REPLICA["EXCHANGE_CAP_EXP"]``).
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client, override_settings
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.serializers import TokenRefreshSerializer
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken, UntypedToken

from tests.support import TokenFactory
from tests.support.django.replica_attacks import replica_settings

pytestmark = pytest.mark.django_db

ACCESS_LIFETIME = int(api_settings.ACCESS_TOKEN_LIFETIME.total_seconds())


def exchange(token: str, jwks_document: dict[str, Any], **replica: Any) -> dict[str, str]:
    with override_settings(FASTCOGNITO=replica_settings(jwks_document, "default", REPLICA=replica)):
        answer = Client().post("/auth/exchange/", {"token": token}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    pair: dict[str, str] = answer.json()
    return pair


def payload(token: str) -> dict[str, Any]:
    import jwt

    return dict(jwt.decode(token, options={"verify_signature": False}))


def test_a_pair_for_a_cognito_token_about_to_expire_expires_with_it(
    tokens: TokenFactory, jwks_document: dict[str, Any]
) -> None:
    cognito_exp = int(time.time()) + 120
    pair = exchange(tokens.id(exp=cognito_exp), jwks_document)
    access, refresh = payload(pair["access"]), payload(pair["refresh"])
    assert access["exp"] <= cognito_exp
    AccessToken(pair["access"])  # still good now
    # Less than an access lifetime left: the refresh token is born expired, and mints nothing.
    assert refresh["exp"] <= cognito_exp - ACCESS_LIFETIME
    with pytest.raises(TokenError):
        RefreshToken(pair["refresh"])


def test_no_access_token_minted_from_the_pair_outlives_the_cognito_token(
    tokens: TokenFactory, jwks_document: dict[str, Any]
) -> None:
    cognito_exp = int(time.time()) + 3600
    pair = exchange(tokens.id(exp=cognito_exp), jwks_document)
    assert payload(pair["refresh"])["exp"] <= cognito_exp - ACCESS_LIFETIME
    refreshed = TokenRefreshSerializer(data={"refresh": pair["refresh"]})
    assert refreshed.is_valid(), refreshed.errors
    minted = UntypedToken(refreshed.validated_data["access"])
    assert minted["exp"] <= cognito_exp


def test_the_cap_can_be_turned_off_on_purpose(tokens: TokenFactory, jwks_document: dict[str, Any]) -> None:
    cognito_exp = int(time.time()) + 120
    pair = exchange(tokens.id(exp=cognito_exp), jwks_document, EXCHANGE_CAP_EXP=False)
    access = payload(pair["access"])
    assert access["exp"] - access["iat"] == ACCESS_LIFETIME  # simplejwt's own lifetimes
    assert RefreshToken(pair["refresh"])["exp"] > cognito_exp


def test_rotation_that_would_escape_the_cap_is_a_system_check_error() -> None:
    from django.conf import settings

    from fastcognito.django.users.checks import check_replica

    with override_settings(SIMPLE_JWT={"ROTATE_REFRESH_TOKENS": True}):
        assert [message.id for message in check_replica()] == ["fastcognito.E207"]
        config = {**settings.FASTCOGNITO, "REPLICA": {"EXCHANGE_CAP_EXP": False}}
        with override_settings(FASTCOGNITO=config):
            assert check_replica() == []
