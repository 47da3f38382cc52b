"""The token exchange endpoint (fastcognito.django.users.urls) with genuine moto tokens: a
simplejwt pair for the replica user, 401 with a code for a bad token, 403 for a refused user."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.contrib.auth.models import User
from django.test import Client, override_settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from fastcognito.django.users import UserRefusedError
from tests.support import CognitoPool, TokenFactory
from tests.support.django.replica import login, moto_settings

pytestmark = pytest.mark.django_db

URL = "/auth/exchange/"


def refuse_bob(claims: Any) -> dict[str, Any]:
    if claims.username == "bob":
        raise UserRefusedError("bob may not have internal tokens")
    from fastcognito.django.users.sync import default_user_fields

    return default_user_fields(claims)


def tenant_claims(user: Any, claims: Any) -> dict[str, Any]:
    return {"tenant": "acme", "is_staff": user.is_staff}


@pytest.fixture
def exchange(cognito: CognitoPool) -> Iterator[Any]:
    replica = {
        "EXCHANGE_CLAIMS": ["cognito:groups", "email", "exp"],
        "EXCHANGE_EXTRA_CLAIMS": f"{__name__}.tenant_claims",
        "USER_FIELDS": f"{__name__}.refuse_bob",
    }
    with override_settings(FASTCOGNITO=moto_settings(cognito, REPLICA=replica)):
        yield cognito


def post(body: Any = None, **headers: str) -> Any:
    return Client().post(URL, body if body is not None else {}, content_type="application/json", **headers)


@pytest.mark.parametrize("token_name", ["IdToken", "AccessToken"])
def test_a_cognito_token_becomes_a_simplejwt_pair(exchange: CognitoPool, token_name: str) -> None:
    token = login(exchange, "alice")[token_name]
    answer = post({"token": token})
    assert answer.status_code == 200, answer.content
    assert answer["Cache-Control"].startswith("max-age=0") or "no-store" in answer["Cache-Control"]
    pair = answer.json()
    user = User.objects.get(username="alice")
    access = AccessToken(pair["access"])  # verifies simplejwt's own signature and expiry
    assert access["user_id"] == str(user.pk)
    assert sorted(access["cognito:groups"]) == ["admins", "editors"]
    assert access["tenant"] == "acme" and access["is_staff"] is True
    # A Cognito claim never overrides one simplejwt sets itself: the lifetime is simplejwt's
    # (5 minutes by default), not the Cognito token's hour.
    assert access["exp"] - access["iat"] == 300 and access["token_type"] == "access"
    # moto's email_verified is the string "true", which verifies nothing: the e-mail stays out.
    assert "email" not in access.payload
    assert RefreshToken(pair["refresh"])["user_id"] == str(user.pk)


def test_the_token_may_come_in_the_authorization_header(exchange: CognitoPool) -> None:
    token = login(exchange, "alice")["AccessToken"]
    answer = Client().post(URL, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert answer.status_code == 200, answer.content
    assert set(answer.json()) == {"access", "refresh"}


def test_no_token_is_a_401(exchange: CognitoPool) -> None:
    answer = post()
    assert answer.status_code == 401
    assert answer.json()["code"] == "not_authenticated"
    assert answer["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    ("body", "code"),
    [({"token": "not-a-token"}, "malformed"), ({"token": 42}, "malformed"), ("[1, 2]", None)],
)
def test_a_malformed_token_is_a_401_with_its_code(exchange: CognitoPool, body: Any, code: str | None) -> None:
    answer = post(body)
    assert answer.status_code == 401
    assert answer.json()["code"] == (code or "not_authenticated")
    assert not User.objects.exists()


def test_a_token_of_another_pool_is_a_401(exchange: CognitoPool, tokens: TokenFactory) -> None:
    answer = post({"token": tokens.access()})
    assert answer.status_code == 401
    assert answer.json()["code"] in ("invalid_issuer", "unknown_kid")
    assert 'error="invalid_token"' in answer["WWW-Authenticate"]


def test_a_token_of_another_client_is_a_401(exchange: CognitoPool) -> None:
    other = exchange.new_client()
    answer = post({"token": exchange.login("alice", client_id=other)["AccessToken"]})
    assert answer.status_code == 401
    assert answer.json()["code"] == "invalid_client"


def test_a_refusing_hook_is_a_403(exchange: CognitoPool) -> None:
    answer = post({"token": login(exchange, "bob")["IdToken"]})
    assert answer.status_code == 403
    assert answer.json()["code"] == "user_refused"
    assert "access" not in answer.json()
    assert not User.objects.filter(username="bob").exists()


def test_only_post(exchange: CognitoPool) -> None:
    assert Client().get(URL).status_code == 405


def test_the_pair_is_accepted_by_simplejwt_authentication(exchange: CognitoPool) -> None:
    from rest_framework.test import APIRequestFactory
    from rest_framework_simplejwt.authentication import JWTAuthentication

    pair = post({"token": login(exchange, "alice")["AccessToken"]}).json()
    request = APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {pair['access']}")
    user, _ = JWTAuthentication().authenticate(request)  # type: ignore[misc]
    assert user.username == "alice" and user.cognito_identity.sub



# --- what the pair carries ----------------------------------------------------------------------


@pytest.fixture
def local_exchange(fastcognito_config: Any) -> Any:
    """The exchange with tokens signed by the test key (only those can carry the JSON boolean
    ``email_verified``); call with REPLICA keys."""

    def configure(**replica: Any) -> None:
        fastcognito_config(TOKEN_USE=None, REPLICA=replica)

    return configure


@pytest.mark.parametrize(
    ("verified", "carried"),
    [(True, True), (False, False), ("true", False), (1, False), (None, False)],
)
def test_an_unverified_email_never_travels_as_if_verified(
    local_exchange: Any, tokens: TokenFactory, DROP: Any, verified: Any, carried: bool
) -> None:
    local_exchange(
        EXCHANGE_CLAIMS=["email", "email_verified", "phone_number"], EXCHANGE_USER_FIELDS=["email"]
    )
    token = tokens.id(
        email_verified=DROP if verified is None else verified,
        phone_number="+15550100",
        phone_number_verified=False,
    )
    answer = post({"token": token})
    assert answer.status_code == 200, answer.content
    access = AccessToken(answer.json()["access"])
    assert ("email" in access.payload) is carried
    if carried:
        assert access["email"] == "alice@example.com"
    # What Cognito said about the address travels as it is.
    assert access.payload.get("email_verified") == (None if verified is None else verified)
    assert "phone_number" not in access.payload


def test_user_fields_carry_local_attributes(fastcognito_config: Any, tokens: TokenFactory) -> None:
    # django-rest-microservice's CUSTOM_TOKEN_USER_ATTRIBUTES copied is_staff from the user, set
    # by hand (no STAFF_GROUPS: the replica leaves it alone).
    replica = {"EXCHANGE_USER_FIELDS": ["is_staff", "date_joined", "first_name", "get_full_name"]}
    fastcognito_config(TOKEN_USE=None, STAFF_GROUPS=(), REPLICA=replica)
    first = AccessToken(post({"token": tokens.id()}).json()["access"])
    user = User.objects.get(username="alice")
    assert first["is_staff"] is False
    assert first["date_joined"].startswith(user.date_joined.date().isoformat())  # a date, as text
    assert "get_full_name" not in first.payload  # a method is not JSON: left out, not a 500
    User.objects.filter(pk=user.pk).update(is_staff=True)
    assert AccessToken(post({"token": tokens.id()}).json()["access"])["is_staff"] is True


@pytest.mark.parametrize(
    ("fields", "check_id"), [(["password"], "E201"), (["no_such_field"], "E209"), ("is_staff", "E201")]
)
def test_bad_user_fields_are_check_errors(fastcognito_config: Any, fields: Any, check_id: str) -> None:
    from fastcognito.django.users.checks import check_replica

    fastcognito_config(REPLICA={"EXCHANGE_USER_FIELDS": fields})
    assert [message.id for message in check_replica()] == [f"fastcognito.{check_id}"]


def test_an_internal_token_in_the_header_does_not_stand_in_for_the_body(exchange: CognitoPool) -> None:
    # A frontend that sends its simplejwt token to every endpoint, this one included.
    first = post({"token": login(exchange, "alice")["AccessToken"]}).json()
    body = {"token": login(exchange, "alice")["IdToken"]}
    answer = post(body, HTTP_AUTHORIZATION=f"Bearer {first['access']}")
    assert answer.status_code == 200, answer.content
    assert AccessToken(answer.json()["access"])["user_id"] == str(User.objects.get(username="alice").pk)
    # Alone, without a Cognito token in the body, it is what is verified, and refused.
    alone = post(HTTP_AUTHORIZATION=f"Bearer {first['access']}")
    assert alone.status_code == 401 and alone.json()["code"] == "unsupported_alg"
